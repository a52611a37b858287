"""The city's general, sharing and open catalogs (Measures Art. 11, Art. 12 para 3).

Who belongs in each is derived, never written by hand: ``queries/city_members.rq`` reads the
current approved (ratified or published) version of every entry and decides by allow-list whether
it may be shared and opened. A publication brings each catalog's named graph up to date by
difference: only entries added, changed or withdrawn since the previous publication are written,
and only the entries of the items being published are re-derived, so a catalog of 100,000
entries is kept current without re-deriving it (a full derivation when ``entries`` is None).

A published graph (named by the catalog's IRI, ``{base}catalog/city/{general|sharing|open}``)
holds the catalog node, ``<http://www.w3.org/ns/dcat#dataset>`` links, an index of each member (the published version
and the properties listed in :data:`INDEX`, allow-listed per catalog); organs stay in the
registry graph (queries join it through their ``?registry`` parameter); full descriptions stay in the entry version graphs and are joined by the export
queries ``general_catalog``, ``sharing_catalog`` and ``open_catalog``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV
from rdflib.term import Node

from . import city_index
from .graphs import Quad4
from .iris import CITY_CATALOG_KINDS
from .namespaces import DCAT3, GD, code_namespace
from .sparql_values import fill, fill_list

if TYPE_CHECKING:
    from .catalog import Catalog

log = logging.getLogger(__name__)

PLATFORM = {
    "general": code_namespace("platform")["sharing-platform"],
    "sharing": code_namespace("platform")["sharing-platform"],
    "open": code_namespace("platform")["open-platform"],
}
"""Where each city catalog is published (Art. 12 para 3)."""

CATALOG_CLASS = {"general": GD.ResourceCatalog, "sharing": GD.SharingCatalog, "open": GD.OpenCatalog}
TITLES = {
    "general": ("全市政府数据资源总目录", "City general catalog of government data resources"),
    "sharing": ("全市政府数据共享目录", "City sharing catalog of government data"),
    "open": ("全市政府数据开放目录", "City open catalog of government data"),
}

_COMMON = (
    RDF.type, DCTERMS.identifier, DCTERMS.title, DCTERMS.publisher, DCAT3.version, DCTERMS.modified,
    GD.category, GD.basicDatabase, GD.theme, GD.grade, DCTERMS.accrualPeriodicity,
)
INDEX: Mapping[str, tuple[URIRef, ...]] = {
    "general": (*_COMMON, GD.shareAttribute, GD.openAttribute),
    "sharing": (*_COMMON, GD.shareAttribute, GD.shareMode),
    "open": (*_COMMON, GD.openAttribute),
}
"""The properties of a member each published graph indexes (allow-lists; Art. 9 para 2 names
them). The open catalog's index has no share attribute, conditions or data items: an open
catalog holds nothing it does not need to."""

# No PREFIX in update templates: several of them go into one request, and pyoxigraph accepts a
# prologue only at its start.
_DELETE_MEMBERS = (
    "DELETE { GRAPH ?c { ?c <http://www.w3.org/ns/dcat#dataset> ?e . ?e ?p ?o } } WHERE { {values} GRAPH ?c { ?e ?p ?o } }"
)
_COPY_MEMBERS = (
    "INSERT { GRAPH ?c { ?c <http://www.w3.org/ns/dcat#dataset> ?e . ?e ?p ?o } } WHERE { {values} GRAPH ?g { ?e ?p ?o } FILTER(?p IN {predicates}) }"
)
_SEARCH_TEXT = "INSERT { GRAPH ?c { ?e <https://w3id.org/govdata-ld/ontology#searchText> ?t } } WHERE { {values} }"
_DELETE_HEAD = "DELETE { GRAPH ?c { ?c ?p ?o } } WHERE { {values} GRAPH ?c { ?c ?p ?o } }"
_HEAD_PREDICATES = (RDF.type, DCTERMS.title, DCTERMS.publisher, GD.publishedOn, DCTERMS.modified, DCAT3.version, GD.derivedWith)
"""What a catalog's head says (``_head_quads``); deleted by predicate, not by scanning its members' links."""
@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """What one publication did to one city catalog.

    Attributes:
        added: resource codes of entries that joined it.
        changed: resource codes whose published version was replaced by a newer approved one.
        withdrawn: resource codes that left it (withdrawn, or no longer shared or open).
        members: how many entries it holds after the publication.
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    withdrawn: tuple[str, ...]
    members: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Withheld:
    """An approved entry kept out of the sharing or open catalog for a missing or unknown value
    (never defaulted)."""

    code: str
    catalogs: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Members:
    """Who belongs in each city catalog now, by derivation.

    Attributes:
        versions: catalog kind -> entry -> the version to publish.
        codes: entry -> resource code.
        withheld: approved entries kept out of the sharing or open catalog for a missing or
            unknown value.
    """

    versions: Mapping[str, Mapping[URIRef, int]]
    codes: Mapping[URIRef, str]
    withheld: tuple[Withheld, ...]


