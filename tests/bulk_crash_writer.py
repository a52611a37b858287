"""The writer that tests/test_bulk_import_crash.py kills: a bulk import of new entries into a
directory store, announcing each batch on stdout once the bulk loader returned.

    python tests/bulk_crash_writer.py STORE FIRST COUNT BATCH

"ready" is printed once the store is open, "batch N" after each batch landed, "done" after the
import returned.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govdata_ld import Catalog, Settings, bulk_import, store  # noqa: E402
from tests.test_bulk_import import sample  # noqa: E402


def main(location: str, first: int, count: int, batch: int) -> None:
    bulk_import.BATCH_ENTRIES = batch
    load = store.EmbeddedStore._bulk_load_nquads
    batches = iter(range(1, 10**6))

    def announced(self: store.EmbeddedStore, data: bytes) -> None:
        load(self, data)
        print("batch", next(batches), flush=True)

    store.EmbeddedStore._bulk_load_nquads = announced  # type: ignore[method-assign]
    entries = [sample(n) for n in range(first, first + count)]
    with Catalog.open(Path(location), settings=Settings()) as catalog:
        print("ready", flush=True)
        summary = bulk_import.import_entries(catalog, entries)
        print("done", len(summary.added), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
