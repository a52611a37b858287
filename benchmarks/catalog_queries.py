"""Filter and count queries over a published city catalog of N entries (issue 4), on the
persistent embedded store and on rdflib's in-memory engine side by side.

    python benchmarks/catalog_queries.py                 # N = 100,000, 5 runs (rdflib 3)
    python benchmarks/catalog_queries.py --size 10000

The published general catalog is made directly (not through the workflow, which
``benchmarks/catalogs.py`` times): the example city is built with ``govdata-ld build``, then N
synthetic members are added to its general catalog graph with the same index the publication
writes (code, zh/en title, provider from the city's organs, version, category, grade, share and
open attribute, update cycle; one in four with a theme). Both engines get the same quads and the
same bound parameters (pyoxigraph substitutions, rdflib initBindings); row counts are compared.
Medians; ratio = embedded / rdflib.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Literal, URIRef

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govdata_ld import Catalog, Settings, city_catalogs, city_index, queries  # noqa: E402
from govdata_ld.build import build  # noqa: E402
from govdata_ld.namespaces import code_namespace  # noqa: E402

DCT, GD, DCAT = "http://purl.org/dc/terms/", "https://w3id.org/govdata-ld/ontology#", "http://www.w3.org/ns/dcat#"
TARGET = 0.5


def city(size: int, folder: Path) -> tuple[Path, Catalog]:
    """A disk store holding the built example city plus ``size`` synthetic general-catalog members."""
    catalog = Catalog.open(folder / "store", settings=Settings())
    build(catalog, ROOT / "examples" / "guiyang", folder / "out", as_of=date(2026, 11, 1),
          at=datetime(2026, 11, 2, tzinfo=timezone.utc))
    general = ox.NamedNode(str(catalog.minter.city_catalog("general")))
    organs = [ox.NamedNode(str(o)) for o in catalog.select("organs").column("organ")]
    rnd = random.Random(1)
    quads = []
    for i in range(size):
        code = f"9{i % 99999:05d}/{i:06d}"
        entry = ox.NamedNode(str(catalog.minter.entry(code)))

        def add(predicate: str, value: ox.NamedNode | ox.Literal, e: ox.NamedNode = entry) -> None:
            quads.append(ox.Quad(e, ox.NamedNode(predicate), value, general))

        quads.append(ox.Quad(general, ox.NamedNode(DCAT + "dataset"), entry, general))
        add(DCT + "identifier", ox.Literal(code))
        add(DCT + "title", ox.Literal(f"业务数据资源{i}", language="zh"))
        add(DCT + "title", ox.Literal(f"Business data resource {i}", language="en"))
        add(GD + "searchText", ox.Literal(str(city_index.search_text([f"业务数据资源{i}", f"Business data resource {i}"]))))
        add(DCT + "publisher", rnd.choice(organs))
        add(DCAT + "version", ox.Literal("1"))
        for predicate, scheme, values in (
            (GD + "category", "category", ["thematic", "departmental"]),
            (GD + "grade", "grade", ["non-sensitive", "sensitive"]),
            (GD + "shareAttribute", "share-attribute", ["unconditional", "conditional"]),
            (GD + "openAttribute", "open-attribute", ["unconditional", "conditional", "not-open"]),
            (DCT + "accrualPeriodicity", "update-cycle", ["monthly", "annual", "daily", "quarterly"]),
        ):
            add(predicate, ox.NamedNode(str(code_namespace(scheme)[rnd.choice(values)])))
        if i % 4 == 0:
            add(GD + "theme", ox.NamedNode(str(code_namespace("theme")[rnd.choice(["health", "social-security", "credit-system"])])))
    catalog._store._store.extend(quads)  # noqa: SLF001 - benchmark set-up only
    catalog._store.update(city_catalogs.recount(catalog, "general"))  # noqa: SLF001 - the members' counts
    dump = folder / "city.nq"
    dump.write_bytes(catalog.dump("nquads", vocabulary=True))
    return dump, catalog


def cases(catalog: Catalog) -> list[tuple[str, str, dict[str, object]]]:
    general = catalog.minter.city_catalog("general")
    concept = lambda scheme, slug: code_namespace(scheme)[slug]  # noqa: E731
    nanming = catalog.minter.organ("11520102006406781M")
    out = [
        ("catalog_by_category", "catalog_by_category", {"value": concept("category", "thematic")}),
        ("catalog_by_basic_database", "catalog_by_basic_database", {"value": concept("basic-database", "population")}),
        ("catalog_by_theme", "catalog_by_theme", {"value": concept("theme", "health")}),
        ("catalog_by_grade", "catalog_by_grade", {"value": concept("grade", "sensitive")}),
        ("catalog_by_share", "catalog_by_share", {"value": concept("share-attribute", "conditional")}),
        ("catalog_by_open", "catalog_by_open", {"value": concept("open-attribute", "unconditional")}),
        ("catalog_by_cycle", "catalog_by_cycle", {"value": concept("update-cycle", "monthly")}),
        ("catalog_by_provider", "catalog_by_provider", {"value": catalog.minter.organ("115201020073494758")}),
        ("catalog_entries_of_organ (a district)", "catalog_entries_of_organ", {"organ": nanming}),
        ("catalog_entries_of_level (township)", "catalog_entries_of_level", {"level": concept("admin-level", "township")}),
        ("catalog_search (text)", "catalog_search", {"text": Literal("资源4242")}),
        ("catalog_counts by category", "catalog_counts", {"dimension": URIRef(GD + "category")}),
        ("catalog_counts by publisher", "catalog_counts", {"dimension": URIRef(DCT + "publisher")}),
        ("catalog_counts_by_level", "catalog_counts_by_level", {}),
        ("catalog_counts_by_organ", "catalog_counts_by_organ", {}),
        ("catalog_entries, combined (theme + level), ordered", "catalog_entries",
         {"theme": concept("theme", "health"), "level": concept("admin-level", "township")}),
    ]
    return [(label, name, {"catalog": general, **params}) for label, name, params in out]


def median_time(call: object, runs: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        rows = len(list(call()))  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rdflib-runs", type=int, default=3)
    parser.add_argument("--rdflib-skip", default="", help="comma-separated query names rdflib does not run "
                        "(its aggregate queries take minutes at 100,000: see the 10,000 table)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        dump, catalog = city(args.size, Path(tmp))
        print(f"set-up: example city + {args.size:,} members on disk: {time.perf_counter() - start:.1f} s", file=sys.stderr)
        start = time.perf_counter()
        dataset = Dataset()
        dataset.parse(dump, format="nquads")
        print(f"rdflib: parsed {len(dataset):,} quads in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        print(f"## Filter and count queries, published general catalog of {args.size:,} + 79 entries\n")
        print(f"Medians: embedded disk store {args.runs} runs, rdflib {args.rdflib_runs}; target {TARGET} s (embedded).\n")
        print("| query | rows | embedded (disk) | rdflib memory | ratio | target |")
        print("|---|---|---|---|---|---|")
        for label, name, params in cases(catalog):
            query = queries.named(name)
            bound = dict(params)
            if "registry" in query.parameters:
                bound["registry"] = catalog.minter.registry_graph()
            ours, rows = median_time(lambda: catalog.select(name, **bound).rows, args.runs)
            verdict = "pass" if ours < TARGET else "FAIL"
            if name in args.rdflib_skip.split(","):
                print(f"| {label} | {rows} | {ours:.3f} s | not run | – | {verdict} |", flush=True)
                continue
            theirs, their_rows = median_time(
                lambda: dataset.query(query.text, initBindings=query.bind(bound)), args.rdflib_runs
            )
            same = "" if rows == their_rows else f" (rdflib {their_rows})"
            print(f"| {label} | {rows}{same} | {ours:.3f} s | {theirs:.3f} s | {ours / theirs:.3f} | {verdict} |", flush=True)
        catalog.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
