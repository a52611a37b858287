"""Remote SPARQL 1.1 stores: the only module that imports SPARQLWrapper.

:class:`RemoteStore` has the interface of :class:`~govdata_ld.store.EmbeddedStore`, over the
SPARQL 1.1 Protocol (query and update operations, §2.1 and §2.2) and the Graph Store HTTP Protocol
(for bulk staging, §5.5 POST). What it adds to a plain client:

* parameters reach a query as a ``VALUES`` block at the start of its WHERE clause, written from
  rdflib terms by :mod:`govdata_ld.sparql_values` (never by formatting);
* a SELECT result as long as the server's row cap (Virtuoso: 10,000, silently) is cross-checked
  with ``COUNT(*)`` and read again in pages by key; an HTTP 206 or an ``X-SQL-State`` header is an
  error, never a result;
* reads are retried with backoff; writes never are: a write is decided by reading back;
* every write is **one operation**: the update is evaluated against the store as it is, its net
  effect (statements deleted and inserted) is applied by one ``DELETE … INSERT … WHERE``
  (inline, or from a staging graph loaded through the Graph Store protocol), guarded by the store
  revision the writer read (optimistic check) and verified by reading back its write token. A
  server such as Virtuoso that does not run a multi-operation request atomically (against SPARQL
  1.1 Update §2.2, "each request should be treated atomically") then still gets all or nothing;
* credentials come from the environment or a configuration file and never appear in a message,
  a log record or a ``repr``.

The control graph ``urn:govdata-ld:control`` holds the revision and the tokens of past writes;
staging graphs are named ``urn:govdata-ld:staging:…``. Neither is listed, dumped or counted.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.term import Node
from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from . import sparql_rewrite as rw
from .errors import (
    ConfigurationError,
    QueryError,
    StoreError,
    StoreTimeoutError,
    StoreUnavailableError,
    TruncatedResultError,
    WriteConflictError,
    WriteNotAppliedError,
)
from .results import SelectResult
from .sparql_values import values_block
from .store import EmbeddedStore, Quad, serialize

log = logging.getLogger(__name__)

USER_VARIABLE = "GOVDATA_STORE_USER"
PASSWORD_VARIABLE = "GOVDATA_STORE_PASSWORD"
CONFIG_VARIABLE = "GOVDATA_STORE_CONFIG"
_NS = "urn:govdata-ld:"
CONTROL = URIRef(_NS + "control")
STAGING = _NS + "staging:"
_STORE = URIRef(_NS + "store")
_REVISION = URIRef(_NS + "revision")
_REVISION_OF = URIRef(_NS + "revisionOf")
_DELETE_FROM, _INSERT_INTO, _PS, _PP, _PO = (
    URIRef(_NS + k) for k in ("deleteFrom", "insertInto", "subject", "predicate", "object")
)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
FOREIGN_GRAPHS = {
    "virtuoso": (
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localhost:8890/",
    ),
}
"""Graphs a server keeps for itself, by dialect (IRI prefixes); the catalog never lists them."""

_INLINE_LIMIT = 200_000
"""Statements a write may carry inline (one request of VALUES rows, about 150 bytes each: well under
Oxigraph's 128 MB body limit); larger writes are staged through the Graph Store protocol."""
_UPLOAD_CHUNK = 100_000
_VALUES_CHUNK = 500


@dataclass(frozen=True)
class RemoteConfig:
    """Where and how to reach a remote store.

    Attributes:
        query_url: the SPARQL query endpoint (Protocol §2.1).
        update_url: the update endpoint (§2.2); the query URL when the server takes both there.
        graph_store_url: the Graph Store endpoint; None stages writes through updates instead.
        user: the account for basic or digest authentication (``$GOVDATA_STORE_USER``).
        password: its password (``$GOVDATA_STORE_PASSWORD``); never shown.
        auth: "basic" or "digest".
        timeout: seconds one request may take.
        retries: how often a read is tried again after a network error, timeout or 502–504.
        row_cap: a result of this many rows is cross-checked with COUNT(*) and paged.
        page_size: rows per page when paging.
        dialect: "virtuoso", "oxigraph" or "generic"; told by the server's ``Server`` header when None.
    """

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "digest"
    timeout: float = 60.0
    retries: int = 3
    row_cap: int = 10_000
    page_size: int = 5_000
    dialect: str | None = None

    @classmethod
    def from_environment(
        cls,
        query_url: str,
        *,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> RemoteConfig:
        """Build a configuration: explicit arguments, then the environment, then the file named
        by ``$GOVDATA_STORE_CONFIG`` (TOML keys: the attributes of this class).

        Raises:
            ConfigurationError: the file cannot be read, or holds an unknown key or a bad value.
        """
        values: dict[str, Any] = {}
        path = config_file or os.environ.get(CONFIG_VARIABLE)
        if path:
            source = Path(path)
            try:
                values = tomllib.loads(source.read_text("utf-8"))
            except OSError as exc:
                raise ConfigurationError(f"cannot read store configuration: {exc.strerror}", source=source) from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigurationError(f"not valid TOML: {exc}", source=source) from exc
            values = values.get("store", values)
            known = set(cls.__dataclass_fields__) - {"query_url"}
            unknown = set(values) - known
            if unknown:
                raise ConfigurationError(
                    f"unknown store settings {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}", source=source
                )
        parsed = urllib.parse.urlsplit(query_url)
        if parsed.username or parsed.password:  # credentials in the URL: take them out of it
            values.setdefault("user", urllib.parse.unquote(parsed.username or ""))
            values.setdefault("password", urllib.parse.unquote(parsed.password or ""))
            query_url = _without_userinfo(query_url)
        if os.environ.get(USER_VARIABLE):
            values["user"] = os.environ[USER_VARIABLE]
        if os.environ.get(PASSWORD_VARIABLE):
            values["password"] = os.environ[PASSWORD_VARIABLE]
        values.update({k: v for k, v in options.items() if v is not None})
        if update_url:
            values["update_url"] = update_url
        if graph_store_url:
            values["graph_store_url"] = graph_store_url
        config = cls(query_url=query_url, **values)
        if config.auth not in ("basic", "digest"):
            raise ConfigurationError(f"auth must be 'basic' or 'digest', not {config.auth!r}")
        return config


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def is_url(location: object) -> bool:
    """Whether a store location names a remote store (``http://`` or ``https://``)."""
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


class RemoteStore:
    """A SPARQL 1.1 server behind the interface of :class:`~govdata_ld.store.EmbeddedStore`.

    Open one through ``Catalog.open("http://host:port/sparql", update_url=…)``; see
    ``docs/stores.md`` for the URLs of common servers.
    """

    path: Path | None = None
    """Always None: a remote store has no directory (validation state is not kept)."""

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._local = threading.local()
        self._dialect = config.dialect
        self._opener = self._build_opener()
        self._ensure_control()

    def __repr__(self) -> str:
        return f"RemoteStore({self.config.query_url!r})"

    # -- the interface of EmbeddedStore ----------------------------------------------------

    def __len__(self) -> int:
        row = self._select_rows(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } " + self._graph_filter() + " }",
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
        if bindings:
            text = rw.with_values_first(text, bindings, lambda names: values_block(names, [tuple(bindings[n] for n in names)]))
        form = rw.query_form(text)
        if form == "ASK":
            return bool(self._request_json(text, name=name).get("boolean"))
        if form == "CONSTRUCT":
            graph = Graph()
            for s, p, o, _ in self._construct(text, name=name):
                graph.add((s, p, o))
            return graph
        if form == "DESCRIBE":
            graph = Graph()
            request = self._query_request(text, result_format=TURTLE)
            data = self._retrying(lambda: self._read(request, name=name), what=name or "describe")
            for s, p, o, _ in _parse_turtle(data):
                graph.add((s, p, o))
            return graph
        return self._select_rows(text, name=name)

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
            deletes, inserts = self._effect(text)
            if deletes or inserts:
                self._commit(deletes, inserts, expected)
        finally:
            self._local.expected = None

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
                self._commit([], inserts, expected)
        finally:
            self._local.expected = None

    def quads(self, graph: URIRef | None = None) -> Iterator[Quad]:
        """Iterate the statements of one named graph, or of all named graphs (the server's own
        graphs and the library's control and staging graphs left out)."""
        names = [graph] if graph is not None else sorted(self.graph_names())
        for name in names:
            text = "SELECT ?s ?p ?o WHERE {\n" + values_block(["g"], [(name,)]) + "\nGRAPH ?g { ?s ?p ?o } }"
            for s, p, o in self._select_rows(text, name="graph content").rows:
                yield s, p, o, name  # type: ignore[misc]

    def quads_default(self) -> Iterator[Quad]:
        """Iterate the statements of the default graph (on Virtuoso: of the store's own default
        graph, not the union it answers queries with)."""
        for s, p, o in self._select_rows("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", name="default graph").rows:
            yield s, p, o, None  # type: ignore[misc]

    def graph_names(self) -> set[URIRef]:
        """The names of the catalog's named graphs on the server."""
        rows = self._select_rows(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } " + self._graph_filter() + " }", name="graph names"
        ).rows
        return {r[0] for r in rows}  # type: ignore[misc]

    def load_default(self, data: bytes, format: str, *, source: str) -> None:
        """Parse a document and add it to the default graph, in one write.

        Raises:
            InputError: the document does not parse; nothing is added.
        """
        from .store import parse  # noqa: PLC0415 - parse with the embedded engine, then write

        self.add_default((s, p, o) for s, p, o, _ in parse(data, format, source=source))

    def add_default(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add triples to the default graph (a scratch use: in chunks, each one operation)."""
        rows = list(triples)
        for start in range(0, len(rows), _VALUES_CHUNK):
            chunk = rows[start:start + _VALUES_CHUNK]
            self._post_update("INSERT { ?s ?p ?o } WHERE {\n" + values_block(["s", "p", "o"], chunk) + "\n}")

    def construct_scratch(self, text: str) -> EmbeddedStore:
        """A new memory store whose default graph holds what a CONSTRUCT query returns (paged).

        Raises:
            QueryError: the query is not a CONSTRUCT, does not parse or fails.
        """
        if rw.query_form(text) != "CONSTRUCT":
            raise QueryError("expected a CONSTRUCT query")
        scratch = EmbeddedStore()
        scratch.add_default((s, p, o) for s, p, o, _ in self._construct(text, name="construct"))
        return scratch

    def flush(self) -> None:
        """Nothing to do: the server makes each acknowledged write durable itself."""

    def close(self) -> None:
        """Release the connection settings; the object is unusable after."""
        self._opener = None  # type: ignore[assignment]

    # -- reading ---------------------------------------------------------------------------

    def _graph_filter(self) -> str:
        """A FILTER leaving out the control, staging and server graphs (constants of the library)."""
        foreign = FOREIGN_GRAPHS.get(self._dialect or "", ())
        prefixes = (_NS, *foreign)
        return "FILTER(" + " && ".join("!STRSTARTS(STR(?g), " + Literal(p).n3() + ")" for p in prefixes) + ")"

    def _snapshot(self) -> int:
        """The revision this thread's current read-then-write cycle started from."""
        expected = getattr(self._local, "expected", None)
        if expected is None:
            expected = self._local.expected = self._revision()
        return int(expected)

    def _revision(self) -> int:
        text = "SELECT (MAX(?r) AS ?rev) WHERE {\n" + values_block(["c", "s", "p"], [(CONTROL, _STORE, _REVISION)]) + "\nGRAPH ?c { ?s ?p ?r } }"
        rows = self._select_rows(text, name="revision", check=False).rows
        value = rows[0][0] if rows else None
        return int(value.toPython()) if value is not None else 0  # type: ignore[union-attr]

    def _select_rows(self, text: str, *, name: str | None, check: bool = True) -> SelectResult:
        """A SELECT's rows; a result as long as the row cap is checked with COUNT(*) and paged."""
        result = _solutions(self._request_json(text, name=name))
        if check and len(result.rows) >= self.config.row_cap:
            total = self._count(text, name=name)
            if total != len(result.rows):
                log.info("%s: %d of %d rows returned; reading in pages by key", name or "query", len(result.rows), total)
                result = self._paged(text, result.variables, total, name=name)
        return result

    def _count(self, text: str, *, name: str | None) -> int:
        prologue, body = rw.split_prologue(text)
        counted = prologue + "\nSELECT (COUNT(*) AS ?n) WHERE { {\n" + body + "\n} }"
        rows = _solutions(self._request_json(counted, name=name)).rows
        return int(rows[0][0].toPython())  # type: ignore[union-attr]

    def _paged(self, text: str, variables: tuple[str, ...], total: int, *, name: str | None) -> SelectResult:
        """Read a result in pages ordered by the string of its first variable (keyset paging:
        OFFSET past the cap fails on Virtuoso), then check the count."""
        prologue, body = rw.split_prologue(text)
        key = variables[0]
        rows: list[tuple[Node | None, ...]] = []
        last: Literal | None = None
        while True:
            bound = "" if last is None else "FILTER(STR(?" + key + ") >= ?govdata_last)\n" + values_block(["govdata_last"], [(last,)])
            page = (
                prologue + "\nSELECT * WHERE { {\n" + body + "\n} " + bound + " } ORDER BY STR(?" + key + ") LIMIT "
                + str(self.config.page_size)
            )
            got = _solutions(self._request_json(page, name=name))
            order = [got.variables.index(v) for v in variables]
            page_rows = [tuple(r[i] for i in order) for r in got.rows]
            if len(page_rows) < self.config.page_size:
                rows += page_rows
                break
            high = str(page_rows[-1][0])
            keep = [r for r in page_rows if str(r[0]) != high]
            if not keep:
                raise TruncatedResultError(
                    f"cannot page the result: more than {self.config.page_size} rows share the key ?{key}", name=name
                )
            rows += keep
            last = Literal(high)
        if len(rows) != total:
            raise TruncatedResultError(f"paging read {len(rows)} rows but COUNT(*) says {total}", name=name)
        return SelectResult(variables, tuple(rows))

    def _construct(self, text: str, *, name: str | None) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        """A CONSTRUCT evaluated as a SELECT of its template's variables (so it can be paged),
        its template filled in here."""
        prologue, template_text, rest = rw.construct_parts(text)
        patterns = rw.template(template_text, rw.prefixes(prologue))
        names = rw.variables(patterns)
        select = prologue + "\nSELECT DISTINCT " + (" ".join("?" + n for n in names) or "*") + "\n" + rest
        result = self._select_rows(select, name=name)
        seen: set[tuple[Node, Node, Node]] = set()
        for s, p, o, _ in rw.instantiate(patterns, result.dicts()):
            if (s, p, o) not in seen:
                seen.add((s, p, o))
                yield s, p, o, None

    # -- writing ---------------------------------------------------------------------------

    def _effect(self, text: str) -> tuple[list[Quad], list[Quad]]:
        """The net statements an update deletes and inserts, each operation evaluated on the
        store as it is (and on the VALUES rows alone, locally, when it reads nothing else)."""
        prologue, ops = rw.operations(text)
        names = rw.prefixes(prologue)
        deleted: dict[Quad, None] = {}
        inserted: dict[Quad, None] = {}
        for op in ops:
            if op.drop is not None:
                rows: list[dict[str, Node | None]] = [{"s": s, "p": p, "o": o} for s, p, o, _ in self.quads(op.drop)]
                delete = [(Variable("s"), Variable("p"), Variable("o"), op.drop)]
                insert: list[rw.Pattern] = []
            else:
                delete, insert = rw.template(op.delete, names), rw.template(op.insert, names)
                rows = self._where_rows(prologue, op.where, rw.variables(delete + insert))
            for quad in rw.instantiate(delete, rows):
                inserted.pop(quad, None)  # type: ignore[arg-type]
                deleted[quad] = None  # type: ignore[index]
            for quad in rw.instantiate(insert, rows):
                deleted.pop(quad, None)  # type: ignore[arg-type]
                inserted[quad] = None  # type: ignore[index]
        return list(deleted), list(inserted)

    def _where_rows(self, prologue: str, where: str, names: list[str]) -> list[dict[str, Node | None]]:
        if not names:
            return [{}]
        if not where:  # INSERT DATA / DELETE DATA: the template is ground
            return [{}]
        select = prologue + "\nSELECT " + " ".join("?" + n for n in names) + " WHERE " + where
        if rw.data_only(where):
            local = EmbeddedStore()
            return list(local.select(select, {}).dicts())
        return list(self._select_rows(select, name="update").dicts())

    def _commit(self, deletes: Sequence[Quad], inserts: Sequence[Quad], expected: int | None) -> None:
        """Apply statements deleted and inserted as one guarded operation, then read it back."""
        for quad in (*deletes, *inserts):
            if any(isinstance(t, BNode) for t in quad):
                raise StoreError("blank nodes cannot be written to a remote store; name them with IRIs (nothing was written)")
        token = URIRef(_NS + "write/" + uuid.uuid4().hex)
        revision = expected if expected is not None else self._revision()
        control = values_block(["r", "next", "tok"], [(Literal(revision), Literal(revision + 1), token)])
        # Virtuoso 7.2 mis-reads literals written in a request (non-ASCII ones do not match on
        # delete; some mixes of tagged literals fail with SR002): it gets its statements through
        # the Graph Store protocol only, and deletes match on the stored terms (sameTerm).
        staged = self._dialect == "virtuoso" or len(deletes) + len(inserts) > _INLINE_LIMIT
        if staged:
            stage = URIRef(STAGING + token.rsplit("/", 1)[1])
            self._stage(stage, deletes, inserts)
            control = values_block(["r", "next", "tok", "stage"], [(Literal(revision), Literal(revision + 1), token, stage)])
            text = rw.place(_SWITCH_STAGED, control=control)
        else:
            text = rw.place(
                _SWITCH_INLINE,
                control=control,
                deletes=values_block(["g", "s", "p", "x"], [_quad4(q) for q in deletes]),
                inserts=values_block(["h", "a", "b", "c"], [_quad4(q) for q in inserts]),
            )
        try:
            failure: Exception | None = None
            try:
                self._post_update(text)
            except (StoreError, QueryError) as exc:
                failure = exc
            self._decide(token, revision, failure, len(deletes), len(inserts))
        finally:
            if staged:
                self._drop_stage(stage)

    def _decide(self, token: URIRef, revision: int, failure: Exception | None, deleted: int, inserted: int) -> None:
        """Read the write token back; after a failure, fence the revision first so that a write
        still running on the server can no longer land."""
        if failure is not None:
            try:
                self._fence(revision)
            except StoreError as exc:
                raise StoreUnavailableError(
                    "the server went away during a write; the write is one operation, so it landed whole or "
                    "not at all (read back to know which)",
                ) from exc
        if self._landed(token):
            if failure is not None:
                log.warning("the server reported an error, but the write landed (verified by reading back)")
            log.debug("write of -%d/+%d statements landed at revision %d", deleted, inserted, revision + 1)
            return
        if failure is not None:
            raise WriteNotAppliedError(f"the write was cut off and nothing was written: {failure}") from failure
        raise WriteConflictError(
            f"the store changed since it was read (revision {revision} expected, now {self._revision()}); "
            "nothing was written: read again and retry"
        )

    def _landed(self, token: URIRef) -> bool:
        text = "ASK {\n" + values_block(["c", "t"], [(CONTROL, token)]) + "\nGRAPH ?c { ?t ?p ?o } }"
        return bool(self._request_json(text, name="verify write").get("boolean"))

    def _fence(self, revision: int) -> None:
        """Move the revision on from ``revision`` (if it is still there) with a write of its own."""
        fence = URIRef(_NS + "write/" + uuid.uuid4().hex)
        empty = values_block(["g", "s", "p", "x"], [])
        text = rw.place(
            _SWITCH_INLINE,
            control=values_block(["r", "next", "tok"], [(Literal(revision), Literal(revision + 1), fence)]),
            deletes=empty,
            inserts=values_block(["h", "a", "b", "c"], []),
        )
        self._retrying(lambda: self._post_update(text), what="fence")

    def _stage(self, stage: URIRef, deletes: Sequence[Quad], inserts: Sequence[Quad]) -> None:
        """Load the statements to delete and insert into a staging graph (four statements per
        quad, on private predicates, so no catalog query matches them), through the Graph
        Store protocol when there is one."""
        prefix = str(stage) + "/"
        statements: list[Quad] = []
        for kind, graph_predicate, quads in (("d", _DELETE_FROM, deletes), ("i", _INSERT_INTO, inserts)):
            for n, (s, p, o, g) in enumerate(quads):
                node = URIRef(prefix + kind + str(n))
                statements += [(node, graph_predicate, g, stage), (node, _PS, s, stage),
                               (node, _PP, p, stage), (node, _PO, o, stage)]
        try:
            for start in range(0, len(statements), _UPLOAD_CHUNK):
                self._upload(stage, statements[start:start + _UPLOAD_CHUNK])
        except StoreError:
            self._drop_stage(stage)
            raise

    def _upload(self, graph: URIRef, quads: Sequence[Quad]) -> None:
        if self.config.graph_store_url:
            body = serialize(quads, "nt", {})
            param = "graph-uri" if self._dialect == "virtuoso" else "graph"
            url = self.config.graph_store_url + "?" + urllib.parse.urlencode({param: str(graph)})
            request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/n-triples"})
            self._read(request, name="staging upload")
            return
        for start in range(0, len(quads), _VALUES_CHUNK):
            rows = [(graph, s, p, o) for s, p, o, _ in quads[start:start + _VALUES_CHUNK]]
            self._post_update("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + values_block(["g", "s", "p", "o"], rows) + "\n}")

    def _drop_stage(self, stage: URIRef) -> None:
        try:
            self._post_update("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + values_block(["g"], [(stage,)]) + "\nGRAPH ?g { ?s ?p ?o } }")
        except StoreError:
            log.warning("could not drop a staging graph; it is ignored and dropped by the next purge")

    # -- HTTP ------------------------------------------------------------------------------

    def _build_opener(self) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = []
        if self.config.user is not None and self.config.password is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.config.query_url, self.config.update_url, self.config.graph_store_url} - {None}:
                manager.add_password(None, url, self.config.user, self.config.password)  # type: ignore[arg-type]
            handlers.append(
                urllib.request.HTTPDigestAuthHandler(manager) if self.config.auth == "digest"
                else urllib.request.HTTPBasicAuthHandler(manager)
            )
        return urllib.request.build_opener(*handlers)

    def _wrapper(self, url: str) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(url)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setTimeout(int(max(1, self.config.timeout)))
        if self.config.user is not None and self.config.password is not None:
            wrapper.setHTTPAuth(DIGEST if self.config.auth == "digest" else BASIC)
            wrapper.setCredentials(self.config.user, self.config.password)
        return wrapper

    def _query_request(self, text: str, *, result_format: str = JSON) -> urllib.request.Request:
        """The POST request of a query (Protocol §2.1.3, URL-encoded), built by SPARQLWrapper."""
        wrapper = self._wrapper(self.config.query_url)
        wrapper.setReturnFormat(result_format)
        wrapper.setQuery(text)
        request = wrapper._createRequest()  # noqa: SLF001 - SPARQLWrapper's own request, sent by our opener
        if request.has_header("Authorization"):
            request.remove_header("Authorization")  # our opener answers the challenge itself
        return request  # type: ignore[no-any-return]

    def _request_json(self, text: str, *, name: str | None) -> dict[str, Any]:
        if self._dialect == "virtuoso" and "EXISTS" in text.upper():
            text = rw.exists_in_bind_as_if(text)
        request = self._query_request(text)
        data = self._retrying(lambda: self._read(request, name=name), what=name or "query")
        try:
            return json.loads(data)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise QueryError(f"the server's answer is not SPARQL JSON results: {data[:200]!r}", name=name) from exc

    def _post_update(self, text: str) -> None:
        """Send an update (Protocol §2.2.1, URL-encoded POST); never retried."""
        wrapper = self._wrapper(self.config.update_url or self.config.query_url)
        wrapper.setQuery(text)
        request = wrapper._createRequest()  # noqa: SLF001
        if request.has_header("Authorization"):
            request.remove_header("Authorization")
        self._read(request, name="update")

    def _read(self, request: urllib.request.Request, *, name: str | None) -> bytes:
        """Send one request and return the body; HTTP errors become typed errors that name the
        endpoint (without credentials) and quote the server briefly."""
        where = _without_userinfo(request.full_url.split("?", 1)[0])
        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:
                if response.status == 206 or response.headers.get("X-SQL-State"):
                    raise TruncatedResultError(
                        f"{where} returned a partial result (HTTP {response.status}, "
                        f"{response.headers.get('X-SQL-Message', 'no message')})", name=name
                    )
                return response.read()  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            detail = _brief(exc.read() if exc.fp else b"")
            if exc.code == 400:
                raise QueryError(f"{where} refused the request (HTTP {exc.code}): {detail}", name=name) from None
            if exc.code in (401, 403):
                raise StoreUnavailableError(f"{where} refused the credentials (HTTP {exc.code})") from None
            raise StoreUnavailableError(f"{where} answered HTTP {exc.code} {exc.reason}: {detail}", status=exc.code) from None
        except (TimeoutError, socket.timeout) as exc:
            raise StoreTimeoutError(f"{where} did not answer within {self.config.timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise StoreTimeoutError(f"{where} did not answer within {self.config.timeout:g} s") from None
            raise StoreUnavailableError(f"cannot reach {where}: {exc.reason}") from None
        except (ConnectionError, OSError, SPARQLWrapperException) as exc:
            raise StoreUnavailableError(f"cannot reach {where}: {type(exc).__name__}") from None

    def _retrying(self, call: Any, *, what: str) -> Any:
        """Run a read, again after a network error, a timeout or HTTP 502–504 (backoff with
        jitter); errors that say something about the request itself are not retried."""
        attempt = 0
        while True:
            try:
                return call()
            except (StoreTimeoutError, StoreUnavailableError) as exc:
                status = getattr(exc, "status", None)
                if attempt >= self.config.retries or (status is not None and status not in (502, 503, 504)):
                    raise
                delay = min(5.0, 0.2 * 2**attempt) * (0.5 + random.random())
                log.info("%s: %s; trying again in %.1f s", what, exc, delay)
                time.sleep(delay)
                attempt += 1

    def _ensure_control(self) -> None:
        """Tell the dialect from the server and create the revision counter if it is missing."""
        if self._dialect is None:
            request = urllib.request.Request(
                self.config.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"}),
                headers={"Accept": "application/sparql-results+json"},
            )
            try:
                with self._opener.open(request, timeout=self.config.timeout) as response:
                    server = response.headers.get("Server", "")
            except urllib.error.HTTPError as exc:
                server = exc.headers.get("Server", "") if exc.headers else ""
            except (TimeoutError, socket.timeout) as exc:
                raise StoreTimeoutError(f"{_without_userinfo(self.config.query_url)} did not answer within {self.config.timeout:g} s") from exc
            except (urllib.error.URLError, OSError) as exc:
                if isinstance(getattr(exc, "reason", None), (TimeoutError, socket.timeout)):
                    raise StoreTimeoutError(
                        f"{_without_userinfo(self.config.query_url)} did not answer within {self.config.timeout:g} s"
                    ) from None
                raise StoreUnavailableError(
                    f"cannot reach {_without_userinfo(self.config.query_url)}: {getattr(exc, 'reason', exc)}"
                ) from None
            lowered = server.lower()
            self._dialect = "virtuoso" if "virtuoso" in lowered else "oxigraph" if "oxigraph" in lowered else "generic"
        if self._revision() == 0:
            text = rw.place(_CREATE_REVISION, control=values_block(["c", "s", "p", "zero"], [(CONTROL, _STORE, _REVISION, Literal(0))]))
            self._post_update(text)


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
    clear = "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } " + store._graph_filter() + " }"  # noqa: SLF001
    insert = "INSERT { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + values_block(["g", "s", "p", "o"], rows) + "\n}"
    store.update(clear + " ;\n" + insert)
    return len(rows)


