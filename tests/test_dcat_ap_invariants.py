"""Property: no restricted entry and no restricted-only field ever reaches the open DCAT-AP export
(Measures Art. 9 para 2, Art. 12 para 3; issue 5).

Written over the mapping step on a small store, not over the whole workflow: one example of the
workflow property (tests/test_invariants.py) costs well over 0.3 s, so here each example puts a
random city's drafts (tests/cities.py: consistent, inconsistent and defective ones, under the
Guizhou or the Guiyang open attributes, with random related entries) into a store, publishes the
open catalog with the library's publication planner holding exactly the drafts the test's own
allow-list opens (membership itself is the workflow property's business), and exports it in a
random format, through rdflib terms (the generic path) and inside the engine (the embedded
store's path), which must agree. The serialized, re-parsed export must describe members only,
mention no other entry (not even through dct:relation), hold none of the restricted fields and
none of the words only restricted texts carry. 200 examples (fixed seed, the "ci" profile) keep the run short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT

from govdata_ld import Catalog, OpenAttribute, Settings, resources
from govdata_ld.dcat_ap import RESTRICTED, ExportFormat, Profile, dcat_ap_graph, export_dcat_ap, serialize
from govdata_ld.dcat_ap_jsonld import with_inline_context
from govdata_ld.namespaces import GD

from .cities import GUIYANG, GUIZHOU, SECRET_WORDS, City, Scheme, cities, drafts, entry_codes, opened
from .test_dcat_ap import RDFLIB_FORMATS, publish_directly


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Catalog]]:
    """One memory store per open-attribute scheme, emptied of everything but the vocabulary before
    each example (as tests/test_invariants.py does)."""
    grades = Graph().parse(data=resources.ontology_texts()["grades"], format="turtle")
    for grade in list(grades.subjects(GD.permitsOpenAttribute, OpenAttribute.CONDITIONAL.iri)):
        grades.add((grade, GD.permitsOpenAttribute, OpenAttribute.ON_APPLICATION.iri))
    path = tmp_path_factory.mktemp("codes") / "grades_on_application.ttl"
    grades.serialize(path, format="turtle")
    catalogs = {
        GUIZHOU.name: Catalog.open("memory", settings=Settings()),
        GUIYANG.name: Catalog.open("memory", settings=Settings(open_attribute_scheme=GUIYANG.name, code_lists={"grades": path})),
    }

    def fresh(name: str) -> Catalog:
        catalog = catalogs[name]
        vocabulary = catalog.minter.vocabulary_graph()
        drops = [f"DROP GRAPH {g.n3()}" for g in catalog._store.graph_names() if g != vocabulary]  # noqa: SLF001
        if drops:
            catalog._store.update(" ;\n".join(drops))  # noqa: SLF001
        return catalog

    yield fresh
    for catalog in catalogs.values():
        catalog.close()


@settings(max_examples=200)
@given(city=cities(), scheme=st.sampled_from([GUIZHOU, GUIYANG]), fmt=st.sampled_from(list(ExportFormat)), data=st.data())
def test_no_restricted_entry_or_field_reaches_the_open_export(
    stores: Callable[[str], Catalog], city: City, scheme: Scheme, fmt: ExportFormat, data: st.DataObject
) -> None:
    catalog = stores(scheme.name)
    providers = data.draw(st.lists(st.sampled_from([o.uscc for o in city.organs]), min_size=1, max_size=3, unique=True))
    entries = [
        data.draw(drafts(code, provider, 1, scheme))
        for provider in providers
        for code in entry_codes(city, provider, data.draw(st.integers(1, 3)))
    ]
    codes = [e.code for e in entries]
    entries = [replace(e, related=tuple(data.draw(st.lists(st.sampled_from(codes), max_size=2, unique=True)))) for e in entries]
    catalog.put(*city.organs, *entries)
    minter = catalog.minter
    members = {minter.entry(e.code): e.code for e in entries if opened(e, scheme)}
    restricted = {minter.entry(e.code) for e in entries} - set(members)
    publish_directly(catalog, "open", members, minter.organ(city.bda))

    document = serialize(dcat_ap_graph(catalog, Profile.OPEN), fmt)
    readable = with_inline_context(document) if fmt is ExportFormat.JSONLD else document
    export = Graph().parse(data=readable, format=RDFLIB_FORMATS[fmt.label])
    engine = export_dcat_ap(catalog, Profile.OPEN, fmt, check=False)  # the embedded store's path
    readable = with_inline_context(engine) if fmt is ExportFormat.JSONLD else engine
    assert set(Graph().parse(data=readable, format=RDFLIB_FORMATS[fmt.label])) == set(export)

    assert set(export.subjects(RDF.type, DCAT.Dataset)) == set(members)
    for s, p, o in export:
        assert p not in RESTRICTED, (s, p, o)
        for term in (s, o):
            if isinstance(term, URIRef):
                assert not any(term == e or str(term).startswith(f"{e}/") for e in restricted), (s, p, o)
            if isinstance(term, Literal):
                assert not any(word in str(term) for word in SECRET_WORDS), (s, p, o)
