"""Validation: the report API, both engines agreeing, the store and incremental paths, the CLI."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH

from govdata_ld import Catalog, Settings
from govdata_ld.cli import cli
from govdata_ld.namespaces import GD
from govdata_ld.validation import GDS, NonConformantError, validate

from .conftest import city_files

AS_OF = date(2026, 11, 1)
STALE = {"302143/000001", "303301/000001"}


@pytest.fixture(scope="module")
def city_report():
    return validate(*city_files(), settings=Settings(), as_of=AS_OF, engine="sparql")


def test_the_example_city_conforms_with_its_two_stale_entries_warned(city_report) -> None:
    assert city_report.conforms
    assert city_report.violations == ()
    assert {r.label for r in city_report.warnings} == STALE
    assert {r.shape for r in city_report.warnings} == {GDS.UpdateDutyRule}
    assert city_report.engine == "sparql" and city_report.fallback_reasons == ()


def test_pyshacl_gives_the_same_results_on_the_example_city(city_report) -> None:
    reference = validate(*city_files(), settings=Settings(), as_of=AS_OF, engine="pyshacl")
    assert reference.engine == "pyshacl"
    assert reference.keys() == city_report.keys()
    assert reference.conforms == city_report.conforms


def test_the_update_duty_follows_the_as_of_date() -> None:
    early = validate(*city_files(), settings=Settings(), as_of=date(2026, 1, 1), engine="sparql")
    assert {r.label for r in early.warnings} < STALE  # 303301/000001 (monthly, 2025-12-01) is not late yet


def broken_city() -> Graph:
    graph = Graph()
    for path in city_files():
        graph.parse(path)
    entry = URIRef("https://data.guiyang.example/resource/101003%2F000001")
    graph.remove((entry, DCTERMS.title, None))
    graph.add((entry, DCTERMS.issued, Literal("2025-02-30", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))))
    return graph


def test_a_report_sorts_by_entry_names_the_field_and_speaks_both_languages() -> None:
    graph = broken_city()
    before = len(graph)
    report = validate(graph, settings=Settings(), as_of=AS_OF, engine="sparql")
    assert len(graph) == before, "validation never adds to the caller's graph"
    assert not report.conforms
    keys = [r.key for r in report.results]
    assert keys == sorted(keys)
    violation = next(r for r in report.violations if r.path == DCTERMS.title)
    assert violation.label == "101003/000001"
    assert violation.message("en").startswith("An entry needs a title")
    assert violation.message("zh").startswith("缺少信息资源名称")
    assert "Art. 9(2)" in violation.articles
    assert "101003/000001" in report.text("en") and "dct:title" in report.text("en")
    assert json.loads(report.to_json("en"))["violations"] == len(report.violations)
    assert (None, SH.conforms, Literal(False)) in report.graph
    with pytest.raises(NonConformantError) as caught:
        report.raise_for_violations()
    assert caught.value.report is report
    reference = validate(graph, settings=Settings(), as_of=AS_OF, engine="pyshacl")
    assert reference.keys() == report.keys()


def test_an_ill_formed_date_is_a_datatype_violation_on_both_engines() -> None:
    report = validate(broken_city(), settings=Settings(), as_of=AS_OF, engine="sparql")
    issued = [r for r in report.violations if r.path == DCTERMS.issued]
    assert issued and issued[0].component == SH.DatatypeConstraintComponent


def test_the_resource_code_pattern_is_a_setting(city_report) -> None:
    strict = Settings(resource_code_pattern=r"^9[0-9]{5}/[0-9]+$")
    report = validate(*city_files(), settings=strict, as_of=AS_OF, engine="sparql")
    pattern = {r.label for r in report.violations if r.shape == GDS["DataResourceShape-identifier-pattern"]}
    assert len(pattern) == 79


def test_the_store_validates_like_the_files_and_changed_entries_merge(tmp_path: Path, city_report) -> None:
    with Catalog.open(tmp_path / "store", settings=Settings()) as catalog:
        catalog.load(*city_files())
        full = catalog.validate(as_of=AS_OF)
        assert full.keys() == city_report.keys()
        entry = catalog.entry("101003/000001")
        catalog.put(dataclasses.replace(entry, legal_basis=None, share_condition=None))
        merged = catalog.validate(as_of=AS_OF, changed=["101003/000001"], previous=full)
        again = catalog.validate(as_of=AS_OF)
        assert merged.keys() == again.keys()
        assert {r.shape for r in again.violations} == {GDS.ShareConditionRule, GDS.LegalBasisRule}
        assert {r.about for r in again.violations} == {GD.shareCondition, GD.legalBasis}
        assert "gd:legalBasis" in again.text("en")
        first = catalog.validate_changed(as_of=AS_OF)
        assert first.keys() == again.keys()
        catalog.put(entry)
        second = catalog.validate_changed(as_of=AS_OF)
        assert second.conforms and second.keys() == city_report.keys()


def test_cli_validate_exit_codes_and_formats(tmp_path: Path, fixture_path) -> None:
    runner = CliRunner()
    files = [str(p) for p in city_files()]
    ok = runner.invoke(cli, ["validate", "--as-of", "2026-11-01", "--lang", "en", *files])
    assert ok.exit_code == 0, ok.output
    assert "0 violation(s), 2 warning(s)" in ok.output
    broken = tmp_path / "broken.ttl"
    broken.write_text(broken_city().serialize(format="turtle"), "utf-8")
    bad = runner.invoke(cli, ["validate", "--as-of", "2026-11-01", "-f", "json", str(broken)])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["conforms"] is False
    ttl = runner.invoke(cli, ["validate", "-f", "ttl", str(broken)])
    assert ttl.exit_code == 1 and "sh:ValidationReport" in ttl.output
    unreadable = runner.invoke(cli, ["validate", str(fixture_path("invalid_syntax_line_7.ttl"))])
    assert unreadable.exit_code == 2 and "invalid_syntax_line_7.ttl:7" in unreadable.output
    store = str(tmp_path / "store")
    runner.invoke(cli, ["--store", store, "load", *files])
    stored = runner.invoke(cli, ["--store", store, "validate", "--changed-only", "--as-of", "2026-11-01"])
    assert stored.exit_code == 0 and "2 warning(s)" in stored.output


def test_validation_reaches_no_network_even_when_the_data_asks(tmp_path: Path) -> None:
    import sys

    events: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and event.startswith(("socket.", "urllib.")):
            events.append(event)

    data = tmp_path / "imports.ttl"
    data.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<http://example.org/x> a owl:Ontology ; owl:imports <http://127.0.0.1:9/never.ttl> .\n",
        "utf-8",
    )
    sys.addaudithook(hook)  # audit hooks cannot be removed; this one only records
    for engine in ("sparql", "pyshacl"):
        report = validate(data, settings=Settings(), as_of=AS_OF, engine=engine)
        assert report.conforms
    recording[0] = False
    assert events == []
