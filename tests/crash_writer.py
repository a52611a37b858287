"""The writer that tests/test_crash_safety.py kills: submissions to a directory store, each
acknowledged on stdout only after the library returned.

    python tests/crash_writer.py STORE FIRST COUNT

One submission is two writes, as an organ makes it: the entry's new version (``Catalog.put``)
and its submission to the organ's route (``Workflow.submit``). "ready" is printed once the store
is open; "ack CODE" after each submission returned.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govdata_ld import Catalog, OrganKind, Settings  # noqa: E402
from tests.cities import build_city, carrier, entry_codes  # noqa: E402


def crash_city():  # type: ignore[no-untyped-def]
    """The city both processes agree on: one municipal department submits."""
    return build_city([OrganKind.WORKING_DEPARTMENT], [])


def main(store: str, first: int, count: int) -> None:
    city = crash_city()
    department = city.organs[2].uscc
    codes = entry_codes(city, department, first + count)[first:]
    with Catalog.open(Path(store), settings=Settings()) as catalog:
        print("ready", flush=True)
        for code in codes:
            catalog.put(carrier(city, code, department))
            catalog.workflow.submit(department, codes=[code])
            print("ack", code, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
