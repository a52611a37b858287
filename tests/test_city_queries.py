"""The queries over the published city catalogs on the example city: the fast single-filter
queries agree with the combined, ordered one; every filter and count query gives the same answer
on pyoxigraph (substitutions) and on rdflib's engine (initBindings) (issue 4)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from rdflib import Dataset, URIRef
from rdflib.namespace import DCTERMS

from govdata_ld import Catalog, Settings, queries, resources, sparql_hints
from govdata_ld import catalog as catalog_module
from govdata_ld import city_catalogs
from govdata_ld.build import build
from govdata_ld.namespaces import GD, code_namespace

from .conftest import CITY

BASE = "https://data.guiyang.example/"
NANMING_GOV = URIRef(BASE + "organ/11520102006406781M")
DIMENSIONS = {
    GD.category: code_namespace("category")["thematic"],
    GD.theme: code_namespace("theme")["health"],
    GD.grade: code_namespace("grade")["sensitive"],
    GD.shareAttribute: code_namespace("share-attribute")["conditional"],
    GD.openAttribute: code_namespace("open-attribute")["unconditional"],
    URIRef("http://purl.org/dc/terms/accrualPeriodicity"): code_namespace("update-cycle")["monthly"],
}
PARAM = {
    GD.category: "category", GD.theme: "theme", GD.grade: "grade", GD.shareAttribute: "share",
    GD.openAttribute: "open", URIRef("http://purl.org/dc/terms/accrualPeriodicity"): "cycle",
}


@pytest.fixture(scope="module")
def published() -> Iterator[Catalog]:
    with Catalog.open("memory", settings=Settings()) as catalog, tempfile.TemporaryDirectory() as out:
        build(catalog, CITY, out, as_of=date(2026, 11, 1), at=datetime(2026, 11, 2, tzinfo=timezone.utc))
        yield catalog


@pytest.fixture(scope="module")
def rdflib_copy(published: Catalog) -> Dataset:
    dataset = Dataset()
    dataset.parse(data=published.dump("nquads", vocabulary=True), format="nquads")
    return dataset


def codes(result: object) -> set[str]:
    return {str(c) for c in result.column("code")}  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["general", "sharing", "open"])
@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_the_fast_filter_agrees_with_the_combined_query(published: Catalog, kind: str, dimension: URIRef) -> None:
    catalog = published.minter.city_catalog(kind)
    value = DIMENSIONS[dimension]
    fast = published.select(f"catalog_by_{PARAM[dimension]}", catalog=catalog, value=value)
    combined = published.select("catalog_entries", catalog=catalog, **{PARAM[dimension]: value})
    assert codes(fast) == codes(combined)


def test_organ_level_and_text_queries_agree_with_the_combined_query(published: Catalog) -> None:
    general = published.minter.city_catalog("general")
    township = code_namespace("admin-level")["township"]
    pairs = [
        (published.select("catalog_entries_of_organ", catalog=general, organ=NANMING_GOV),
         published.select("catalog_entries", catalog=general, organ=NANMING_GOV)),
        (published.select("catalog_entries_of_level", catalog=general, level=township),
         published.select("catalog_entries", catalog=general, level=township)),
        (published.select("catalog_search", catalog=general, text="登记"),
         published.select("catalog_entries", catalog=general, text="登记")),
        (published.select("catalog_search", catalog=general, text="REGISTRATION"),
         published.select("catalog_entries", catalog=general, text="registration")),
    ]
    for fast, combined in pairs:
        assert codes(fast) == codes(combined) and len(fast) > 0


def test_the_organ_filter_includes_the_organs_below(published: Catalog) -> None:
    general = published.minter.city_catalog("general")
    district = codes(published.select("catalog_entries_of_organ", catalog=general, organ=NANMING_GOV))
    education = codes(published.select("catalog_by_provider", catalog=general, value=URIRef(BASE + "organ/115201020073494758")))
    assert education and education < district


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("catalog_entries", {"catalog": "open", "theme": DIMENSIONS[GD.theme]}),
        ("catalog_entries", {"catalog": "general", "organ": NANMING_GOV}),
        ("catalog_entries", {"catalog": "general", "text": "登记"}),
        ("catalog_entries", {"catalog": "sharing"}),
        ("catalog_by_grade", {"catalog": "general", "value": DIMENSIONS[GD.grade]}),
        ("catalog_entries_of_organ", {"catalog": "general", "organ": NANMING_GOV}),
        ("catalog_counts", {"catalog": "general", "dimension": GD.category}),
        ("catalog_counts_by_organ", {"catalog": "general"}),
        ("catalog_counts_by_level", {"catalog": "sharing"}),
        ("city_members", {"open_scheme": URIRef("https://w3id.org/govdata-ld/code/open-attribute")}),
        ("published_entries", {"catalog": "open"}),
    ],
)
def test_pyoxigraph_and_rdflib_give_the_same_answer(published: Catalog, rdflib_copy: Dataset, name: str, params: dict) -> None:
    bound = {k: published.minter.city_catalog(v) if k == "catalog" else v for k, v in params.items()}
    ours = published.select(name, **bound)
    query = queries.named(name)
    if "registry" in query.parameters:
        bound["registry"] = published.minter.registry_graph()
    theirs = rdflib_copy.query(query.text, initBindings=query.bind(bound))
    assert sorted(map(tuple, ours.rows), key=str) == sorted((tuple(r) for r in theirs), key=str)


def _rows(result: object) -> object:
    if isinstance(result, bool):
        return result
    if hasattr(result, "rows"):
        return sorted(map(repr, result.rows))  # type: ignore[attr-defined]
    return sorted(map(repr, result))  # type: ignore[call-overload]


@pytest.mark.parametrize("name", [n for n in resources.names("queries") if queries.named(n).examples])
def test_values_hints_change_no_answer(published: Catalog, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every query with its cookbook parameters gives the same answer with the embedded store's
    VALUES hints (sparql_hints) as with pyoxigraph's substitution alone."""
    query = queries.named(name)
    if any(not p.optional and p.name not in query.examples for p in query.parameters.values()):
        pytest.skip("the cookbook gives no value for a required parameter")
    hinted = _rows(published.run(name, **query.examples))
    monkeypatch.setattr(sparql_hints, "with_hints", lambda text, values: text)
    assert _rows(published.run(name, **query.examples)) == hinted


