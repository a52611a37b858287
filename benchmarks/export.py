"""DCAT-AP export of an N-entry open catalog (issue 5): the library's export as Turtle and JSON-LD,
against rdflib's own serializer on the same graph in the same run, and against the export's former
path (the whole mapping query); the fully checked export (re-parse, DCAT-AP shapes + range,
allow-list) timed separately; and, when ``benchmarks/sheets.py`` offers it, the import of an
N-row spreadsheet.

    python benchmarks/export.py                      # N = 100,000, 3 runs (rdflib 1 run)
    python benchmarks/export.py --size 10000 --runs 5 --rdflib-runs 3
    python benchmarks/export.py --checked-size 2000 --sheet-rows 0 --keep /tmp/bench

Set-up (:func:`open_catalog`): the built example city plus N synthetic members of the published
general catalog, on disk, each member whose open attribute opens it (two in three) with an entry
graph and a place in the published open catalog, with the member counts a publication records;
``--keep DIR`` keeps it for the next run. Rows: the whole mapping query inside the engine (what
every export ran before the renderings) and its allow-list check; rendering every member (the
kept renderings are dropped first); the export (``export_dcat_ap(check=False)``: members read,
renderings read and joined, catalog branches, allow-list, serialisation) with every rendering
kept, and after ``--stale`` members lost theirs (as a publication of new versions leaves them);
rdflib's serializers on the same statements in an rdflib graph, timed after ours (the graph's
millions of objects slow Python's collector for everything else in the process). Medians;
ratio = rdflib / ours.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pyoxigraph as ox  # noqa: E402

from rdflib import Graph, URIRef  # noqa: E402

from govdata_ld import Catalog, Settings, city_catalogs, dcat_ap_engine, dcat_ap_view  # noqa: E402
from govdata_ld.build import build  # noqa: E402
from govdata_ld.namespaces import code_namespace  # noqa: E402
from govdata_ld.dcat_ap import RESTRICTED, Profile, check_export, export_dcat_ap  # noqa: E402
from govdata_ld.namespaces import PREFIXES  # noqa: E402
from sheets import measure_import  # noqa: E402

TARGET = 10.0
GD, DCT, DCAT = "https://w3id.org/govdata-ld/ontology#", "http://purl.org/dc/terms/", "http://www.w3.org/ns/dcat#"
RDF_TYPE, VCARD, XSD = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2006/vcard/ns#", "http://www.w3.org/2001/XMLSchema#"
OPENING = ("unconditional", "conditional")


def open_catalog(size: int, folder: Path) -> Catalog:
    """The built example city plus ``size`` synthetic members of its published general catalog;
    each member whose open attribute opens it also has an entry graph (title and summary zh/en,
    identifier, provider, version, dates, category, grade, open attribute and condition, update
    cycle, keywords, language, use requirement, a contact point, a file and an API distribution)
    and a place, with its index, in the published open catalog, as a publication leaves them.

    Benchmark set-up only: the statements go to the engine directly, 20,000 members per
    transaction (one update for 100,000 members needed more than 17 GB).
    """
    if (folder / "store").exists():
        return Catalog.open(folder / "store", settings=Settings())
    catalog = Catalog.open(folder / "store", settings=Settings())
    build(catalog, ROOT / "examples" / "guiyang", folder / "out", as_of=date(2026, 11, 1),
          at=datetime(2026, 11, 2, tzinfo=timezone.utc))
    engine = catalog._store._store  # noqa: SLF001 - benchmark set-up only
    general = ox.NamedNode(str(catalog.minter.city_catalog("general")))
    opened = ox.NamedNode(str(catalog.minter.city_catalog("open")))
    organs = [ox.NamedNode(str(o)) for o in catalog.select("organs").column("organ")]
    node, text = ox.NamedNode, ox.Literal
    rnd = random.Random(1)
    quads: list[ox.Quad] = []
    for i in range(size):
        code = f"9{i % 99999:05d}/{i:06d}"
        entry = node(str(catalog.minter.entry(code)))
        index = [
            (DCT + "identifier", text(code)),
            (DCT + "title", text(f"业务数据资源{i}", language="zh")),
            (DCT + "title", text(f"Business data resource {i}", language="en")),
            (DCT + "publisher", rnd.choice(organs)),
            (DCAT + "version", text("1")),
        ]
        for predicate, scheme, values in (
            (GD + "category", "category", ["thematic", "departmental"]),
            (GD + "grade", "grade", ["non-sensitive", "sensitive"]),
            (GD + "shareAttribute", "share-attribute", ["unconditional", "conditional"]),
            (GD + "openAttribute", "open-attribute", ["unconditional", "conditional", "not-open"]),
            (DCT + "accrualPeriodicity", "update-cycle", ["monthly", "annual", "daily", "quarterly"]),
        ):
            index.append((predicate, node(str(code_namespace(scheme)[rnd.choice(values)]))))
        if i % 4 == 0:
            index.append((GD + "theme", node(str(code_namespace("theme")[rnd.choice(["health", "social-security", "credit-system"])]))))
        quads.append(ox.Quad(general, node(DCAT + "dataset"), entry, general))
        quads += [ox.Quad(entry, node(p), o, general) for p, o in index]
        attribute = str(dict(index)[GD + "openAttribute"].value).rsplit("/", 1)[1]
        if attribute in OPENING:
            public = [(p, o) for p, o in index if p != GD + "shareAttribute"]
            quads.append(ox.Quad(opened, node(DCAT + "dataset"), entry, opened))
            quads += [ox.Quad(entry, node(p), o, opened) for p, o in public]
            quads += [ox.Quad(s, node(p), o, entry) for s, p, o in _description(entry, i, attribute, public)]
        if len(quads) >= 400_000:
            engine.extend(quads)
            quads = []
    engine.extend(quads)
    catalog._store.update(city_catalogs.recount(catalog, "open"))  # noqa: SLF001 - the member counts a publication records
    return catalog


def _description(entry: ox.NamedNode, i: int, attribute: str, index: list[tuple[str, Any]]) -> list[tuple[Any, str, Any]]:
    node, text = ox.NamedNode, ox.Literal
    contact, file, api = (node(f"{entry.value}/{tail}") for tail in ("contact", "distribution/1", "distribution/2"))
    encoded = entry.value.replace(":", "%3A").replace("/", "%2F")
    out: list[tuple[Any, str, Any]] = [(entry, p, o) for p, o in index] + [
        (entry, RDF_TYPE, node(GD + "DataResource")), (entry, RDF_TYPE, node(DCAT + "Dataset")),
        (entry, DCT + "description", text(f"业务数据资源摘要 {entry.value}", language="zh")),
        (entry, DCT + "description", text(f"Summary of {entry.value}", language="en")),
        (entry, DCT + "issued", text("2024-01-01", datatype=node(XSD + "date"))),
        (entry, DCT + "modified", text("2026-10-01", datatype=node(XSD + "date"))),
        (entry, DCAT + "keyword", text("业务", language="zh")), (entry, DCAT + "keyword", text("数据", language="zh")),
        (entry, DCT + "language", node("http://publications.europa.eu/resource/authority/language/ZHO")),
        (entry, GD + "useRequirement", text("注明来源", language="zh")),
        (entry, DCAT + "contactPoint", contact), (entry, DCAT + "distribution", file), (entry, DCAT + "distribution", api),
        (contact, RDF_TYPE, node(VCARD + "Kind")), (contact, VCARD + "fn", text("数据服务窗口", language="zh")),
        (contact, VCARD + "hasEmail", node("mailto:data@guiyang.example")),
        (file, RDF_TYPE, node(DCAT + "Distribution")), (file, DCT + "title", text("数据文件", language="zh")),
        (file, DCAT + "accessURL", node(f"https://data.guiyang.example/files/{encoded}.csv")),
        (file, DCAT + "downloadURL", node(f"https://data.guiyang.example/files/{encoded}.csv")),
        (file, DCT + "format", node("https://w3id.org/govdata-ld/code/format/csv")),
        (file, GD + "distributionKind", node("https://w3id.org/govdata-ld/code/distribution-kind/file")),
        (file, GD + "order", text("1", datatype=node(XSD + "integer"))),
        (api, RDF_TYPE, node(DCAT + "Distribution")), (api, DCT + "title", text("数据接口", language="zh")),
        (api, DCAT + "accessURL", node(f"https://data.guiyang.example/api/{encoded}")),
        (api, GD + "distributionKind", node("https://w3id.org/govdata-ld/code/distribution-kind/api")),
        (api, GD + "order", text("2", datatype=node(XSD + "integer"))),
    ]
    if attribute == "conditional":
        out.append((entry, GD + "openCondition", text("经申请获准后开放", language="zh")))
    return out


def forget(catalog: Catalog, members: list[URIRef]) -> None:
    """Drop the renderings of ``members``, as a publication of new versions of them leaves the
    store (their current renderings are then missing)."""
    engine = catalog._store._store  # noqa: SLF001 - benchmark set-up only
    graph = ox.NamedNode(str(catalog.minter.rendering_graph("open")))
    prefixes = tuple(f"{member}/dcat-ap/" for member in members)
    for quad in [q for q in engine.quads_for_pattern(None, None, None, graph) if q.subject.value.startswith(prefixes)]:
        engine.remove(quad)


def median(call: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def rdflib_graph(catalog: Catalog) -> Graph:
    """The export's statements in an rdflib graph (what the generic path builds), for rdflib's
    serializers: parsed from the engine's N-Triples, which is faster than Catalog.run."""
    scratch = dcat_ap_engine.run(catalog, "dcat_ap_open", [catalog.minter.city_catalog("open")])
    assert scratch is not None
    return Graph().parse(data=scratch.dump_default("nt"), format="nt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rdflib-runs", type=int, default=1, help="runs of rdflib's serializers (0: not run)")
    parser.add_argument("--query-runs", type=int, default=1, help="runs of the whole mapping query (the baseline)")
    parser.add_argument("--stale", type=int, default=660,
                        help="members whose renderings are dropped before an export, as a publication of new versions leaves them")
    parser.add_argument("--rdflib-formats", default="turtle,jsonld",
                        help="formats rdflib serializes (its Turtle took 231 s for 10,000 entries)")
    parser.add_argument("--checked-size", type=int, default=None,
                        help="entries of the catalog the fully checked export is timed on (default: --size; 0: not run)")
    parser.add_argument("--sheet-rows", type=int, default=None, help="rows of the sheet import (default: --size; 0: not run)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the set-up store in this folder and keep it; reuse it when it is there")
    args = parser.parse_args()
    rows: list[tuple[str, str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep / str(args.size) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        catalog = open_catalog(args.size, folder)
        opened = catalog.minter.city_catalog("open")
        print(f"set-up: {args.size:,} synthetic entries on disk: {time.perf_counter() - start:.1f} s", file=sys.stderr)
        query_s, scratch = median(lambda: dcat_ap_engine.run(catalog, "dcat_ap_open", [opened]), args.query_runs)
        datasets = len(scratch.select("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 1000000", {}).rows)
        rows.append(("baseline: the whole mapping query inside the engine, into a memory store (the export's former path)",
                     f"{len(scratch):,} triples, {datasets:,} datasets", query_s, f"{args.query_runs} run(s)"))
        ntriples = scratch.dump_default("nt")
        check_s, _ = median(lambda: dcat_ap_engine.leaks(catalog, scratch, restricted=RESTRICTED, members_of=opened, ntriples=ntriples),
                            args.query_runs)
        rows.append(("baseline: its allow-list check", "", check_s, ""))
        scratch = None
        catalog._store.update(f"DROP SILENT GRAPH <{catalog.minter.rendering_graph('open')}>")  # noqa: SLF001 - a kept set-up's too
        start = time.perf_counter()
        rendered = dcat_ap_view.render(catalog)
        rows.append(("rendering every member (once per published version; the first export does it)",
                     f"{rendered:,} members", time.perf_counter() - start, "1 run"))
        members = sorted(city_catalogs.published_versions(catalog, opened))
        ours = {}
        for fmt in ("turtle", "jsonld"):
            total, data = median(lambda f=fmt: export_dcat_ap(catalog, Profile.OPEN, f, check=False), args.runs)
            ours[fmt] = len(rows)
            rows.append((f"{fmt}: export_dcat_ap (renderings read and joined + catalog part + allow-list)",
                         f"{len(data) / 1e6:.1f} MB", total, "meets the target" if total < TARGET else f"over the {TARGET:.0f} s target"))
            if args.stale:
                times = []
                for _ in range(args.runs):
                    forget(catalog, members[:: max(1, len(members) // args.stale)][: args.stale])
                    start = time.perf_counter()
                    export_dcat_ap(catalog, Profile.OPEN, fmt, check=False)
                    times.append(time.perf_counter() - start)
                again = statistics.median(times)
                rows.append((f"{fmt}: export_dcat_ap after {args.stale:,} members were published anew (rendered again)",
                             "", again, "meets the target" if again < TARGET else f"over the {TARGET:.0f} s target"))
        graph = rdflib_graph(catalog) if args.rdflib_runs else None  # after ours: its millions of objects slow the collector
        for fmt, rdflib_name in (("turtle", "turtle"), ("jsonld", "json-ld")):
            if graph is not None and fmt in args.rdflib_formats.split(","):
                theirs, _ = median(lambda n=rdflib_name: graph.serialize(format=n, context=dict(PREFIXES)) if n == "json-ld"
                                   else graph.serialize(format=n), args.rdflib_runs)
                name, size, total, note = rows[ours[fmt]]
                rows[ours[fmt]] = (name, size, total, f"{note}; rdflib's serializer alone on the same graph {theirs:.1f} s "
                                   f"({args.rdflib_runs} run(s)), ratio {theirs / total:.0f}x")
        graph = None  # memory back before the checked export
        checked = args.size if args.checked_size is None else args.checked_size
        if checked:
            if checked != args.size:
                catalog.close()
                checked_folder = (args.keep / str(checked)) if args.keep else Path(tmp) / "checked"
                checked_folder.mkdir(parents=True, exist_ok=True)
                catalog = open_catalog(checked, checked_folder)
            expected = [q[:3] for q in dcat_ap_engine.run(catalog, "dcat_ap_open", [catalog.minter.city_catalog("open")]).quads_default()]
            for fmt in ("turtle", "jsonld"):
                data = export_dcat_ap(catalog, Profile.OPEN, fmt, check=False)
                check_s, _ = median(lambda f=fmt, d=data: check_export(catalog, d, f, profile=Profile.OPEN, expected=expected), 1)
                rows.append((f"{fmt}: re-parse + re-check (DCAT-AP shapes, range, allow-list)", f"{checked:,} entries", check_s, "1 run"))
        catalog.close()
    sheet_rows = args.size if args.sheet_rows is None else args.sheet_rows
    if sheet_rows:
        for row in measure_import(sheet_rows, args.runs):
            rows.append((f"sheet import: {row['operation']}", f"{row['rows']:,} rows", float(row["median_s"]),
                         f"{float(row['rows_per_s']):,.0f} rows/s"))
    print(f"| operation (N = {args.size:,}) | size | median s | note |")
    print("|---|---|---|---|")
    for name, size, seconds, note in rows:
        print(f"| {name} | {size} | {seconds:.2f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
