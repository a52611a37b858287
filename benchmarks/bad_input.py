"""The bad-input report of issue 7: every case of ``tests/test_bad_input.py`` run once, judged
and timed, and the report table printed.

    python benchmarks/bad_input.py            # the table, and each case that missed
    python benchmarks/bad_input.py --cases    # one line per case as well

Each case is prepared (its input written) outside the measurement, then the call is run with
the audit hook recording (socket, URL, subprocess and unexpected file-open events) and timed in
CPU seconds (``time.process_time``: the work the case made, not the wait of a shared machine).
The store is compared statement by statement before and after. The same table and judge run in
the test suite; this script only reports (exit status 1 when a case missed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.test_bad_input import CASES, CPU_TARGET, ENTITY_CPU_BOUND, make_context, prepare_stores, report, run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", action="store_true", help="print one line per case")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govdata-bad-input-") as folder:
        base = Path(folder)
        catalog, cli_store = prepare_stores(base)
        try:
            outcomes = [run_case(case, make_context(base, case, catalog, cli_store)) for case in CASES]
        finally:
            catalog.close()
    if options.cases:
        print(f"{'case':36} {'front':8} {'ok':3} {'cpu s':>7}  detail")
        for o in outcomes:
            print(f"{o.case.id:36} {o.case.front:8} {'yes' if o.ok else 'NO':3} {o.cpu:7.3f}  {o.detail[:110]}")
        print()
    row = report(outcomes)
    fronts = sorted({o.case.front for o in outcomes})
    print(f"Bad-input cases: {row['cases']} across {len(fronts)} fronts ({', '.join(fronts)})\n")
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| cases tried | {row['cases']} |")
    print(f"| refused | {row['refused']} |")
    print(f"| rejected with the right error type | {row['right type']} |")
    print(f"| rejected with the right code | {row['right code']} |")
    print(f"| with the right location | {row['right location']} |")
    print(f"| store changes | {row['store changes']} |")
    print(f"| network or unexpected file audit events | {row['audit events']} |")
    print(f"| CPU time per case, max | {row['cpu max s']:.3f} s (target < {CPU_TARGET:.0f} s) |")
    print(f"| CPU time per case, p95 | {row['cpu p95 s']:.3f} s (target < {CPU_TARGET:.0f} s) |")
    print(f"| CPU time per case, median | {row['cpu median s']:.4f} s |")
    print(f"| XML entity cases: count, max CPU | {row['entity cases']}, {row['entity cpu max s'] * 1000:.1f} ms "
          f"(target < 10 ms; the test asserts < {ENTITY_CPU_BOUND * 1000:.0f} ms) |")
    missed = [o for o in outcomes if not o.ok]
    for o in missed:
        print(f"\nMISSED {o.case.id}: expected {o.case.error.__name__} {o.case.code} at {o.case.where}; got {o.detail}"
              + (f"; audit events {o.audit_events}" if o.audit_events else "")
              + (f"; {o.store_changes} store changes" if o.store_changes else ""))
    slowest = sorted(outcomes, key=lambda o: -o.cpu)[:3]
    print("\nSlowest: " + ", ".join(f"{o.case.id} {o.cpu:.3f} s" for o in slowest))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