def members(catalog: Catalog, entries: Collection[URIRef] | None = None) -> Members:
    """Derive the members of the three city catalogs from the approved work items (of
    ``entries`` only, when given)."""
    scheme = URIRef(f"https://w3id.org/govdata-ld/code/{catalog.settings.open_attribute_scheme}")
    rows = catalog.select("city_members", open_scheme=scheme, restrict=_only(entries)).dicts()
    by_entry: dict[URIRef, dict[URIRef, list[dict[str, Node]]]] = {}
    for row in rows:  # entry -> approved item -> its rows (two rows: an ambiguous value)
        by_entry.setdefault(row["entry"], {}).setdefault(row["item"], []).append(row)  # type: ignore[arg-type]
    versions: dict[str, dict[URIRef, int]] = {kind: {} for kind in CITY_CATALOG_KINDS}
    codes: dict[URIRef, str] = {}
    withheld = []
    for entry, items in by_entry.items():
        found = max(items.values(), key=_newest)  # the current approved version
        row = found[0]
        codes[entry] = str(row["code"])
        if _true(row.get("withdrawal")):  # withdrawn (or its withdrawal approved): in no catalog
            continue
        version = int(str(row["version"]))
        versions["general"][entry] = version
        reasons = [
            f"{name} {'missing' if row.get(var) is None else 'unknown: ' + str(row[var])}"
            for name, var, known in (
                ("share attribute", "share", "share_known"),
                ("open attribute", "open", "open_known"),
                ("grade", "grade", "grade_known"),
            )
            if not _true(row.get(known))
        ]
        reasons += [
            f"{name} ambiguous: {', '.join(sorted(values))}"
            for name, var in (("share attribute", "share"), ("open attribute", "open"), ("grade", "grade"))
            if len(values := {str(r[var]) for r in found if r.get(var) is not None}) > 1
        ]
        if reasons:  # Art. 9 para 2: never defaulted, kept out of both and reported
            withheld.append(Withheld(code=codes[entry], catalogs=("sharing", "open"), reasons=tuple(reasons)))
            continue
        if _true(row.get("shared")):
            versions["sharing"][entry] = version
        if _true(row.get("opened")):
            versions["open"][entry] = version
    return Members(versions=versions, codes=codes, withheld=tuple(sorted(withheld, key=lambda w: w.code)))


def published_versions(
    catalog: Catalog, catalog_iri: URIRef, entries: Collection[URIRef] | None = None
) -> dict[URIRef, int]:
    """The entries a published city catalog holds (of ``entries`` only, when given), with their
    published version."""
    rows = catalog.select("published_entries", catalog=catalog_iri, restrict=_only(entries)).rows
    return {row[1]: int(str(row[3])) for row in rows}  # type: ignore[misc]


