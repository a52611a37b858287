"""The embedded store: the only module that imports pyoxigraph.

A real triple store with no server, in memory or persistent in a directory (RocksDB). It speaks
rdflib terms at its edges so the rest of the library does not depend on the engine. Every write is
one SPARQL update, which pyoxigraph runs as one transaction: all of it lands or none.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from . import input_gate, sparql_hints
from .errors import InputError, QueryError, StoreError, StoreInUseError
from .results import SelectResult

log = logging.getLogger(__name__)

Quad = tuple[Node, Node, Node, URIRef | None]
"""A statement; the fourth element is the graph name, None for the default graph."""

FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}
"""Format names the library reads and writes."""

EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".trig": "trig",
    ".nt": "nt",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
OWNER_FILE = "govdata-owner.pid"  # the PID of the process holding a store directory's lock


def format_for(source: str, explicit: str | None = None) -> str:
    """Decide the format of a source: the explicit name, else the file extension.

    Raises:
        InputError: ``param.unknown-value`` (parameter ``format``) for an unknown format name,
            ``input.unknown-format`` for an extension that names none; the message lists the
            known ones.

    >>> format_for("city.ttl")
    'turtle'
    """
    if explicit is not None:
        if not isinstance(explicit, str) or explicit not in FORMATS:
            raise InputError(
                f"unknown format {explicit!r}; known: {', '.join(FORMATS)}", source=source,
                code="param.unknown-value", parameter="format",
            )
        return explicit
    suffix = Path(source).suffix.lower()
    if suffix not in EXTENSIONS:
        raise InputError(
            f"cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"known extensions: {', '.join(EXTENSIONS)} (or give a format: {', '.join(FORMATS)})",
            source=source, code="input.unknown-format",
        )
    return EXTENSIONS[suffix]


def read_source(source: str) -> bytes:
    """The bytes of a file, or of standard input for "-", read no further than the gate's
    ``max_bytes``; a document that opens with an XML prolog is refused if it declares a DTD,
    whatever format it will be parsed as.

    Raises:
        InputError: ``input.unreadable`` (the file cannot be read), ``input.too-large``,
            ``input.dtd-refused``.
    """
    limits = input_gate.limits()
    try:
        if source == "-":
            data = sys.stdin.buffer.read(limits.max_bytes + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read file", source=source, code="input.unreadable") from exc
    input_gate.check_size(len(data), source=source, active=limits)
    if input_gate.looks_like_xml(data):
        input_gate.refuse_dtd(data, source=source)
    return data


def parse(data: bytes, format: str, *, source: str) -> list[Quad]:
    """Parse a whole document into statements before anything is written, through the input
    gate (:mod:`govdata_ld.input_gate`): limits on bytes, statements, literal and IRI length and
    nesting, no DTD, no context fetched.

    Args:
        data: the document's bytes (UTF-8).
        format: one of :data:`FORMATS`.
        source: the file name (or "-") used in error messages.

    Raises:
        InputError: the document is refused or does not parse; with a code and, when known, the
            line and column (or JSON Pointer).
    """
    limits = input_gate.limits()
    if format not in FORMATS:
        format_for(source, format)
    data = input_gate.screen(data, format, source=source, active=limits)
    cache: dict[object, Node] = {}

    def convert(term: object) -> Node:
        found = cache.get(term)
        if found is None:
            problem = None
            if isinstance(term, ox.Literal):
                if term.direction:
                    raise input_gate.unsupported(f"a literal with a base direction (--{term.direction})", source=source,
                                                 data=data, markers=(f"--{term.direction}".encode(), b'"@direction"'))
                problem = input_gate.literal_problem(term.value, limits)
            elif isinstance(term, ox.NamedNode):
                problem = input_gate.iri_problem(term.value, limits)
            elif isinstance(term, ox.Triple):
                raise input_gate.unsupported("an RDF 1.2 triple term", source=source, data=data,
                                             markers=(b"<<", b"~", b"rdf:reifies", b"reifies"))
            if problem is not None:
                raise input_gate.located(*problem, data, format, term.value, source=source, active=limits)  # type: ignore[attr-defined]
            found = cache[term] = _term(term)
        return found

    quads: list[Quad] = []
    nested: dict[str, list[str]] = {}
    try:
        for statement in ox.parse(data, format=FORMATS[format]):
            if len(quads) >= limits.max_statements:
                raise input_gate.too_many_statements(limits, source=source)
            graph = statement.graph_name if isinstance(statement, ox.Quad) else None
            subject, obj = statement.subject, statement.object
            if isinstance(obj, ox.BlankNode) and isinstance(subject, ox.BlankNode):
                nested.setdefault(subject.value, []).append(obj.value)
            quads.append(
                (
                    convert(subject),
                    convert(statement.predicate),
                    convert(obj),
                    None if graph is None or isinstance(graph, ox.DefaultGraph) else convert(graph),
                )
            )
    except (SyntaxError, ValueError, OSError, MemoryError) as exc:
        raise _input_error(exc, source, data, format) from exc
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":  # a Rust panic in the engine: still a refusal
            raise InputError(f"the parser failed: {exc}", source=source, code="input.syntax") from exc
        raise
    input_gate.check_depth(nested, data, format, source=source, active=limits)
    return quads


def serialize(quads: Iterable[Quad], format: str, prefixes: Mapping[str, str]) -> bytes:
    """Write statements in a format; graph names are dropped by triple formats."""
    fmt = FORMATS[format]
    if fmt.supports_datasets:
        items: list[ox.Quad] | list[ox.Triple] = [_ox_quad(q) for q in quads]
    else:
        items = list({ox.Triple(_ox(s), _ox(p), _ox(o)) for s, p, o, _ in quads})
    kwargs = {"prefixes": dict(prefixes)} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else {}
    return ox.serialize(items, format=fmt, **kwargs)


class EmbeddedStore:
    """A pyoxigraph store, in memory (``path=None``) or in a directory.

    >>> store = EmbeddedStore()
    >>> store.update('INSERT DATA { GRAPH <http://ex.org/g> { <http://ex.org/s> <http://ex.org/p> "o" } }')
    >>> store.query("ASK { GRAPH ?g { ?s ?p ?o } }", {})
    True
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        try:
            self._store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreInUseError(
                    f"store {path} is in use by {_owner(path)} (only one process may write a store "
                    "directory at a time)"
                ) from exc
            raise StoreError(f"cannot open store {path}: {exc}") from exc
        if path is not None:  # read only by a process refused the lock, so never stale when read
            with contextlib.suppress(OSError):  # a full disk: the error then says "another process"
                (path / OWNER_FILE).write_text(str(os.getpid()), "ascii")

    def __len__(self) -> int:
        return len(self._store)

    def query(
        self, text: str, bindings: Mapping[str, Node], *, name: str | None = None
    ) -> SelectResult | Graph | bool:
        """Run a SPARQL query with values bound to variables (SEP-0007 substitution, repeated
        as ``VALUES`` blocks that let pyoxigraph use its indexes: :mod:`sparql_hints`).

        Returns:
            A :class:`SelectResult` for SELECT, an rdflib ``Graph`` for CONSTRUCT and DESCRIBE,
            a bool for ASK.

        Raises:
            QueryError: the query does not parse or fails.
        """
        substitutions = {ox.Variable(k): _ox(v) for k, v in bindings.items()}
        try:
            hinted = sparql_hints.with_hints(text, {k: (v,) for k, v in bindings.items()})
        except QueryError:  # a term VALUES cannot carry (a blank node), a malformed text: substitution alone
            hinted = text
        try:
            result = self._store.query(hinted, substitutions=substitutions)
            if isinstance(result, ox.QueryBoolean):
                return bool(result)
            if isinstance(result, ox.QuerySolutions):
                variables = tuple(v.value for v in result.variables)
                convert = _TermCache()
                rows = tuple(
                    tuple(None if s[v] is None else convert(s[v]) for v in variables) for s in result
                )
                return SelectResult(variables, rows)
            graph = Graph()
            for t in result:
                graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
            return graph
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc.msg or exc}", name=name) from exc
        except OSError as exc:
            raise QueryError(f"query failed: {exc}", name=name) from exc

    def select(self, text: str, bindings: Mapping[str, Node], *, name: str | None = None) -> SelectResult:
        """Run a SELECT query (see :meth:`query`).

        Raises:
            QueryError: the query is not a SELECT, does not parse or fails.
        """
        result = self.query(text, bindings, name=name)
        if not isinstance(result, SelectResult):
            raise QueryError("expected a SELECT query", name=name)
        return result

    def update(self, text: str) -> None:
        """Run a SPARQL update as one transaction.

        Raises:
            StoreError: the update failed; nothing of it was written.
        """
        try:
            self._store.update(text)
        except (SyntaxError, OSError, ValueError) as exc:
            raise StoreError(f"update failed, nothing was written: {exc}") from exc

    def insert(self, quads: Iterable[Quad]) -> None:
        """Add statements as one transaction (all of them or none); those already present stay
        once. Faster than an update text for a large write of new statements.

        Raises:
            StoreError: the write failed; nothing of it was written.
        """
        try:
            self._store.extend([_ox_quad(q) for q in quads])
        except (OSError, ValueError) as exc:
            raise StoreError(f"insert failed, nothing was written: {exc}") from exc

    def quads(self, graph: URIRef | None = None) -> Iterator[Quad]:
        """Iterate the statements of one named graph, or of all named graphs."""
        pattern_graph = None if graph is None else ox.NamedNode(graph)
        convert = _TermCache()
        for q in self._store.quads_for_pattern(None, None, None, pattern_graph):
            if isinstance(q.graph_name, ox.DefaultGraph):
                continue
            yield convert(q.subject), convert(q.predicate), convert(q.object), convert(q.graph_name)  # type: ignore[misc]

    def quads_default(self) -> Iterator[Quad]:
        """Iterate the statements of the default graph."""
        convert = _TermCache()
        for q in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield convert(q.subject), convert(q.predicate), convert(q.object), None

    def graph_names(self) -> set[URIRef]:
        """The names of the named graphs in the store."""
        return {_term(g) for g in self._store.named_graphs()}  # type: ignore[misc]

    def load_default(self, data: bytes, format: str, *, source: str) -> None:
        """Parse a document straight into the default graph (a scratch store for validation).

        Raises:
            InputError: the document does not parse; nothing is added.
        """
        try:
            self._store.load(data, format=FORMATS[format], to_graph=ox.DefaultGraph())
        except (SyntaxError, ValueError, OSError) as exc:
            raise _input_error(exc, source) from exc

    def add_default(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add triples to the default graph in one transaction."""
        self._store.extend(ox.Quad(_ox(s), _ox(p), _ox(o), ox.DefaultGraph()) for s, p, o in triples)

    def construct_scratch(self, text: str) -> EmbeddedStore:
        """A new memory store whose default graph holds what a CONSTRUCT query returns.

        The triples go from one store to the other as N-Triples written and read by the engine,
        without a Python object per triple.

        Raises:
            QueryError: the query is not a CONSTRUCT, does not parse or fails.
        """
        try:
            result = self._store.query(text)
            if not isinstance(result, ox.QueryTriples):
                raise QueryError("expected a CONSTRUCT query")
            data = result.serialize(format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc.msg or exc}") from exc
        scratch = EmbeddedStore()
        scratch._store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        return scratch

    def construct_into(
        self, text: str, bindings: Mapping[str, Node], *, into: EmbeddedStore | None = None, name: str | None = None
    ) -> EmbeddedStore:
        """Add what a CONSTRUCT query returns, with values bound as in :meth:`query`, to the
        default graph of a memory store (a new one unless ``into`` is given).

        The statements go from engine to engine as N-Triples, with no Python object per
        statement; the memory store holds each statement once.

        Raises:
            QueryError: the query is not a CONSTRUCT, does not parse or fails.
        """
        substitutions = {ox.Variable(k): _ox(v) for k, v in bindings.items()}
        try:
            hinted = sparql_hints.with_hints(text, {k: (v,) for k, v in bindings.items()})
        except QueryError:  # a term VALUES cannot carry (a blank node), a malformed text: substitution alone
            hinted = text
        try:
            result = self._store.query(hinted, substitutions=substitutions)
            if not isinstance(result, ox.QueryTriples):
                raise QueryError("expected a CONSTRUCT query", name=name)
            data = result.serialize(format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc.msg or exc}", name=name) from exc
        except OSError as exc:
            raise QueryError(f"query failed: {exc}", name=name) from exc
        target = into if into is not None else EmbeddedStore()
        target._store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        return target

    def dump_default(self, format: str, *, prefixes: Mapping[str, str] | None = None) -> bytes:
        """The default graph written by the engine (JSON-LD: expanded, node objects of one
        subject not necessarily merged); ``prefixes`` for Turtle.

        >>> scratch = EmbeddedStore()
        >>> scratch.add_default([(URIRef("http://ex.org/s"), URIRef("http://ex.org/p"), Literal("o"))])
        >>> scratch.dump_default("turtle", prefixes={"ex": "http://ex.org/"})
        b'@prefix ex: <http://ex.org/> .\\nex:s ex:p "o" .\\n'
        """
        fmt = FORMATS[format]
        kwargs = {"prefixes": dict(prefixes)} if prefixes and fmt is ox.RdfFormat.TURTLE else {}
        return self._store.dump(format=fmt, from_graph=ox.DefaultGraph(), **kwargs)  # type: ignore[no-any-return]

    def begin_cycle(self) -> None:
        """Start a new read-then-write cycle (no-op: the catalog's lock serialises this store's
        writers; a remote store reads its revision afresh, issue 7 part 5)."""

    def flush(self) -> None:
        """Make written data durable on disk (no-op in memory)."""
        if self.path is not None:
            try:
                self._store.flush()
            except OSError as exc:
                raise StoreError(f"cannot flush store {self.path} to disk: {exc}") from exc

    def close(self) -> None:
        """Flush and release the store (and its directory lock); the object is unusable after."""
        try:
            self.flush()
        finally:  # released even when the flush fails (a full disk), so the store can be reopened
            del self._store
            if self.path is not None:
                (self.path / OWNER_FILE).unlink(missing_ok=True)

    # -- the bulk import of new entries (govdata_ld.bulk_import) --------------------------------
    # Embedded only, so outside the interface the remote store mirrors (tests/test_stores.py).

    def _holding(self, graphs: Iterable[URIRef]) -> set[URIRef]:
        """Those of the named graphs that hold at least one statement."""
        found = set()
        for name in graphs:
            if next(iter(self._store.quads_for_pattern(None, None, None, ox.NamedNode(name))), None) is not None:
                found.add(name)
        return found

    def _load_nquads(self, data: bytes) -> None:
        """Add N-Quads text as one transaction (all of it or none).

        Raises:
            StoreError: the text does not parse or the write failed; nothing of it was written.
        """
        try:
            self._store.load(data, format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, OSError, ValueError) as exc:
            raise StoreError(f"insert failed, nothing was written: {exc}") from exc

    def _bulk_load_nquads(self, data: bytes) -> None:
        """Add N-Quads text through the engine's bulk loader: several times faster than a
        transaction and bounded in memory, but not atomic (a failure or a crash may leave part of
        it written: the caller records what it writes and removes it on failure).

        Raises:
            StoreError: the text does not parse or the write failed; part of it may be written.
        """
        try:
            self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, OSError, ValueError) as exc:
            raise StoreError(f"bulk load failed, part of it may be written: {exc}") from exc

    def _drop_graphs(self, graphs: Iterable[URIRef]) -> None:
        """Remove named graphs with all their statements, each graph in its own transaction.

        Raises:
            StoreError: a removal failed; the graphs before it are removed, the others kept.
        """
        try:
            for name in graphs:
                self._store.remove_graph(ox.NamedNode(name))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot remove graph {name}: {exc}") from exc


def _owner(path: Path | None) -> str:
    """Who holds a store directory's lock, as its owner file says."""
    try:
        return f"PID {int((path / OWNER_FILE).read_text('ascii'))}"  # type: ignore[operator]
    except (OSError, ValueError, TypeError):
        return "another process"


def _input_error(exc: Exception, source: str, data: bytes = b"", format: str = "") -> InputError:
    """An engine's parse failure as an InputError with a code, naming the source, line and column."""
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, MemoryError):  # pyoxigraph's token buffer is capped at 16 MiB
        limits = input_gate.limits()
        return input_gate.located("input.literal-too-long", f"a token longer than the parser's buffer ({exc})",
                                  data, format, "", source=source, active=limits)
    if isinstance(exc, SyntaxError):
        return input_gate.parser_error(exc.msg or str(exc), data, format, source=source, line=exc.lineno,
                                       column=exc.offset)
    return input_gate.parser_error(str(exc), data, format, source=source, line=None, column=None)


class _TermCache(dict):  # type: ignore[type-arg]
    """Converts pyoxigraph terms to rdflib terms once each (IRIs repeat a lot in catalogs)."""

    def __call__(self, term: object) -> Node:
        found = self.get(term)
        if found is None:
            found = self[term] = _term(term)
        return found  # type: ignore[no-any-return]


def _term(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise StoreError(f"unsupported term in store: {term!r}")


def _ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Variable):
        raise QueryError(f"a variable cannot be bound to a variable: ?{term}")
    raise QueryError(f"not an RDF term: {term!r}")


def _ox_quad(q: Quad) -> ox.Quad:
    s, p, o, g = q
    return ox.Quad(_ox(s), _ox(p), _ox(o), ox.DefaultGraph() if g is None else _ox(g))
