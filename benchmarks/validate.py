"""Validating a city catalog: the set-based SPARQL fast path against one whole-graph pyshacl call.

    python benchmarks/validate.py                        # N = 10,000 and 100,000; baseline at 10,000
    python benchmarks/validate.py --sizes 1000 --baseline-sizes 1000 --runs 3

For each N (the example city's 48-organ tree plus N departmental entries of ~30 triples, one in
500 conditionally shared without a condition or legal basis):

* full validation: ``validate(file)`` in a fresh process (parse, load, shapes, all checks), with
  the process's peak memory (ru_maxrss);
* re-validation after changing one entry: ``Catalog.validate(changed=[code], previous=report)``
  (the entry and those its change can affect: entries whose related codes name it);
* the baseline: one ``pyshacl.validate`` call over the whole graph (data, ontology and code lists
  already parsed, so parsing is not counted against it), and whether it found the same results.

Medians of ``--runs`` runs; ratios are to the baseline of the same size measured in the same run.
A size without a measured baseline is extrapolated linearly from the largest measured one, and
the table says so.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

import govdata_ld as gd  # noqa: E402
from govdata_ld.validation import Validator, validate  # noqa: E402

AS_OF = date(2026, 11, 1)


def child(path: str) -> None:
    """Run one full validation and print its time, peak memory and result keys."""
    start = time.perf_counter()
    report = validate(path, settings=gd.Settings(), as_of=AS_OF, engine="sparql")
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "violations": len(report.violations),
                      "keys": sorted(map(list, report.keys()))}))


def full_runs(path: Path, runs: int) -> tuple[float, float, int, set]:
    times, peaks, keys, violations = [], [], set(), 0
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True)
        data = json.loads(out.stdout)
        times.append(data["seconds"])
        peaks.append(data["peak_mib"])
        keys = {tuple(k) for k in data["keys"]}
        violations = data["violations"]
    return statistics.median(times), max(peaks), violations, keys


def revalidation_runs(path: Path, count: int, runs: int) -> float:
    with gd.Catalog.open("memory", settings=gd.Settings()) as catalog:
        catalog.load(path)
        report = catalog.validate(as_of=AS_OF)
        code = synthetic.entries(1)[0].code
        entry = catalog.entry(code)
        times = []
        for i in range(runs):
            catalog.put(dataclasses.replace(entry, title_zh=f"{entry.title_zh}（第{i + 1}次修订）"))
            start = time.perf_counter()
            report = catalog.validate(as_of=AS_OF, changed=[code], previous=report)
            times.append(time.perf_counter() - start)
        return statistics.median(times)


def baseline_runs(path: Path, runs: int) -> tuple[float, set]:
    import pyshacl
    from rdflib import Graph

    validator = Validator(gd.Settings(), as_of=AS_OF, engine="pyshacl")
    data = Graph().parse(path)
    for triple in validator.context():
        data.add(triple)
    times, keys = [], set()
    for _ in range(runs):
        start = time.perf_counter()
        _, graph, _ = pyshacl.validate(data, shacl_graph=validator.shapes, inference="none", allow_warnings=True)
        times.append(time.perf_counter() - start)
        keys = validator.report_from_graph(graph, "pyshacl").keys()
    return statistics.median(times), keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for size in sorted(args.sizes):  # the fast path first, then the (slow) baseline
            paths[size] = Path(tmp) / f"city-{size}.ttl"
            triples = synthetic.write_city(size, paths[size])
            seconds, peak, violations, keys = full_runs(paths[size], args.runs)
            again = revalidation_runs(paths[size], size, args.runs)
            measured.append((size, triples, seconds, again, peak, violations, keys))
            print(f"N={size}: full {seconds:.2f} s, re-validate {again:.3f} s, peak {peak:.0f} MiB", file=sys.stderr)
        baselines = {}
        for size in sorted(args.baseline_sizes):
            if size not in paths:
                paths[size] = Path(tmp) / f"city-{size}.ttl"
                synthetic.write_city(size, paths[size])
            baselines[size] = baseline_runs(paths[size], args.baseline_runs)
            print(f"N={size}: pyshacl {baselines[size][0]:.1f} s", file=sys.stderr)
    rows = []
    largest = max(baselines) if baselines else None
    for size, triples, seconds, again, peak, violations, keys in measured:
        if size in baselines:
            base, base_keys = baselines[size]
            same = "yes" if base_keys == keys else f"NO ({len(base_keys ^ keys)} differ)"
            runs = args.baseline_runs
            base_text = f"{base:.1f} (measured, {runs} run{'s' if runs > 1 else ''})"
        elif largest is not None:
            base = baselines[largest][0] / largest * size
            same = "not measured"
            base_text = f"~{base:.0f} (extrapolated from {largest:,})"
        else:
            base, same, base_text = None, "not measured", "-"
        ratio = f"{base / seconds:.0f}x" if base else "-"
        rows.append((size, triples, seconds, again, peak, violations, base_text, ratio, same))
    print(f"fast path: medians of {args.runs} runs; baseline: one whole-graph pyshacl.validate call\n")
    print("| entries | triples | full validation s | re-validate 1 changed entry s | peak MiB | violations | pyshacl s | speed-up | same results |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for size, triples, seconds, again, peak, violations, base_text, ratio, same in rows:
        print(f"| {size:,} | {triples:,} | {seconds:.2f} | {again:.3f} | {peak:.0f} | {violations} | {base_text} | {ratio} | {same} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
