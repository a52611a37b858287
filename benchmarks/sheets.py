"""Importing a filled catalog sheet: an N-row XLSX into the embedded disk store, against baselines.

    python benchmarks/sheets.py                     # 100,000 rows, 3 runs
    python benchmarks/sheets.py --rows 10000 --runs 5
    python benchmarks/sheets.py --rows 100000 --runs 1 --skip rdflib,put

The sheet is generated first (fixed seed; 3 data items per entry in the data-items sheet, all
template columns a department fills), then each row below is timed ``runs`` times and the median
printed, with rows per second, the ratio to the openpyxl baseline measured in the same run
(machines are shared and noisy: read the ratios), the peak resident memory of the operation and
the load average around it. Every run of every operation runs in a process of its own (forked),
so each peak is that operation's and a 100,000-row run holds one operation's memory at a time.
Validation is excluded. Rows (``--skip`` takes their keys):

* ``openpyxl``: openpyxl read-only parse (baseline): ``load_workbook(read_only=True)`` and
  ``iter_rows(values_only=True)``, nothing else: what an XLSX import in Python commonly starts from;
* ``reader``: our XLSX reader (``tabular_xlsx.rows``), every sheet, nothing else;
* ``read``: read_sheets: parse, check every cell, build the entry records;
* ``rdflib``: rdflib Graph of the records (baseline): the records' triples added to an in-memory
  rdflib Graph, what a hand-rolled script would load into;
* ``import``: import_sheets into a fresh disk store: parse, check, convert and write; all entries
  are new, so the bulk path (``govdata_ld.bulk_import``): the issue's measure, target 5,000 rows/s;
* ``put``: the same import through ``Catalog.put`` (one transaction: what every import did before
  the bulk path; more than 14 GB at 100,000 rows);
* ``turtle``: ``govdata-ld import SHEET -o FILE``: the sheet as a Turtle file (in-process, CliRunner);
* ``to_turtle``: the same file through ``tabular.to_turtle`` (the engine writes the Turtle; the
  command still serialises with rdflib, whose time grows with the square of the entries);
* ``floor``: the store's own floor: pyoxigraph's ``bulk_load`` of the same N-Quads (written to
  files beforehand, batches as the import writes them) into a fresh disk store, nothing else.

``measure_import(rows, runs)`` returns the rows as dicts for other benchmarks.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import govdata_ld as gd  # noqa: E402
from govdata_ld import bulk_import, tabular_xlsx  # noqa: E402
from govdata_ld.iris import Minter  # noqa: E402
from govdata_ld.tabular import write_entries  # noqa: E402

SEED = 20261126
TARGET_ROWS_PER_S = 5000
OPERATIONS = {
    "openpyxl": "openpyxl read-only parse (baseline)",
    "reader": "our XLSX reader (tabular_xlsx.rows)",
    "read": "read_sheets (parse, check, records)",
    "rdflib": "rdflib Graph of the records (baseline)",
    "import": "import_sheets, disk store (bulk path)",
    "put": "import_sheets through Catalog.put (one transaction)",
    "turtle": "govdata-ld import SHEET -o FILE (Turtle)",
    "to_turtle": "read_sheets + tabular.to_turtle to a file",
    "floor": "store floor: pyoxigraph bulk_load of the N-Quads",
}


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


def _in_child(function: Callable[[], object]) -> tuple[float, float, object]:
    """Run ``function`` in a forked process: (seconds, peak RSS in MB, what it returned)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: time, report, leave without running the parent's clean-up
        os.close(read)
        status = 0
        try:
            start = time.perf_counter()
            result = function()
            payload = pickle.dumps((time.perf_counter() - start, result, None))
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            payload, status = pickle.dumps((0.0, None, repr(exc))), 1
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        payload = pipe.read()
    _, _, usage = os.wait4(pid, 0)
    seconds, result, error = pickle.loads(payload)
    if error is not None:
        raise RuntimeError(f"the timed operation failed: {error}")
    return seconds, usage.ru_maxrss / 1024, result


