"""Writing a remote store all or nothing: every write is one guarded, verified operation.

An update is taken apart into its operations (SPARQL 1.1 Update §3.1); each operation's WHERE
clause is evaluated against the store as it is (locally when it reads nothing but its VALUES
rows), and its templates are filled in: the net effect is a set of statements to delete and a set
to insert. One ``DELETE … INSERT … WHERE`` operation (Update §3.1.3) applies it, inline or from a
staging graph loaded through the Graph Store protocol, **guarded** by the store revision the
writer read (kept in the control graph) and by the writer's **claim** of the next revision
(:mod:`~govdata_ld.endpoint_claims`), and recording a write token that is then **read back**.
After an error or a timeout the revision is first **fenced** (moved on by a write of its own), so
a write still running on the server can no longer land. A server that does not run a
multi-operation request atomically (Virtuoso; against Update §2.2) thus still gets all or
nothing: a single operation is one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence

from rdflib import BNode, Literal, URIRef, Variable
from rdflib.term import Node

from . import sparql_rewrite as rw
from .endpoint_claims import Claims
from .endpoint_http import Connection
from .endpoint_reads import PRIVATE, Reader
from .errors import QueryError, StoreError, StoreUnavailableError, WriteConflictError, WriteNotAppliedError
from .sparql_values import values_block
from .store import EmbeddedStore, Quad, serialize

log = logging.getLogger(__name__)

CONTROL = URIRef(PRIVATE + "control")
STAGING = PRIVATE + "staging:"
_STORE = URIRef(PRIVATE + "store")
_REVISION = URIRef(PRIVATE + "revision")
_DELETE_FROM, _INSERT_INTO, _PS, _PP, _PO = (
    URIRef(PRIVATE + k) for k in ("deleteFrom", "insertInto", "subject", "predicate", "object")
)
INLINE_LIMIT = 200_000
"""Statements a write may carry inline (one request of VALUES rows, about 150 bytes each: well under
Oxigraph's 128 MB body limit); larger writes are staged through the Graph Store protocol."""
_UPLOAD_CHUNK = 100_000
VALUES_CHUNK = 500


class Writer:
    """The one-operation writes of a remote store, and its revision counter."""

    def __init__(self, connection: Connection, reader: Reader) -> None:
        self.connection = connection
        self.reader = reader
        self.claims = Claims(connection, reader)

    def revision(self) -> int:
        """The store's revision (0 before its first write)."""
        text = "SELECT (MAX(?r) AS ?rev) WHERE {\n" + values_block(["c", "s", "p"], [(CONTROL, _STORE, _REVISION)]) + "\nGRAPH ?c { ?s ?p ?r } }"
        rows = self.reader.rows(text, name="revision", check=False).rows
        value = rows[0][0] if rows else None
        return int(str(value)) if value is not None else 0

    def ensure_control(self) -> None:
        """Create the revision counter if it is missing."""
        control = values_block(["c", "s", "p"], [(CONTROL, _STORE, _REVISION)])
        if not self.reader.ask("ASK {\n" + control + "\nGRAPH ?c { ?s ?p ?r } }", name="revision"):
            text = rw.place(_CREATE_REVISION, control=values_block(["c", "s", "p", "zero"], [(CONTROL, _STORE, _REVISION, Literal(0))]))
            self.connection.update(text)

    def effect(self, text: str) -> tuple[list[Quad], list[Quad]]:
        """The net statements an update deletes and inserts, each operation evaluated on the
        store as it is (and on the VALUES rows alone, locally, when it reads nothing else)."""
        prologue, ops = rw.operations(text)
        names = rw.prefixes(prologue)
        deleted: dict[Quad, None] = {}
        inserted: dict[Quad, None] = {}
        for op in ops:
            if op.drop is not None:
                rows: Sequence[Mapping[str, Node | None]] = [{"s": s, "p": p, "o": o} for s, p, o, _ in self.reader.graph(op.drop)]
                delete: list[rw.Pattern] = [(Variable("s"), Variable("p"), Variable("o"), op.drop)]
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

    def commit(
        self, deletes: Sequence[Quad], inserts: Sequence[Quad], expected: int | None, *, settled: bool = True
    ) -> None:
        """Apply statements deleted and inserted as one guarded operation, then read it back.

        ``settled`` is False when the cycle's first read may have seen a write in part (see
        :meth:`~govdata_ld.endpoint_claims.Claims.state`): nothing is written then.

        Raises:
            WriteConflictError: the revision is not ``expected`` any more, another writer claims
                the next one, or the cycle's reads were not settled; nothing was written.
            WriteNotAppliedError: the write was cut off and verified absent.
            StoreUnavailableError: the server went away during the write.
            StoreError: blank nodes or a statement without a graph; nothing was written.
        """
        for quad in (*deletes, *inserts):
            if any(isinstance(t, BNode) for t in quad):
                raise StoreError("blank nodes cannot be written to a remote store; name them with IRIs (nothing was written)")
        token = URIRef(PRIVATE + "write/" + uuid.uuid4().hex)
        revision = expected if expected is not None else self.revision()
        if not settled:
            raise WriteConflictError(
                f"a write at revision {revision} was still becoming visible when this writer read; "
                "nothing was written: read again and retry"
            )
        # Virtuoso 7.2 mis-reads literals written in a request (non-ASCII ones do not match on
        # delete; some mixes of tagged literals fail with SR002): it gets its statements through
        # the Graph Store protocol only, and deletes match on the stored terms (sameTerm).
        staged = self.connection.dialect == "virtuoso" or len(deletes) + len(inserts) > INLINE_LIMIT
        stage = URIRef(STAGING + token.rsplit("/", 1)[1])
        if staged:
            self._stage(stage, deletes, inserts)
        try:
            claim = self.claims.take(revision)
            try:
                self._switch(token, claim, revision, stage if staged else None, deletes, inserts)
            finally:
                self.claims.withdraw(claim)  # after the read-back: the write is visible whole
        finally:
            if staged:
                self._drop_stage(stage)

    def _switch(
        self, token: URIRef, claim: URIRef, revision: int, stage: URIRef | None, deletes: Sequence[Quad], inserts: Sequence[Quad]
    ) -> None:
        """The guarded operation (revision and claim), then the read-back."""
        row = (Literal(revision), Literal(revision + 1), token, claim)
        if stage is not None:
            control = values_block(["r", "next", "tok", "claim", "stage"], [(*row, stage)])
            text = rw.place(_SWITCH_STAGED, control=control)
        else:
            text = rw.place(
                _SWITCH_INLINE,
                control=values_block(["r", "next", "tok", "claim"], [row]),
                deletes=values_block(["g", "s", "p", "x"], [_quad4(q) for q in deletes]),
                inserts=values_block(["h", "a", "b", "c"], [_quad4(q) for q in inserts]),
            )
        failure: Exception | None = None
        try:
            self.connection.update(text)
        except (StoreError, QueryError) as exc:
            failure = exc
        self._decide(token, revision, failure, len(deletes), len(inserts))

    def _where_rows(self, prologue: str, where: str, names: list[str]) -> Sequence[Mapping[str, Node | None]]:
        if not names or not where:  # nothing to fill in, or INSERT DATA / DELETE DATA
            return [{}]
        select = prologue + "\nSELECT " + " ".join("?" + n for n in names) + " WHERE " + where
        if rw.data_only(where):
            return list(EmbeddedStore().select(select, {}).dicts())
        return list(self.reader.rows(select, name="update").dicts())

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
            f"the store changed since it was read (revision {revision} expected, now {self.revision()}); "
            "nothing was written: read again and retry"
        )

    def _landed(self, token: URIRef) -> bool:
        text = "ASK {\n" + values_block(["c", "t"], [(CONTROL, token)]) + "\nGRAPH ?c { ?t ?p ?o } }"
        return self.reader.ask(text, name="verify write")

    def _fence(self, revision: int) -> None:
        """Move the revision on from ``revision`` (if it is still there) with a write of its own."""
        fence = URIRef(PRIVATE + "write/" + uuid.uuid4().hex)
        text = rw.place(_FENCE, control=values_block(["r", "next", "tok"], [(Literal(revision), Literal(revision + 1), fence)]))
        self.connection.retrying(lambda: self.connection.update(text), what="fence")

    def _stage(self, stage: URIRef, deletes: Sequence[Quad], inserts: Sequence[Quad]) -> None:
        """Load the statements to delete and insert into a staging graph (four statements per
        quad, on private predicates, so no catalog query matches them), through the Graph
        Store protocol when there is one."""
        prefix = str(stage) + "/"
        statements: list[Quad] = []
        for kind, graph_predicate, quads in (("d", _DELETE_FROM, deletes), ("i", _INSERT_INTO, inserts)):
            for n, (s, p, o, g) in enumerate(quads):
                node = URIRef(prefix + kind + str(n))
                statements += [(node, graph_predicate, g, stage), (node, _PS, s, stage),  # type: ignore[list-item]
                               (node, _PP, p, stage), (node, _PO, o, stage)]
        try:
            for start in range(0, len(statements), _UPLOAD_CHUNK):
                self._upload(stage, statements[start:start + _UPLOAD_CHUNK])
        except StoreError:
            self._drop_stage(stage)
            raise

    def _upload(self, graph: URIRef, quads: Sequence[Quad]) -> None:
        if self.connection.config.graph_store_url:
            self.connection.upload(graph, serialize(quads, "nt", {}))
            return
        for start in range(0, len(quads), VALUES_CHUNK):
            rows = [(graph, s, p, o) for s, p, o, _ in quads[start:start + VALUES_CHUNK]]
            self.connection.update("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + values_block(["g", "s", "p", "o"], rows) + "\n}")

    def _drop_stage(self, stage: URIRef) -> None:
        try:
            self.connection.update(
                "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE {\n" + values_block(["g"], [(stage,)]) + "\nGRAPH ?g { ?s ?p ?o } }"
            )
        except StoreError:
            log.warning("could not drop a staging graph; it is ignored and dropped by the next purge")


