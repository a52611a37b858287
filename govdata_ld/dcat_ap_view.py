"""The open export kept ready: each member of the published open catalog rendered once per
published version, and an export that joins the renderings (issue 5; ``docs/dcat-ap.md``,
"Rendered members").

Running the mapping (``queries/dcat_ap_open.rq``) over 100,000 entries reads about 3.5 million
statements out of the disk store, which gives them up at 100,000-300,000 a second: no export of
that size could take less than half a minute. Here the mapping is cut by its branches
(:func:`govdata_ld.dcat_ap_engine.split`). The member branches run once per member and published
version, and what they construct for it is kept in the store as text (N-Triples, Turtle without
its prefixes, JSON-LD node objects) in the rendering graph (``{base}graph/rendered/open``). An
export reads one literal per member, runs the catalog branches (the catalog, its agents, concepts
and EU tables, from the catalog's index, not the members' graphs) and joins the texts. It holds
the statements the whole query constructs (tests compare them).

A rendering is named ``{entry}/dcat-ap/{version}/{key}``; the key digests what it depends on (the
member query, the vocabulary, the JSON-LD context, the prefixes, the catalog's IRI). A published
version never changes, so a rendering is never stale: it is simply no longer read once the entry
has a newer published version, and deleted when the newer one is rendered. Members without a
rendering are rendered when an export needs them (at most :data:`CHUNK` per query).

What depends on other members stays out of a rendering: a related entry (``dct:relation``) is
exported only while it is itself in the open catalog (Art. 12 para 3), so a member's relations
are kept as candidates and filtered when the export is assembled. Statements about nodes outside
the member's IRI space (a place, language or licence it names; the catalog's ``dcat:service``
link to its data service) are kept with it as its links and written once, in the catalog's part.

Allow-list (Art. 9 para 2, Art. 12 para 3), fail closed: a rendering is checked when it is made
(no restricted field, no internal contact point, no dataset but the member, no IRI of another
entry), and the assembled catalog part is checked as every open export is
(:func:`govdata_ld.dcat_ap_engine.leaks`).
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from . import dcat_ap_engine, queries, resources, store
from .dcat_ap_engine import EXPORT_PREFIXES, RESTRICTED
from .dcat_ap_jsonld import CONTEXT, assemble, nodes_from_ntriples, subject_order
from .errors import ExportError
from .namespaces import GD
from .sparql_values import fill

if TYPE_CHECKING:
    from .catalog import Catalog

log = logging.getLogger(__name__)

QUERY = "dcat_ap_open"
RELATIONS = "dcat_ap_open_relations"
KIND = "open"
FORMATS = ("nt", "turtle", "json-ld")
"""The formats kept per member (``govdata_ld.store.FORMATS`` names); others take the query path."""
CHUNK = 500
"""Members rendered per run of the member query. pyoxigraph joins a large ``VALUES`` block far
slower: at 100,000 entries one block of 2,000 members took 24.5 s, four blocks of 500 took 3.0 s."""

_TEXT = {"nt": str(GD.renderedNTriples), "turtle": str(GD.renderedTurtle), "json-ld": str(GD.renderedJsonld)}
"""The predicate of each format's text. A text starts with the member's links, so that one
scan reads both: ``{length of the links}\\n{links}{the member's own statements}``."""
_OF = ox.NamedNode(str(GD.renderingOf))
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_DATASET = "http://www.w3.org/ns/dcat#Dataset"
_VERSION = ox.NamedNode("http://www.w3.org/ns/dcat#version")
_RELATION = "http://purl.org/dc/terms/relation"
_LAYOUT = "2"
"""The layout of a rendering's text (part of its key: a new layout renders every member again)."""
_ATTEMPTS = 3
_SHOWN = 20
"""How many problems a refused rendering lists."""


@dataclass(frozen=True, slots=True)
class _Rendering:
    """One member's part of the export, as text per format, and its links (N-Triples)."""

    texts: Mapping[str, str]
    links: str


def export(catalog: Catalog, format: str, *, context_ref: str | None = None) -> bytes | None:
    """The open export in ``format`` joined from the members' renderings (rendering those that
    have none); None when the catalog is not on the embedded store, the format is not kept
    (:data:`FORMATS`) or the open catalog was never published.

    Raises:
        ExportError: a rendering or the assembled catalog part failed the allow-list, or a
            publication kept changing the catalog while it was read.
        QueryError: a mapping query failed.
    """
    backend = catalog._store  # noqa: SLF001 - the renderings live in the engine
    if not isinstance(backend, store.EmbeddedStore) or format not in FORMATS:
        return None
    iri = catalog.minter.city_catalog(KIND)
    for _ in range(_ATTEMPTS):
        before = _head_version(backend, iri)
        if before is None:
            return None
        members = _members(backend, iri)
        renderings = _renderings(catalog, backend, members, format)
        part = _catalog_part(catalog, backend, iri, members, renderings)
        if _head_version(backend, iri) == before:  # no publication in between: one state read
            texts = {e: renderings[e].texts[format] for e in members}
            return _assemble(catalog, backend, format, part, members, texts, context_ref)
    raise ExportError(f"the open catalog was published {_ATTEMPTS} times while it was being exported; try again")


def render(catalog: Catalog) -> int:
    """Render every member of the published open catalog that has no current rendering (as an
    export would, ahead of it); how many were rendered. 0 off the embedded store."""
    backend = catalog._store  # noqa: SLF001
    if not isinstance(backend, store.EmbeddedStore):
        return 0
    members = _members(backend, catalog.minter.city_catalog(KIND))
    missing = set(members) - set(_read(catalog, backend, members, "nt"))
    _render(catalog, backend, {e: members[e] for e in missing})
    return len(missing)


def _members(backend: store.EmbeddedStore, iri: URIRef) -> dict[str, str]:
    """Entry IRI -> published version of every member: what holds a ``dcat:version`` in the
    published graph (the members' index and the catalog's own head), read in one scan."""
    node = ox.NamedNode(iri)
    return {q.subject.value: q.object.value for q in backend._store.quads_for_pattern(None, _VERSION, None, node)  # noqa: SLF001
            if q.subject != node}


def _head_version(backend: store.EmbeddedStore, iri: URIRef) -> str | None:
    node = ox.NamedNode(iri)
    found = [q.object.value for q in backend._store.quads_for_pattern(node, _VERSION, None, node)]  # noqa: SLF001
    return found[0] if found else None


def _renderings(catalog: Catalog, backend: store.EmbeddedStore, members: Mapping[str, str], format: str) -> dict[str, _Rendering]:
    """Every member's rendering in ``format`` with its links, rendering those missing."""
    ready = _read(catalog, backend, members, format)
    missing = {e: v for e, v in members.items() if e not in ready}
    ready.update(_render(catalog, backend, missing))
    return ready


def _read(catalog: Catalog, backend: store.EmbeddedStore, members: Mapping[str, str], format: str) -> dict[str, _Rendering]:
    """Each member's current rendering in one format, with its links (one scan)."""
    graph = ox.NamedNode(catalog.minter.rendering_graph(KIND))
    predicate = ox.NamedNode(_TEXT[format])
    wanted = {_name(catalog, e, v): e for e, v in members.items()}
    found = {}
    for quad in backend._store.quads_for_pattern(None, predicate, None, graph):  # noqa: SLF001
        entry = wanted.get(quad.subject.value)
        if entry is not None:
            links, own = _parts(quad.object.value)
            found[entry] = _Rendering({format: own}, links)
    return found


def _parts(text: str) -> tuple[str, str]:
    """A kept text cut into the member's links and its own statements (see :data:`_TEXT`).

    >>> _parts("3\\nabcdef")
    ('abc', 'def')
    """
    cut = text.index("\n")
    start = cut + 1 + int(text[:cut])
    return text[cut + 1:start], text[start:]


def _name(catalog: Catalog, entry: str, version: str) -> str:
    return f"{entry}/dcat-ap/{version}/{_key(catalog)}"


def _key(catalog: Catalog) -> str:
    """What a rendering depends on besides the member's published version, digested."""
    return _digest(catalog.vocabulary_digest or "", str(catalog.minter.city_catalog(KIND)))


@cache
def _digest(vocabulary: str, iri: str) -> str:
    parts = [_LAYOUT, _member_query(), queries.named(RELATIONS).text, resources.jsonld_context(CONTEXT),
             repr(sorted(EXPORT_PREFIXES.items())), vocabulary, iri]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


@cache
def _member_query() -> str:
    return _split()[1]


@cache
def _split() -> tuple[str, str]:
    parts = dcat_ap_engine.split(queries.named(QUERY).text)
    if parts is None:
        raise ExportError(f"queries/{QUERY}.rq has no member branches to render apart")
    return parts


def _render(catalog: Catalog, backend: store.EmbeddedStore, members: Mapping[str, str]) -> dict[str, _Rendering]:
    """Render members (entry -> published version), check each and keep it in the store, with
    the entries' earlier renderings dropped."""
    done: dict[str, _Rendering] = {}
    if not members:
        return done
    ordered = sorted(members)
    log.info("rendering %d member(s) of the open catalog for its DCAT-AP export", len(ordered))
    graph = ox.NamedNode(catalog.minter.rendering_graph(KIND))
    names = {e: _name(catalog, e, v) for e, v in members.items()}
    stale = _stale(backend, graph, names)
    for start in range(0, len(ordered), CHUNK):
        chunk = {e: members[e] for e in ordered[start:start + CHUNK]}
        rendered = _render_chunk(catalog, backend, chunk)
        quads = [ox.Quad(ox.NamedNode(names[entry]), _OF, ox.NamedNode(entry), graph) for entry in rendered]
        quads += [
            ox.Quad(ox.NamedNode(names[entry]), ox.NamedNode(_TEXT[kind]), ox.Literal(f"{len(rendering.links)}\n{rendering.links}{text}"), graph)
            for entry, rendering in rendered.items() for kind, text in rendering.texts.items()
        ]
        _keep(backend, graph, quads)
        done.update(rendered)
    _drop(backend, stale)
    return done


def _bindings(catalog: Catalog) -> dict[str, Node]:
    minter = catalog.minter
    return {"catalog": minter.city_catalog(KIND), "vocabulary": minter.vocabulary_graph(), "registry": minter.registry_graph()}


def _render_chunk(catalog: Catalog, backend: store.EmbeddedStore, chunk: Mapping[str, str]) -> dict[str, _Rendering]:
    entries = [URIRef(e) for e in chunk]
    text = fill(_member_query(), ["entry"], [(e,) for e in entries])
    scratch = backend.construct_into(text, _bindings(catalog), name=QUERY)
    relations = backend.select(dcat_ap_engine.restricted(queries.named(RELATIONS).text, "entry", entries),
                               {"catalog": catalog.minter.city_catalog(KIND)}, name=RELATIONS).rows
    space = catalog.minter.entry_space
    bodies: dict[str, list[ox.Triple]] = {e: [] for e in chunk}
    links: dict[str, list[ox.Triple]] = {e: [] for e in chunk}
    pending = []
    for quad in scratch._store.quads_for_pattern(None, None, None, ox.DefaultGraph()):  # noqa: SLF001
        triple = quad.triple
        owner = _owner(triple.subject, space)
        if owner in bodies:
            if triple.predicate.value != _RELATION:  # relations: the candidates below, filtered at export
                bodies[owner].append(triple)
        elif _owner(triple.object, space) in links:  # the catalog's dcat:service link to a member's service
            links[_owner(triple.object, space)].append(triple)  # type: ignore[index]
        else:
            pending.append(triple)
    referrers: dict[object, list[str]] = {}
    for entry, triples in bodies.items():
        for triple in triples:
            referrers.setdefault(triple.object, []).append(entry)
    problems = []
    for triple in pending:  # a place, language or licence a member names: with every member naming it
        named_by = referrers.get(triple.subject)
        if not named_by:
            problems.append(f"a statement no member owns or names: {triple}")
        for entry in set(named_by or ()):
            links[entry].append(triple)
    candidates: dict[str, list[str]] = {}
    for _, entry, related in relations:
        candidates.setdefault(str(entry), []).append(f"<{entry}> <{_RELATION}> <{related}> .\n")
    rendered = {}
    for entry in chunk:
        nt = ox.serialize(bodies[entry], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        link_text = ox.serialize(links[entry], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
        problems += _problems(catalog, entry, bodies[entry], links[entry], nt + link_text)
        turtle = ox.serialize(bodies[entry], format=ox.RdfFormat.TURTLE, prefixes=EXPORT_PREFIXES).decode("utf-8")
        rendered[entry] = _Rendering(
            {"nt": nt, "turtle": _without_prefixes(turtle), "json-ld": nodes_from_ntriples(nt.encode("utf-8"))},
            link_text + "".join(sorted(candidates.get(entry, ()))),
        )
    if problems:
        raise ExportError(f"rendering members failed the allow-list check ({len(problems)} problem(s)); nothing was written",
                          problems=tuple(problems[:_SHOWN]))
    return rendered


def _owner(term: object, space: str) -> str | None:
    if isinstance(term, ox.NamedNode) and term.value.startswith(space):
        return space + term.value[len(space):].split("/", 1)[0]
    return None


def _problems(catalog: Catalog, entry: str, body: list[ox.Triple], links: list[ox.Triple], nt: str) -> list[str]:
    """What a rendering must not hold (Art. 9 para 2, Art. 12 para 3), fail closed."""
    restricted = {str(p) for p in RESTRICTED}
    problems = [f"restricted field {t.predicate.value} of {t.subject}" for t in (*body, *links) if t.predicate.value in restricted]
    problems += [f"internal contact point in {t}" for t in (*body, *links)
                 if any(isinstance(x, ox.NamedNode) and x.value.endswith("/internal-contact") for x in (t.subject, t.object))]
    problems += [f"dataset {t.subject.value} rendered for {entry}" for t in body
                 if t.predicate.value == _RDF_TYPE and t.object.value == _DATASET and t.subject.value != entry]
    others = sorted(str(e) for e in dcat_ap_engine.entries_named(nt.encode("utf-8"), catalog.minter.entry_space) if str(e) != entry)
    return problems + [f"an IRI of entry {e} in the rendering of {entry}" for e in others]


def _without_prefixes(turtle: str) -> str:
    lines = turtle.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("@prefix "):
        i += 1
    return "".join(lines[i:])


def _keep(backend: store.EmbeddedStore, graph: ox.NamedNode, quads: list[ox.Quad]) -> None:
    """Write renderings in one transaction. A cache: a store that cannot be written (a full disk)
    still gets its export, and renders them again the next time."""
    try:
        backend._store.extend(quads)  # noqa: SLF001
    except OSError as exc:
        log.warning("renderings not kept in %s (%s); the export is assembled from them all the same", graph.value, exc)


def _drop(backend: store.EmbeddedStore, quads: list[ox.Quad]) -> None:
    try:
        for quad in quads:
            backend._store.remove(quad)  # noqa: SLF001
    except OSError as exc:
        log.warning("earlier renderings not dropped (%s); they are not read", exc)


def _stale(backend: store.EmbeddedStore, graph: ox.NamedNode, names: Mapping[str, str]) -> list[ox.Quad]:
    """The earlier renderings (other versions or keys) of the entries about to be rendered
    (``names``: entry -> its new rendering's name), found by their ``gd:renderingOf``."""
    old = [q.subject for entry, name in names.items()
           for q in backend._store.quads_for_pattern(None, _OF, ox.NamedNode(entry), graph)  # noqa: SLF001
           if q.subject.value != name]
    return [q for name in old for q in backend._store.quads_for_pattern(name, None, None, graph)]  # noqa: SLF001


@dataclass(frozen=True, slots=True)
class _CatalogPart:
    nt: bytes  # the catalog branches' statements and the members' links, relations kept included
    scratch: store.EmbeddedStore
    relations: Mapping[str, list[str]]  # member -> the N-Triples lines of its relations kept


def _catalog_part(
    catalog: Catalog, backend: store.EmbeddedStore, iri: URIRef, members: Mapping[str, str], renderings: Mapping[str, _Rendering],
) -> _CatalogPart:
    """The catalog branches' statements plus the members' links (relations only to members),
    each once, in a memory store, checked by the open export's allow-list."""
    scratch = backend.construct_into(_split()[0], _bindings(catalog), name=QUERY)
    space = catalog.minter.entry_space
    lines: set[str] = set()
    relations: dict[str, list[str]] = {}
    for entry, rendering in renderings.items():
        for line in rendering.links.splitlines():
            if line.startswith("<" + space):  # a relation candidate: kept while its target is a member
                if line[line.rindex("<") + 1:line.rindex(">")] not in members:
                    continue
                relations.setdefault(entry, []).append(line + "\n")
            lines.add(line)
    if lines:
        scratch.load_default("\n".join(sorted(lines)).encode("utf-8") + b"\n", "nt", source="renderings")
    nt = scratch.dump_default("nt")
    problems = dcat_ap_engine.leaks(catalog, scratch, restricted=RESTRICTED, members_of=iri, ntriples=nt,
                                    members={URIRef(e) for e in members})
    if problems:
        raise ExportError(f"the export failed its allow-list check ({len(problems)} problem(s)); nothing was written",
                          problems=tuple(problems))
    return _CatalogPart(nt, scratch, relations)


def _assemble(
    catalog: Catalog, backend: store.EmbeddedStore, format: str, part: _CatalogPart, members: Mapping[str, str],
    texts: Mapping[str, str], context_ref: str | None,
) -> bytes:
    ordered = [texts[e] for e in sorted(members)]
    if format == "nt":
        return part.nt + "".join(ordered).encode("utf-8")
    if format == "json-ld":
        return assemble(_json_nodes(catalog, backend, part, members, texts), context_ref=context_ref)
    head = "".join(f"@prefix {name}: <{namespace}> .\n" for name, namespace in sorted(EXPORT_PREFIXES.items()))
    body = _without_prefixes(part.scratch.dump_default("turtle", prefixes=EXPORT_PREFIXES).decode("utf-8"))
    return (head + body + "".join(ordered)).encode("utf-8")


def _json_nodes(
    catalog: Catalog, backend: store.EmbeddedStore, part: _CatalogPart, members: Mapping[str, str], texts: Mapping[str, str],
) -> list[str]:
    """Every node object, one per subject, in the order :func:`govdata_ld.dcat_ap_jsonld.from_ntriples`
    writes them (IRIs, then blank nodes, by their text), as runs of lines: a member with relations
    kept is written again from its N-Triples with them. Members' runs are taken whole where they
    follow one another in that order (they do unless an entry's IRI and its nodes' sort around
    another entry's); the catalog part's few nodes are put in between."""
    kept = {line for lines in part.relations.values() for line in lines}
    rest = b"".join(line + b"\n" for line in part.nt.splitlines() if line.decode("utf-8") + "\n" not in kept)
    runs = {e: texts[e] for e in members if e not in part.relations}
    for entry, lines in part.relations.items():
        runs[entry] = nodes_from_ntriples((_stored(catalog, backend, entry, members[entry], "nt") + "".join(lines)).encode("utf-8"))
    ordered = [runs[e] for e in sorted(runs) if runs[e]]
    shared = [line for line in nodes_from_ntriples(rest).split(",\n  ") if line]
    firsts = [_node_order(run) for run in ordered]
    lasts = [_node_order(run[run.rfind('{"@id": "'):]) for run in ordered]
    if any(f[0] or l[0] for f, l in zip(firsts, lasts, strict=True)) or any(lasts[i] >= firsts[i + 1] for i in range(len(ordered) - 1)):
        lines = [line for run in ordered for line in run.split(",\n  ")] + shared  # runs interleave: sort every node
        return sorted(lines, key=_node_order)
    shared.sort(key=_node_order)
    out: list[str] = []
    at = 0
    for line in shared:  # a catalog-part node goes before the first run it sorts before
        key = _node_order(line)
        found = bisect.bisect_left(firsts, key, lo=at)
        out += ordered[at:found]
        at = found
        out.append(line)
    return out + ordered[at:]


def _stored(catalog: Catalog, backend: store.EmbeddedStore, entry: str, version: str, format: str) -> str:
    """One member's own statements in one format, as kept (looked up by name)."""
    graph = ox.NamedNode(catalog.minter.rendering_graph(KIND))
    name = ox.NamedNode(_name(catalog, entry, version))
    for quad in backend._store.quads_for_pattern(name, ox.NamedNode(_TEXT[format]), None, graph):  # noqa: SLF001
        return _parts(quad.object.value)[1]
    raise ExportError(f"the rendering of {entry} version {version} is gone")


def _node_order(node: str) -> tuple[int, str]:
    """A written node object's place in the order :func:`govdata_ld.dcat_ap_jsonld.from_ntriples` writes."""
    return subject_order(node[len('{"@id": "'):node.index('"', len('{"@id": "'))])
