"""Crash safety of the directory store (issue 7, part 6): a writer killed with SIGKILL at random
moments, and a disk that fills up, leave no torn submission, and every acknowledged submission is
there on reopen.

A submission is the entry's new version (``Catalog.put``, one transaction) and its submission
(``Workflow.submit``, one update); "acknowledged" means the library returned from both. Torn means
any part of one write without the rest: an entry graph with fewer statements than its record
gives, a work item without its full state, a submission activity without the items it used, or
an item no activity used. ``GOVDATA_KILL_CYCLES`` sets the kill cycles (25 in CI).

The full-disk test mounts a small tmpfs (root only; elsewhere it is skipped, and the closing note
reports it as not run), fills it through the library until a write fails, then remounts it larger,
as an operator freeing space would, and reopens the store.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import PROV, RDF

from govdata_ld import Catalog, Settings
from govdata_ld.errors import StoreError
from govdata_ld.namespaces import GD

from .cities import carrier, entry_codes
from .crash_writer import crash_city

CYCLES = int(os.environ.get("GOVDATA_KILL_CYCLES", "25"))
WRITER = Path(__file__).with_name("crash_writer.py")
ITEM_PARTS = {
    RDF.type, PROV.specializationOf, URIRef("http://purl.org/dc/terms/identifier"),
    URIRef("http://www.w3.org/ns/dcat#version"), PROV.wasAttributedTo, URIRef("http://www.w3.org/ns/adms#status"),
    GD.awaits, GD.awaitsStep, GD.waitingSince,
}


@pytest.fixture
def city_store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    with Catalog.open(store, settings=Settings()) as catalog:
        catalog.put(*crash_city().organs)
    return store


def torn(catalog: Catalog, expected_size: int) -> list[str]:
    """Every sign of a write that landed in part."""
    problems = []
    workflow = catalog.minter.workflow_graph()
    facts: dict[URIRef, set[URIRef]] = defaultdict(set)
    used: dict[URIRef, set[URIRef]] = defaultdict(set)
    typed: dict[URIRef, set[URIRef]] = defaultdict(set)
    for s, p, o, _ in catalog._store.quads(workflow):  # noqa: SLF001 - the raw statements
        facts[s].add(p)  # type: ignore[index]
        if p == PROV.used:
            used[s].add(o)  # type: ignore[index, arg-type]
        if p == RDF.type:
            typed[o].add(s)  # type: ignore[index, arg-type]
    items, submissions = typed[GD.WorkItem], typed[GD.Submission]
    for item in items:
        if not ITEM_PARTS <= facts[item]:
            problems.append(f"{item}: lacks {sorted(ITEM_PARTS - facts[item])}")
    for activity in submissions:
        if not used[activity]:
            problems.append(f"{activity}: a submission that used no item")
    unused = items - set().union(*used.values()) if used else items
    problems += [f"{item}: no activity used it" for item in unused]
    for graph in catalog._store.graph_names():  # noqa: SLF001
        if "/resource/" in graph:
            size = sum(1 for _ in catalog._store.quads(graph))  # noqa: SLF001
            if size != expected_size:
                problems.append(f"{graph}: {size} statements, a whole entry has {expected_size}")
    return problems


def entry_size() -> int:
    city = crash_city()
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.put(*city.organs)
        code = entry_codes(city, city.organs[2].uscc, 1)[0]
        catalog.put(carrier(city, code, city.organs[2].uscc))
        graph = next(g for g in catalog._store.graph_names() if "/resource/" in g)  # noqa: SLF001
        return sum(1 for _ in catalog._store.quads(graph))  # noqa: SLF001


def submitted(catalog: Catalog) -> set[str]:
    return {item.code for item in catalog.workflow.items()}


def test_sigkill_at_random_moments_tears_nothing_and_loses_nothing(city_store: Path) -> None:
    rng = random.Random(20261127)
    size = entry_size()
    acknowledged: set[str] = set()
    kills_mid_write = 0
    for cycle in range(CYCLES):
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), str(city_store), str(cycle * 1000), "1000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read() if writer.stderr else ""
        time.sleep(rng.uniform(0.1, 2.5))
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate(timeout=60)
        acks = {line.split()[1] for line in out.splitlines() if line.startswith("ack ")}
        acknowledged |= acks
        with Catalog.open(city_store, settings=Settings()) as catalog:
            assert torn(catalog, size) == [], f"cycle {cycle}"
            present = submitted(catalog)
            assert acknowledged <= present, f"cycle {cycle}: lost {sorted(acknowledged - present)}"
            kills_mid_write += len(present - acknowledged)  # landed but killed before the ack
    assert len(acknowledged) >= CYCLES // 2  # the writer got work done between kills
    print(f"\n{CYCLES} kill cycles: {len(acknowledged)} acknowledged submissions, 0 torn, 0 lost, "
          f"{kills_mid_write} landed but unacknowledged")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("the full-disk test mounts a tmpfs and needs root: NOT RUN")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): NOT RUN")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_the_write_cleanly_and_keeps_what_was_acknowledged(small_disk: Path) -> None:
    city = crash_city()
    department = city.organs[2].uscc
    store = small_disk / "store"
    acknowledged: list[str] = []
    failure: Exception | None = None
    catalog = Catalog.open(store, settings=Settings())
    try:
        catalog.put(*city.organs)
        for code in entry_codes(city, department, 20000):
            try:
                catalog.put(carrier(city, code, department))
                catalog.workflow.submit(department, codes=[code])
            except StoreError as error:
                failure = error
                break
            acknowledged.append(code)
    finally:
        try:
            catalog.close()
        except StoreError:
            pass  # flushing a full disk may fail too; the reopen below is the judge
    assert failure is not None, "the disk never filled"
    assert "nothing was written" in str(failure)
    subprocess.run(["mount", "-o", "remount,size=256m", str(small_disk)], check=True)
    with Catalog.open(store, settings=Settings()) as reopened:
        assert torn(reopened, entry_size()) == []
        assert set(acknowledged) <= submitted(reopened)
    print(f"\nfull disk after {len(acknowledged)} acknowledged submissions: {type(failure).__name__}: {failure}")