def measure_import(rows: int, runs: int, *, store: bool = True, skip: tuple[str, ...] = ()) -> list[dict[str, object]]:
    """Time the import of an N-row XLSX sheet and its baselines; one dict per table row.

    Keys: operation, rows, triples, median_s, rows_per_s, ratio (to the openpyxl parse),
    peak_rss_mb (the highest of the runs), load (1-minute load average before and after, lowest
    and highest over the runs). ``store=False`` leaves out the rows that write a store.
    """
    settings = gd.Settings()
    skipped = set(skip) | (set() if store else {"import", "put", "floor"})
    with tempfile.TemporaryDirectory() as folder:
        sheet = Path(folder) / "catalog.xlsx"
        _in_child(lambda: write_entries(sheet_entries(rows), sheet, format="xlsx", settings=settings))
        batches = _in_child(lambda: _write_nquads(sheet, settings, Path(folder)))[2]
        triples = sum(count for _, count in batches)  # type: ignore[union-attr]

        def fresh(name: str) -> Path:  # in the forked child: a counter there would not advance here
            return Path(folder) / f"{name}-{os.getpid()}"

        def parse() -> None:
            import openpyxl

            workbook = openpyxl.load_workbook(sheet, read_only=True)
            for ws in workbook.worksheets:
                ws.reset_dimensions()
                for _ in ws.iter_rows(values_only=True):
                    pass
            workbook.close()

        def ours() -> None:
            for _, part in tabular_xlsx.sheets(sheet):
                for _ in tabular_xlsx.rows(sheet, part):
                    pass

        def read() -> int:
            return len(gd.read_sheets(sheet, settings=settings).entries)

        def rdflib_graph() -> float:
            from rdflib import Graph

            from govdata_ld.mapping import to_triples

            records = gd.read_sheets(sheet, settings=settings).entries
            minter = Minter(settings.base_iri)
            start = time.perf_counter()
            graph = Graph()
            for entry in records:
                for triple in to_triples(entry, minter):
                    graph.add(triple)
            return time.perf_counter() - start  # the records are not the baseline's work

        def import_disk() -> int:
            with gd.Catalog.open(fresh("store"), settings=settings) as catalog:
                summary = gd.import_sheets(catalog, sheet).summary
            return summary.triples  # type: ignore[union-attr]

        def import_put() -> int:
            bulk_import.BULK_THRESHOLD = 10**9  # every import through Catalog.put
            return import_disk()

        def turtle() -> int:
            from click.testing import CliRunner

            from govdata_ld.cli import cli

            out = fresh("out")
            result = CliRunner().invoke(cli, ["import", str(sheet), "-o", str(out)])
            if result.exit_code != 0:
                raise RuntimeError(result.output)
            size = out.stat().st_size
            out.unlink()
            return size

        def turtle_library() -> int:
            from govdata_ld.tabular import to_turtle

            out = fresh("out")
            out.write_bytes(to_turtle(gd.read_sheets(sheet, settings=settings).entries, settings=settings))
            size = out.stat().st_size
            out.unlink()
            return size

        def floor() -> None:
            from govdata_ld import store as embedded

            backend = embedded.EmbeddedStore(fresh("floor"))
            for path, _ in batches:  # type: ignore[union-attr]
                backend._bulk_load_nquads(Path(path).read_bytes())
            backend.close()

        timed: dict[str, Callable[[], object]] = {
            "openpyxl": parse, "reader": ours, "read": read, "rdflib": rdflib_graph, "import": import_disk,
            "put": import_put, "turtle": turtle, "to_turtle": turtle_library, "floor": floor,
        }
        results = []
        for key, function in timed.items():
            if key in skipped:
                continue
            times, peaks, loads = [], [], []
            for _ in range(runs):
                loads.append(os.getloadavg()[0])
                seconds, peak, returned = _in_child(function)
                for made in [p for kind in ("store", "floor", "out") for p in Path(folder).glob(f"{kind}-*")]:
                    shutil.rmtree(made) if made.is_dir() else made.unlink()
                loads.append(os.getloadavg()[0])
                times.append(returned if key == "rdflib" else seconds)
                peaks.append(peak)
                print(f"  {OPERATIONS[key]}: {times[-1]:.2f} s, peak {peak:,.0f} MB, load {loads[-2]:.1f}-{loads[-1]:.1f}",
                      file=sys.stderr, flush=True)
            results.append({"operation": OPERATIONS[key], "key": key, "rows": rows, "triples": triples,
                            "median_s": statistics.median(times), "runs": times, "peak_rss_mb": max(peaks),
                            "load": (min(loads), max(loads))})
    base = next((r["median_s"] for r in results if r["key"] == "openpyxl"), None)
    for row in results:
        row["rows_per_s"] = rows / row["median_s"]  # type: ignore[operator]
        row["ratio"] = row["median_s"] / base if base else float("nan")  # type: ignore[operator]
    return results


def _write_nquads(sheet: Path, settings: gd.Settings, folder: Path) -> list[tuple[str, int]]:
    """The N-Quads the bulk import writes for the sheet, one file per batch: (path, statements)."""
    entries = gd.read_sheets(sheet, settings=settings).entries
    minter = Minter(settings.base_iri)
    pairs = sorted(((minter.entry(e.code), e) for e in entries), key=lambda pair: pair[0])
    out = []
    for k, start in enumerate(range(0, len(pairs), bulk_import.BATCH_ENTRIES)):
        lines = list(bulk_import.nquads([e for _, e in pairs[start:start + bulk_import.BATCH_ENTRIES]], minter))
        path = folder / f"batch-{k}.nq"
        path.write_text("".join(lines), "utf-8")
        out.append((str(path), len(lines)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-store", action="store_true", help="Leave out the rows that write a store.")
    parser.add_argument("--skip", default="", help=f"Rows to leave out, comma-separated: {', '.join(OPERATIONS)}.")
    args = parser.parse_args()
    skip = tuple(k for k in args.skip.split(",") if k)
    unknown = set(skip) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown rows {', '.join(sorted(unknown))}; known: {', '.join(OPERATIONS)}")
    results = measure_import(args.rows, args.runs, store=not args.no_store, skip=skip)
    print(f"| operation | rows | triples | median s | rows/s | ratio | peak RSS MB | load avg | "
          f"target {TARGET_ROWS_PER_S:,} rows/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        met = "met" if r["rows_per_s"] >= TARGET_ROWS_PER_S else "not met"  # type: ignore[operator]
        target = met if r["key"] in ("import", "put") else ""
        low, high = r["load"]  # type: ignore[misc]
        print(f"| {r['operation']} | {r['rows']:,} | {r['triples']:,} | {r['median_s']:.2f} | "
              f"{r['rows_per_s']:,.0f} | {r['ratio']:.2f} | {r['peak_rss_mb']:,.0f} | {low:.1f}-{high:.1f} | {target} |")
    print(f"\n{args.runs} run(s) each; runs (s): " + "; ".join(
        f"{r['key']} " + ", ".join(f"{t:.2f}" for t in r["runs"]) for r in results))  # type: ignore[union-attr]
    print(f"machine: {os.cpu_count()} cores; peak RSS of the parent {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
