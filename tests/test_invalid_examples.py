"""The invalid examples: each file in examples/guiyang-invalid/ breaks exactly the rule it is named for.

Every file is validated together with the example city's organs only (``organs.ttl``): its new
entry, organ or catalog membership must give violations of the one shape its stem names
(``gds:<stem>``) and no warnings. Once, all files together go through pyshacl, the reference
engine, which must report what the fast path reports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from govdata_ld import Settings
from govdata_ld.validation import GDS, ValidationReport, shapes_graph, validate

from .conftest import CITY, ROOT

AS_OF = date(2026, 11, 1)
INVALID = ROOT / "examples" / "guiyang-invalid"
ORGANS = CITY / "organs.ttl"
FILES = sorted(INVALID.glob("*.ttl"))

# Warnings a file may give on its own nodes, by file stem: (focus IRI, shape local name). None so
# far; the entries carry recent modification dates so that the update duty (a warning) is met.
ALLOWED_WARNINGS: dict[str, set[tuple[str, str]]] = {}


def ids(path: Path) -> str:
    return path.stem


@pytest.fixture(scope="module")
def together() -> tuple[ValidationReport, ValidationReport]:
    """organs.ttl and every invalid file at once, through the fast path and through pyshacl."""
    sources = (ORGANS, *FILES)
    fast = validate(*sources, settings=Settings(), as_of=AS_OF, engine="sparql")
    reference = validate(*sources, settings=Settings(), as_of=AS_OF, engine="pyshacl")
    return fast, reference


def test_there_are_enough_invalid_examples_each_named_for_a_violation_shape() -> None:
    assert len(FILES) >= 14
    shapes = shapes_graph(Settings())
    for path in FILES:
        shape = GDS[path.stem]
        assert (shape, None, None) in shapes, f"{path.name}: no shape gds:{path.stem}"
        assert shapes.value(shape, SH.severity) == SH.Violation, path.name


def test_every_file_opens_with_a_comment_naming_its_rule_and_the_readme_lists_it() -> None:
    readme = (INVALID / "README.md").read_text("utf-8")
    for path in FILES:
        text = path.read_text("utf-8")
        assert text.startswith(f"# {path.stem} "), f"{path.name}: the first line names the rule"
        assert f"`{path.name}`" in readme, f"README.md does not list {path.name}"


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_each_file_breaks_exactly_the_rule_it_is_named_for(path: Path) -> None:
    report = validate(ORGANS, path, settings=Settings(), as_of=AS_OF, engine="sparql")
    assert {r.shape for r in report.violations} == {GDS[path.stem]}, report.text("en")
    own = set(Graph().parse(path, format="turtle").subjects())
    allowed = ALLOWED_WARNINGS.get(path.stem, set())
    unexpected = [r for r in report.warnings if (str(r.focus), str(r.shape)[len(str(GDS)):]) not in allowed]
    assert not [r for r in unexpected if r.focus in own], report.text("en")
    assert not unexpected, "organs.ttl alone gives no warnings: " + report.text("en")


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_each_file_also_breaks_only_its_rule_next_to_the_whole_city(path: Path, city: Graph) -> None:
    """The codes, organs and IRIs are new: added to the valid city, the file breaks the same rule."""
    report = validate(city, path, settings=Settings(), as_of=AS_OF, engine="sparql")
    assert {r.shape for r in report.violations} == {GDS[path.stem]}, report.text("en")
    assert {r.focus for r in report.violations} <= set(Graph().parse(path, format="turtle").subjects())


def test_all_files_together_break_one_rule_each(together) -> None:
    fast, _ = together
    assert {r.shape for r in fast.violations} == {GDS[p.stem] for p in FILES}
    assert fast.warnings == ()


def test_pyshacl_reports_the_same_results_on_all_files_together(together) -> None:
    fast, reference = together
    assert reference.engine == "pyshacl" and fast.engine == "sparql"
    assert reference.keys() == fast.keys()
    assert reference.conforms == fast.conforms
