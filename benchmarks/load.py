"""Loading a catalog: govdata-ld's all-or-nothing, versioned load against plain parsers.

    python benchmarks/load.py                 # N = 1,000 and 10,000 entries, 3 runs each
    python benchmarks/load.py --sizes 100000 --runs 3

Prints one table: medians of the runs, and each row's ratio to the rdflib baseline measured in the
same run (the machines are shared and noisy: read the ratios). Rows:

* rdflib Graph.parse: what a hand-rolled rdflib script does (parse into memory, nothing else);
* pyoxigraph Store.load: the engine's floor (parse and index, no layout, no checks);
* Catalog.load (memory / disk): parse, sort into entry and registry graphs, compare with the
  store, write in one transaction;
* Catalog.load again: the same file once more, every entry unchanged (the idempotent path).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyoxigraph
from rdflib import Graph

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

import govdata_ld as gd  # noqa: E402


def synthetic_city(entries: int) -> list[gd.Organ | gd.Entry]:
    """Organs (300) and entries shaped like the example city's."""
    organs = [
        gd.Organ(gd.complete_uscc(f"11520100MB{i:07d}"), f"测试机关{i}", gd.OrganKind.WORKING_DEPARTMENT,
                 gd.AdminLevel.MUNICIPAL, "520100")
        for i in range(300)
    ]
    shares = list(gd.ShareAttribute)
    opens = [gd.OpenAttribute.UNCONDITIONAL, gd.OpenAttribute.CONDITIONAL, gd.OpenAttribute.NOT_OPEN]
    records: list[gd.Organ | gd.Entry] = list(organs)
    for i in range(entries):
        records.append(
            gd.Entry(
                code=f"3{i % 100:02d}{i % 1000:03d}/{i:06d}",
                title_zh=f"数据资源{i}",
                title_en=f"Data resource {i}",
                summary_zh=f"第{i}项数据资源的摘要。",
                provider=organs[i % len(organs)].uscc,
                source_business="业务办理",
                category=gd.Category.DEPARTMENTAL,
                grade=gd.Grade.NON_SENSITIVE,
                share=shares[i % 3],
                share_condition="仅限履职使用",
                legal_basis="有关法律法规",
                open=opens[i % 3],
                update_cycle=gd.UpdateCycle.MONTHLY,
                issued=date(2024, 1, 1),
                modified=date(2026, 10, 1),
                format=gd.Format.SPREADSHEET,
                items=tuple(gd.DataItem(f"字段{k}", gd.ItemDataType.CHARACTER) for k in range(3)),
                distributions=(
                    gd.Distribution(gd.DistributionKind.TABLE, "库表", gd.Format.RDB_TABLE, f"https://share.example/t/{i}"),
                    gd.Distribution(gd.DistributionKind.FILE, "文件", gd.Format.CSV, f"https://data.example/f/{i}.csv"),
                ),
                keywords=("测试",),
                spatial="520100",
            )
        )
    return records


def write_city(entries: int, path: Path) -> int:
    return synthetic.write_records(synthetic_city(entries), path)


def median_seconds(action: Callable[[], object], runs: int, setup: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        state = setup() if setup else None
        start = time.perf_counter()
        action() if state is None else action(state)  # type: ignore[call-arg]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(entries: int, runs: int) -> list[tuple[str, int, int, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "city.ttl"
        triples = write_city(entries, path)
        rows = []

        rows.append(("rdflib Graph.parse (baseline)", median_seconds(lambda: Graph().parse(path, format="turtle"), runs)))
        rows.append(("pyoxigraph Store.load", median_seconds(lambda: pyoxigraph.Store().load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE), runs)))

        def fresh_memory() -> gd.Catalog:
            return gd.Catalog.open("memory", settings=gd.Settings())

        rows.append(("Catalog.load, memory", median_seconds(lambda c: c.load(path), runs, fresh_memory)))

        counter = iter(range(10_000))

        def fresh_disk() -> gd.Catalog:
            return gd.Catalog.open(Path(tmp) / f"store{next(counter)}", settings=gd.Settings())

        rows.append(("Catalog.load, disk", median_seconds(lambda c: (c.load(path), c.close()), runs, fresh_disk)))

        def loaded() -> gd.Catalog:
            catalog = fresh_memory()
            catalog.load(path)
            return catalog

        rows.append(("Catalog.load again (all unchanged)", median_seconds(lambda c: c.load(path), runs, loaded)))
        return [(name, entries, triples, seconds) for name, seconds in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"median of {args.runs} runs; ratio = time / rdflib baseline of the same size\n")
    print(f"| {'operation':<36} | {'entries':>8} | {'triples':>9} | {'median s':>9} | {'ratio':>6} |")
    print(f"|{'-' * 38}|{'-' * 10}:|{'-' * 11}:|{'-' * 11}:|{'-' * 8}:|")
    for size in args.sizes:
        rows = measure(size, args.runs)
        baseline = rows[0][3]
        for name, entries, triples, seconds in rows:
            print(f"| {name:<36} | {entries:>8,} | {triples:>9,} | {seconds:>9.3f} | {seconds / baseline:>6.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
