"""The embedded store behind Catalog: loads, the named-graph layout, upserts, queries."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS

from govdata_ld import (
    Catalog,
    GovDataError,
    Grade,
    InputError,
    ParameterError,
    QueryError,
    ResourceNotFoundError,
    Settings,
)
from govdata_ld import resources
from govdata_ld.namespaces import GD

ENTRY = URIRef("https://data.guiyang.example/resource/301001%2F000001")
ORGAN = URIRef("https://data.guiyang.example/organ/11520100MB1234567P")


def graph_contents(catalog: Catalog) -> set[tuple]:
    return set(catalog._store.quads())


def test_load_writes_entry_registry_and_vocabulary_graphs(catalog: Catalog, fixture_path) -> None:
    summary = catalog.load(fixture_path("valid_minimal_entry.ttl"))
    assert summary.added == ("301001/000001",)
    names = catalog._store.graph_names()
    assert names == {
        catalog.minter.vocabulary_graph(),
        catalog.minter.registry_graph(),
        ENTRY,
    }
    entry_graph = {(s, p, o) for s, p, o, _ in catalog._store.quads(ENTRY)}
    assert (ENTRY, DCTERMS.identifier, Literal("301001/000001")) in entry_graph
    # the catalog membership travels with the entry
    catalog_iri = URIRef("https://data.guiyang.example/catalog/11520100MB1234567P/resource")
    assert (catalog_iri, DCAT.dataset, ENTRY) in entry_graph
    # the data item's blank node was named under the entry, by a digest of what it says
    (item,) = [o for s, p, o in entry_graph if p == GD.dataItem]
    assert re.fullmatch(re.escape(f"{ENTRY}/genid/") + "[0-9a-f]{16}", str(item))
    registry = {(s, p, o) for s, p, o, _ in catalog._store.quads(catalog.minter.registry_graph())}
    assert all(s == ORGAN for s, _, _ in registry)


def test_nothing_is_written_to_the_default_graph(catalog: Catalog, fixture_path) -> None:
    catalog.load(fixture_path("valid_minimal_entry.ttl"))
    assert catalog.query("ASK { ?s ?p ?o }") is False
    assert catalog.query("ASK { GRAPH ?g { ?s ?p ?o } }") is True


def test_loading_the_same_file_twice_changes_nothing(catalog: Catalog, fixture_path) -> None:
    catalog.load(fixture_path("valid_minimal_entry.ttl"))
    before = graph_contents(catalog)
    summary = catalog.load(fixture_path("valid_minimal_entry.ttl"))
    assert summary.unchanged == ("301001/000001",)
    assert summary.added == summary.revised == ()
    assert graph_contents(catalog) == before
    assert catalog.versions("301001/000001") == [1]


def test_a_known_code_gets_a_new_version_and_keeps_the_old(catalog: Catalog, fixture_path, tmp_path: Path) -> None:
    catalog.load(fixture_path("valid_minimal_entry.ttl"))
    changed = tmp_path / "changed.ttl"
    changed.write_text(
        fixture_path("valid_minimal_entry.ttl").read_text("utf-8").replace("测试数据资源", "测试数据资源（修订）"),
        "utf-8",
    )
    summary = catalog.load(changed)
    assert summary.revised == ("301001/000001",)
    assert catalog.versions("301001/000001") == [1, 2]
    assert catalog.entry("301001/000001").title_zh == "测试数据资源（修订）"
    old = {(s, p, o) for s, p, o, _ in catalog._store.quads(URIRef(f"{ENTRY}/version/1"))}
    assert (ENTRY, DCTERMS.title, Literal("测试数据资源", lang="zh")) in old
    totals = catalog.select("totals").dicts()[0]
    assert (int(totals["entries"]), int(totals["earlier_versions"])) == (1, 1)


@pytest.mark.parametrize(
    "name, message",
    [
        ("invalid_syntax_line_7.ttl", "invalid_syntax_line_7.ttl:7"),
        ("invalid_entry_iri.ttl", "names the entry <https://data.guiyang.example/resource/301001%2F000009>"),
    ],
)
def test_a_failed_load_leaves_the_store_unchanged(catalog: Catalog, fixture_path, name: str, message: str) -> None:
    catalog.load(fixture_path("valid_minimal_entry.ttl"))
    before = graph_contents(catalog)
    with pytest.raises(InputError) as caught:
        # a good file first: the whole batch must still be refused
        catalog.load(fixture_path("named_graph_dump.trig"), fixture_path(name), restore=True)
    assert message in str(caught.value)
    assert graph_contents(catalog) == before


def test_syntax_errors_carry_file_line_and_column(memory_catalog: Catalog, fixture_path) -> None:
    with pytest.raises(InputError) as caught:
        memory_catalog.load(fixture_path("invalid_syntax_line_7.ttl"))
    assert caught.value.line == 7
    assert caught.value.source.endswith("invalid_syntax_line_7.ttl")


def test_missing_file_and_unknown_format_are_input_errors(memory_catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="No such file"):
        memory_catalog.load(tmp_path / "absent.ttl")
    odd = tmp_path / "data.xyz"
    odd.write_text("x", "utf-8")
    with pytest.raises(InputError, match="known extensions"):
        memory_catalog.load(odd)
    with pytest.raises(InputError, match="unknown format 'rdfa'"):
        memory_catalog.load(odd, format="rdfa")


def test_trig_named_graphs_are_restored_as_given(catalog: Catalog, fixture_path) -> None:
    summary = catalog.load(fixture_path("named_graph_dump.trig"), restore=True)
    assert summary.restored_graphs == 1
    assert URIRef("https://data.guiyang.example/graph/extra") in catalog._store.graph_names()


def test_dump_and_load_round_trip(catalog: Catalog, fixture_path, tmp_path: Path) -> None:
    catalog.load(fixture_path("valid_minimal_entry.ttl"))
    dump = tmp_path / "dump.trig"
    dump.write_bytes(catalog.dump("trig"))
    with Catalog.open("memory", settings=Settings()) as other:
        other.load(dump, restore=True)
        assert graph_contents(other) == graph_contents(catalog)


def test_persistent_store_keeps_data_and_refuses_a_second_process(tmp_path: Path, fixture_path) -> None:
    location = tmp_path / "store"
    with Catalog.open(location, settings=Settings()) as first:
        first.load(fixture_path("valid_minimal_entry.ttl"))
        import subprocess
        import sys

        probe = subprocess.run(
            [sys.executable, "-c", f"from govdata_ld import Catalog; Catalog.open({str(location)!r})"],
            capture_output=True,
            text=True,
        )
        assert probe.returncode != 0
        assert "StoreInUseError" in probe.stderr and f"in use by PID {os.getpid()}" in probe.stderr
    with Catalog.open(location, settings=Settings()) as reopened:
        assert reopened.entry("301001/000001").grade is Grade.NON_SENSITIVE


@pytest.mark.parametrize(
    "text, message",
    [
        ("INSERT DATA { GRAPH <http://ex.org/g> { <http://ex.org/s> <http://ex.org/p> 1 } }", "updates are refused"),
        ("LOAD <http://ex.org/data.ttl>", "updates are refused"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE is refused"),
        ("SELECT * WHERE { ?s ?p }", "syntax error"),
    ],
)
def test_query_refuses_updates_service_and_load(memory_catalog: Catalog, text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        memory_catalog.query(text)


def test_parameters_are_bound_not_formatted(memory_catalog: Catalog, fixture_path) -> None:
    memory_catalog.load(fixture_path("valid_minimal_entry.ttl"))
    text = (
        "#+ param: ?title zh  A title\n"
        "PREFIX dct: <http://purl.org/dc/terms/>\n"
        "SELECT ?e ?title WHERE { GRAPH ?e { ?e dct:title ?title } }"
    )
    found = memory_catalog.query(text, {"title": "测试数据资源"})
    assert [row[0] for row in found] == [ENTRY]
    hostile = memory_catalog.query(text, {"title": '") || true || ("'})
    assert len(hostile) == 0
    with pytest.raises(ParameterError, match="unknown parameter"):
        memory_catalog.query(text, {"other": "x"})


def test_named_queries_declare_and_check_their_parameters(memory_catalog: Catalog, fixture_path) -> None:
    memory_catalog.load(fixture_path("valid_minimal_entry.ttl"))
    rows = memory_catalog.select("entries", grade="https://w3id.org/govdata-ld/code/grade/non-sensitive")
    assert rows.column("code") == [Literal("301001/000001")]
    assert len(memory_catalog.select("entries", grade=Grade.SECRET.iri)) == 0
    with pytest.raises(ParameterError, match="missing required parameter"):
        memory_catalog.run("count_entries_by")
    with pytest.raises(ParameterError, match="expected iri"):
        memory_catalog.run("count_entries_by", dimension="not an iri")


def test_unknown_named_query_lists_the_names(memory_catalog: Catalog) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        memory_catalog.run("no_such_query")
    listed = str(caught.value).split("available: ", 1)[1].split(", ")
    assert listed == sorted(resources.names("queries")) and "entries" in listed


def test_vocabulary_graph_is_loaded_once_and_replaced_when_code_lists_change(tmp_path: Path) -> None:
    location = tmp_path / "store"
    with Catalog.open(location, settings=Settings()) as first:
        size = len(first)
    grades = tmp_path / "grades.ttl"
    grades.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/govdata-ld/code/grade/g4> a skos:Concept ;\n"
        '  skos:prefLabel "第四级"@zh, "level 4"@en .\n',
        "utf-8",
    )
    with Catalog.open(location, settings=Settings(code_lists={"grades": grades})) as second:
        labels = second.query(
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "SELECT ?l WHERE { GRAPH ?g { <https://w3id.org/govdata-ld/code/grade/g4> skos:prefLabel ?l } }"
        )
        assert Literal("level 4", lang="en") in labels.column("l")
        assert len(second) != size


def test_construct_returns_a_graph_and_ask_a_bool(memory_catalog: Catalog, fixture_path) -> None:
    memory_catalog.load(fixture_path("valid_minimal_entry.ttl"))
    graph = memory_catalog.query(
        "PREFIX dct: <http://purl.org/dc/terms/>\n"
        "CONSTRUCT { ?e dct:title ?t } WHERE { GRAPH ?e { ?e dct:title ?t } }"
    )
    assert set(graph) == {(ENTRY, DCTERMS.title, Literal("测试数据资源", lang="zh"))}
    assert memory_catalog.query("ASK { GRAPH ?g { ?s a <https://w3id.org/govdata-ld/ontology#DataResource> } }")


@pytest.mark.parametrize("fmt, suffix", [("turtle", ".ttl"), ("nt", ".nt"), ("json-ld", ".jsonld"), ("xml", ".rdf")])
def test_each_format_dumps_and_loads_back(memory_catalog: Catalog, fixture_path, tmp_path: Path, fmt: str, suffix: str) -> None:
    memory_catalog.load(fixture_path("valid_minimal_entry.ttl"))
    path = tmp_path / f"dump{suffix}"
    path.write_bytes(memory_catalog.dump(fmt))
    with Catalog.open("memory", settings=Settings()) as other:
        summary = other.load(path, restore=fmt == "json-ld")
        if fmt == "json-ld":  # a dataset format, like TriG: the graphs come back as they were (a restore)
            assert graph_contents(other) == graph_contents(memory_catalog)
        else:  # triple formats merge the graphs; loading sorts them again
            assert summary.added == ("301001/000001",)
        assert other.entry("301001/000001") == memory_catalog.entry("301001/000001")


def test_blank_nodes_written_differently_name_the_same_nodes(memory_catalog: Catalog, fixture_path, tmp_path: Path) -> None:
    memory_catalog.load(fixture_path("valid_minimal_entry.ttl"))
    text = fixture_path("valid_minimal_entry.ttl").read_text("utf-8")
    relabelled = text.replace(
        '    gd:dataItem [ a gd:DataItem ; <http://www.w3.org/ns/csvw#name> "名称" ;\n'
        "                  gd:itemDataType <https://w3id.org/govdata-ld/code/item-data-type/character> ] .",
        "    gd:dataItem _:item7 .\n"
        "_:item7 gd:itemDataType <https://w3id.org/govdata-ld/code/item-data-type/character> ;\n"
        '    <http://www.w3.org/ns/csvw#name> "名称" ; a gd:DataItem .',
    )
    assert relabelled != text
    other = tmp_path / "relabelled.ttl"
    other.write_text(relabelled, "utf-8")
    assert memory_catalog.load(other).unchanged == ("301001/000001",)


def test_a_write_of_new_statements_is_one_transaction_all_or_nothing(catalog: Catalog) -> None:
    """Only new statements (a first import) go to the store as data in one transaction; a write
    that cannot be completed leaves nothing behind."""
    from rdflib.term import Variable

    graph = URIRef("https://data.guiyang.example/graph/test")
    good = (URIRef("https://data.guiyang.example/s"), DCTERMS.title, Literal("题名", lang="zh"), graph)
    before = len(catalog)
    with pytest.raises(GovDataError):
        catalog._store.insert([good, (good[0], DCTERMS.title, Variable("x"), graph)])  # noqa: SLF001
    assert len(catalog) == before
    catalog._store.insert([good, good])  # noqa: SLF001
    assert len(catalog) == before + 1 and list(catalog._store.quads(graph)) == [good]  # noqa: SLF001
