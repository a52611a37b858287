"""What a publication records about a city catalog's members beyond their indexed values
(Measures Art. 9 para 2, Art. 12 para 3): member counts and search texts.

**Counts.** The summary figures of a city catalog (members per organ, category, basic database, theme, grade,
share or open attribute, update cycle) are aggregates over every member: 0.6-1.3 s each at
100,000 members on the disk store. Each publication therefore records them with the catalog, as
``gd:MemberCount`` nodes in its published graph, and keeps them by difference in the same update
that changes the members: the values of the members it replaces or withdraws (read from the
published graph) are taken off, those of the members it adds or replaces (read from the versions
being published) are added. ``queries/catalog_counts*.rq`` read them (a few hundred statements).

**Search texts.** ``queries/catalog_search.rq`` looks for a text in members' titles. Each member
gets one ``gd:searchText`` literal: its titles lower-cased (as SPARQL's ``LCASE``: Unicode
lower-case mapping) and joined by line breaks, so the search tests one string per member, not
``LCASE(STR(...))`` of each title (2-3 times fewer string operations).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from .namespaces import GD
from .sparql_values import fill

if TYPE_CHECKING:
    from .catalog import Catalog

COUNTED: tuple[URIRef, ...] = (
    DCTERMS.publisher, GD.category, GD.basicDatabase, GD.theme, GD.grade, GD.shareAttribute, GD.openAttribute,
    DCTERMS.accrualPeriodicity,
)
"""The properties members are counted by (Art. 9 para 2 names them), where a catalog's index holds them."""

READ: tuple[URIRef, ...] = (*COUNTED, DCTERMS.title)
"""What a publication reads of the versions it publishes: the counted properties and the titles."""

Key = tuple[URIRef, Node]
"""A counted property and one of its values."""

_DELETE = "DELETE { GRAPH ?c { ?n ?p ?o } } WHERE { {values} GRAPH ?c { ?n ?p ?o } }"
_INSERT = (
    "INSERT { GRAPH ?c { ?n a <https://w3id.org/govdata-ld/ontology#MemberCount> ;"
    " <https://w3id.org/govdata-ld/ontology#countedProperty> ?d ;"
    " <https://w3id.org/govdata-ld/ontology#countedValue> ?v ;"
    " <https://w3id.org/govdata-ld/ontology#members> ?k } } WHERE { {values} }"
)


class VersionValues:
    """The values of entry versions, read once per publication for all three catalogs."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._read: dict[URIRef, list[tuple[Node, Node, Node]]] = {}

    def of(self, sources: Mapping[URIRef, URIRef]) -> Iterable[tuple[URIRef, Node]]:
        """The (property, value) pairs the entries' versions state; ``sources``: entry -> the
        graph holding the version."""
        return ((prop, value) for _, prop, value in self.rows(sources))

    def rows(self, sources: Mapping[URIRef, URIRef]) -> Iterable[tuple[URIRef, URIRef, Node]]:
        """(entry, property, value) for what each entry's version states."""
        missing = {g for g in sources.values() if g not in self._read}
        if missing:
            for g in missing:
                self._read[g] = []
            # Not restricted by ?property too: pyoxigraph then joined far worse (1,000 versions of
            # a 20,000-entry city: 0.57 s by graph alone, 43.9 s by graph and property).
            rows = self._catalog.select("version_values", restrict={"graph": missing}).rows
            for graph, entry, prop, value in rows:
                if prop in READ:
                    self._read[graph].append((entry, prop, value))  # type: ignore[index]
        for entry, graph in sources.items():
            for subject, prop, value in self._read[graph]:
                if subject == entry:
                    yield entry, prop, value  # type: ignore[misc]


def search_texts(values: VersionValues, sources: Mapping[URIRef, URIRef]) -> dict[URIRef, Literal]:
    """Each entry's search text (:func:`search_text`) from the titles its version states."""
    titles: dict[URIRef, list[str]] = {entry: [] for entry in sources}
    for entry, prop, value in values.rows(sources):
        if prop == DCTERMS.title:
            titles[entry].append(str(value))
    return {entry: search_text(texts) for entry, texts in titles.items() if texts}


def search_text(titles: Iterable[str]) -> Literal:
    """A member's ``gd:searchText``: its titles lower-cased, sorted, one per line."""
    return Literal("\n".join(sorted(t.lower() for t in titles)))


def plan(
    catalog: Catalog,
    kind_properties: Collection[URIRef],
    iri: URIRef,
    *,
    removed: Collection[URIRef],
    arrived: Mapping[URIRef, URIRef],
    values: VersionValues,
    recount: bool = False,
) -> str:
    """The update operations that bring ``iri``'s recorded counts up to date, or ``""``.

    Args:
        catalog: the store.
        kind_properties: the properties this catalog counts by.
        iri: the published city catalog (and its graph).
        removed: members that leave it or whose published version is replaced.
        arrived: members that join it or whose version replaces the published one -> the graph
            holding the version published.
        values: the version values read for this publication.
        recount: count the members it holds afresh instead of starting from the recorded counts.
    """
    recorded = {
        (row[2], row[3]): (row[1], int(str(row[4])))
        for row in catalog.select("member_counts", catalog=iri).rows
    }
    if recount:
        tally = _tally(_member_values(catalog, iri, None), kind_properties)
    else:
        tally = Counter({key: n for key, (_, n) in recorded.items()})
    tally.subtract(_tally(_member_values(catalog, iri, removed), kind_properties))
    tally.update(_tally(values.of(arrived), kind_properties))
    changed = sorted((key for key in {*tally, *recorded} if tally[key] != recorded.get(key, (None, 0))[1]), key=str)
    if not changed:
        return ""
    node = {key: recorded[key][0] if key in recorded else count_node(iri, key) for key in changed}
    operations = []
    stale = [(iri, node[key]) for key in changed if key in recorded]
    if stale:
        operations.append(fill(_DELETE, ["c", "n"], stale))
    fresh = [(iri, node[key], key[0], key[1], Literal(tally[key])) for key in changed if tally[key] > 0]
    if fresh:
        operations.append(fill(_INSERT, ["c", "n", "d", "v", "k"], fresh))
    return " ;\n".join(operations)


def count_node(catalog_iri: URIRef, key: Key) -> URIRef:
    """The IRI of a catalog's count of one property value (under the catalog's IRI, stable)."""
    digest = hashlib.sha256(f"{key[0]}\n{key[1].n3()}".encode()).hexdigest()[:24]
    return URIRef(f"{catalog_iri}/count/{digest}")


def _member_values(catalog: Catalog, iri: URIRef, entries: Collection[URIRef] | None) -> Iterable[tuple[URIRef, Node]]:
    if entries is not None and not entries:
        return ()
    restrict = None if entries is None else {"entry": entries}  # not by ?property: see VersionValues.rows
    return ((row[2], row[3]) for row in catalog.select("member_values", catalog=iri, restrict=restrict).rows)  # type: ignore[misc]


def _tally(pairs: Iterable[tuple[URIRef, Node]], properties: Collection[URIRef]) -> Counter[Key]:
    return Counter((prop, value) for prop, value in pairs if prop in properties)
