"""The DCAT-AP export inside the embedded store's engine (issue 5, performance): the documents it
writes are those of the generic path through rdflib terms (which a remote store takes), the
published version of a member is exported even when a newer draft is current, and the open
export's allow-list is enforced on the engine's statements also when the full re-check is off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from govdata_ld import Catalog, Settings, dcat_ap_engine, queries
from govdata_ld.dcat_ap import ExportFormat, Profile, dcat_ap_graph, export_dcat_ap, serialize, write_dcat_ap
from govdata_ld.dcat_ap_engine import lateral, split
from govdata_ld.dcat_ap_jsonld import from_ntriples, to_jsonld, with_inline_context
from govdata_ld.errors import ExportError, QueryError
from govdata_ld.namespaces import DCAT3, GD
from govdata_ld.store import EmbeddedStore

from .conftest import CITY
from .test_dcat_ap import RDFLIB_FORMATS, publish_directly, published  # noqa: F401 - the fixture

EX = "http://ex.org/"


def parsed(data: bytes, fmt: ExportFormat) -> set[tuple[object, object, object]]:
    readable = with_inline_context(data) if fmt is ExportFormat.JSONLD else data
    return set(Graph().parse(data=readable, format=RDFLIB_FORMATS[fmt.label]))


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.value)
@pytest.mark.parametrize("fmt", list(ExportFormat), ids=lambda f: f.label)
def test_the_engine_writes_what_the_generic_path_writes(published: Catalog, profile: Profile, fmt: ExportFormat) -> None:  # noqa: F811
    fast = export_dcat_ap(published, profile, fmt, check=False)
    generic = serialize(dcat_ap_graph(published, profile), fmt)
    assert parsed(fast, fmt) == parsed(generic, fmt)
    assert len(parsed(fast, fmt)) > 500
    if fmt is ExportFormat.JSONLD:  # the same compaction, node for node, term for term
        shape = [[(n["@id"], n.get("@type"), sorted(n)) for n in json.loads(d)["@graph"]] for d in (fast, generic)]
        assert shape[0] == shape[1]


def test_a_store_without_the_engine_takes_the_generic_path_to_the_same_bytes(
    published: Catalog, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    fast = {fmt: export_dcat_ap(published, "dcat-ap", fmt) for fmt in (ExportFormat.JSONLD, ExportFormat.TURTLE)}
    monkeypatch.setattr(dcat_ap_engine, "run", lambda *args: None)  # what a RemoteStore gets
    generic = export_dcat_ap(published, "dcat-ap", "jsonld")
    assert parsed(generic, ExportFormat.JSONLD) == parsed(fast[ExportFormat.JSONLD], ExportFormat.JSONLD)
    assert parsed(export_dcat_ap(published, "dcat-ap", "turtle"), ExportFormat.TURTLE) == parsed(fast[ExportFormat.TURTLE], ExportFormat.TURTLE)


@pytest.fixture
def revised_after_publication() -> Iterator[tuple[Catalog, URIRef, Literal]]:
    """Two entries of one organ published in the open catalog at version 1; then the first one's
    title revised in a new draft (version 2, current) that is not published."""
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.load(CITY / "organs.ttl", *sorted((CITY / "drafts").glob("*/catalog.ttl"))[:3])
        entries = {row[0]: str(row[1]) for row in catalog.select("entries").rows[:2]}
        publisher = catalog.minter.organ(str(catalog.select("organs").column("uscc")[0]))
        publish_directly(catalog, "open", entries, publisher)
        first = next(iter(entries))
        old = catalog.entry(entries[first])
        catalog.put(replace(old, title_zh=old.title_zh + "（修订稿）"))
        yield catalog, first, Literal(old.title_zh, lang="zh")


@pytest.mark.parametrize("path", ["engine", "generic"])
def test_the_published_version_is_exported_not_a_newer_draft(
    revised_after_publication: tuple[Catalog, URIRef, Literal], path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog, entry, published_title = revised_after_publication
    if path == "generic":
        monkeypatch.setattr(dcat_ap_engine, "run", lambda *args: None)
    graph = Graph().parse(data=export_dcat_ap(catalog, "dcat-ap", "ntriples", check=False), format="nt")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 2
    assert set(graph.objects(entry, DCTERMS.title)) >= {published_title}
    assert not any("修订稿" in str(o) for o in graph.objects(entry, DCTERMS.title))
    assert set(graph.objects(entry, DCAT3.version)) == {Literal("1")}


def test_the_allow_list_refuses_a_leak_on_the_engine_path_even_unchecked(
    published: Catalog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path  # noqa: F811
) -> None:
    run = dcat_ap_engine.run
    stranger = URIRef("https://data.guiyang.example/resource/999999%2F999999")

    def leaking(*args: object) -> EmbeddedStore:
        scratch = run(*args)  # type: ignore[arg-type]
        assert scratch is not None
        dataset = next(iter(scratch.select("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 1", {}).rows))[0]
        scratch.add_default([
            (dataset, GD.shareCondition, Literal("仅限内部", lang="zh")), (stranger, RDF.type, DCAT.Dataset),
            (dataset, DCAT.contactPoint, URIRef(f"{dataset}/internal-contact")),
        ])
        return scratch

    monkeypatch.setattr(dcat_ap_engine, "run", leaking)
    with pytest.raises(ExportError) as failure:  # RDF/XML takes the query path (the rendered path: test_dcat_ap_view)
        write_dcat_ap(published, tmp_path / "open.rdf", profile="dcat-ap", format="rdfxml", check=False)
    problems = "\n".join(failure.value.problems)
    assert "restricted field https://w3id.org/govdata-ld/ontology#shareCondition" in problems
    assert f"dataset {stranger} is not in the published open catalog" in problems
    assert "internal contact point https://data.guiyang.example/resource/" in problems
    assert not list(tmp_path.iterdir())  # nothing written
    assert export_dcat_ap(published, "sharing", "turtle", check=False)  # the sharing platform may carry them


def test_json_ld_from_the_engine_equals_json_ld_from_terms_for_every_kind_of_value() -> None:
    """Every kind of object, escapes included, compacts the same from N-Triples as from terms."""
    s, b = URIRef(EX + "d"), BNode("n1")
    triples = [
        (s, RDF.type, DCAT.Dataset), (s, RDF.type, URIRef(EX + "Other")),
        (s, DCTERMS.title, Literal("标题", lang="zh")), (s, DCTERMS.title, Literal("title", lang="en")),
        (s, DCTERMS.title, Literal("no language")),  # a language map cannot hold it: explicit values
        (s, DCTERMS.issued, Literal("2024-03-01", datatype=XSD.date)),
        (s, DCTERMS.modified, Literal("2024-03-01T10:00:00", datatype=XSD.dateTime)),  # not the term's coercion
        (s, GD.order, Literal(3)), (s, DCTERMS.identifier, Literal("301017/000012")),
        (s, DCAT.theme, URIRef(EX + "t2")), (s, DCAT.theme, URIRef(EX + "t1")),
        (s, URIRef(EX + "untermed"), Literal("x")), (s, URIRef(EX + "untermed"), URIRef(EX + "y")),
        (s, DCTERMS.description, Literal('quote " backslash \\ tab \t line\nend \u0001 é 中', lang="zh")),
        (s, DCTERMS.temporal, b), (b, DCAT.startDate, Literal("2020-01-01", datatype=XSD.date)),
    ]
    engine = EmbeddedStore()
    engine.add_default(triples)
    held = [q[:3] for q in engine.quads_default()]  # blank nodes as the engine names them
    lines = engine.dump_default("nt")
    for reference in (None, "https://ex.org/context.jsonld"):
        assert from_ntriples(lines, context_ref=reference) == to_jsonld(held, context_ref=reference)
    back = Graph().parse(data=from_ntriples(lines), format="json-ld")
    assert len(back) == len(triples)
    assert {t for t in back if not isinstance(t[0], BNode) and not isinstance(t[2], BNode)} == {
        t for t in triples if not isinstance(t[0], BNode) and not isinstance(t[2], BNode)
    }


def test_lines_that_are_not_statements_are_refused() -> None:
    with pytest.raises(ValueError, match="N-Triples"):
        from_ntriples(b'<http://ex.org/s> <http://ex.org/p> "o" .\n# a comment\n')


@pytest.mark.parametrize(("name", "left"), [("dcat_ap_open", 1), ("dcat_ap_sharing", 2)])
def test_the_engine_matches_a_member_once_for_all_its_branches(name: str, left: int) -> None:
    text = queries.named(name).text
    head = "GRAPH ?g { ?entry dcat:version ?version }"
    assert text.count(head) == 16  # each per-member branch (and the sharing query's places subquery) finds it again
    joined = lateral(text)
    assert joined.count("LATERAL") == 1 and joined.count(head) == left  # once for the branches (and the subquery)
    if name == "dcat_ap_open":  # cut in two for the rendered members: every member branch on one side
        catalog_part, member_part = split(text)  # type: ignore[misc]
        assert catalog_part.count(head) == 0 and member_part.count(head) == 1 and "LATERAL" in member_part
    for plain in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } }"):
        assert lateral(plain) == plain


def test_the_engine_refuses_a_query_that_is_not_a_construct() -> None:
    with pytest.raises(QueryError, match="CONSTRUCT"):
        EmbeddedStore().construct_into("SELECT * WHERE { ?s ?p ?o }", {})
