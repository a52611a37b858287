"""Concurrent workflow steps (issue 7, part 5): racing decisions on the same entries never leave an
item in two states, on every kind of store.

Four threads race accept and return decisions (review by the municipal big-data department) on
each of N entries, all four released together per entry by a barrier; exactly one decision per
entry may win. On the embedded stores (memory, disk) the threads share one Catalog, whose lock
serialises the steps of one process (one process per store directory). On the remote stores
(Oxigraph server, Virtuoso) each thread opens its own Catalog, with its own lock, as separate
processes would: the race then goes through the server, and what is tested is the remote write
path (``endpoint_claims``: each write claims the next store revision and writes only as its sole
claimant, guarded by the revision its step read) besides the guarded move (each item moved only if
still in the state the step read, ``work_items.move_update``) and the read-back
(``Workflow._check_moved``).

A double state is any of: an item with more than one status, more than one organ or step awaited,
more than one review activity that used it, or a review activity with more than one decision; and
a contest with a number of winners other than one.

``GOVDATA_CONTESTS`` sets the contested entries for every store kind; without it each kind runs
its CI default (:data:`CI_CONTESTS`, the most that stays under about 3 minutes per kind on a
2-core machine; docs/security.md gives the measured times for 1,000).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from govdata_ld import Catalog, OrganKind, Settings, WorkItem
from govdata_ld.errors import WorkflowError, WriteConflictError
from govdata_ld.namespaces import GD

from .cities import build_city, carrier, entry_codes
from .servers import STORE_KINDS, open_catalog

CI_CONTESTS = {"memory": 1000, "disk": 1000, "oxigraph-server": 250, "virtuoso": 250}
"""Contested entries per store kind in CI (4 threads each). The servers run 250 to keep the whole
suite well under CI's 30 minutes (with revision claims, 1,000 took 188 s on the Oxigraph server
and 370 s on Virtuoso on the shared, loaded 2-core machine, 0 double states on both);
``GOVDATA_CONTESTS=1000`` runs the full count."""
THREADS = 4
EMBEDDED = ("memory", "disk")
_STATES = """
PREFIX gd: <https://w3id.org/govdata-ld/ontology#>
PREFIX adms: <http://www.w3.org/ns/adms#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?item (COUNT(DISTINCT ?status) AS ?states) (COUNT(DISTINCT ?awaits) AS ?awaited)
       (COUNT(DISTINCT ?next) AS ?steps) (COUNT(DISTINCT ?activity) AS ?decisions)
       (COUNT(DISTINCT ?decision) AS ?decided)
