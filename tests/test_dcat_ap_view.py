"""The open export joined from rendered members (issue 5, performance; docs/dcat-ap.md,
"Rendered members"): the same statements as the whole mapping query, each member rendered once
per published version, relations kept only to members at export time (Measures Art. 12 para 3),
the allow-list checked on every rendering (Art. 9 para 2), and an export that reads one state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from dataclasses import replace

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS

from govdata_ld import Catalog, Settings, dcat_ap_engine, dcat_ap_view
from govdata_ld.dcat_ap import export_dcat_ap, write_dcat_ap
from govdata_ld.dcat_ap_jsonld import with_inline_context
from govdata_ld.errors import ExportError
from govdata_ld.namespaces import GD
from govdata_ld.store import parse

from .conftest import CITY
from .test_dcat_ap import publish_directly

FORMATS = {"nt": "nt", "turtle": "turtle", "json-ld": "json-ld"}


def statements(data: bytes, fmt: str) -> set[tuple[object, ...]]:
    return {q[:3] for q in parse(with_inline_context(data) if fmt == "json-ld" else data, fmt, source="export")}


def by_query(catalog: Catalog) -> set[tuple[object, ...]]:
    """What the whole mapping query constructs (the engine path without renderings)."""
    scratch = dcat_ap_engine.run(catalog, "dcat_ap_open", [catalog.minter.city_catalog("open")])
    assert scratch is not None
    return {q[:3] for q in scratch.quads_default()}


@pytest.fixture
def related() -> Iterator[tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef]]:
    """Drafts of several organs in a store, among them an entry A naming B as related (dct:relation);
    A, B and others published in the open catalog."""
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.load(CITY / "organs.ttl", *sorted((CITY / "drafts").glob("*/catalog.ttl")))
        codes = {URIRef(row[0]): str(row[1]) for row in catalog.select("entries").rows}
        pairs = [(a, b) for a in codes for b in catalog._store.select(  # noqa: SLF001
            "SELECT ?a ?b WHERE { GRAPH ?a { ?a <http://purl.org/dc/terms/relation> ?b } }", {"a": a}).column("b") if b in codes]
        a, b = pairs[0]
        members = {e: codes[e] for e in [a, b, *sorted(codes)[:6]]}
        publisher = catalog.minter.organ(str(catalog.select("organs").column("uscc")[0]))
        publish_directly(catalog, "open", members, publisher)
        yield catalog, members, a, b, publisher


def test_the_rendered_export_holds_what_the_whole_query_constructs_in_every_kept_format(
    related: tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef],
) -> None:
    catalog, _, a, b, _ = related
    expected = by_query(catalog)
    assert (a, DCTERMS.relation, b) in expected
    for fmt in FORMATS:
        data = dcat_ap_view.export(catalog, fmt)
        assert data is not None and statements(data, fmt) == expected, fmt
    assert dcat_ap_view.export(catalog, "xml") is None  # RDF/XML: the query path


def test_a_member_is_rendered_once_per_published_version_and_its_earlier_rendering_dropped(
    related: tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef], monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog, members, a, _, publisher = related
    rendered: list[str] = []
    render_chunk = dcat_ap_view._render_chunk

    def counting(catalog: Catalog, backend: object, chunk: dict[str, str]) -> object:
        rendered.extend(chunk)
        return render_chunk(catalog, backend, chunk)  # type: ignore[arg-type]

    monkeypatch.setattr(dcat_ap_view, "_render_chunk", counting)
    first = export_dcat_ap(catalog, "dcat-ap", "turtle", check=False)
    assert sorted(rendered) == sorted(map(str, members))
    assert export_dcat_ap(catalog, "dcat-ap", "jsonld", check=False) and dcat_ap_view.render(catalog) == 0
    assert export_dcat_ap(catalog, "dcat-ap", "turtle", check=False) == first
    assert len(rendered) == len(members)  # read back, not rendered again
    old = catalog.entry(members[a])
    catalog.put(replace(old, title_zh=old.title_zh + "（第二版）"))  # version 2 of A, then published
    publish_directly(catalog, "open", members, publisher)
    data = export_dcat_ap(catalog, "dcat-ap", "ntriples", check=False)
    assert rendered[len(members):] == [str(a)]  # only the new version
    assert (a, DCTERMS.title, Literal(old.title_zh + "（第二版）", lang="zh")) in statements(data, "nt")
    assert statements(data, "nt") == by_query(catalog)
    graph = ox.NamedNode(catalog.minter.rendering_graph("open"))
    names = {q.subject.value for q in catalog._store._store.quads_for_pattern(None, None, None, graph)}  # noqa: SLF001
    assert len(names) == len(members) and not any(n.startswith(f"{a}/dcat-ap/1/") for n in names)


def test_a_relation_is_exported_only_while_the_related_entry_is_a_member(
    related: tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef], monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog, members, a, b, publisher = related
    assert (a, DCTERMS.relation, b) in statements(export_dcat_ap(catalog, "dcat-ap", "ntriples", check=False), "nt")
    publish_directly(catalog, "open", {e: c for e, c in members.items() if e != b}, publisher)  # B leaves
    monkeypatch.setattr(dcat_ap_view, "_render_chunk", lambda *args: pytest.fail("A's rendering is read, not made again"))
    for fmt in ("ntriples", "turtle", "jsonld"):
        data = export_dcat_ap(catalog, "dcat-ap", fmt, check=fmt == "jsonld")
        held = statements(data, {"ntriples": "nt", "jsonld": "json-ld"}.get(fmt, fmt))
        assert not any(t[1] == DCTERMS.relation for t in held) and str(b).encode() not in data, fmt


@pytest.mark.parametrize("part", ["member", "catalog"])
def test_a_leak_in_a_rendering_or_in_the_catalog_part_is_refused_and_nothing_written(
    related: tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    part: str,
) -> None:
    catalog, _, a, _, _ = related
    construct_into = type(catalog._store).construct_into  # noqa: SLF001
    stranger = URIRef("https://data.guiyang.example/resource/999999%2F999999")

    def leaking(self: object, text: str, bindings: object, **kwargs: object) -> object:
        scratch = construct_into(self, text, bindings, **kwargs)  # type: ignore[arg-type]
        if ("LATERAL" in text) == (part == "member"):  # the member query, or the catalog branches
            scratch.add_default([(a, GD.shareCondition, Literal("仅限内部", lang="zh")), (stranger, RDF.type, DCAT.Dataset),
                                 (a, DCAT.contactPoint, URIRef(f"{a}/internal-contact"))])
        return scratch

    monkeypatch.setattr(type(catalog._store), "construct_into", leaking)  # noqa: SLF001
    with pytest.raises(ExportError) as failure:
        write_dcat_ap(catalog, tmp_path / "open.ttl", profile="dcat-ap", format="turtle", check=False)
    problems = "\n".join(failure.value.problems)
    assert "restricted field https://w3id.org/govdata-ld/ontology#shareCondition" in problems
    assert "internal contact point" in problems and str(stranger) in problems
    assert not list(tmp_path.iterdir())
    if part == "member":  # a refused rendering is not kept
        assert catalog.minter.rendering_graph("open") not in catalog._store.graph_names()  # noqa: SLF001


def test_an_export_that_keeps_meeting_a_new_publication_gives_up_rather_than_mix_two_states(
    related: tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef], monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog = related[0]
    versions = iter(range(100))
    monkeypatch.setattr(dcat_ap_view, "_head_version", lambda *args: str(next(versions)))
    with pytest.raises(ExportError, match="published 3 times while it was being exported"):
        dcat_ap_view.export(catalog, "nt")


def test_renderings_stay_out_of_every_other_export(related: tuple[Catalog, dict[URIRef, str], URIRef, URIRef, URIRef]) -> None:
    catalog = related[0]
    export_dcat_ap(catalog, "dcat-ap", "turtle", check=False)
    for profile in ("dcat-ap", "sharing"):
        graph = Graph().parse(data=export_dcat_ap(catalog, profile, "ntriples", check=False), format="nt")
        assert not any("/dcat-ap/" in str(s) or str(p).startswith(str(GD) + "rendered") for s, p, _ in graph)


def test_json_ld_nodes_keep_the_query_paths_order_when_members_runs_interleave() -> None:
    """Members' runs of node objects are taken whole where they follow one another; where an
    entry's IRI sorts between another entry and its nodes (``-`` sorts before ``/``), every node is
    sorted, as the query path writes them."""
    def run(*ids: str) -> str:
        return ",\n  ".join(f'{{"@id": "{i}"}}' for i in ids)

    shared = dcat_ap_view._CatalogPart(b'<http://x/c> <http://x/p> "v" .\n<http://x/z> <http://x/p> "v" .\n', None, {})  # type: ignore[arg-type]
    apart = {"http://x/e": run("http://x/e", "http://x/e/contact"), "http://x/f": run("http://x/f")}
    joined = dcat_ap_view._json_nodes(None, None, shared, dict.fromkeys(apart, "1"), apart)  # type: ignore[arg-type]
    assert joined == [run("http://x/c").replace('}', ', "http://x/p": "v"}'), apart["http://x/e"], apart["http://x/f"],
                      run("http://x/z").replace('}', ', "http://x/p": "v"}')]
    interleaved = {"http://x/e": run("http://x/e", "http://x/e/contact"), "http://x/e-1": run("http://x/e-1")}
    lines = dcat_ap_view._json_nodes(None, None, shared, dict.fromkeys(interleaved, "1"), interleaved)  # type: ignore[arg-type]
    assert [line.split('"')[3] for line in lines] == ["http://x/c", "http://x/e", "http://x/e-1", "http://x/e/contact", "http://x/z"]
