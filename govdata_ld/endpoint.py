"""Remote SPARQL 1.1 stores behind the interface of the embedded store.

:class:`RemoteStore` has the interface of :class:`~govdata_ld.store.EmbeddedStore`, over the
SPARQL 1.1 Protocol and the Graph Store HTTP Protocol. Its parts, one module each:

* :mod:`~govdata_ld.endpoint_config`: URLs, credentials (from the environment, never from a
  file, never shown), timeouts, paging;
* :mod:`~govdata_ld.endpoint_http`: the requests (the only module that imports SPARQLWrapper),
  retries of reads, typed errors, SPARQL JSON results as rdflib terms;
* :mod:`~govdata_ld.endpoint_reads`: results past a server's row cap (COUNT(*) cross-check and
  keyset paging), CONSTRUCT as a paged SELECT;
* :mod:`~govdata_ld.endpoint_writes`: every write as one guarded, verified operation;
* :mod:`~govdata_ld.endpoint_claims`: the claim of the next revision that a write takes first;
* :mod:`~govdata_ld.endpoint_virtuoso`: queries Virtuoso answers wrongly, rewritten.

Parameters reach a query as ``VALUES`` blocks written from rdflib terms by
:mod:`govdata_ld.sparql_values` (never by formatting), put where
:func:`~govdata_ld.sparql_rewrite.with_values_first` says. The control graph
``urn:govdata-ld:control`` holds the revision, the tokens of past writes and the claims of writes
in progress; staging graphs are
named ``urn:govdata-ld:staging:…``. Neither is listed, dumped or counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

from . import endpoint_virtuoso
from . import sparql_rewrite as rw
from .endpoint_config import RemoteConfig, is_url
from .endpoint_http import Connection
from .endpoint_reads import VIRTUOSO_DEFAULT, Reader
from .endpoint_writes import VALUES_CHUNK, Writer
from .errors import QueryError
from .results import SelectResult
from .sparql_values import values_block
from .store import EmbeddedStore, Quad, parse, serialize

__all__ = ["RemoteConfig", "RemoteStore", "is_url", "push_graph"]


class RemoteStore:
    """A SPARQL 1.1 server behind the interface of :class:`~govdata_ld.store.EmbeddedStore`.

    Open one through ``Catalog.open("http://host:port/sparql", update_url=…)``; see
    ``docs/stores.md`` for the URLs of common servers.

    Raises:
        StoreUnavailableError: the server cannot be reached.
        StoreTimeoutError: it did not answer within the timeout.
    """

    path: Path | None = None
    """Always None: a remote store has no directory (validation state is not kept)."""

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._local = threading.local()
        self._http = Connection(config)
        if self._http.dialect == "virtuoso":
            self._http.default_graph = VIRTUOSO_DEFAULT
        self._reads = Reader(self._http)
        self._writes = Writer(self._http, self._reads)
        self._writes.ensure_control()

    def __repr__(self) -> str:
        return f"RemoteStore({self.config.query_url!r})"

    # -- the interface of EmbeddedStore ----------------------------------------------------

    def __len__(self) -> int:
        row = self._reads.rows(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } " + self._reads.graph_filter() + " }",
            name="count statements",
        ).rows
        return int(row[0][0].toPython()) if row else 0  # type: ignore[union-attr]

    def query(
        self, text: str, bindings: Mapping[str, Node], *, name: str | None = None
    ) -> SelectResult | Graph | bool:
        """Run a SPARQL query with values bound to variables (a VALUES block first in WHERE).

        Returns:
            A :class:`SelectResult` for SELECT, an rdflib ``Graph`` for CONSTRUCT and DESCRIBE,
            a bool for ASK.

        Raises:
            QueryError: the query does not parse or fails on the server.
            StoreUnavailableError: the server cannot be reached (after retries), or answers 5xx.
            StoreTimeoutError: the server did not answer within the timeout.
            TruncatedResultError: the server cut a result short and paging could not recover it.
        """
        self._snapshot()
        if self._http.dialect == "virtuoso":
            text, bindings = endpoint_virtuoso.prepare(text, bindings, lambda q: self._reads.rows(q, name=name))
        if bindings:
            text = rw.with_values_first(text, bindings, lambda names: values_block(names, [tuple(bindings[n] for n in names)]))
        form = rw.query_form(text)
        if form == "ASK":
            return self._reads.ask(text, name=name)
        if form in ("CONSTRUCT", "DESCRIBE"):
            graph = Graph()
            found = self._reads.construct(text, name=name) if form == "CONSTRUCT" else self._reads.describe(text, name=name)
            for s, p, o, _ in found:
                graph.add((s, p, o))
            return graph
        return self._reads.rows(text, name=name)

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
        """Apply a SPARQL update as one guarded, verified operation: all of it lands or none.

        The operations of the request are evaluated against the store as it is before the
        request (each reads the state before the whole write, which is how the library writes
        them), their net effect becomes one ``DELETE … INSERT … WHERE`` operation, guarded by
        the revision this thread read first, and the write token is read back.

        Raises:
            WriteConflictError: another writer changed the store since this thread read it;
                nothing was written: read again and retry.
            WriteNotAppliedError: the server refused or cut off the write, or timed out; it was
                fenced and verified: nothing was written.
            StoreUnavailableError: the server went away during the write; the write is one
                operation, so it landed whole or not at all (read back to know which).
            StoreError: an update form a remote store does not support; nothing was written.
        """
        expected = self._snapshot()
        try:
            deletes, inserts = self._writes.effect(text)
            if deletes or inserts:
                self._writes.commit(deletes, inserts, expected, settled=self._local.settled)
        finally:
            self.begin_cycle()

    def insert(self, quads: Iterable[Quad]) -> None:
        """Add statements as one guarded, verified operation (see :meth:`update`); on a large
        write they travel through the Graph Store protocol.

        Raises:
            WriteConflictError, WriteNotAppliedError, StoreUnavailableError: as :meth:`update`.
        """
        expected = self._snapshot()
        try:
            inserts = list(quads)
            if inserts:
                self._writes.commit([], inserts, expected, settled=self._local.settled)
        finally:
            self.begin_cycle()

    def quads(self, graph: URIRef | None = None) -> Iterator[Quad]:
        """Iterate the statements of one named graph, or of all named graphs (the server's own
        graphs and the library's control and staging graphs left out)."""
        names = [graph] if graph is not None else sorted(self.graph_names())
        for name in names:
            yield from self._reads.graph(name)

    def quads_default(self) -> Iterator[Quad]:
        """Iterate the statements of the default graph (on Virtuoso: of the graph
        ``urn:govdata-ld:default`` that stands for it, not the union it answers queries with)."""
        for s, p, o in self._reads.rows("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", name="default graph").rows:
            yield s, p, o, None  # type: ignore[misc]

    def graph_names(self) -> set[URIRef]:
        """The names of the catalog's named graphs on the server."""
        rows = self._reads.rows(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } " + self._reads.graph_filter() + " }", name="graph names"
        ).rows
        return {r[0] for r in rows}  # type: ignore[misc]

    def load_default(self, data: bytes, format: str, *, source: str) -> None:
        """Parse a document and add it to the default graph, in one write.

        Raises:
            InputError: the document does not parse; nothing is added.
        """
        self.add_default((s, p, o) for s, p, o, _ in parse(data, format, source=source))

    def add_default(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add triples to the default graph (a scratch use: in chunks, each one operation)."""
        rows = list(triples)
        default = self._http.default_graph
        if default is not None and self.config.graph_store_url:
            self._http.upload(URIRef(default), serialize([(s, p, o, None) for s, p, o in rows], "nt", {}))
            return
        for start in range(0, len(rows), VALUES_CHUNK):
            chunk = rows[start:start + VALUES_CHUNK]
            if default is None:
                self._http.update("INSERT { ?s ?p ?o } WHERE {\n" + values_block(["s", "p", "o"], chunk) + "\n}")
            else:
                block = values_block(["g", "s", "p", "o"], [(URIRef(default), s, p, o) for s, p, o in chunk])
                self._http.update("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + block + "\n}")

    def construct_scratch(self, text: str) -> EmbeddedStore:
        """A new memory store whose default graph holds what a CONSTRUCT query returns (paged).

        Raises:
            QueryError: the query is not a CONSTRUCT, does not parse or fails.
        """
        if rw.query_form(text) != "CONSTRUCT":
            raise QueryError("expected a CONSTRUCT query")
        scratch = EmbeddedStore()
        scratch.add_default((s, p, o) for s, p, o, _ in self._reads.construct(text, name="construct"))
        return scratch

    def construct_into(
        self, text: str, bindings: Mapping[str, Node], *, into: EmbeddedStore | None = None, name: str | None = None
    ) -> EmbeddedStore:
        """Add what a CONSTRUCT query returns, with values bound as in :meth:`query`, to the
        default graph of a memory store (a new one unless ``into`` is given).

        Raises:
            QueryError: the query is not a CONSTRUCT, does not parse or fails.
        """
        result = self.query(text, bindings, name=name)
        if not isinstance(result, Graph):
            raise QueryError("expected a CONSTRUCT query", name=name)
        scratch = into if into is not None else EmbeddedStore()
        scratch.add_default(result)
        return scratch

    def dump_default(self, format: str, *, prefixes: Mapping[str, str] | None = None) -> bytes:
        """The default graph written in one of :data:`govdata_ld.store.FORMATS` (on Virtuoso:
        the graph that stands for it, see :meth:`quads_default`)."""
        return serialize(list(self.quads_default()), format, dict(prefixes or {}))

    def flush(self) -> None:
        """Nothing to do: the server makes each acknowledged write durable itself."""

    def close(self) -> None:
        """Release the connection settings; the object is unusable after."""
        self._http.close()

    def begin_cycle(self) -> None:
        """Start a new read-then-write cycle in this thread: its revision is read at its next read.

        The catalog calls this when it takes its step lock, so a cycle is one step (a workflow
        step, ``put``, ``load``), however long ago the catalog last read (issue 7, part 5)."""
        self._local.expected = None
        self._local.settled = True

    def _snapshot(self) -> int:
        """The revision this thread's current read-then-write cycle started from: read at the
        cycle's first read, once no write is still becoming visible
        (:meth:`~govdata_ld.endpoint_claims.Claims.state`)."""
        expected = getattr(self._local, "expected", None)
        if expected is None:
            expected, self._local.settled = self._writes.claims.state()
            self._local.expected = expected
        return int(expected)


def push_graph(
    triples: Iterable[tuple[Node, Node, Node]],
    graph: URIRef,
    query_url: str,
    *,
    update_url: str | None = None,
    graph_store_url: str | None = None,
) -> int:
    """Make a remote store hold one named graph and nothing else, in one write: every other graph
    of it is removed, ``graph`` gets exactly ``triples`` (for a public SPARQL service that serves
    only the published open catalog).

    Returns:
        The number of statements the graph holds.

    Raises:
        StoreError: the store cannot be reached or written (it is left as it was).
    """
    store = RemoteStore(RemoteConfig.from_environment(query_url, update_url=update_url, graph_store_url=graph_store_url))
    rows = [(graph, s, p, o) for s, p, o in triples]
    clear = "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } " + store._reads.graph_filter() + " }"  # noqa: SLF001
    insert = "INSERT { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + values_block(["g", "s", "p", "o"], rows) + "\n}"
    store.update(clear + " ;\n" + insert)
    return len(rows)