# The one-operation write (SPARQL 1.1 Update §3.1.3: deletes, then inserts, from one WHERE).
# The guard joins the revision the writer read; with another revision nothing matches and nothing
# is written. {control}, {deletes}, {inserts}, {data} are VALUES blocks written from terms.
_SWITCH_INLINE = """DELETE { GRAPH ?g { ?s ?p ?o } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r } }
INSERT { GRAPH ?h { ?a ?b ?c } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?next . ?tok <urn:govdata-ld:revisionOf> ?next } }
WHERE {
{control}
GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r }
{ {deletes} GRAPH ?g { ?s ?p ?o } FILTER(sameTerm(?o, ?x)) } UNION { {inserts} } UNION { BIND(true AS ?bump) }
}"""
_SWITCH_STAGED = """DELETE { GRAPH ?g { ?s ?p ?o } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r } }
INSERT { GRAPH ?h { ?a ?b ?c } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?next . ?tok <urn:govdata-ld:revisionOf> ?next } }
WHERE {
{control}
GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r }
{ GRAPH ?stage { ?d <urn:govdata-ld:deleteFrom> ?g ; <urn:govdata-ld:subject> ?s ; <urn:govdata-ld:predicate> ?p ; <urn:govdata-ld:object> ?x } GRAPH ?g { ?s ?p ?o } FILTER(sameTerm(?o, ?x)) }
UNION { GRAPH ?stage { ?i <urn:govdata-ld:insertInto> ?h ; <urn:govdata-ld:subject> ?a ; <urn:govdata-ld:predicate> ?b ; <urn:govdata-ld:object> ?c } }
UNION { BIND(true AS ?bump) }
}"""
_CREATE_REVISION = """INSERT { GRAPH ?c { ?s ?p ?zero } }
WHERE { {control} FILTER NOT EXISTS { GRAPH ?c { ?s ?p ?any } } }"""