def _quad4(quad: Quad) -> tuple[Node, Node, Node, Node]:
    s, p, o, g = quad
    if g is None:
        raise StoreError("a remote write names its graph; nothing was written to the default graph")
    return g, s, p, o


# The one-operation write (SPARQL 1.1 Update §3.1.3: deletes, then inserts, from one WHERE).
# The guard joins the revision the writer read and the writer's claim of the next one
# (endpoint_claims); with another revision, or without the claim, nothing matches and nothing is
# written. {control}, {deletes}, {inserts} are VALUES blocks written from terms.
_SWITCH_INLINE = """DELETE { GRAPH ?g { ?s ?p ?o } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r } }
INSERT { GRAPH ?h { ?a ?b ?c } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?next . ?tok <urn:govdata-ld:revisionOf> ?next } }
WHERE {
{control}
GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r . ?claim <urn:govdata-ld:claimedAt> ?claimed }
{ {deletes} GRAPH ?g { ?s ?p ?o } FILTER(sameTerm(?o, ?x)) } UNION { {inserts} } UNION { BIND(true AS ?bump) }
}"""
_SWITCH_STAGED = """DELETE { GRAPH ?g { ?s ?p ?o } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r } }
INSERT { GRAPH ?h { ?a ?b ?c } GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?next . ?tok <urn:govdata-ld:revisionOf> ?next } }
WHERE {
{control}
GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r . ?claim <urn:govdata-ld:claimedAt> ?claimed }
{ GRAPH ?stage { ?d <urn:govdata-ld:deleteFrom> ?g ; <urn:govdata-ld:subject> ?s ; <urn:govdata-ld:predicate> ?p ; <urn:govdata-ld:object> ?x } GRAPH ?g { ?s ?p ?o } FILTER(sameTerm(?o, ?x)) }
UNION { GRAPH ?stage { ?i <urn:govdata-ld:insertInto> ?h ; <urn:govdata-ld:subject> ?a ; <urn:govdata-ld:predicate> ?b ; <urn:govdata-ld:object> ?c } }
UNION { BIND(true AS ?bump) }
}"""
# The fence moves the revision on after an error, without a claim: the failed writer still holds
# its claim, so no other writer writes at this revision meanwhile.
_FENCE = """DELETE { GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r } }
INSERT { GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?next . ?tok <urn:govdata-ld:revisionOf> ?next } }
WHERE {
{control}
GRAPH <urn:govdata-ld:control> { <urn:govdata-ld:store> <urn:govdata-ld:revision> ?r }
}"""
_CREATE_REVISION = """INSERT { GRAPH ?c { ?s ?p ?zero } }
WHERE { {control} FILTER NOT EXISTS { GRAPH ?c { ?s ?p ?any } } }"""
