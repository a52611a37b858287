"""The DCAT-AP export inside the embedded store's engine: no RDF term per statement.

On the embedded store, :mod:`govdata_ld.dcat_ap` runs the mapping queries here: pyoxigraph
evaluates each CONSTRUCT and hands its statements as N-Triples to a memory store (each statement
once), which writes Turtle, N-Triples and RDF/XML itself, and N-Triples that
:func:`govdata_ld.dcat_ap_jsonld.from_ntriples` compacts into JSON-LD. Building an rdflib graph of the
same statements cost three quarters of the export's time (``docs/dcat-ap.md``, Performance). A
remote store gets None here and takes the generic path through rdflib terms.

The mapping files repeat the pattern that finds a member and its published version at the head
of each of their per-member branches (what SPARQL 1.1 stores run); pyoxigraph then matches it
once per branch, about 60 µs per member each time at 100,000 entries on disk. Here the branches
that share that head are joined to one copy of it by ``LATERAL`` (SEP-0006, as
:mod:`govdata_ld.shacl_sparql` uses it): each branch runs with the member's bindings, the same
answer (:func:`lateral`).

The allow-list checks of an open export (:func:`leaks`) run as queries on the memory store, and
one regular expression over its N-Triples (which the N-Triples and JSON-LD writers then reuse)
finds every entry whose IRI it writes, so they cost little even when the full re-check (re-parse
and DCAT-AP shapes) is skipped.

>>> from rdflib import URIRef
>>> restricted_query([URIRef("http://ex.org/p")]).split("WHERE")[1].split()[:2]
['{', 'VALUES']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import URIRef
from rdflib.term import Node

from . import queries, store
from .errors import QueryError
from .namespaces import GD, PREFIXES
from .dcat_ap_jsonld import from_ntriples
from .sparql_rewrite import Token, _matching, tokens
from .sparql_values import fill

if TYPE_CHECKING:
    from .catalog import Catalog

RESTRICTED = frozenset({
    GD.shareAttribute, GD.shareCondition, GD.shareMode, GD.legalBasis, GD.internalContactPoint,
    GD.sourceSystem, GD.sourceBusiness,
})
"""Fields that never reach the open platform (Art. 9 para 2; Art. 12 para 3)."""
EXPORT_PREFIXES = PREFIXES | {
    "euaccess": "http://publications.europa.eu/resource/authority/access-right/",
    "eufile": "http://publications.europa.eu/resource/authority/file-type/",
    "eufreq": "http://publications.europa.eu/resource/authority/frequency/",
    "eulang": "http://publications.europa.eu/resource/authority/language/",
    "eutheme": "http://publications.europa.eu/resource/authority/data-theme/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
"""The prefixes a Turtle export is written with: ours and the EU authority tables'."""
_RESTRICTED = "SELECT DISTINCT ?s ?p WHERE { {values} ?s ?p ?o }"
_INTERNAL = (  # one pass over the statements: a subject or object IRI ending in /internal-contact
    "SELECT ?s ?o WHERE { ?s ?p ?o "
    'FILTER(STRENDS(STR(?s), "/internal-contact") || (isIRI(?o) && STRENDS(STR(?o), "/internal-contact"))) } LIMIT 20'
)
_DATASETS = "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> }"
_MEMBERS = "SELECT ?catalog ?entry WHERE { GRAPH ?catalog { ?catalog <http://www.w3.org/ns/dcat#dataset> ?entry } }"
_SHOWN = 20
"""How many problems of one kind a failed check lists."""


def run(catalog: Catalog, name: str, catalogs: Sequence[URIRef]) -> store.EmbeddedStore | None:
    """Run the mapping query ``name`` on each published city catalog, all into one memory store;
    None when the catalog is not on the embedded store.

    Raises:
        QueryError: the query fails.
    """
    backend = catalog._store  # noqa: SLF001 - the engine path needs the engine itself
    if not isinstance(backend, store.EmbeddedStore):
        return None
    named = queries.named(name)
    text = lateral(named.text)
    scratch: store.EmbeddedStore | None = None
    for city_catalog in catalogs:
        bindings = named.bind({
            "catalog": city_catalog,
            "vocabulary": catalog.minter.vocabulary_graph(),
            "registry": catalog.minter.registry_graph(),
        })
        scratch = backend.construct_into(text, bindings, into=scratch, name=name)
    return scratch if scratch is not None else store.EmbeddedStore()


