"""The named-graph layout, and how a batch of statements becomes one atomic write.

Layout (documented in ``docs/graphs.md``); nothing is kept in the default graph:

* ``{base}graph/vocabulary``: the ontology, code lists and provisions of the Measures;
* ``{base}graph/registry``: organs, their catalogs, information systems, lead assignments;
* one graph per entry, named by the entry's IRI: the current version of its description, the
  nodes it owns (data items, distributions, contact points, period) and its catalog memberships;
* ``{entry}/version/{n}``: earlier versions of an entry, kept when a new version replaces them.

A write is planned in full (parsed, partitioned, compared with the store) before one SPARQL
update carries it, so a failure anywhere leaves the store as it was.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS
from rdflib.term import Node

from .errors import InputError
from .iris import Minter
from .namespaces import DCAT3, GD
from .sparql_values import fill
from .store import Quad

Triple = tuple[Node, Node, Node]
Quad4 = tuple[Node, Node, Node, Node]
"""A statement with its graph first: (graph, subject, predicate, object)."""

# Objects of these predicates belong to the entry that points at them (unless they are entries
# or organs themselves), as do blank nodes and IRIs minted under the entry's own IRI.
OWNED_BY_ENTRY = frozenset(
    {GD.dataItem, DCAT.distribution, DCTERMS.temporal, DCAT.contactPoint, GD.internalContactPoint}
)

# The only links by which a statement may name an entry that is not its own (or a node under
# that entry's IRI): related entries, parts, and a catalog listing its datasets. Any other field
# naming one would carry that entry into the exports of the entry that names it.
ENTRY_LINKS = frozenset({DCTERMS.relation, DCTERMS.isPartOf, DCAT.dataset})

# Templates of the write; sparql_values.fill puts the terms in place of {values}.
_ARCHIVE = "INSERT { GRAPH ?h { ?s ?p ?o } } WHERE { {values} GRAPH ?g { ?s ?p ?o } }"
_DELETE = "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { {values} GRAPH ?g { ?s ?p ?o } }"
_DELETE_QUADS = "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { {values} }"
_INSERT = "INSERT { GRAPH ?g { ?s ?p ?o } } WHERE { {values} }"
_CURRENT = "SELECT ?g ?s ?p ?o WHERE { {values} GRAPH ?g { ?s ?p ?o } }"
_CURRENT_CONTENT = (
    "PREFIX gd: <https://w3id.org/govdata-ld/ontology#>\n"
    "CONSTRUCT { ?s ?p ?o } WHERE { { {values} } UNION { GRAPH ?g { ?g a gd:DataResource } } GRAPH ?g { ?s ?p ?o } }"
)
_GRAPHS_CONTENT = "CONSTRUCT { ?s ?p ?o } WHERE { {values} GRAPH ?g { ?s ?p ?o } }"


@dataclass
class Partition:
    """Statements sorted into the graphs they belong to."""

    entries: dict[URIRef, list[Triple]] = field(default_factory=dict)
    registry: list[Triple] = field(default_factory=list)
    restored: dict[URIRef, list[Triple]] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteSummary:
    """What a write did.

    Attributes:
        added: codes of entries that did not exist before.
        revised: codes of entries that got a new version (their old one is kept).
        unchanged: codes of entries whose description was already current.
        registry_subjects: how many organs, catalogs, systems and other subjects were described.
        restored_graphs: named graphs written as they were given (TriG, N-Quads, JSON-LD).
        triples: statements added (statements already in the store are not written again).
    """

    added: tuple[str, ...] = ()
    revised: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    registry_subjects: int = 0
    restored_graphs: int = 0
    triples: int = 0


def partition(quads: Iterable[Quad], minter: Minter, *, source: str) -> Partition:
    """Sort parsed statements into entry graphs, the registry and restored named graphs.

    Raises:
        InputError: an entry without exactly one resource code, or named by an IRI that is not
            the one minted from its code (the same code must always name the same entry); a
            link of :data:`OWNED_BY_ENTRY` to a node minted under another entry's IRI
            (``input.invalid``); any other field but :data:`ENTRY_LINKS` naming an IRI of
            another entry or of one of its nodes (``input.invalid-iri``).
    """
    result = Partition()
    by_subject: dict[Node, list[Triple]] = defaultdict(list)
    for s, p, o, g in quads:
        if g is not None:
            result.restored.setdefault(g, []).append((s, p, o))
        else:
            by_subject[s].append((s, p, o))
    entries = [s for s, ts in by_subject.items() if (s, RDF.type, GD.DataResource) in ts]
    agents = {s for s, ts in by_subject.items() if (s, RDF.type, GD.AdministrativeOrgan) in ts}
    owned: dict[Node, URIRef] = {}
    for entry in entries:
        _check_name(entry, by_subject[entry], minter, source)
        owned[entry] = entry  # type: ignore[assignment]
        queue: deque[Node] = deque([entry])
        while queue:
            node = queue.popleft()
            for _, p, o in by_subject.get(node, ()):
                if o in owned or o in agents or o not in by_subject:
                    continue
                if isinstance(o, BNode) or p in OWNED_BY_ENTRY or str(o).startswith(f"{entry}/"):
                    owned[o] = entry  # type: ignore[assignment]
                    queue.append(o)
    for triples in by_subject.values():
        _check_entry_links(triples, owned, minter, source)
    skolem = _skolemise(owned, by_subject)
    for entry in entries:
        result.entries[entry] = []  # type: ignore[index]
    for subject, triples in by_subject.items():
        for s, p, o in triples:
            s2, o2 = skolem.get(s, s), skolem.get(o, o)
            if s in owned:
                result.entries[owned[s]].append((s2, p, o2))
            elif p == DCAT.dataset and o in result.entries:
                result.entries[o].append((s2, p, o2))  # type: ignore[index]
            else:
                result.registry.append((s2, p, o2))
    return result


@dataclass(frozen=True)
class Planned:
    """A write: version graphs to archive (current graph, version graph), then the statements to
    delete and to insert (graph, s, p, o)."""

    archive: list[tuple[URIRef, URIRef]]
    deletes: list[Quad4]
    inserts: list[Quad4]

    def text(self) -> str:
        """The write as one SPARQL update (empty when there is nothing to write)."""
        operations = [fill(_ARCHIVE, ["g", "h"], self.archive)] if self.archive else []
        operations += [change(self.deletes, self.inserts)] if self.deletes or self.inserts else []
        return " ;\n".join(operations)

    def only_inserts(self) -> bool:
        """Whether the write only adds statements (new entries, new organs): a store can then
        take them as data in one transaction, without an update text to parse."""
        return not self.archive and not self.deletes


def plan(
    part: Partition,
    current: Mapping[URIRef, set[Triple]],
    registry_now: set[Triple],
    minter: Minter,
) -> tuple[Planned, WriteSummary]:
    """Turn a partition into the write that changes only what differs.

    Args:
        part: the statements to write.
        current: the present content of the touched entry graphs and restored graphs (absent
            when a graph does not exist).
        registry_now: the present registry statements about the subjects the partition describes.
        minter: the deployment's IRIs.

    Returns:
        The write and a summary.
    """
    archive: list[tuple[URIRef, URIRef]] = []
    deletes: list[Quad4] = []
    inserts: list[Quad4] = []
    added, revised, unchanged = [], [], []

    def replace(graph: URIRef, old: set[Triple], new: set[Triple]) -> None:
        deletes.extend((graph, s, p, o) for s, p, o in old - new)
        inserts.extend((graph, s, p, o) for s, p, o in new - old)

    for entry, triples in sorted(part.entries.items()):
        graph = minter.entry_graph(entry)
        code = minter.code_of_entry(entry) or str(entry)
        new = _without_version(set(triples))  # the store numbers versions, not the input
        old = current.get(graph)
        if old is not None and _without_version(old) == new:
            unchanged.append(code)
            continue
        version = 1
        if old is not None:
            version = _version_of(entry, old) + 1
            archive.append((graph, minter.version_graph(entry, version - 1)))
            revised.append(code)
        else:
            added.append(code)
        new.add((entry, DCAT3.version, Literal(str(version))))
        replace(graph, old or set(), new)
    registry = minter.registry_graph()
    replace(registry, registry_now, set(part.registry))
    for graph, triples in part.restored.items():
        replace(graph, current.get(graph, set()), set(triples))
    summary = WriteSummary(
        added=tuple(added),
        revised=tuple(revised),
        unchanged=tuple(unchanged),
        registry_subjects=len({s for s, _, _ in part.registry}),
        restored_graphs=len(part.restored),
        triples=len(inserts),
    )
    return Planned(archive, deletes, inserts), summary


def change(deletes: Sequence[Quad4], inserts: Sequence[Quad4]) -> str:
    """The update that deletes and inserts exactly the given (graph, s, p, o) statements."""
    operations = [
        fill(template, ["g", "s", "p", "o"], rows)
        for template, rows in ((_DELETE_QUADS, deletes), (_INSERT, inserts))
        if rows
    ]
    return " ;\n".join(operations)


def registry_query(registry: URIRef, subjects: Iterable[Node]) -> str:
    """The query that reads what the registry says now about the given subjects (as ?g ?s ?p ?o)."""
    rows = [(registry, s) for s in subjects if not isinstance(s, BNode)]
    return fill(_CURRENT, ["g", "s"], rows)


def replace_graph(graph: URIRef, triples: Iterable[Triple]) -> str:
    """The update that replaces the whole content of one graph."""
    return " ;\n".join(
        [
            fill(_DELETE, ["g"], [(graph,)]),
            fill(_INSERT, ["g", "s", "p", "o"], [(graph, s, p, o) for s, p, o in triples]),
        ]
    )


def content_query(graphs: Iterable[URIRef], *, all_entries: bool = False) -> str:
    """The CONSTRUCT of the union of ``graphs`` (and, when asked, of every current entry graph)."""
    rows = [(g,) for g in graphs]
    return fill(_CURRENT_CONTENT if all_entries else _GRAPHS_CONTENT, ["g"], rows)


def current_query(graphs: Sequence[URIRef]) -> str:
    """The query that reads the present content of the given graphs."""
    return fill(_CURRENT, ["g"], [(g,) for g in graphs])


def _check_name(entry: Node, triples: list[Triple], minter: Minter, source: str) -> None:
    codes = [o for _, p, o in triples if p == DCTERMS.identifier]
    if len(codes) != 1:
        raise InputError(
            f"entry {entry} has {len(codes)} resource codes (dct:identifier); exactly one is needed",
            source=source,
        )
    expected = minter.entry(str(codes[0]))
    if entry != expected:
        raise InputError(
            f"entry {entry} has resource code {codes[0]!s}, which names the entry <{expected}> "
            f"under base IRI {minter.base}; use that IRI (the same code always names the same entry)",
            source=source,
        )


def _check_entry_links(triples: list[Triple], owned: Mapping[Node, URIRef], minter: Minter, source: str) -> None:
    """Refuse a statement naming another entry, or a node under its IRI, in a field that is not
    one of :data:`ENTRY_LINKS`; a statement's entry is the one that owns its subject."""
    for s, p, o in triples:
        target = minter.entry_of(o) if isinstance(o, URIRef) else None
        if target is None or p in ENTRY_LINKS:
            continue
        home = owned.get(s) or (minter.entry_of(s) if isinstance(s, URIRef) else None)
        if target == home:
            continue
        if p in OWNED_BY_ENTRY:
            raise InputError(
                f"entry {home or s} links {p} to {o}, a node of entry {target}: an entry owns only the "
                f"nodes minted under its own IRI",
                source=source,
            )
        raise InputError(
            f"{s} names {o}, an IRI of entry {target}, in {p}: only {', '.join(sorted(ENTRY_LINKS))} may "
            f"name another entry",
            code="input.invalid-iri", source=source,
        )