WHERE {
  GRAPH ?g { ?item a gd:WorkItem ; adms:status ?status . }
  OPTIONAL { GRAPH ?g { ?item gd:awaits ?awaits } }
  OPTIONAL { GRAPH ?g { ?item gd:awaitsStep ?next } }
  OPTIONAL { GRAPH ?g { ?activity a gd:Review ; prov:used ?item . OPTIONAL { ?activity gd:decision ?decision } } }
}
GROUP BY ?item
"""
ONE_STATE = (1, 1, 1, 1, 1)
"""One status, one organ awaited, one step awaited, one review that used the item, one decision."""


def contests(kind: str) -> int:
    return int(os.environ.get("GOVDATA_CONTESTS") or CI_CONTESTS[kind])


BATCH = 100
"""Entries per compiling department, submitted and raced together: a step reads every item
awaiting it, so racing all N at once would make each of the N x 4 attempts read N items."""


class Contest:
    """A city whose municipal departments compiled ``count`` entries (``BATCH`` each), and the
    catalogs the contenders decide through (one shared, or one each on a server)."""

    def __init__(self, kind: str, catalog: Catalog, contenders: list[Catalog], bda: str, batches: list[tuple[str, list[str]]]) -> None:
        self.kind, self.catalog, self.contenders, self.bda, self.batches = kind, catalog, contenders, bda, batches
        self.codes = [code for _, codes in batches for code in codes]


@pytest.fixture(params=STORE_KINDS)
def contested(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contest]:
    kind = request.param
    count = contests(kind)
    city = build_city([OrganKind.WORKING_DEPARTMENT] * -(-count // BATCH), [])
    batches = []
    for n, department in enumerate(city.organs[2:]):
        batches.append((department.uscc, entry_codes(city, department.uscc, min(BATCH, count - n * BATCH))))
    with open_catalog(request, kind, tmp_path, Settings()) as catalog:
        catalog.put(*city.organs)
        for department, codes in batches:
            catalog.put(*(carrier(city, code, department) for code in codes))
        if kind in EMBEDDED:
            contenders = [catalog] * THREADS
        else:  # separate Catalog objects, each with its own lock: as separate processes would be
            contenders = [open_catalog(request, kind, tmp_path, Settings(), clean=False) for _ in range(THREADS)]
        try:
            yield Contest(kind, catalog, contenders, city.bda, batches)
        finally:
            for other in contenders:
                if other is not catalog:
                    other.close()


def states(catalog: Catalog) -> list[tuple[int, ...]]:
    result = catalog.query(_STATES)
    return [tuple(int(term.toPython()) for term in row[1:]) for row in result.rows]  # type: ignore[union-attr]


LOST = {
    "read late": "do not await review",
    "left alone by the guarded move": "moved by a concurrent step",
}
"""How a step that lost the race says so (WorkflowError messages), besides a remote store's
WriteConflictError (the store's revision moved on between the step's read and its write; nothing
was written)."""


def race(contest: Contest) -> tuple[list[int], dict[str, int], list[BaseException]]:
    """Submit the entries a batch at a time and race the contenders over each: even threads
    return the entry, odd ones accept it. Returns the winners per code, how the losers lost, and
    the unexpected failures."""
    winners = [0] * len(contest.codes)
    lost = dict.fromkeys([*LOST, "write conflict"], 0)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def contender(k: int, start: int, batch: list[str], barrier: threading.Barrier) -> None:
        wf = contest.contenders[k].workflow
        for n, code in enumerate(batch, start=start):
            barrier.wait()
            try:
                if k % 2:
                    wf.review(contest.bda, codes=[code])
                else:
                    wf.review(contest.bda, codes=[code], returns={code: "退回修改"})
                with lock:
                    winners[n] += 1
            except WriteConflictError:
                with lock:
                    lost["write conflict"] += 1
            except WorkflowError as error:
                how = next((k for k, text in LOST.items() if text in str(error)), None)
                if how is None:
                    failures.append(error)
                else:
                    with lock:
                        lost[how] += 1
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(error)

    start = 0
    for department, batch in contest.batches:
        contest.catalog.workflow.submit(department)
        barrier = threading.Barrier(THREADS)
        threads = [threading.Thread(target=contender, args=(k, start, batch, barrier)) for k in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        start += len(batch)
    return winners, lost, failures


def test_racing_accept_and_return_leave_every_item_in_one_state(contested: Contest) -> None:
    catalog, codes = contested.catalog, contested.codes
    started = time.perf_counter()
    winners, lost, failures = race(contested)
    elapsed = time.perf_counter() - started
    print(f"\n{contested.kind}: {len(codes)} contested transitions x {THREADS} threads in {elapsed:.1f} s; lost: {lost}")
    assert failures == []
    found = states(catalog)
    assert len(found) == len(codes)
    double = [s for s in found if s != ONE_STATE]
    not_one_winner = [codes[n] for n, w in enumerate(winners) if w != 1]
    print(f"{contested.kind}: double states {len(double)}, contests without exactly one winner {len(not_one_winner)}")
    assert double == []
    assert not_one_winner == []
    items = catalog.workflow.items()
    accepted = sum(1 for i in items if i.step == GD.Summarisation)
    returned = sum(1 for i in items if i.step == GD.Compilation)
    assert accepted + returned == len(codes)


def test_a_step_that_lost_a_race_leaves_the_items_alone_and_says_so(
    contested: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer outside the lock (another process on a server) moved the items between this
    step's read and its write: the guarded move leaves them alone (embedded stores), or the
    store's revision check refuses the whole write (remote stores: nothing is written)."""
    (department, batch), *_ = contested.batches
    catalog, bda, codes = contested.catalog, contested.bda, batch[:3]
    other = contested.contenders[-1].workflow  # the other writer (itself, on an embedded store)
    other.submit(department, codes=codes)
    wf = catalog.workflow
    read = wf.items
    raced: list[bool] = []

    def read_then_race(**filters: object) -> list[WorkItem]:
        """The step's read, then the other writer's step, before this step writes."""
        found = read(**filters)  # type: ignore[arg-type]
        if not raced:
            raced.append(True)
            other.review(bda, codes=codes[:2])
        return found

    monkeypatch.setattr(wf, "items", read_then_race)
    if contested.kind in EMBEDDED:
        with pytest.raises(WorkflowError, match="2 of 3 entries were moved by a concurrent step"):
            wf.review(bda, codes=codes, returns={codes[0]: "退回"})
    else:
        with pytest.raises(WriteConflictError):
            wf.review(bda, codes=codes, returns={codes[0]: "退回"})
    monkeypatch.undo()
    assert all(s[:3] == (1, 1, 1) for s in states(catalog))  # never two states
    waiting = {i.code: i.step for i in wf.items() if i.code in codes}
    third = GD.Summarisation if contested.kind in EMBEDDED else GD.Review  # moved by this step, or nothing written
    assert waiting == {codes[0]: GD.Summarisation, codes[1]: GD.Summarisation, codes[2]: third}