def _quad4(quad: Quad) -> tuple[Node, Node, Node, Node]:
    s, p, o, g = quad
    if g is None:
        raise StoreError("a remote write names its graph; nothing was written to the default graph")
    return g, s, p, o


def _solutions(data: Mapping[str, Any]) -> SelectResult:
    variables = tuple(data.get("head", {}).get("vars", ()))
    cache: dict[tuple[Any, ...], Node] = {}
    rows = []
    for binding in data.get("results", {}).get("bindings", ()):
        rows.append(tuple(_term(binding.get(v), cache) for v in variables))
    return SelectResult(variables, tuple(rows))


def _term(value: Mapping[str, str] | None, cache: dict[tuple[Any, ...], Node]) -> Node | None:
    if value is None:
        return None
    key = (value.get("type"), value.get("value"), value.get("xml:lang"), value.get("datatype"))
    found = cache.get(key)
    if found is None:
        kind, text = value["type"], value["value"]
        if kind == "uri":
            found = URIRef(text)
        elif kind == "bnode":
            found = BNode(text)
        elif value.get("xml:lang"):
            found = Literal(text, lang=value["xml:lang"])
        elif value.get("datatype") and value["datatype"] != _XSD_STRING:
            found = Literal(text, datatype=URIRef(value["datatype"]))
        else:
            found = Literal(text)
        cache[key] = found
    return found


def _parse_turtle(data: bytes) -> list[Quad]:
    from .store import parse  # noqa: PLC0415

    return parse(data, "turtle", source="server")


def _brief(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text[:300] + ("…" if len(text) > 300 else "")

