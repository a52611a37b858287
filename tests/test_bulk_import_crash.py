"""Crash safety of the bulk import (issue 5): a writer killed with SIGKILL while it bulk-loads
batches of new entries leaves nothing of its import once the store is reopened, and the store
otherwise as it was; an import that is let finish lands whole.

The writer (``tests/bulk_crash_writer.py``) imports 2,400 new entries in batches of 300 and says
when each batch landed; each cycle kills it after a given batch (the first, a middle one, the last
but one) or at a random moment after it opened the store, then reopens the store, which rolls the
import back (its intent record names every entry graph it writes). ``GOVDATA_BULK_KILL_CYCLES``
sets the cycles (4 in CI: the first three kill after a batch, the others at random moments).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govdata_ld import Catalog, Settings, bulk_import
from govdata_ld.iris import Minter

from .test_bulk_import import sample

CYCLES = int(os.environ.get("GOVDATA_BULK_KILL_CYCLES", "4"))
WRITER = Path(__file__).with_name("bulk_crash_writer.py")
COUNT, BATCH = 2400, 300
KILL_AFTER = (1, 4, 7)  # of 8 batches


def state(location: Path) -> tuple[set[tuple[object, ...]], set[object]]:
    """Every statement but the vocabulary, and the graph names, after a reopen (which recovers)."""
    with Catalog.open(location, settings=Settings()) as catalog:
        vocabulary = catalog.minter.vocabulary_graph()
        quads = {q for q in catalog._store.quads() if q[3] != vocabulary}  # noqa: SLF001
        return quads, catalog._store.graph_names() - {vocabulary}  # noqa: SLF001


def writer(location: Path, first: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(WRITER), str(location), str(first), str(COUNT), str(BATCH)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready", process.stderr.read() if process.stderr else ""
    return process


def test_sigkill_during_the_batches_leaves_nothing_of_the_import(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    location = tmp_path / "store"
    with Catalog.open(location, settings=Settings()) as catalog:
        catalog.put(*(sample(n) for n in range(3)))  # what was there before
    before = state(location)
    rng = random.Random(20261127)
    landed = []
    for cycle in range(CYCLES):
        process = writer(location, 1000)
        assert process.stdout is not None
        if cycle < len(KILL_AFTER):
            while (line := process.stdout.readline().strip()) != f"batch {KILL_AFTER[cycle]}":
                assert line.startswith("batch"), line or (process.stderr.read() if process.stderr else "")
        else:
            time.sleep(rng.uniform(0.0, 3.0))
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
        if "done" in out:  # it finished before the kill: a whole import, rolled back by hand below
            landed.append(cycle)
            with Catalog.open(location, settings=Settings()) as catalog:
                catalog._store._drop_graphs(catalog.minter.entry(sample(n).code)  # noqa: SLF001
                                           for n in range(1000, 1000 + COUNT))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="govdata_ld.bulk_import"):
            assert state(location) == before, f"cycle {cycle}: {err[-2000:]}"
        if cycle < len(KILL_AFTER):  # batches had landed: the reopen rolled them back
            assert f"rolling back its {COUNT} entry graph(s)" in caplog.text
    process = writer(location, 1000)
    out, err = process.communicate(timeout=300)
    assert f"done {COUNT}" in out, err[-2000:]
    quads, names = state(location)
    assert before[0] < quads and len(names) == len(before[1]) + COUNT
    assert bulk_import.imports_graph(Minter(Settings().base_iri)) not in names
    print(f"\n{CYCLES} kill cycles ({len(landed)} finished before the kill): nothing of a killed import left")