@pytest.mark.parametrize("chunk", [catalog_module.RESTRICT_CHUNK, 3])
def test_restricted_select_equals_the_filtered_whole(published: Catalog, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A select restricted to some entries (hints placed in every group that mentions them; run
    in chunks of terms when there are many) returns exactly the rows of the unrestricted query
    for those entries."""
    monkeypatch.setattr(catalog_module, "RESTRICT_CHUNK", chunk)
    general = published.minter.city_catalog("general")
    whole = published.select("published_entries", catalog=general).rows
    some = {row[1] for row in whole[::7]}
    restricted = published.select("published_entries", catalog=general, restrict={"entry": some}).rows
    assert 5 < len(restricted) < len(whole)
    assert sorted(map(repr, restricted)) == sorted(repr(r) for r in whole if r[1] in some)


@pytest.mark.parametrize("chunk", [catalog_module.RESTRICT_CHUNK, 3])
def test_a_select_restricted_on_two_variables_equals_the_filtered_whole(
    published: Catalog, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two restricted variables: the one with more terms is chunked, the other kept whole."""
    monkeypatch.setattr(catalog_module, "RESTRICT_CHUNK", chunk)
    general = published.minter.city_catalog("general")
    whole = published.select("member_values", catalog=general).rows
    entries = {row[1] for row in whole[::3]}
    properties = {GD.grade, DCTERMS.title}
    restricted = published.select("member_values", catalog=general, restrict={"entry": entries, "property": properties}).rows
    assert 5 < len(restricted) < len(whole)
    assert sorted(map(repr, restricted)) == sorted(repr(r) for r in whole if r[1] in entries and r[2] in properties)


def test_a_restricted_graph_name_is_restricted(published: Catalog) -> None:
    """``entry_graphs`` names each entry's graph by the entry (``GRAPH ?entry``): a restriction of
    ``?entry`` must restrict the graphs too (it once placed no block for a graph name and
    returned every entry)."""
    whole = published.select("entry_graphs").rows
    some = {row[0] for row in whole[::5]}
    restricted = published.select("entry_graphs", restrict={"entry": some}).rows
    assert 3 < len(restricted) < len(whole)
    assert sorted(map(repr, restricted)) == sorted(repr(r) for r in whole if r[0] in some)


def test_members_derived_in_chunks_equal_the_whole_derivation(published: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = city_catalogs.members(published)
    entries = set(whole.codes)
    assert len(entries) > 4 * 10
    monkeypatch.setattr(catalog_module, "RESTRICT_CHUNK", 4)
    assert city_catalogs.members(published, entries) == whole
