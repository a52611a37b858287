"""Concurrent workflow steps (issue 7, part 5): racing decisions on the same entries never leave an
item in two states.

Steps of one process are serialised by the catalog's lock (one process per store directory); each
move is also guarded by the state the step read, so a step that lost a race with a writer the lock
does not see (another process on a server) leaves the item alone and says so.
``GOVDATA_CONTESTS`` sets the contested transitions per store kind (100 in CI, 1,000 in the long
run of docs/performance.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from govdata_ld import Catalog, OrganKind, Settings
from govdata_ld.errors import WorkflowError
from govdata_ld.namespaces import GD

from .cities import build_city, carrier, entry_codes

CONTESTS = int(os.environ.get("GOVDATA_CONTESTS", "100"))
THREADS = 4
_STATES = """
PREFIX gd: <https://w3id.org/govdata-ld/ontology#>
PREFIX adms: <http://www.w3.org/ns/adms#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?item (COUNT(DISTINCT ?status) AS ?states) (COUNT(DISTINCT ?awaits) AS ?awaited)
       (COUNT(DISTINCT ?activity) AS ?decisions)
WHERE {
  GRAPH ?g { ?item a gd:WorkItem ; adms:status ?status . }
  OPTIONAL { GRAPH ?g { ?item gd:awaits ?awaits } }
  OPTIONAL { GRAPH ?g { ?activity a gd:Review ; prov:used ?item } }
}
GROUP BY ?item
"""


@pytest.fixture(params=["memory", "disk"])
def contested(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Catalog, str, list[str]]]:
    """A city whose one municipal department submitted CONTESTS entries, all awaiting review."""
    city = build_city([OrganKind.WORKING_DEPARTMENT], [])
    department = city.organs[2].uscc
    location = "memory" if request.param == "memory" else tmp_path / "store"
    with Catalog.open(location, settings=Settings()) as catalog:
        catalog.put(*city.organs)
        codes = entry_codes(city, department, CONTESTS)
        catalog.put(*(carrier(city, code, department) for code in codes))
        catalog.workflow.submit(department)
        yield catalog, city.bda, codes


def states(catalog: Catalog) -> list[tuple[int, int, int]]:
    result = catalog.query(_STATES)
    return [tuple(int(term.toPython()) for term in row[1:]) for row in result.rows]  # type: ignore[union-attr]


def test_racing_accept_and_return_leave_every_item_in_one_state(contested: tuple[Catalog, str, list[str]]) -> None:
    catalog, bda, codes = contested
    wf = catalog.workflow
    barrier = threading.Barrier(THREADS)
    won = [0] * THREADS
    refused = [0] * THREADS
    failures: list[BaseException] = []

    def contender(k: int) -> None:
        for code in codes:
            barrier.wait()
            try:
                if k % 2:
                    wf.review(bda, codes=[code])
                else:
                    wf.review(bda, codes=[code], returns={code: "退回修改"})
                won[k] += 1
            except WorkflowError as error:
                refused[k] += 1
                if "do not await review" not in str(error):
                    failures.append(error)
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(error)

    threads = [threading.Thread(target=contender, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(won) == CONTESTS and sum(refused) == CONTESTS * (THREADS - 1)
    found = states(catalog)
    assert len(found) == CONTESTS
    double = [s for s in found if s != (1, 1, 1)]
    assert double == []  # one status, one organ awaited, one review decision per item
    accepted = sum(1 for i in wf.items() if i.step == GD.Summarisation)
    assert accepted == sum(won[1::2])


def test_a_step_that_lost_a_race_leaves_the_items_alone_and_says_so(
    contested: tuple[Catalog, str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer outside the lock (another process on a server) moved the items between this
    step's read and its write: the guarded move leaves them alone."""
    catalog, bda, codes = contested
    wf = catalog.workflow
    stale = wf.items(awaits=bda, step=GD.Review)
    wf.review(bda, codes=codes[:2])  # the other writer
    monkeypatch.setattr(wf, "items", lambda **_: stale)
    with pytest.raises(WorkflowError, match="2 of 3 entries were moved by a concurrent step"):
        wf.review(bda, codes=codes[:3], returns={codes[0]: "退回"})
    monkeypatch.undo()
    assert all(s[:2] == (1, 1) for s in states(catalog))  # never two states
    waiting = {i.code: i for i in wf.items() if i.code in codes[:3]}
    assert {c: i.step for c, i in waiting.items()} == {
        codes[0]: GD.Summarisation, codes[1]: GD.Summarisation, codes[2]: GD.Summarisation,
    }  # the other writer's decisions stand; the third was moved by this step
