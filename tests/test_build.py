"""The main job: `govdata-ld build` from drafts to published catalogs, with and without a
decisions file, entries withheld for failing validation, and the step commands (issue 4)."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from govdata_ld import Catalog, Settings
from govdata_ld.build import DEFAULT_REASON, build, read_decisions
from govdata_ld.cli import cli
from govdata_ld.errors import InputError

from .conftest import CITY, ROOT

AT = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
AS_OF = date(2026, 11, 1)
MUNICIPAL_BDA = "115201000055566223"
NANMING_BDA = "11520102007401413M"
EDU_ENTRY = "302103/000001"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the example city's source folder, to change."""
    copy = tmp_path / "city"
    shutil.copytree(CITY, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_the_example_city_goes_from_drafts_to_published_catalogs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Catalog.open("memory", settings=Settings()) as catalog:
        summary = build(catalog, CITY, out, as_of=AS_OF, at=AT)
        trail = catalog.select("entry_trail", entry=catalog.minter.entry(EDU_ENTRY)).dicts()
    assert dict(summary.members) == {"general": 79, "sharing": 75, "open": 52}
    assert summary.withheld == () and summary.returned == ()
    assert "no decisions file: every step accepted by its rightful organ" in summary.text()
    decided = [r for r in trail if r.get("decision") is not None]
    assert decided and all(str(r["reason"]) == DEFAULT_REASON for r in decided)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([
        "general-catalog.ttl", "sharing-catalog.ttl", "open-catalog.ttl", "validation.txt",
        "open-catalog.dcat-ap.ttl", "open-catalog.dcat-ap.jsonld",
        "validation.json", "steps.csv", "withheld.csv", "summary.json", "assessment.csv", "assessment.ttl",
    ])
    opened = Graph().parse(out / "open-catalog.ttl")
    catalog_node = URIRef("https://data.guiyang.example/catalog/city/open")
    assert len(set(opened.objects(catalog_node, DCAT.dataset))) == 52
    assert not set(opened.subject_objects(URIRef("https://w3id.org/govdata-ld/ontology#shareCondition")))
    assert json.loads((out / "summary.json").read_text("utf-8"))["members"]["open"] == 52


def test_a_decisions_file_returns_entries_and_invalid_drafts_are_withheld(source: Path, tmp_path: Path) -> None:
    (source / "decisions.toml").write_text(
        '[[decision]]\nstep = "audit"\nentry = "302103/000001"\nreason = "数据项描述不完整"\n', "utf-8"
    )
    shutil.copy(ROOT / "examples" / "guiyang-invalid" / "ShareConditionRule.ttl", source / "drafts" / "gy-ca" / "fix.ttl")
    with Catalog.open("memory", settings=Settings()) as catalog:
        summary = build(catalog, source, tmp_path / "out", as_of=AS_OF, at=AT)
    assert summary.returned == ((EDU_ENTRY, "audit", "数据项描述不完整"),)
    assert [code for code, _ in summary.withheld] == ["301011/000002"]
    assert "fails validation" in summary.withheld[0][1]
    assert summary.members["general"] == 80 - 2  # the invalid file adds an 80th entry
    assert "301011/000002" in (tmp_path / "out" / "withheld.csv").read_text("utf-8")
    assert "decisions from" in summary.text()


def test_a_second_build_of_unchanged_drafts_changes_nothing(tmp_path: Path) -> None:
    with Catalog.open(tmp_path / "store", settings=Settings()) as catalog:
        build(catalog, CITY, tmp_path / "out", as_of=AS_OF, at=AT)
        before = catalog.dump("nquads")
        again = build(catalog, CITY, tmp_path / "out", as_of=AS_OF, at=AT)
        assert catalog.dump("nquads") == before
    assert again.steps == () and again.members["general"] == 79


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[decision]]\nstep = "submit"\nentry = "x"\nreason = "r"\n', "step must be one of"),
        ('[[decision]]\nstep = "audit"\nentry = "x"\n', "needs a reason"),
        ('[[decision]]\nstep = "audit"\nreason = "r"\n', "exactly one of entry or organ"),
        ("[[decision]\n", "cannot read decisions"),
    ],
)
def test_a_malformed_decisions_file_is_refused_with_its_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "decisions.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as caught:
        read_decisions(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_drafts_folder_with_two_providers_is_refused_before_anything_is_written(source: Path, tmp_path: Path) -> None:
    shutil.copy(source / "drafts" / "gy-psb" / "catalog.ttl", source / "drafts" / "gy-ca" / "psb.ttl")
    with Catalog.open("memory", settings=Settings()) as catalog:
        before = len(catalog)
        with pytest.raises(InputError) as caught:
            build(catalog, source, tmp_path / "out", as_of=AS_OF, at=AT)
        assert len(catalog) == before
    assert "several providers" in str(caught.value) and "gy-ca" in str(caught.value)


def test_cli_build_prints_the_summary_and_refused_steps_exit_2(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    code, output = run("--store", store, "build", str(CITY), "--out", str(tmp_path / "out"), "--as-of", "2026-11-01")
    assert code == 0, output
    assert "open catalog: 52 entries (+52 added" in output
    code, output = run("--store", store, "audit", "--as", MUNICIPAL_BDA)
    assert code == 2 and "may not audit" in output
    code, output = run("--store", store, "catalog", "open", "--theme", "health", "-f", "csv")
    assert code == 0 and output.count("\n") == 1 + 2  # two health entries are open
    code, output = run("--store", store, "catalog", "open", "--theme", "health", "-f", "turtle")
    assert code == 2 and "filters apply to the table output" in output
    code, output = run("--store", store, "trail", EDU_ENTRY, "-f", "csv")
    assert code == 0 and output.count("Publication") == 3


def test_cli_step_commands_take_an_entry_through_the_district_route(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert run("--store", store, "load", str(CITY / "organs.ttl"), str(CITY / "drafts" / "nm-edu" / "catalog.ttl"))[0] == 0
    steps = [
        ("submit", "--as", "115201020073494758"),
        ("audit", "--as", NANMING_BDA, "--return", "302103/000002", "--reason", "需补充"),
        ("approve", "--as", "11520102006406781M"),
        ("report", "--as", NANMING_BDA),
        ("review", "--as", MUNICIPAL_BDA),
        ("summarise", "--as", MUNICIPAL_BDA),
        ("ratify", "--as", "11520100000393844U"),
        ("publish", "--as", MUNICIPAL_BDA, "--out", str(tmp_path / "pub")),
    ]
    for step in steps:
        code, output = run("--store", store, *step, "--at", "2026-11-02T09:00:00")
        assert code == 0, (step, output)
    assert "需补充" in run("--store", store, "trail", "302103/000002", "-f", "csv")[1]
    code, output = run("--store", store, "catalog", "general", "-f", "csv")
    assert [line.split(",")[1] for line in output.strip().splitlines()[1:]] == [EDU_ENTRY]
    assert (tmp_path / "pub" / "open-catalog.ttl").is_file()
    code, output = run("--store", store, "audit", "--as", NANMING_BDA, "--return", "x")
    assert code == 2 and "--return needs --reason" in output
    code, output = run("--store", store, "pending", "--as", "115201020073494758", "-f", "csv")
    assert code == 0 and "302103/000002" in output