def write(
    scratch: store.EmbeddedStore, format: str, *, prefixes: Mapping[str, str], context_ref: str | None = None,
    ntriples: bytes | None = None,
) -> bytes:
    """The statements of a memory store in one of :data:`govdata_ld.store.FORMATS`; JSON-LD
    compacted against the shipped context (referenced by ``context_ref``, inlined when None).
    ``ntriples``: the store's N-Triples when already read (N-Triples and JSON-LD reuse them)."""
    if ntriples is None and format in ("nt", "json-ld"):
        ntriples = scratch.dump_default("nt")
    if format == "json-ld":
        return from_ntriples(ntriples or b"", context_ref=context_ref)
    if format == "nt":
        return ntriples or b""
    return scratch.dump_default(format, prefixes=prefixes)


def entries_named(ntriples: bytes, space: str) -> set[URIRef]:
    """The entries whose IRI, or the IRI of a node under it, N-Triples text writes: the first
    path segment of every ``<{space}...>``. One regular expression over the text costs a fraction
    of string functions per statement in the engine. A literal that writes ``<{space}...`` counts
    too (fail closed).

    >>> sorted(entries_named(b'<http://x/resource/a/distribution/1> <http://x/p> <http://x/resource/b> .\\n', "http://x/resource/"))
    [rdflib.term.URIRef('http://x/resource/a'), rdflib.term.URIRef('http://x/resource/b')]
    """
    pattern = re.compile(b"<" + re.escape(space.encode("utf-8")) + rb"([^/>]*)")
    return {URIRef(space + segment.decode("utf-8", "replace")) for segment in set(pattern.findall(ntriples))}


def restricted_query(restricted: Collection[Node]) -> str:
    """The query listing statements whose predicate is one of ``restricted`` (a ``VALUES``
    block, so the engine looks each predicate up instead of reading every statement)."""
    return fill(_RESTRICTED, ["p"], [(p,) for p in restricted])


def leaks(
    catalog: Catalog, scratch: store.EmbeddedStore, *, restricted: Collection[Node], members_of: URIRef, ntriples: bytes,
    members: Collection[URIRef] | None = None,
) -> list[str]:
    """What an open export must not hold, found by queries on its memory store: restricted
    fields, internal contact points, datasets that are not members of the published catalog
    ``members_of``, and any IRI of an entry that is not a member (itself or a node under its IRI,
    read from the statements' N-Triples ``ntriples``): the same checks as the generic path's, on
    the statements about to be written. ``members``: the catalog's members, when already read."""
    problems = [f"restricted field {p} of {s}" for s, p in scratch.select(restricted_query(restricted), {}).rows[:_SHOWN]]
    problems += [f"internal contact point {s if str(s).endswith('/internal-contact') else o}"
                 for s, o in scratch.select(_INTERNAL, {}).rows]
    if members is None:
        members = set(catalog._store.select(_MEMBERS, {"catalog": members_of}).column("entry"))  # noqa: SLF001
    strangers = [s for (s,) in scratch.select(_DATASETS, {}).rows if s not in members]
    problems += [f"dataset {s} is not in the published open catalog" for s in strangers[:_SHOWN]]
    others = sorted((e for e in entries_named(ntriples, catalog.minter.entry_space) if e not in members), key=str)
    problems += [f"an IRI of entry {e}, which is not in the published open catalog" for e in others[:_SHOWN]]
    return problems


def lateral(text: str) -> str:
    """The query with its per-member branches joined ``LATERAL`` to one copy of their shared head.

    The WHERE clause must be a UNION of groups; a member branch starts with ``GRAPH ?catalog``
    and its head runs to the end of its first ``GRAPH ?g { ... }`` group; the head most branches
    share is taken. Each such branch's remaining patterns run once per solution of the head, as
    they did after their own copy of it, so the answer is the same. Anything else is returned
    as it is (the per-branch form, slower, same answer).

    >>> q = ("CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?catalog { ?catalog ?x ?entry } "
    ...      "GRAPH ?g { ?entry ?y ?z } BIND(?entry AS ?s) } UNION { GRAPH ?catalog { ?catalog ?x ?entry } "
    ...      "GRAPH ?g { ?entry ?y ?z } GRAPH ?g { ?entry ?p ?o } } }")
    >>> " ".join(lateral(q).split())
    'CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?catalog { ?catalog ?x ?entry } GRAPH ?g { ?entry ?y ?z } LATERAL { { BIND(?entry AS ?s) } UNION { GRAPH ?g { ?entry ?p ?o } } } } }'
    """
    union = _union(text)
    if union is None:
        return text
    return union.query([*union.others, union.member_group()])