def plan_publication(
    catalog: Catalog,
    when: Literal,
    activities: Mapping[str, URIRef],
    entries: Collection[URIRef] | None = None,
) -> tuple[dict[str, Changes], list[Quad4], str]:
    """Plan the publication of the three city catalogs.

    Args:
        catalog: the store.
        when: the time of the publication.
        activities: catalog kind -> the publication activity that records it.
        entries: the entries whose membership may have changed (those of the items being
            published); None re-derives every entry.

    Returns:
        What changes in each catalog; the statements that record those changes on the
        activities; and the update that brings the published graphs up to date.
    """
    basis = derivation_basis(catalog)
    heads = [_head(catalog, catalog.minter.city_catalog(k)) for k in CITY_CATALOG_KINDS]
    if entries is not None and any(h.basis not in (None, basis) for h in heads):
        log.info("code lists or open-attribute scheme changed since the last publication: every entry re-derived")
        entries = None  # fail closed: what the old code lists permitted may no longer be
    if entries is not None and len(entries) > heads[0].members:
        entries = None  # most entries change (a first publication): one pass over all is faster
    derived = members(catalog, entries)
    current = current_versions(catalog, entries)
    publisher = catalog.workflow.tree().municipal_bda
    values = city_index.VersionValues(catalog)
    changes, records, operations = {}, [], []
    for kind, head in zip(CITY_CATALOG_KINDS, heads, strict=True):
        changes[kind], quads, text = plan_catalog(
            catalog, kind, derived, current, when=when, activity=activities[kind], publisher=publisher,
            entries=entries, head=head, values=values,
        )
        records += quads
        operations.append(text)
    return changes, records, " ;\n".join(operations)


def current_versions(catalog: Catalog, entries: Collection[URIRef] | None = None) -> dict[URIRef, int]:
    """The current version number of every entry (of ``entries`` only, when given)."""
    rows = catalog.select("entry_graphs", restrict=_only(entries)).rows
    return {e: int(str(v)) for e, v in rows}  # type: ignore[misc]


def plan_catalog(
    catalog: Catalog,
    kind: str,
    derived: Members,
    current: Mapping[URIRef, int],
    *,
    when: Literal,
    activity: URIRef,
    publisher: URIRef,
    entries: Collection[URIRef] | None = None,
    head: _Head | None = None,
    values: city_index.VersionValues | None = None,
) -> tuple[Changes, list[Quad4], str]:
    """Plan bringing one published city catalog up to date with the derived members (derived
    for ``entries`` only, when given: the others keep their membership): what changes, the
    statements recording it on ``activity``, and the update that writes only the difference
    (members added, changed or withdrawn, their counts and search texts (:mod:`city_index`), and
    the head)."""
    minter = catalog.minter
    workflow = minter.workflow_graph()
    iri = minter.city_catalog(kind)
    old = published_versions(catalog, iri, entries)
    head = head or _head(catalog, iri)  # the caller may have read it already
    new = derived.versions[kind]
    added = sorted(e for e in new if e not in old)
    changed = sorted(e for e in new if e in old and old[e] != new[e])
    withdrawn = sorted(e for e in old if e not in new)

    def code(entry: URIRef) -> str:
        return derived.codes.get(entry) or minter.code_of_entry(entry) or str(entry)

    changes = Changes(
        added=tuple(map(code, added)),
        changed=tuple(map(code, changed)),
        withdrawn=tuple(map(code, withdrawn)),
        members=head.members + len(added) - len(withdrawn),
    )
    records: list[Quad4] = [
        (workflow, activity, PROV.generated, iri),
        (workflow, activity, GD.publishedOn, PLATFORM[kind]),
    ]
    for predicate, entries in ((GD.added, added), (GD.changed, changed), (GD.withdrawn, withdrawn)):
        records += [(workflow, activity, predicate, e) for e in entries]
    sources = {e: e if current.get(e) == new[e] else minter.version_graph(e, new[e]) for e in (*added, *changed)}
    # The counts first: they read the published members before the operations below replace them.
    values = values or city_index.VersionValues(catalog)
    counts = city_index.plan(catalog, counted(kind), iri, removed=[*changed, *withdrawn], arrived=sources, values=values)
    operations = [counts] if counts else []
    if changed or withdrawn:
        operations.append(fill(_DELETE_MEMBERS, ["c", "e"], [(iri, e) for e in (*changed, *withdrawn)]))
    if sources:
        text = fill_list(_COPY_MEMBERS, "{predicates}", INDEX[kind])
        operations.append(fill(text, ["c", "e", "g"], [(iri, e, g) for e, g in sources.items()]))
        searched = city_index.search_texts(values, sources)
        if searched:
            operations.append(fill(_SEARCH_TEXT, ["c", "e", "t"], [(iri, e, t) for e, t in searched.items()]))
    operations.append(fill(_DELETE_HEAD, ["c", "p"], [(iri, p) for p in _HEAD_PREDICATES]))
    operations.append(_insert(_head_quads(iri, kind, publisher, when, head.version + 1, derivation_basis(catalog))))
    return changes, records, " ;\n".join(operations)


