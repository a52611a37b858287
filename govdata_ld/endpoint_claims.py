"""Claiming the next revision of a remote store before writing it (issue 7, part 5: racing steps
never leave an item in two states).

The guarded write of :mod:`~govdata_ld.endpoint_writes` is only as good as the server's isolation.
Oxigraph 0.5 runs an update at "repeatable read" without write-write conflict detection, so two
``DELETE … INSERT … WHERE`` operations (SPARQL 1.1 Update §3.1.3) guarded by the same revision can
both land; Virtuoso 7.2 (read committed) lets a reader see a write in part while it commits. So a
writer of revision r+1 first **claims** it:

1. it inserts one statement ``<urn:govdata-ld:claim/{r+1}/{hex}> <urn:govdata-ld:claimedAt> NOW()``
   into the control graph, an insert that reads nothing, so it lands whatever others do;
2. it reads every claim back with the server's clock and the revision, and writes only when its
   claim is the one live claim for r+1 and the revision is still r. Each writer reads after its own
   insert, so of two claimants the one that reads later sees the other's claim: at most one sees
   itself alone (all may lose: each then withdraws, backs off a random while and claims again);
3. the guarded write also requires the claim (endpoint_writes), and the claim is withdrawn only
   after the write was read back: while a claim for the current revision is live, the write that
   made it may still be becoming visible, and a read-modify-write cycle waits before its first read
   (:meth:`Claims.state`), or, after :data:`SETTLE_WAIT`, will not write.

A claim older than twice the request timeout is stale: ignored, and removed by the next claimant.
A writer never starts its write later than half the timeout after its claim, so a live writer's
claim never goes stale; a writer that died cannot lock the store for longer than that.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from rdflib import Literal, URIRef

from . import sparql_rewrite as rw
from .endpoint_http import Connection
from .endpoint_reads import PRIVATE, Reader
from .errors import StoreError, WriteConflictError
from .sparql_values import values_block

log = logging.getLogger(__name__)

_CONTROL, _STORE, _REVISION, _CLAIMED_AT = (URIRef(PRIVATE + k) for k in ("control", "store", "revision", "claimedAt"))
CLAIM = PRIVATE + "claim/"
"""The prefix of claim IRIs: ``urn:govdata-ld:claim/{revision}/{hex}``."""
SETTLE_WAIT = 5.0
"""Seconds (at most a quarter of the request timeout) a cycle's first read waits for a write still
becoming visible (a claim for the current revision) before it reads anyway and gives up writing
(WriteConflictError at its write)."""
_STATE = """SELECT ?rev ?c ?at (NOW() AS ?now) WHERE {
{control}
{ GRAPH ?g { ?store ?revision ?rev } } UNION { GRAPH ?g { ?c ?claimedAt ?at } }
}"""
"""One row for the revision, one per claim. Constants come as VALUES rows: Virtuoso 7.2 answers an
anonymous read of ``GRAPH <urn:…>`` with nothing (and an OPTIONAL here with SP031)."""
_CLAIM = """INSERT { GRAPH <urn:govdata-ld:control> { ?c <urn:govdata-ld:claimedAt> ?at } }
WHERE { {claim} BIND(NOW() AS ?at) }"""
_REMOVE = """DELETE { GRAPH <urn:govdata-ld:control> { ?c <urn:govdata-ld:claimedAt> ?at } }
WHERE { {claims} GRAPH <urn:govdata-ld:control> { ?c <urn:govdata-ld:claimedAt> ?at } }"""


@dataclass(frozen=True)
class State:
    """The revision, and the claims the server held at one instant (by its own clock)."""

    revision: int
    live: tuple[URIRef, ...]
    stale: tuple[URIRef, ...]

    def claimants(self, revision: int) -> list[URIRef]:
        """The live claims for ``revision``."""
        return [c for c in self.live if claimed_revision(c) == revision]


def claimed_revision(claim: URIRef) -> int | None:
    """The revision a claim IRI names (None for a malformed one)."""
    parts = str(claim)[len(CLAIM):].split("/")
    return int(parts[0]) if str(claim).startswith(CLAIM) and parts[0].isdigit() else None


class Claims:
    """The claims of one remote store; ``timeout`` is the request timeout of its connection."""

    def __init__(self, connection: Connection, reader: Reader) -> None:
        self.connection = connection
        self.reader = reader
        self.expiry = 2 * connection.config.timeout
        """Seconds after which a claim is stale."""

    def read(self) -> State:
        """The revision and the live and stale claims, in one query."""
        control = values_block(["g", "store", "revision", "claimedAt"], [(_CONTROL, _STORE, _REVISION, _CLAIMED_AT)])
        rows = self.reader.rows(rw.place(_STATE, control=control), name="revision and claims", check=False).dicts()
        revision, live, stale = 0, [], []
        for row in rows:
            if row.get("rev") is not None:
                revision = max(revision, int(str(row["rev"])))
            claim, at, now = row.get("c"), row.get("at"), row.get("now")
            if isinstance(claim, URIRef):
                (stale if _age(at, now) > self.expiry else live).append(claim)
        return State(revision, tuple(dict.fromkeys(live)), tuple(dict.fromkeys(stale)))

    def state(self) -> tuple[int, bool]:
        """The revision a read-modify-write cycle starts from, and whether it is settled (no live
        claim for it: the write that made it is visible whole). Waits up to :data:`SETTLE_WAIT`."""
        deadline = time.monotonic() + min(SETTLE_WAIT, self.connection.config.timeout / 4)
        pause = 0.005
        while True:
            state = self.read()
            if not state.claimants(state.revision):
                return state.revision, True
            if time.monotonic() + pause > deadline:
                log.warning("a write at revision %d is still becoming visible; this cycle will not write", state.revision)
                return state.revision, False
            time.sleep(pause)
            pause = min(2 * pause, 0.2)

    def take(self, revision: int) -> URIRef:
        """Claim revision ``revision + 1`` for a write guarded by ``revision``. When other writers
        claim it too, every claimant may see the others: each withdraws, waits a random while
        (doubling: the truncated binary exponential backoff of
        IEEE 802.3 §4.2.3.2.5) and claims again while the revision is still the same.

        Raises:
            WriteConflictError: the revision moved on, or half the request timeout passed without
                a claim of its own; nothing was written and no claim is left.
        """
        started = time.monotonic()
        pause = 0.004
        while True:
            claim = URIRef(f"{CLAIM}{revision + 1}/{uuid.uuid4().hex}")
            try:  # a claim whose insert failed may still have landed: it is withdrawn too
                self.connection.update(rw.place(_CLAIM, claim=values_block(["c"], [(claim,)])))
                state = self.read()
            except BaseException:
                self.withdraw(claim)
                raise
            if state.stale:
                self.remove(state.stale)
            late = time.monotonic() - started > self.connection.config.timeout / 2
            if state.revision == revision and not late and state.claimants(revision + 1) == [claim]:
                return claim
            self.withdraw(claim)
            if state.revision != revision:
                raise WriteConflictError(
                    f"the store changed since it was read (revision {revision} expected, now {state.revision}); "
                    "nothing was written: read again and retry"
                )
            if late:
                raise WriteConflictError(
                    f"other writers claimed revision {revision + 1} for half the request timeout; nothing was "
                    "written: read again and retry"
                )
            time.sleep(random.uniform(pause / 2, pause))
            pause = min(2 * pause, 0.5)

    def withdraw(self, claim: URIRef) -> None:
        """Remove a claim (a claim that cannot be removed goes stale)."""
        self.remove((claim,))

    def remove(self, claims: tuple[URIRef, ...]) -> None:
        try:
            self.connection.update(rw.place(_REMOVE, claims=values_block(["c"], [(c,) for c in claims])))
        except StoreError:
            log.warning("could not remove %d claim(s); they go stale and are removed by a later writer", len(claims))


def _age(at: object, now: object) -> float:
    """Seconds between two xsd:dateTime terms of the server's clock (compared as wall-clock times
    when one has no time zone); infinite when a claim's time is not a dateTime, so that a malformed
    claim cannot lock the store."""
    start = at.toPython() if isinstance(at, Literal) else None
    end = now.toPython() if isinstance(now, Literal) else None
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return float("inf")
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return (end - start).total_seconds()
