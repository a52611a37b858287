"""Importing a filled catalog sheet: an N-row XLSX into the embedded disk store, against baselines.

    python benchmarks/sheets.py                     # 100,000 rows, 3 runs
    python benchmarks/sheets.py --rows 10000 --runs 5

The sheet is generated first (fixed seed; 3 data items per entry in the cell, all template
columns a department fills), then each row below is timed ``runs`` times and the median printed,
with rows per second and the ratio to the openpyxl baseline measured in the same run (machines
are shared and noisy: read the ratios). Validation is excluded. Rows:

* openpyxl read-only parse (baseline): ``load_workbook(read_only=True)`` and ``iter_rows(values_only=True)``,
  nothing else: what an XLSX import in Python commonly starts from;
* our XLSX reader (``tabular_xlsx.rows``), every sheet, nothing else;
* read_sheets: parse, check every cell, build the entry records;
* rdflib Graph of the records (baseline): the records' triples added to an in-memory rdflib
  Graph, what a hand-rolled script would load into;
* import_sheets, disk store: parse, check, convert and write to a fresh embedded store on disk in
  one transaction (``Catalog.put``): the issue's measure, target 5,000 rows/s.

``measure_import(rows, runs)`` returns the rows as dicts for other benchmarks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from rdflib import Graph

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import govdata_ld as gd  # noqa: E402
from govdata_ld import tabular_xlsx  # noqa: E402
from govdata_ld.iris import Minter  # noqa: E402
from govdata_ld.mapping import to_triples  # noqa: E402
from govdata_ld.tabular import write_entries  # noqa: E402

SEED = 20261126
TARGET_ROWS_PER_S = 5000


def sheet_entries(count: int, seed: int = SEED) -> list[gd.Entry]:
    """``count`` departmental entries with random but valid values (fixed seed)."""
    rng = random.Random(seed)
    providers = [gd.complete_uscc(f"11520100MB{i:07d}") for i in range(60)]
    cycles = list(gd.UpdateCycle)
    types = [gd.ItemDataType.CHARACTER, gd.ItemDataType.NUMERIC, gd.ItemDataType.DATE]
    out = []
    for i in range(count):
        shared = rng.choice([gd.ShareAttribute.UNCONDITIONAL, gd.ShareAttribute.CONDITIONAL])
        out.append(
            gd.Entry(
                code=f"3{i % 3 + 1:02d}{i % 997:03d}/{i:07d}",
                title_zh=f"业务数据资源{i}",
                title_en=f"Business data resource {i}",
                summary_zh=f"第{i}项业务数据资源的摘要。",
                provider=rng.choice(providers),
                source_business="行政许可办理",
                source_system=f"sys-{rng.randrange(200):03d}",
                category=gd.Category.DEPARTMENTAL,
                grade=gd.Grade.NON_SENSITIVE,
                share=shared,
                share_condition=None if shared is gd.ShareAttribute.UNCONDITIONAL else "仅限履职使用",
                legal_basis=None if shared is gd.ShareAttribute.UNCONDITIONAL else "《政务信息资源共享管理暂行办法》",
                share_mode=gd.ShareMode.PLATFORM,
                open=rng.choice([gd.OpenAttribute.UNCONDITIONAL, gd.OpenAttribute.NOT_OPEN]),
                use_requirement="注明来源",
                update_cycle=rng.choice(cycles),
                issued=date(2020, 1, 1) + timedelta(days=rng.randrange(2000)),
                format=gd.Format.DATABASE,
                keywords=("业务", f"主题{rng.randrange(50)}"),
                items=tuple(gd.DataItem(f"字段{k}", types[k], f"第{k}个字段") for k in range(3)),
            )
        )
    return out


def _median(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_import(rows: int, runs: int, *, store: bool = True) -> list[dict[str, object]]:
    """Time the import of an N-row XLSX sheet and its baselines; one dict per table row.

    Keys: operation, rows, triples, median_s, rows_per_s, ratio (to the openpyxl parse).
    ``store=False`` leaves out the store row (at 100,000 rows ``Catalog.put`` needed more than
    14 GiB in one write on the project's machine).
    """
    settings = gd.Settings()
    with tempfile.TemporaryDirectory() as folder:
        sheet = Path(folder) / "catalog.xlsx"
        write_entries(sheet_entries(rows), sheet, format="xlsx", settings=settings)
        records = gd.read_sheets(sheet, settings=settings).entries
        assert len(records) == rows
        minter = Minter(settings.base_iri)
        triples = sum(len(to_triples(e, minter)) for e in records)

        def parse() -> None:
            workbook = openpyxl.load_workbook(sheet, read_only=True)
            for ws in workbook.worksheets:
                ws.reset_dimensions()
                for _ in ws.iter_rows(values_only=True):
                    pass
            workbook.close()

        def rdflib_graph() -> None:
            graph = Graph()
            for entry in records:
                for triple in to_triples(entry, minter):
                    graph.add(triple)

        counter = iter(range(10**6))

        def import_disk() -> None:
            with gd.Catalog.open(Path(folder) / f"store-{next(counter)}", settings=settings) as catalog:
                gd.import_sheets(catalog, sheet)

        def ours() -> None:
            for _, part in tabular_xlsx.sheets(sheet):
                for _ in tabular_xlsx.rows(sheet, part):
                    pass

        timed = [
            ("openpyxl read-only parse (baseline)", parse),
            ("our XLSX reader (tabular_xlsx.rows)", ours),
            ("read_sheets (parse, check, records)", lambda: gd.read_sheets(sheet, settings=settings)),
            ("rdflib Graph of the records (baseline)", rdflib_graph),
            ("import_sheets, disk store", import_disk),
        ][: 5 if store else 4]
        results = []
        for name, function in timed:
            results.append({"operation": name, "rows": rows, "triples": triples, "median_s": _median(function, runs)})
    base = results[0]["median_s"]
    for row in results:
        row["rows_per_s"] = rows / row["median_s"]  # type: ignore[operator]
        row["ratio"] = row["median_s"] / base  # type: ignore[operator]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-store", action="store_true", help="Leave out the import into the disk store.")
    args = parser.parse_args()
    results = measure_import(args.rows, args.runs, store=not args.no_store)
    print(f"| operation | rows | triples | median s | rows/s | ratio | target {TARGET_ROWS_PER_S:,} rows/s |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        met = "met" if r["rows_per_s"] >= TARGET_ROWS_PER_S else "not met"  # type: ignore[operator]
        target = met if r["operation"].startswith("import_sheets") else ""  # type: ignore[union-attr]
        print(f"| {r['operation']} | {r['rows']:,} | {r['triples']:,} | {r['median_s']:.2f} | "
              f"{r['rows_per_s']:,.0f} | {r['ratio']:.2f} | {target} |")


if __name__ == "__main__":
    main()