def _skolemise(owned: Mapping[Node, URIRef], by_subject: Mapping[Node, list[Triple]]) -> dict[Node, URIRef]:
    """Name each blank node an entry owns by a digest of what it says, so a file loaded twice
    names its blank nodes the same way (and an unchanged entry stays unchanged)."""
    names: dict[Node, URIRef] = {}

    def name(node: BNode, trail: frozenset[Node]) -> URIRef:
        if node not in names:
            parts = sorted(
                f"{p.n3()} {_digest_part(o, trail | {node})}" for _, p, o in by_subject.get(node, ())
            )
            digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
            names[node] = Minter.child(owned[node], "genid", digest)
        return names[node]

    def _digest_part(term: Node, trail: frozenset[Node]) -> str:
        if isinstance(term, BNode):
            return "_:cycle" if term in trail or term not in owned else name(term, trail)
        return term.n3()

    for node in owned:
        if isinstance(node, BNode):
            name(node, frozenset())
    return names


def _without_version(triples: set[Triple]) -> set[Triple]:
    return {t for t in triples if t[1] != DCAT3.version}


def _version_of(entry: URIRef, triples: set[Triple]) -> int:
    versions = [int(str(o)) for s, p, o in triples if s == entry and p == DCAT3.version and str(o).isdigit()]
    return max(versions, default=0)
