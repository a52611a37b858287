"""The command line, through click's CliRunner: commands, outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govdata_ld import __version__, resources
from govdata_ld.cli import cli

from .conftest import city_files


@pytest.fixture
def run(tmp_path: Path):
    runner = CliRunner()
    store = str(tmp_path / "store")

    def invoke(*args: str, store_location: str | None = None):
        return runner.invoke(cli, ["--store", store_location or store, *args], catch_exceptions=False)

    return invoke


def test_version(run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_load_then_stats_on_a_directory_store(run) -> None:
    loaded = run("load", *map(str, city_files()))
    assert loaded.exit_code == 0, loaded.output
    assert "79 entries added" in loaded.output
    stats = run("stats", "--format", "json")
    assert stats.exit_code == 0
    counts = json.loads(stats.output)
    assert counts["totals"]["entries"] == 79
    assert sum(row["entries"] for row in counts["by"]["grade"]) == 79
    table = run("stats")
    assert "Entries by grade" in table.output and "非敏感数据" in table.output


def test_one_shot_memory_store_with_data_option(run) -> None:
    args = [arg for path in city_files() for arg in ("-d", str(path))]
    result = run("query", "count_entries_by", "-p", "dimension=gd:grade", "-f", "csv", *args, store_location="memory")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "dimension,value,label_zh,label_en,entries"
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 79


def test_query_a_users_file_with_a_declared_parameter(run, tmp_path: Path) -> None:
    run("load", *map(str, city_files()))
    query = tmp_path / "titles.rq"
    query.write_text(
        "#+ summary: Titles of one provider's entries.\n"
        "#+ param: ?code string  Resource code\n"
        "PREFIX dct: <http://purl.org/dc/terms/>\n"
        "SELECT ?code ?title WHERE { GRAPH ?e { ?e dct:identifier ?code ; dct:title ?title FILTER(lang(?title)='zh') } }\n",
        "utf-8",
    )
    result = run("query", str(query), "-p", "code=101003/000001", "-f", "json")
    assert result.exit_code == 0, result.output
    bindings = json.loads(result.output)["results"]["bindings"]
    assert [b["title"]["value"] for b in bindings] == ["常住人口基本信息"]


def test_query_refuses_an_update_file_with_exit_2(run, tmp_path: Path) -> None:
    update = tmp_path / "drop.rq"
    update.write_text("DROP ALL", "utf-8")
    result = run("query", str(update))
    assert result.exit_code == 2
    assert "updates are refused" in result.output


def test_unknown_named_query_lists_names_with_exit_2(run) -> None:
    result = run("query", "no_such_query")
    assert result.exit_code == 2
    assert "available: " + ", ".join(resources.names("queries")) in result.output


def test_bad_turtle_ends_with_exit_2_naming_file_and_line_and_changes_nothing(run, fixture_path) -> None:
    good = run("load", str(fixture_path("valid_minimal_entry.ttl")))
    assert good.exit_code == 0
    before = run("stats", "--format", "json").output
    bad = run("load", "--restore", str(fixture_path("named_graph_dump.trig")), str(fixture_path("invalid_syntax_line_7.ttl")))
    assert bad.exit_code == 2
    assert "invalid_syntax_line_7.ttl:7" in bad.output
    assert run("stats", "--format", "json").output == before


def test_missing_file_and_unknown_format_exit_2(run, tmp_path: Path) -> None:
    missing = run("load", str(tmp_path / "absent.ttl"))
    assert missing.exit_code == 2 and "absent.ttl" in missing.output
    odd = tmp_path / "x.data"
    odd.write_text("", "utf-8")
    unknown = run("load", str(odd))
    assert unknown.exit_code == 2 and "known extensions" in unknown.output


def test_bad_parameter_syntax_is_a_usage_error(run) -> None:
    result = run("query", "count_entries_by", "-p", "no-equals-sign")
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


def test_queries_lists_every_named_query(run) -> None:
    result = run("queries")
    assert result.exit_code == 0
    assert "count_entries_by:" in result.output and "?dimension iri" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "govdata_ld", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_import_of_many_new_entries_takes_the_bulk_path_and_minus_o_writes_the_same_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``govdata-ld import`` loads a large sheet of new entries through the bulk path (batches,
    rolled back on failure: docs/spreadsheets.md), and ``-o`` writes the statements a store gets."""
    from rdflib import Graph

    from govdata_ld import Catalog, bulk_import, store
    from govdata_ld.tabular import read_sheets, to_graph

    from .test_bulk_import import SETTINGS, contents, sheet

    monkeypatch.setattr(bulk_import, "BULK_THRESHOLD", 3)
    monkeypatch.setattr(bulk_import, "BATCH_ENTRIES", 3)
    loads: list[int] = []
    original = store.EmbeddedStore._bulk_load_nquads
    monkeypatch.setattr(store.EmbeddedStore, "_bulk_load_nquads", lambda self, data: (loads.append(len(data)), original(self, data))[1])
    path, out = sheet(tmp_path, 7), tmp_path / "out.ttl"
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(tmp_path / "store"), "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "7 added" in result.output and len(loads) == 3  # batches of 3, 3 and 1
    result = runner.invoke(cli, ["--store", "memory", "import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with Catalog.open(tmp_path / "store", settings=SETTINGS) as catalog:
        stored = {q[:3] for q in contents(catalog) if str(q[3]).startswith(catalog.minter.entry_space)}  # the entry graphs
    written = set(Graph().parse(out))
    assert written == set(to_graph(read_sheets(path, settings=SETTINGS).entries, settings=SETTINGS))  # the record mapping
    assert written <= stored  # and the store adds its version numbers