def counted(kind: str) -> list[URIRef]:
    """The properties a published city catalog counts its members by (those of its index)."""
    return [p for p in city_index.COUNTED if p in INDEX[kind]]


def recount(catalog: Catalog, kind: str) -> str:
    """The update operations that count a published city catalog's members afresh (after members
    were written by other means than a publication, as benchmarks do), or ``""``."""
    return city_index.plan(
        catalog, counted(kind), catalog.minter.city_catalog(kind), removed=(), arrived={},
        values=city_index.VersionValues(catalog), recount=True,
    )


def derivation_basis(catalog: Catalog) -> Literal:
    """What membership is derived with: the code lists (by digest; they hold the grade permits
    tables) and the active open-attribute scheme. Recorded on each published catalog; when it
    differs at the next publication, every entry is re-derived, not only those being published."""
    return Literal(f"{catalog.vocabulary_digest} {catalog.settings.open_attribute_scheme}")


def _head_quads(iri: URIRef, kind: str, publisher: URIRef, when: Literal, version: int, basis: Literal) -> list[Quad4]:
    zh, en = TITLES[kind]
    return [
        (iri, iri, RDF.type, DCAT.Catalog),
        (iri, iri, RDF.type, GD.SummaryCatalog),
        (iri, iri, RDF.type, CATALOG_CLASS[kind]),
        (iri, iri, DCTERMS.title, Literal(zh, lang="zh")),
        (iri, iri, DCTERMS.title, Literal(en, lang="en")),
        (iri, iri, DCTERMS.publisher, publisher),
        (iri, iri, GD.publishedOn, PLATFORM[kind]),
        (iri, iri, DCTERMS.modified, when),
        (iri, iri, DCAT3.version, Literal(str(version))),
        (iri, iri, GD.derivedWith, basis),
    ]


def _insert(quads: list[Quad4]) -> str:
    return fill("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE { {values} }", ["g", "s", "p", "o"], quads)


@dataclass(frozen=True, slots=True)
class _Head:
    version: int  # publication number (0 before the first)
    members: int
    basis: Literal | None  # derivation_basis() of the last publication


def _head(catalog: Catalog, iri: URIRef) -> _Head:
    rows = catalog.select("catalog_head", catalog=iri).dicts()
    if not rows or rows[0].get("version") is None:
        return _Head(0, 0, None)
    row = rows[0]
    return _Head(int(str(row["version"])), int(str(row["entries"])), row.get("derived_with"))  # type: ignore[arg-type]


def _only(entries: Collection[URIRef] | None) -> dict[str, Collection[URIRef]] | None:
    return None if entries is None else {"entry": entries}


def _newest(rows: list[dict[str, Node]]) -> tuple[int, bool]:
    """Order an entry's approved versions: the highest version, a withdrawal winning a tie."""
    return int(str(rows[0]["version"])), _true(rows[0].get("withdrawal"))


def _true(term: Node | None) -> bool:
    return term is not None and bool(term.toPython())  # type: ignore[union-attr]