def split(text: str) -> tuple[str, str] | None:
    """The query cut in two by its branches (see :func:`lateral`): the catalog-level branches
    alone, and the per-member branches alone joined ``LATERAL`` to their shared head, with a
    ``{values}`` mark (:func:`govdata_ld.sparql_values.fill`) before the head, inside its group,
    where a ``VALUES`` block restricts the members before the head is matched (a block outside the
    group would be joined with the group's answer for every member); together they answer what the
    whole query answers. None when the query has no such shape.

    >>> q = ("CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?catalog { ?catalog ?x ?entry } "
    ...      "GRAPH ?g { ?entry ?y ?z } BIND(?entry AS ?s) } UNION { GRAPH ?catalog { ?catalog ?x ?entry } "
    ...      "GRAPH ?g { ?entry ?y ?z } GRAPH ?g { ?entry ?p ?o } } }")
    >>> [" ".join(part.split()) for part in split(q)][0]
    'CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } }'
    """
    union = _union(text)
    if union is None or not union.others:
        return None
    return union.query(union.others), union.query([union.member_group(lead="{values}\n    ")])


def restricted(text: str, variable: str, terms: Collection[Node]) -> str:
    """The query with ``variable`` restricted to ``terms`` by one ``VALUES`` block at the start of
    its WHERE clause (what the pattern after it then joins with).

    >>> restricted("SELECT ?e WHERE { ?e ?p ?o }", "e", [URIRef("http://ex.org/e")]).split()[4:6]
    ['VALUES', '(?e)']
    """
    toks = list(tokens(text))
    where = _where(toks)
    if where is None:
        raise QueryError("a query to restrict needs a WHERE clause")
    at = toks[where].end
    return text[:at] + "\n" + fill("{values}", [variable], [(t,) for t in terms]) + text[at:]


@dataclass(frozen=True, slots=True)
class _Union:
    """A query whose WHERE clause is a UNION of groups, cut into its parts."""

    text: str
    start: int  # where the WHERE clause's braces open and close
    end: int
    others: list[str]  # the branches that are not member branches, as written
    head: str  # the member branches' shared head
    bodies: list[str]  # what each member branch adds to it

    def member_group(self, lead: str = "") -> str:
        return "{ " + lead + self.head + "\n    LATERAL {\n    { " + "}\n    UNION { ".join(self.bodies) + "}\n    }\n  }"

    def query(self, branches: Sequence[str]) -> str:
        return self.text[:self.start] + "\n  " + "\n  UNION ".join(branches) + "\n" + self.text[self.end:]


def _where(toks: Sequence[Token]) -> int | None:
    """The index of the brace that opens the WHERE clause, or None."""
    where = next((i + 1 for i, t in enumerate(toks) if t.text.upper() == "WHERE" and i + 1 < len(toks)), None)
    return where if where is not None and toks[where].kind == "open" else None


def _union(text: str) -> _Union | None:
    toks = list(tokens(text))
    where = _where(toks)
    if where is None:
        return None
    end = _matching(toks, where)
    branches: list[tuple[int, int]] = []
    i = where + 1
    while i < end:
        if toks[i].kind != "open":
            return None
        close = _matching(toks, i)
        branches.append((i, close))
        i = close + 1
        if i < end:
            if toks[i].text.upper() != "UNION":
                return None
            i += 1
    heads = {(open_, close): _head(toks, open_, close) for open_, close in branches}
    counts = Counter(tuple(t.text for t in toks[o + 1:o + 1 + n]) for (o, _), n in heads.items() if n)
    if not counts or counts.most_common(1)[0][1] < 2:
        return None
    shared = counts.most_common(1)[0][0]
    members = [(o, c) for (o, c), n in heads.items() if n == len(shared) and tuple(t.text for t in toks[o + 1:o + 1 + n]) == shared]
    others = [text[toks[o].start:toks[c].end] for o, c in branches if (o, c) not in members]
    first, n = members[0][0], len(shared)
    head = text[toks[first + 1].start:toks[first + n].end]
    bodies = [text[toks[o + 1 + n].start:toks[c].start] if o + 1 + n < c else "" for o, c in members]
    return _Union(text, toks[where].end, toks[end].start, others, head, bodies)


def _head(toks: Sequence[Token], open_: int, close: int) -> int:
    """How many tokens after a branch's brace form a member head (``GRAPH ?catalog`` ... through
    its first ``GRAPH ?g { ... }`` group), 0 when it has none."""
    if close - open_ < 3 or toks[open_ + 1].text.upper() != "GRAPH" or toks[open_ + 2].text != "?catalog":
        return 0
    i = open_ + 1
    while i < close:
        if toks[i].kind == "open":
            group_end = _matching(toks, i)
            if i >= 2 and toks[i - 2].text.upper() == "GRAPH" and toks[i - 1].text == "?g":
                return group_end - open_
            i = group_end + 1
        else:
            i += 1
    return 0
