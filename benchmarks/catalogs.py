"""City catalogs (issue 4): building the general, sharing and open catalogs, and filtering them,
on the persistent embedded store and on rdflib's in-memory SPARQL engine, side by side.

    python benchmarks/catalogs.py                          # N = 10,000 and 100,000 entries, 5 runs
    python benchmarks/catalogs.py --sizes 1000 --runs 3    # quick, for development
    python benchmarks/catalogs.py --sizes 200,1000,10000,100000 --baseline-sizes 200,1000,10000 \
        --runs 3 --rdflib-budget 1 --rdflib-cap 10          # the run in docs/performance.md

For each N (the example city's 48-organ tree and N synthetic departmental entries from
``synthetic.py``, one in four given a theme so that the theme filter selects something):

Setup (timed once, reported): load into a directory store; validate once; the whole Article 12
workflow with the rightful organs (every organ submits its valid entries, district big-data
departments audit and report, district governments approve, the municipal big-data department
reviews and summarises, the municipal government ratifies, then publishes: the library's own first
build of the three catalogs, timed as a setup step); a second round in which 1 % of the entries are
revised (a third of those change their open attribute) and 0.2 % are withdrawn, taken through the
same steps up to ratification.

Builds (both engines, the same library code: ``city_catalogs.members`` then, per kind,
``city_catalogs.plan_catalog`` and the update it returns):

* derivation: ``queries/city_members.rq``, shared by the three kinds (a row of its own; the
  "with derivation" rows add it to each kind, per run);
* full build: each published graph emptied, then rebuilt (every member added);
* brought up to date: after the second round (1 % changed, 0.2 % withdrawn), what a publication
  does: only the entries of the items awaiting publication are re-derived (``members`` and
  ``current_versions`` restricted to them), and only the difference is written.

rdflib's engine gets the same quads (an ``rdflib.Dataset`` filled from the store after the second
round's ratification), runs the same queries with the same bound parameters (``initBindings``) and
the same update text (``Dataset.update``). Between runs a build is undone (untimed): a full build by
emptying the graphs, an incremental one by planning the way back to the previous members with the
same function.

Queries run on the state after the incremental build, where both engines hold the same catalogs:

* the fast rows (target: under 0.5 s at 100,000): one single-filter query per filter
  (``catalog_entries_of_organ`` for an organ with its sub-organs, ``catalog_entries_of_level``,
  ``catalog_by_<property>`` for category, basic database, theme, grade, share and open attribute, update
  cycle and provider, ``catalog_search`` for text; each index-driven, at most 1,000 rows, store
  order), ``catalog_counts`` by each dimension, ``catalog_counts_by_organ``,
  ``catalog_counts_by_level``, ``publication_changes``, ``pending_work`` and ``entry_trail``;
* the combined listing: ``catalog_entries`` (every filter in one query, ordered, no limit) with no
  filter and with theme + level, on the general catalog, separately labelled, ``--combined-runs``
  runs at most (it takes seconds at 100,000 entries; reported, no target).

Each engine's rows are compared as multisets (the fast queries return rows in store order); when both
engines stop at the 1,000-row limit they may legitimately return different members, and the table
says so.

Medians of ``--runs`` runs; a measurement whose runs pass ``--budget`` seconds in all stops early,
and the table says how many runs it took. Ratios are embedded time / rdflib time of the same run.
rdflib's engine grows faster than linearly on the builds and the counts (its ``GRAPH ?g`` patterns
with an unbound graph visit every named graph, one per entry version): at a baseline size, a row
whose rdflib time at the previous baseline size, scaled linearly, passes ``--rdflib-cap`` seconds is
not run, and the table shows that linear extrapolation, labelled, as a lower bound; sizes not in
``--baseline-sizes`` show the same extrapolation for every row.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyoxigraph
import rdflib
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # this checkout's library, not an installed one

import synthetic  # noqa: E402

import govdata_ld as gd  # noqa: E402
from govdata_ld import city_catalogs, queries, sparql_values  # noqa: E402
from govdata_ld.iris import CITY_CATALOG_KINDS  # noqa: E402
from govdata_ld.namespaces import GD  # noqa: E402
from govdata_ld.results import SelectResult  # noqa: E402
from govdata_ld.routes import STEP_NAMES  # noqa: E402
from govdata_ld.sparql_values import fill  # noqa: E402
from govdata_ld.workflow import violations_by_entry  # noqa: E402

AS_OF = date(2026, 11, 1)
START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
STEPS = (GD.Audit, GD.Approval, GD.Reporting, GD.Review, GD.Summarisation, GD.Ratification)
BUILD_TARGET_S = 10.0
BUILD_TARGET_SPEEDUP = 10.0
QUERY_TARGET_S = 0.5
_COUNT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_EMPTY = "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { {values} GRAPH ?g { ?s ?p ?o } }"


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# -- the two engines, behind the few calls city_catalogs makes -----------------------------------

class Embedded:
    """The persistent embedded store of a Catalog."""

    name = "embedded (disk)"

    def __init__(self, catalog: gd.Catalog) -> None:
        self.catalog = catalog
        self.minter = catalog.minter
        self.settings = catalog.settings
        self.vocabulary_digest = catalog.vocabulary_digest

    def select(self, name: str, *, restrict: Mapping[str, Any] | None = None, **params: Any) -> SelectResult:
        return self.catalog.select(name, restrict=restrict, **params)

    def update(self, text: str) -> None:
        self.catalog._store.update(text)  # noqa: SLF001 - what a publication runs

    def size(self, graph: URIRef) -> int:
        rows = self.catalog._store.select(_COUNT, {"g": graph}).rows  # noqa: SLF001
        return int(rows[0][1].toPython()) if rows else 0  # type: ignore[union-attr]

    def empty(self, graph: URIRef) -> None:
        self.update(fill(_EMPTY, ["g"], [(graph,)]))


class Rdflib:
    """rdflib's in-memory Dataset and SPARQL engine, with the Catalog's parameter binding."""

    name = "rdflib Dataset"

    def __init__(self, catalog: gd.Catalog, quads: Iterable[tuple[Any, Any, Any, Any]]) -> None:
        self.catalog = catalog
        self.minter = catalog.minter
        self.settings = catalog.settings
        self.vocabulary_digest = catalog.vocabulary_digest
        self.dataset = Dataset()
        contexts: dict[URIRef, rdflib.Graph] = {}

        def with_context(quads: Iterable[tuple[Any, Any, Any, Any]]) -> Iterable[tuple[Any, Any, Any, rdflib.Graph]]:
            for s, p, o, g in quads:
                context = contexts.get(g)
                if context is None:
                    context = contexts[g] = self.dataset.graph(g)
                yield s, p, o, context

        self.dataset.addN(with_context(quads))

    def select(self, name: str, *, restrict: Mapping[str, Any] | None = None, **params: Any) -> SelectResult:
        named = queries.named(name)
        bindings = self.catalog._bind(named, params, restricted=list(restrict or {}))  # noqa: SLF001 - the Catalog's own binding
        text = named.text
        for variable, terms in (restrict or {}).items():  # as Catalog.select does
            text = sparql_values.restrict(text, variable, terms)
        result = self.dataset.query(text, initBindings=bindings)
        variables = tuple(str(v) for v in result.vars or ())
        return SelectResult(variables, tuple(tuple(row) for row in result))  # type: ignore[arg-type]

    def update(self, text: str) -> None:
        self.dataset.update(text)

    def size(self, graph: URIRef) -> int:
        return len(self.dataset.graph(graph))

    def empty(self, graph: URIRef) -> None:
        self.dataset.remove_graph(self.dataset.graph(graph))


# -- timing --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Timing:
    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def runs(self) -> int:
        return len(self.times)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def repeat(action: Callable[[], Any], runs: int, budget: float) -> tuple[Timing, Any]:
    times, result = [], None
    for _ in range(runs):
        seconds, result = timed(action)
        times.append(seconds)
        if sum(times) > budget:
            break
    return Timing(times), result


# -- setup: the city through the workflow --------------------------------------------------------

def city_entries(count: int) -> list[gd.Entry]:
    themes = list(gd.Theme)
    return [
        dataclasses.replace(e, theme=themes[(i // 4) % len(themes)]) if i % 4 == 0 else e
        for i, e in enumerate(synthetic.entries(count))
    ]


def write_city(entries: list[gd.Entry], path: Path) -> int:
    return synthetic.write_records(entries, path, head=synthetic.ORGANS_FILE.read_bytes())


class Setup:
    """Runs and times the untimed part: load, validate, the workflow rounds."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, float, float]] = []  # (what, calls, total s, max s)
        self.clock = START

    def note(self, what: str, times: list[float]) -> None:
        self.rows.append((what, len(times), sum(times), max(times) if times else 0.0))
        log(f"{what}: {len(times)} call(s), {sum(times):.2f} s")

    def at(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def submit(self, catalog: gd.Catalog, codes_by_organ: Mapping[str, list[str]], report: gd.ValidationReport, label: str) -> None:
        times = []
        for organ, codes in sorted(codes_by_organ.items()):
            if codes:
                seconds, _ = timed(lambda: catalog.workflow.submit(organ, codes=codes, report=report, at=self.at()))
                times.append(seconds)
        self.note(f"{label}: submit (one call per organ)", times)

    def advance(self, catalog: gd.Catalog, label: str) -> None:
        """Take every step from audit to ratification, each by the organs items wait for."""
        wf = catalog.workflow
        tree = wf.tree()
        scans = []
        for step in STEPS:
            scan, items = timed(wf.items)
            scans.append(scan)
            actors = sorted({i.waiting_for for i in items if i.step == step and i.waiting_for is not None})
            verb = STEP_NAMES[step]
            times = []
            for actor in actors:
                uscc = tree.organs[actor].uscc
                seconds, _ = timed(lambda: getattr(wf, verb)(uscc, at=self.at()))
                times.append(seconds)
            self.note(f"{label}: {verb} ({len(actors)} organ(s))", times)
        self.note(f"{label}: read all work items (work_items.rq, unfiltered; benchmark's own)", scans)


def prepare(size: int, tmp: Path, setup: Setup) -> dict[str, Any]:
    entries = city_entries(size)
    path = tmp / "city.ttl"
    triples = write_city(entries, path)
    catalog = gd.Catalog.open(tmp / "store", settings=gd.Settings())
    seconds, _ = timed(lambda: catalog.load(path))
    setup.note(f"load organs + {size:,} entries ({triples:,} triples) into the disk store", [seconds])
    seconds, report = timed(lambda: catalog.validate(as_of=AS_OF))
    setup.note("validate once (fast path)", [seconds])
    minter = catalog.minter
    bad = set(violations_by_entry(report, [minter.entry(e.code) for e in entries]))
    valid = [e for e in entries if minter.entry(e.code) not in bad]
    by_organ: dict[str, list[str]] = {}
    for e in valid:
        by_organ.setdefault(e.provider, []).append(e.code)
    setup.submit(catalog, by_organ, report, "round 1")
    setup.advance(catalog, "round 1")
    return {"catalog": catalog, "entries": entries, "valid": valid, "withheld": len(entries) - len(valid),
            "triples": triples, "report": report}


def second_round(state: dict[str, Any], setup: Setup) -> dict[str, Any]:
    """1 % of the valid entries revised (a third also change their open attribute), 0.2 %
    withdrawn; taken through the workflow up to ratification."""
    catalog: gd.Catalog = state["catalog"]
    valid: list[gd.Entry] = state["valid"]
    step = max(1, len(valid) // max(1, len(valid) // 100))
    revised_src = valid[::step][: max(1, len(valid) // 100)]
    revised = []
    for i, e in enumerate(revised_src):
        opened = e.open
        if i % 3 == 0:
            opened = gd.OpenAttribute.NOT_OPEN if e.open is gd.OpenAttribute.UNCONDITIONAL else gd.OpenAttribute.UNCONDITIONAL
        revised.append(dataclasses.replace(e, title_zh=f"{e.title_zh}（修订）", open=opened, modified=date(2026, 10, 15)))
    taken = {e.code for e in revised}
    withdrawn = [e for e in valid[step // 2 :: step] if e.code not in taken][: max(1, len(valid) // 500)]
    seconds, _ = timed(lambda: catalog.put(*revised))
    setup.note(f"round 2: put {len(revised):,} revised entries (new versions)", [seconds])
    seconds, report = timed(lambda: catalog.validate(as_of=AS_OF, changed=[e.code for e in revised], previous=state["report"]))
    setup.note("round 2: re-validate the revised entries", [seconds])
    by_organ: dict[str, list[str]] = {}
    for e in revised:
        by_organ.setdefault(e.provider, []).append(e.code)
    setup.submit(catalog, by_organ, report, "round 2")
    times = []
    gone: dict[str, list[str]] = {}
    for e in withdrawn:
        gone.setdefault(e.provider, []).append(e.code)
    for organ, codes in sorted(gone.items()):
        seconds, _ = timed(lambda: catalog.workflow.withdraw(organ, codes, reason="数据已停止采集", at=setup.at()))
        times.append(seconds)
    setup.note(f"round 2: withdraw {len(withdrawn):,} entries (one call per organ)", times)
    setup.advance(catalog, "round 2")
    return {"revised": revised, "withdrawn": withdrawn}


# -- builds ----------------------------------------------------------------------------------------

def build_once(engine: Any, publisher: URIRef, when: Literal, entries: set[URIRef] | None
               ) -> tuple[float, dict[str, float], city_catalogs.Members]:
    """Derive the members (of ``entries`` only, as a publication does: those of the items
    awaiting it; None: every entry), then plan and run each catalog's update; the times of each
    part."""
    def derive_all() -> tuple[city_catalogs.Members, dict[URIRef, int]]:
        return city_catalogs.members(engine, entries), city_catalogs.current_versions(engine, entries)

    derive, (derived, current) = timed(derive_all)
    kinds = {}
    for kind in CITY_CATALOG_KINDS:
        def one(kind: str = kind) -> None:
            _, _, text = city_catalogs.plan_catalog(
                engine, kind, derived, current, when=when, activity=engine.minter.activity(0), publisher=publisher,
                entries=entries,
            )
            engine.update(text)
        kinds[kind], _ = timed(one)
    return derive, kinds, derived


def undo(engine: Any, previous: Mapping[str, Mapping[URIRef, int]] | None, derived: city_catalogs.Members,
         publisher: URIRef, when: Literal, entries: set[URIRef] | None) -> None:
    """Bring the published graphs back to ``previous`` (None: empty), untimed."""
    if previous is None:
        for kind in CITY_CATALOG_KINDS:
            engine.empty(engine.minter.city_catalog(kind))
        return
    back = city_catalogs.Members(
        versions={k: {e: v for e, v in m.items() if entries is None or e in entries} for k, m in previous.items()},
        codes=derived.codes, withheld=(),
    )
    current = city_catalogs.current_versions(engine, entries)
    for kind in CITY_CATALOG_KINDS:
        _, _, text = city_catalogs.plan_catalog(
            engine, kind, back, current, when=when, activity=engine.minter.activity(0), publisher=publisher,
            entries=entries,
        )
        engine.update(text)


def published(engine: Any) -> dict[str, dict[URIRef, int]]:
    return {k: city_catalogs.published_versions(engine, engine.minter.city_catalog(k)) for k in CITY_CATALOG_KINDS}


def builds(engine: Any, *, full: bool, runs: int, budget: float, publisher: URIRef, when: Literal,
           entries: set[URIRef] | None = None) -> dict[str, Timing]:
    """Time ``runs`` builds (full: from empty graphs, every entry derived; else: up to date from
    what is published, ``entries`` re-derived), undoing each but the last; returns timings per
    part."""
    before = published(engine)
    parts: dict[str, list[float]] = {"derive": [], **{k: [] for k in CITY_CATALOG_KINDS},
                                     **{f"{k}+derive": [] for k in CITY_CATALOG_KINDS}}
    spent = 0.0
    for run in range(runs):
        if full:
            undo(engine, None, None, publisher, when, None)  # type: ignore[arg-type]
        derive, kinds, derived = build_once(engine, publisher, when, None if full else entries)
        parts["derive"].append(derive)
        for kind, seconds in kinds.items():
            parts[kind].append(seconds)
            parts[f"{kind}+derive"].append(seconds + derive)
        spent += derive + sum(kinds.values())
        log(f"{engine.name}: {'full' if full else 'incremental'} build run {run + 1}: derive {derive:.2f} s, "
            + ", ".join(f"{k} {s:.2f} s" for k, s in kinds.items()))
        if spent > budget or run == runs - 1:
            break
        if not full:
            undo(engine, before, derived, publisher, when, entries)
    return {k: Timing(v) for k, v in parts.items()}


# -- filter queries ----------------------------------------------------------------------------------

FAST, COMBINED = "fast", "combined"
LIMIT = 1000  # the fast queries' LIMIT


@dataclasses.dataclass(frozen=True)
class Case:
    label: str
    kind: str  # city catalog kind, or "" for a query over the workflow
    query: str
    params: dict[str, Any]
    group: str = FAST  # FAST: the 0.5 s target; COMBINED: catalog_entries, reported, no target

    @property
    def key(self) -> tuple[str, str]:
        return (self.label, self.kind)


def filter_cases(catalog: gd.Catalog, revised: list[gd.Entry], valid: list[gd.Entry]) -> list[Case]:
    """Every query timed: the fast single-filter queries (one per filter), the counts, the
    workflow queries; then the combined, ordered listing ``catalog_entries`` (separate rows)."""
    minter = catalog.minter
    tree = catalog.workflow.tree()
    county_governments = [o for o in tree.organs.values()
                          if o.kind == gd.OrganKind.PEOPLES_GOVERNMENT.iri and o.level == gd.AdminLevel.COUNTY.iri]
    organ = max(county_governments, key=lambda o: (len(tree.sub_organs(o.iri)), o.uscc)).iri
    providers: dict[str, int] = {}
    for e in valid:
        providers[e.provider] = providers.get(e.provider, 0) + 1
    provider = minter.organ(max(providers, key=lambda p: (providers[p], p)))
    by_value = {  # catalog_by_<name>: ?value (the property is written in each query)
        "category": (GD.category, gd.Category.DEPARTMENTAL.iri),
        "basic_database": (GD.basicDatabase, gd.BasicDatabase.POPULATION.iri),
        "theme": (GD.theme, gd.Theme.SOCIAL_SECURITY.iri),
        "grade": (GD.grade, gd.Grade.NON_SENSITIVE.iri),
        "share": (GD.shareAttribute, gd.ShareAttribute.CONDITIONAL.iri),
        "open": (GD.openAttribute, gd.OpenAttribute.UNCONDITIONAL.iri),
        "cycle": (DCTERMS.accrualPeriodicity, gd.UpdateCycle.ANNUAL.iri),
        "provider": (DCTERMS.publisher, provider),
    }
    dimensions = {
        "publisher": DCTERMS.publisher, "category": GD.category, "basic_database": GD.basicDatabase,
        "theme": GD.theme, "grade": GD.grade, "share": GD.shareAttribute, "open": GD.openAttribute,
        "cycle": DCTERMS.accrualPeriodicity,
    }
    skip = {"sharing": {"open"}, "open": {"share"}}  # not in that catalog's index
    cases = []
    for kind in CITY_CATALOG_KINDS:
        iri = minter.city_catalog(kind)
        cases.append(Case("catalog_entries_of_organ (a district, with sub-organs)", kind, "catalog_entries_of_organ",
                          {"catalog": iri, "organ": organ}))
        cases.append(Case("catalog_entries_of_level (county)", kind, "catalog_entries_of_level",
                          {"catalog": iri, "level": gd.AdminLevel.COUNTY.iri}))
        for name, (dimension, value) in by_value.items():
            if name not in skip.get(kind, ()):
                cases.append(Case(f"catalog_by_{name}", kind, f"catalog_by_{name}",
                                  {"catalog": iri, "value": value}))
        cases.append(Case("catalog_search, text", kind, "catalog_search", {"catalog": iri, "text": Literal("resource 42")}))
        for name, predicate in dimensions.items():
            if name not in skip.get(kind, ()):
                cases.append(Case(f"catalog_counts by {name}", kind, "catalog_counts", {"catalog": iri, "dimension": predicate}))
        cases.append(Case("catalog_counts_by_organ", kind, "catalog_counts_by_organ", {"catalog": iri}))
        cases.append(Case("catalog_counts_by_level", kind, "catalog_counts_by_level", {"catalog": iri}))
        cases.append(Case("publication_changes", kind, "publication_changes", {"catalog": iri}))
    cases.append(Case("pending_work (municipal big-data dept.)", "", "pending_work", {"organ": tree.municipal_bda}))
    cases.append(Case("entry_trail (a revised entry)", "", "entry_trail", {"entry": minter.entry(revised[0].code)}))
    general = minter.city_catalog("general")
    cases.append(Case("combined listing: catalog_entries, no filter", "general", "catalog_entries",
                      {"catalog": general}, COMBINED))
    cases.append(Case("combined listing: catalog_entries, theme + level", "general", "catalog_entries",
                      {"catalog": general, "theme": gd.Theme.SOCIAL_SECURITY.iri, "level": gd.AdminLevel.COUNTY.iri},
                      COMBINED))
    return cases


@dataclasses.dataclass
class Measured:
    timing: Timing
    rows: collections.Counter[tuple[Any, ...]]

    @property
    def count(self) -> int:
        return sum(self.rows.values())


def run_filters(engine: Any, cases: list[Case], runs: int, budget: float, combined_runs: int,
                combined_budget: float, skip: Callable[[Case], bool] = lambda c: False) -> list[Measured | None]:
    out: list[Measured | None] = []
    for case in cases:
        if skip(case):
            out.append(None)
            log(f"{engine.name}: {case.label} [{case.kind}] skipped (predicted over the cap)")
            continue
        fast = case.group == FAST
        timing, result = repeat(lambda case=case: engine.select(case.query, **case.params),
                                runs if fast else combined_runs, budget if fast else combined_budget)
        out.append(Measured(timing, collections.Counter(result.rows)))
        log(f"{engine.name}: {case.label} [{case.kind}] {timing.median:.3f} s ({len(result)} rows, {timing.runs} runs)")
    return out


def same_rows(e: Measured, r: Measured | None) -> str:
    """Rows compared as multisets (the fast queries return rows in store order)."""
    if r is None:
        return "not measured"
    if e.rows == r.rows:
        return "yes"
    if e.count == r.count == LIMIT and len(e.rows) == len(r.rows) == LIMIT:
        shared = sum((e.rows & r.rows).values())
        return f"both at the limit, distinct rows ({shared:,} in common)"
    return f"NO ({r.count:,} in rdflib, {sum((e.rows & r.rows).values()):,} in common)"


# -- one size ------------------------------------------------------------------------------------

History = dict[tuple[str, ...], tuple[int, Timing]]
"""rdflib's timing of a row at the largest size where it was measured: row key -> (size, timing)."""


def build_key(key: str, part: str) -> tuple[str, ...]:
    return ("build", key, part)


def predicted(history: History, key: tuple[str, ...], size: int) -> float | None:
    if key not in history:
        return None
    ref_size, timing = history[key]
    return timing.median * size / ref_size


@dataclasses.dataclass
class Options:
    runs: int
    budget: float
    rdflib_budget: float
    rdflib_cap: float
    combined_runs: int
    combined_budget: float
    full_builds: bool = True


def measure(size: int, opts: Options, tmp: Path, *, baseline_too: bool, history: History) -> dict[str, Any]:
    runs, budget = opts.runs, opts.budget
    setup = Setup()
    state = prepare(size, tmp, setup)
    catalog: gd.Catalog = state["catalog"]
    embedded = Embedded(catalog)
    tree = catalog.workflow.tree()
    publisher = tree.municipal_bda
    bda = tree.organs[tree.municipal_bda].uscc
    when = Literal(START, datatype=XSD.dateTime)

    seconds, result = timed(lambda: catalog.workflow.publish(bda, at=setup.at()))
    setup.note("round 1: publish (the library's first build of the three catalogs, recorded)", [seconds])
    members_after_1 = {k: c.members for k, c in (result.changes or {}).items()}
    full_embedded = None
    if opts.full_builds:
        log("embedded: full builds")
        full_embedded = builds(embedded, full=True, runs=runs, budget=budget, publisher=publisher, when=when)

    round2 = second_round(state, setup)
    quads = None
    if baseline_too:
        seconds, quads = timed(lambda: list(catalog._store.quads()))  # noqa: SLF001
        setup.note(f"read {len(quads):,} quads from the store for rdflib", [seconds])

    pending = {i.entry for i in catalog.workflow.items(awaits=bda, step=GD.Publication)}
    log(f"embedded: incremental builds ({len(pending):,} entries awaiting publication re-derived)")
    incremental_embedded = builds(embedded, full=False, runs=runs, budget=budget, publisher=publisher, when=when,
                                  entries=pending)
    sizes_embedded = {k: embedded.size(catalog.minter.city_catalog(k)) for k in CITY_CATALOG_KINDS}
    cases = filter_cases(catalog, round2["revised"], state["valid"])
    log("embedded: filter queries")
    filters_embedded = run_filters(embedded, cases, runs, budget, opts.combined_runs, opts.combined_budget)

    full_rdflib = incremental_rdflib = sizes_rdflib = sizes_rdflib_full = None
    filters_rdflib: list[Measured | None] = [None] * len(cases)
    if baseline_too:
        def over_cap(key: str) -> bool:
            total = sum(predicted(history, build_key(key, part), size) or 0.0 for part in ("derive", *CITY_CATALOG_KINDS))
            if total > opts.rdflib_cap:
                log(f"rdflib: {key} builds skipped (predicted {total:.0f} s from a smaller size, over the cap)")
                return True
            return False

        log("rdflib: load")
        seconds, baseline = timed(lambda: Rdflib(catalog, quads))
        del quads
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        setup.note(f"rdflib Dataset.addN of the same quads (process peak {rss:,.0f} MiB after)", [seconds])
        if not over_cap("incremental"):
            log("rdflib: incremental builds")
            incremental_rdflib = builds(baseline, full=False, runs=runs, budget=opts.rdflib_budget, publisher=publisher,
                                        when=when, entries=pending)
            sizes_rdflib = {k: baseline.size(catalog.minter.city_catalog(k)) for k in CITY_CATALOG_KINDS}
        log("rdflib: filter queries")
        if incremental_rdflib is None:  # the published graphs must match the embedded store's
            for kind in CITY_CATALOG_KINDS:  # untimed: a copy (rdflib's DELETE over GRAPH ?g is far too slow)
                g = catalog.minter.city_catalog(kind)
                baseline.empty(g)
                target = baseline.dataset.graph(g)
                target.addN((s_, p_, o_, target) for s_, p_, o_, _ in catalog._store.quads(graph=g))  # noqa: SLF001
            sizes_rdflib = {k: baseline.size(catalog.minter.city_catalog(k)) for k in CITY_CATALOG_KINDS}
        filters_rdflib = run_filters(
            baseline, cases, runs, opts.rdflib_budget, 1, opts.rdflib_budget,
            skip=lambda c: (predicted(history, c.key, size) or 0.0) > opts.rdflib_cap,
        )
        if not over_cap("full"):
            log("rdflib: full builds")
            full_rdflib = builds(baseline, full=True, runs=runs, budget=opts.rdflib_budget, publisher=publisher, when=when)
            sizes_rdflib_full = {k: baseline.size(catalog.minter.city_catalog(k)) for k in CITY_CATALOG_KINDS}
        del baseline
    else:
        del quads

    seconds, result = timed(lambda: catalog.workflow.publish(bda, at=setup.at()))
    setup.note("round 2: publish (catalogs already brought up to date by the benchmark)", [seconds])
    catalog.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size, "triples": state["triples"], "withheld": state["withheld"], "setup": setup.rows,
        "revised": len(round2["revised"]), "withdrawn": len(round2["withdrawn"]), "members": members_after_1,
        "builds": {"full": (full_embedded, full_rdflib), "incremental": (incremental_embedded, incremental_rdflib)},
        "sizes": (sizes_embedded, sizes_rdflib, sizes_rdflib_full),
        "filters": list(zip(cases, filters_embedded, filters_rdflib, strict=True)), "peak_mib": peak,
    }


def remember(history: History, result: dict[str, Any]) -> None:
    """Record rdflib's measured timings of this size for later sizes."""
    for key, (_, rdf) in result["builds"].items():
        if rdf is not None:
            for part, timing in rdf.items():
                history[build_key(key, part)] = (result["size"], timing)
    for case, _, measured in result["filters"]:
        if measured is not None:
            history[case.key] = (result["size"], measured.timing)


# -- the report --------------------------------------------------------------------------------------

def runs_note(t: Timing, runs: int) -> str:
    return "" if t.runs == runs else f" ({t.runs} run{'s' if t.runs > 1 else ''})"


class Baseline:
    """rdflib's time for a row: measured in this run at this size, or extrapolated linearly from
    the largest size where it was measured (a lower bound: rdflib's times here grow faster than
    linearly)."""

    def __init__(self, timing: Timing | None, runs: int, size: int, reference: tuple[int, Timing] | None) -> None:
        self.measured = timing is not None
        if timing is not None:
            self.seconds: float | None = timing.median
            self.text = f"{timing.median:.3f}{runs_note(timing, runs)}"
        elif reference is not None:
            ref_size, ref = reference
            self.seconds = ref.median * size / ref_size
            self.text = f">= {self.seconds:.1f} (linear from {ref_size:,})"
        else:
            self.seconds, self.text = None, "not measured"


def report(result: dict[str, Any], runs: int, combined_runs: int, history: History) -> str:
    """The markdown tables of one size; rdflib rows not measured at this size are extrapolated
    from ``history`` (smaller sizes)."""
    r = result
    size = r["size"]
    out = [f"### {size:,} entries ({r['triples']:,} entry triples; {r['withheld']:,} withheld for violations)\n"]
    out.append(f"Machine: {platform.python_implementation()} {platform.python_version()}, "
               f"{os.cpu_count()} cores, pyoxigraph {pyoxigraph.__version__}, rdflib {rdflib.__version__}; "
               f"medians of {runs} runs unless a row says fewer; process peak RSS after this size "
               f"{r['peak_mib']:,.0f} MiB.\n")
    out.append("Setup (one run each; not part of the targets):\n")
    out.append("| step | calls | total s | slowest call s |")
    out.append("|---|---:|---:|---:|")
    for what, calls, total, slowest in r["setup"]:
        out.append(f"| {what} | {calls} | {total:.2f} | {slowest:.2f} |")
    out.append("\nMembers after round 1: " + ", ".join(f"{k} {v:,}" for k, v in r["members"].items())
               + f". Round 2: {r['revised']:,} entries revised, {r['withdrawn']:,} withdrawn.\n")
    sizes_e, sizes_r, sizes_rf = r["sizes"]
    line = "Published graph statements after the incremental build: embedded " + ", ".join(f"{k} {v:,}" for k, v in sizes_e.items())
    if sizes_r is not None:
        line += "; rdflib " + ", ".join(f"{k} {v:,}" for k, v in sizes_r.items()) + (" (same)" if sizes_r == sizes_e else " (DIFFERENT)")
    if sizes_rf is not None:
        line += "; rdflib after its full build " + ", ".join(f"{k} {v:,}" for k, v in sizes_rf.items())
    out.append(line + ".\n")
    out.append("Builds (derivation is `city_members.rq`, shared by the three kinds; \"+ derivation\" adds it to"
               " each kind, run by run; targets at 100,000 entries: under 10 s with derivation, at least 10x"
               " faster than rdflib):\n")
    out.append("| build | part | embedded s | rdflib s | speed-up | < 10 s | >= 10x |")
    out.append("|---|---|---:|---:|---:|---|---|")
    for label, key in (("full", "full"), ("brought up to date", "incremental")):
        emb, rdf = r["builds"][key]
        if emb is None:  # --no-full-builds
            continue
        for part in ("derive", *CITY_CATALOG_KINDS, *(f"{k}+derive" for k in CITY_CATALOG_KINDS)):
            e = emb[part]
            b = Baseline(rdf[part] if rdf else None, runs, size, history.get(build_key(key, part)))
            name = "derivation" if part == "derive" else part.replace("+derive", " + derivation")
            speed = b.seconds / e.median if b.seconds is not None and e.median else None
            speed_text = "-" if speed is None else (f"{speed:.1f}x" if b.measured else f">= {speed:.1f}x")
            under = ("pass" if e.median < BUILD_TARGET_S else "FAIL") if part != "derive" else ""
            tenx = "" if part == "derive" or speed is None else ("pass" if speed >= BUILD_TARGET_SPEEDUP else ("FAIL" if b.measured else "unknown"))
            out.append(f"| {label} | {name} | {e.median:.3f}{runs_note(e, runs)} | {b.text} | {speed_text} | {under} | {tenx} |")
    for group, title in (
        (FAST, ("Filter queries: the fast single-filter queries (at most 1,000 rows, store order), the counts and"
                " the workflow queries (the same parameters bound as terms in both engines; rows compared as"
                " multisets; target: median under 0.5 s at 100,000 entries):")),
        (COMBINED, (f"Combined listing: `catalog_entries` (every filter in one query, ordered by code, no limit;"
                    f" {combined_runs} run(s) at most; no target, reported for the record):")),
    ):
        out.append(f"\n{title}\n")
        out.append("| query | catalog | rows | embedded s | rdflib s | embedded/rdflib | < 0.5 s | same rows |")
        out.append("|---|---|---:|---:|---:|---:|---|---|")
        for case, e, measured in r["filters"]:
            if case.group != group:
                continue
            b = Baseline(measured.timing if measured else None, runs if group == FAST else 1, size, history.get(case.key))
            ratio = "-" if not b.seconds else (f"{e.timing.median / b.seconds:.3f}" if b.measured else f"<= {e.timing.median / b.seconds:.3f}")
            target = ("pass" if e.timing.median < QUERY_TARGET_S else "FAIL") if group == FAST else "-"
            out.append(f"| {case.label} | {case.kind or '-'} | {e.count:,} | "
                       f"{e.timing.median:.4f}{runs_note(e.timing, runs if group == FAST else combined_runs)} | {b.text} | {ratio} | "
                       f"{target} | {same_rows(e, measured)} |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated entry counts")
    parser.add_argument("--baseline-sizes", default=None,
                        help="sizes at which rdflib runs too (default: every size); other sizes show rdflib"
                             " extrapolated linearly from the largest measured one, labelled")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0,
                        help="stop repeating an embedded measurement once its runs pass this many seconds")
    parser.add_argument("--rdflib-budget", type=float, default=120.0,
                        help="the same for rdflib (a slow baseline is then measured once)")
    parser.add_argument("--rdflib-cap", type=float, default=600.0,
                        help="at a baseline size, skip an rdflib row whose time at a smaller size, scaled"
                             " linearly, passes this many seconds (the row then shows the extrapolation)")
    parser.add_argument("--combined-runs", type=int, default=1, help="runs of the combined catalog_entries rows")
    parser.add_argument("--combined-budget", type=float, default=30.0, help="budget of the combined rows")
    parser.add_argument("--no-full-builds", action="store_true",
                        help="skip the full builds (at 100,000 they take 10 minutes; the first publication is one)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    baseline_sizes = set(sizes) if args.baseline_sizes is None else {int(s) for s in args.baseline_sizes.split(",") if s.strip()}
    opts = Options(args.runs, args.budget, args.rdflib_budget, args.rdflib_cap, args.combined_runs, args.combined_budget,
                   not args.no_full_builds)
    history: History = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            log(f"N = {size:,}")
            result = measure(size, opts, Path(tmp), baseline_too=size in baseline_sizes, history=history)
        print(report(result, args.runs, args.combined_runs, history), flush=True)
        remember(history, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
