"""The claim a remote write takes of the next revision (issue 7, part 5; govdata_ld/endpoint_claims.py),
on real servers: another writer's live claim keeps a write out, a stale one does not lock the
store, a claim for the current revision (a write still becoming visible) keeps a new cycle from
writing, and a catalog that sat idle while others wrote still writes (it reads the revision again
when it takes its step lock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from govdata_ld import OrganKind, Settings
from govdata_ld.endpoint import RemoteConfig, RemoteStore
from govdata_ld.errors import WriteConflictError

from .cities import build_city, carrier, entry_codes
from .servers import SERVER_KINDS, Server, credentials, open_catalog, post_update, server_of, wipe

CONTROL, STORE, REVISION = (URIRef("urn:govdata-ld:" + k) for k in ("control", "store", "revision"))
GRAPH = URIRef("https://example.org/claims-test")
TIMEOUT = 4.0
"""A short request timeout: a writer gives up claiming after half of it, a new cycle waits a
quarter of it for a write still becoming visible."""


@pytest.fixture(params=SERVER_KINDS)
def server(request: pytest.FixtureRequest) -> Server:
    found = server_of(request, request.param)
    wipe(found)
    return found


@pytest.fixture
def store(server: Server) -> Iterator[RemoteStore]:
    with credentials(server):
        opened = RemoteStore(RemoteConfig.from_environment(
            server.query_url, update_url=server.update_url, graph_store_url=server.graph_store_url, timeout=TIMEOUT))
    yield opened
    opened.close()


def revision(store: RemoteStore) -> int:
    rows = store.select("SELECT ?r WHERE { GRAPH ?g { ?s ?p ?r } }", {"g": CONTROL, "s": STORE, "p": REVISION}).rows
    return int(str(rows[0][0]))


def claims(store: RemoteStore) -> set[str]:
    rows = store.select("SELECT ?c WHERE { GRAPH ?g { ?c ?p ?at } }", {"g": CONTROL, "p": URIRef("urn:govdata-ld:claimedAt")}).rows
    return {str(r[0]) for r in rows}


def claim(server: Server, number: int, at: Literal | None = None) -> str:
    """Insert another writer's claim of revision ``number`` (made now by the server's clock, or at ``at``)."""
    iri = f"urn:govdata-ld:claim/{number}/other"
    when = "BIND(NOW() AS ?at)" if at is None else f"BIND({at.n3()} AS ?at)"
    post_update(server, f"INSERT {{ GRAPH <urn:govdata-ld:control> {{ <{iri}> <urn:govdata-ld:claimedAt> ?at }} }} WHERE {{ {when} }}")
    return iri


def withdraw(server: Server, iri: str) -> None:
    post_update(server, f"DELETE WHERE {{ GRAPH <urn:govdata-ld:control> {{ <{iri}> ?p ?o }} }}")


def write(store: RemoteStore, value: str) -> None:
    store.begin_cycle()
    store.update(f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://example.org/s> <https://example.org/p> "{value}" }} }}')


def written(store: RemoteStore) -> set[str]:
    return {str(o) for _, _, o, _ in store.quads(GRAPH)}


def test_another_writers_live_claim_keeps_a_write_out(server: Server, store: RemoteStore) -> None:
    """Two writers claiming one revision: the one that reads later sees the other and does not
    write (issue 7 part 5; the guard of SPARQL 1.1 Update §3.1.3 alone does not stop the second
    write on Oxigraph)."""
    other = claim(server, revision(store) + 1)
    started = time.monotonic()
    with pytest.raises(WriteConflictError):
        write(store, "kept out")
    assert time.monotonic() - started < TIMEOUT  # gave up after half the timeout
    assert written(store) == set()
    assert claims(store) == {other}  # its own claims withdrawn
    withdraw(server, other)
    write(store, "written")
    assert written(store) == {"written"}
    assert claims(store) == set()


def test_a_stale_claim_neither_locks_the_store_nor_stays(server: Server, store: RemoteStore) -> None:
    """A writer that died leaves its claim; older than twice the timeout it is ignored and removed."""
    claim(server, revision(store) + 1, Literal("2000-01-01T00:00:00", datatype=XSD.dateTime))
    write(store, "written")
    assert written(store) == {"written"}
    assert claims(store) == set()


def test_a_write_still_becoming_visible_keeps_a_new_cycle_from_writing(server: Server, store: RemoteStore) -> None:
    """A live claim for the current revision: the write that made it may be visible in part
    (Virtuoso, read committed), so a cycle that starts reading now does not write."""
    other = claim(server, revision(store))
    with pytest.raises(WriteConflictError, match="still becoming visible"):
        write(store, "not settled")
    assert written(store) == set()
    withdraw(server, other)
    write(store, "settled")
    assert written(store) == {"settled"}


def test_an_idle_catalog_writes_after_others_wrote(request: pytest.FixtureRequest, server: Server, tmp_path: Path) -> None:
    """A catalog opened and read earlier, then idle while another wrote, writes without a
    spurious WriteConflictError: its step lock starts a new cycle, which reads the revision again."""
    city = build_city([OrganKind.WORKING_DEPARTMENT], [])
    department = city.organs[2].uscc
    first, second = entry_codes(city, department, 2)
    with open_catalog(request, server.kind, tmp_path, Settings(), clean=False) as idle:
        idle.put(*city.organs)
        assert idle.workflow.items() == []  # a read: the revision it saw is now old
        with open_catalog(request, server.kind, tmp_path, Settings(), clean=False) as busy:
            busy.put(carrier(city, first, department))
            busy.workflow.submit(department, codes=[first])
        idle.put(carrier(city, second, department))
        idle.workflow.submit(department, codes=[second])
        assert {i.code for i in idle.workflow.items()} == {first, second}
