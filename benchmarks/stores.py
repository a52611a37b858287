"""The same city on every store kind (issue 6): load rate and the city-catalog filter and count
query medians on the embedded disk store, the Oxigraph server and Virtuoso, in one run.

    python benchmarks/stores.py                  # N = 10,000 synthetic general-catalog members
    python benchmarks/stores.py --size 100000 --runs 1 --timeout 3600

The city is made by ``benchmarks/catalog_queries.py`` (the built example city plus N members of
its general catalog, dumped as N-Quads); each store loads that dump through
``Catalog.load(restore=True)`` (one write: the embedded store's transaction; on a server, staged
through the Graph Store protocol and switched by one guarded operation, with ``--timeout``
seconds per request), then runs the same queries with the same
parameters. Servers are started on loopback with their own data folders (``tests/servers.py``)
and stopped by their process ids. Ratio = server / embedded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.catalog_queries import cases, city, median_time  # noqa: E402
from govdata_ld import Catalog, Settings, queries  # noqa: E402
from govdata_ld.settings import StoreSettings  # noqa: E402
from tests.servers import STARTERS, ServerUnavailable, credentials  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stores", default="embedded,oxigraph-server,virtuoso")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per request to a server")
    parser.add_argument("--buffers", type=int, default=200_000, help="Virtuoso NumberOfBuffers")
    args = parser.parse_args()
    kinds = args.stores.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        dump, made = city(args.size, folder / "setup")
        made.close()
        quads = sum(1 for _ in dump.open("rb"))
        print(f"set-up: example city + {args.size:,} members, {quads:,} quads: {time.perf_counter() - start:.1f} s", file=sys.stderr)
        loads: dict[str, float] = {}
        medians: dict[str, dict[str, tuple[float, int]]] = {}
        servers = []
        try:
            for kind in kinds:
                if kind == "embedded":
                    catalog = Catalog.open(folder / "embedded", settings=Settings())
                else:
                    try:
                        options = {"buffers": args.buffers, "ini": {"Parameters": {"TransactionAfterImageLimit": "2000000000"},
                                                                     "SPARQL": {"MaxQueryExecutionTime": str(int(args.timeout))}}}
                        server = STARTERS[kind](folder / kind, **(options if kind == "virtuoso" else {}))
                    except ServerUnavailable as exc:
                        print(f"{kind}: skipped ({exc})", file=sys.stderr)
                        continue
                    server.start()
                    servers.append(server)
                    with credentials(server):
                        settings = Settings(store=StoreSettings(timeout=args.timeout))
                        catalog = Catalog.open(server.query_url, settings=settings, update_url=server.update_url,
                                               graph_store_url=server.graph_store_url)
                start = time.perf_counter()
                try:
                    catalog.load(dump, restore=True)
                except Exception as exc:  # noqa: BLE001 - a store that cannot take the load is a result
                    print(f"{kind}: load failed after {time.perf_counter() - start:.1f} s: {type(exc).__name__}: {str(exc)[:300]}",
                          file=sys.stderr)
                    catalog.close()
                    if kind != "embedded":
                        servers[-1].stop()
                    continue
                loads[kind] = time.perf_counter() - start
                print(f"{kind}: loaded in {loads[kind]:.1f} s", file=sys.stderr)
                medians[kind] = {}
                for label, name, params in cases(catalog):
                    bound = dict(params)
                    if "registry" in queries.named(name).parameters:
                        bound["registry"] = catalog.minter.registry_graph()
                    try:
                        medians[kind][label] = median_time(lambda: catalog.select(name, **bound).rows, args.runs)  # noqa: B023
                        print(f"{kind}: {label}: {medians[kind][label][0]:.3f} s, {medians[kind][label][1]} rows", file=sys.stderr)
                    except Exception as exc:  # noqa: BLE001 - a server that cannot run a query is a result
                        medians[kind][label] = (float("nan"), -1)
                        print(f"{kind}: {label}: {type(exc).__name__}: {str(exc)[:160]}", file=sys.stderr)
                catalog.close()
                if kind != "embedded":
                    servers[-1].stop()  # free its memory before the next store
        finally:
            for server in servers:
                server.stop()
    base = "embedded" if "embedded" in medians else next(iter(medians))
    print(f"## Stores at {args.size:,} + 79 entries ({quads:,} quads), medians of {args.runs} runs\n")
    print("| store | load | load rate |")
    print("|---|---|---|")
    for kind, seconds in loads.items():
        print(f"| {kind} | {seconds:.1f} s | {quads / seconds:,.0f} quads/s |")
    print()
    others = [k for k in medians if k != base]
    print("| query | rows | " + " | ".join([base, *(f"{k} (ratio)" for k in others)]) + " |")
    print("|---|---|" + "---|" * (1 + len(others)))
    for label, (seconds, rows) in medians[base].items():
        cells = [f"{seconds:.3f} s"]
        for kind in others:
            theirs, their_rows = medians[kind].get(label, (float("nan"), -1))
            mark = "" if their_rows == rows else f" ({their_rows} rows!)"
            cells.append(f"{theirs:.3f} s ({theirs / seconds:.1f}x){mark}" if seconds else f"{theirs:.3f} s")
        print(f"| {label} | {rows} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
