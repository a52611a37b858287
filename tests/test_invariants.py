"""Property tests: the invariants of the Article 12 workflow over random small cities (issue text).

"An organ's sharing and open catalogs are derived from its entries' attributes, never written by
hand, and built by allow-list: an entry is publishable in the open catalog only when it is
approved, its open attribute is unconditional or conditional (依申请开放 included; such entries are
published with their open condition) and its grade permits opening; everything else is
restricted. An entry with a missing or unknown value is withheld and reported, never defaulted.
The sharing catalog never holds a not-shared entry; the open catalog never holds a not-open entry
or an entry whose grade forbids opening, nor the condition texts or data items of restricted
entries; every published entry went through every step its organ's path requires; the general
catalog is exactly the union of the approved organ catalogs."

Each example builds a random city (tests/cities.py) and plays a few rounds of the workflow with
random decisions: drafts (some invalid) are put and submitted, every step accepts or returns some
entries with reasons, returned entries are corrected or resubmitted, published ones revised or
withdrawn, refused steps are tried on the side. :class:`Play` keeps its own model of where every
work item is (from the routes of tests/cities.py, not from the library) and checks the library
against it at every step; after each publication the published graphs and the exports are
checked against every invariant.

Profiles (tests/conftest.py): "ci" (default, 500 examples per property, fixed seed) and "long"
(``HYPOTHESIS_PROFILE=long``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from govdata_ld import (
    Catalog,
    Entry,
    Grade,
    OpenAttribute,
    OrganKind,
    Settings,
    ShareAttribute,
    StepResult,
    ValidationReport,
    WorkflowDecision,
    WorkflowError,
    WorkflowState,
    resources,
)
from govdata_ld import city_catalogs, city_index
from govdata_ld.city_catalogs import members
from govdata_ld.graphs import change
from govdata_ld.namespaces import GD
from govdata_ld.validation import violations_by_entry

from .cities import (
    AS_OF,
    GUIYANG,
    GUIZHOU,
    NEEDS_OPEN_CONDITION,
    OPEN_ALLOW,
    SECRET_WORDS,
    SHARE_ALLOW,
    VERBS,
    City,
    Leg,
    Scheme,
    build_city,
    carrier,
    cities,
    drafts,
    entry_codes,
    opened,
    refusals,
    shared,
)

KINDS = ("general", "sharing", "open")
STEP_CLASS = {
    "submit": GD.Submission, "audit": GD.Audit, "approve": GD.Approval, "report": GD.Reporting,
    "review": GD.Review, "summarise": GD.Summarisation, "ratify": GD.Ratification,
    "publish": GD.Publication,
}
STATE_AFTER = {
    "submit": WorkflowState.SUBMITTED, "audit": WorkflowState.AUDITED, "approve": WorkflowState.APPROVED,
    "report": WorkflowState.REPORTED, "review": WorkflowState.REVIEWED,
    "summarise": WorkflowState.SUMMARISED, "ratify": WorkflowState.RATIFIED,
    "publish": WorkflowState.PUBLISHED,
}
DECIDING = frozenset({"audit", "approve", "review", "ratify"})
REASONS = ("共享条件表述不清", "请补充信息项", "duplicate of another resource", "分级有误，请复核")
NOT_FOR_THE_OPEN_PLATFORM = frozenset({
    GD.shareAttribute, GD.shareCondition, GD.legalBasis, GD.shareMode, GD.internalContactPoint,
    GD.sourceSystem, GD.sourceBusiness,
})
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
MARK = re.compile(r"(\d{6}/\d{6})#v(\d+)")



# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Settings]:
    """Settings per open-attribute scheme; the Guiyang one replaces grades.ttl with the shipped
    grades permitting 依申请开放 wherever they permit 有条件开放, as grades.ttl advises."""
    grades = Graph().parse(data=resources.ontology_texts()["grades"], format="turtle")
    for grade in list(grades.subjects(GD.permitsOpenAttribute, OpenAttribute.CONDITIONAL.iri)):
        grades.add((grade, GD.permitsOpenAttribute, OpenAttribute.ON_APPLICATION.iri))
    path = tmp_path_factory.mktemp("codes") / "grades_on_application.ttl"
    grades.serialize(path, format="turtle")
    return {
        GUIZHOU.name: Settings(),
        GUIYANG.name: Settings(open_attribute_scheme=GUIYANG.name, code_lists={"grades": path}),
    }


@pytest.fixture(scope="module")
def stores(deployments: dict[str, Settings]) -> Iterator[Callable[[str], Catalog]]:
    """An empty memory catalog per example, for a deployment: one store per deployment is opened
    once (loading the vocabulary takes 0.1 s) and emptied of every other graph before each use,
    which leaves it as a freshly opened store holds it."""
    catalogs = {name: Catalog.open("memory", settings=s) for name, s in deployments.items()}
    size = {name: len(catalog) for name, catalog in catalogs.items()}

    def fresh(name: str) -> Catalog:
        catalog = catalogs[name]
        vocabulary = catalog.minter.vocabulary_graph()
        drops = [f"DROP GRAPH {g.n3()}" for g in catalog._store.graph_names() if g != vocabulary]
        if drops:
            catalog._store.update(" ;\n".join(drops))
        assert catalog._store.graph_names() == {vocabulary} and len(catalog) == size[name]
        return Catalog(catalog._store, deployments[name])

    yield fresh
    for catalog in catalogs.values():
        catalog.close()


# -- the model --------------------------------------------------------------------------------

RETURNED = -1


@dataclass
class Item:
    """Where the model expects one work item: the index of the leg it awaits (RETURNED: back with
    its organ; len(legs): published)."""

    code: str
    version: int
    withdrawal: bool
    organ: str
    legs: tuple[Leg, ...]
    at: int

    @property
    def awaits(self) -> Leg | None:
        return self.legs[self.at] if 0 <= self.at < len(self.legs) else None

    @property
    def in_flight(self) -> bool:
        return 0 <= self.at < len(self.legs)

    @property
    def approved(self) -> bool:
        """Ratified (awaiting publication) or published."""
        return self.at >= len(self.legs) - 1

    @property
    def status(self) -> URIRef:
        if self.at == RETURNED:
            return WorkflowState.RETURNED.iri
        if self.at == len(self.legs) and self.withdrawal:  # a published withdrawal (撤销)
            return WorkflowState.WITHDRAWN.iri
        return STATE_AFTER[self.legs[self.at - 1][0]].iri


class Play:
    """One random scenario on one store, with the model the library is checked against."""

    def __init__(self, catalog: Catalog, city: City, scheme: Scheme, data: st.DataObject) -> None:
        self.catalog, self.wf, self.city, self.scheme, self.data = catalog, catalog.workflow, city, scheme, data
        self.drafts: dict[str, list[Entry]] = {}
        self.items: dict[tuple[str, int, bool], Item] = {}
        self.published: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        self.report: ValidationReport | None = None
        self.publications = 0
        self.last_round = False
        self.held: set[str] = set()
        """Codes the scenario does not submit (a carrier kept for later)."""
        self.trusted: ValidationReport | None = None
        """A report the organs bring instead of validating (then only drafts the model finds
        valid are submitted)."""
        self.checking = True
        """Whether each publication is checked against every invariant."""

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def usually(self, label: str, odds: int = 4) -> bool:
        """True about (odds-1)/odds of the time, and in the simplest examples."""
        return self.draw(st.integers(0, odds - 1), label) != odds - 1

    # -- compiling -----------------------------------------------------------------------------

    def compile(self, *held: Entry) -> None:
        """Put the organs, a first draft of 1-4 entries for a few of them, and ``held``."""
        organs = [o.uscc for o in self.city.organs]
        providers = self.draw(st.lists(st.sampled_from(organs), min_size=1, max_size=3, unique=True), "providers")
        records: list[Any] = [*self.city.organs, *held]
        self.held |= {e.code for e in held}
        for uscc in providers:
            for code in entry_codes(self.city, uscc, self.draw(st.integers(1, 4), f"entries of {uscc}")):
                records.append(self.draw(drafts(code, uscc, 1, self.scheme), f"{code} v1"))
        self.put(records)

    def put(self, records: list[Any]) -> None:
        self.catalog.put(*records)
        for record in records:
            if isinstance(record, Entry):
                self.drafts.setdefault(record.code, []).append(record)
                if len(self.drafts[record.code]) > 1:
                    assert self.catalog.versions(record.code)[-1] == len(self.drafts[record.code])
        self.report = None

    def validation(self) -> ValidationReport:
        """The report of the current drafts: it flags exactly the drafts the rules refuse."""
        if self.trusted is not None:
            return self.trusted
        if self.report is None:
            self.report = self.catalog.validate(as_of=AS_OF)
            entries = {self.catalog.minter.entry(c): c for c in self.drafts}
            flagged = violations_by_entry(self.report, entries)
            expected = {c for c, versions in self.drafts.items() if refusals(versions[-1], self.scheme)}
            assert {entries[e] for e in flagged} == expected, self.report.violations
            assert sum(map(len, flagged.values())) == len(self.report.violations), "the organ tree fails validation"
        return self.report

    def revise(self) -> None:
        """New versions of some entries, whatever their state (the store keeps the old ones)."""
        records = []
        for code, versions in sorted(self.drafts.items()):
            if not self.usually(f"keep {code}", odds=2):
                version = len(versions) + 1
                records.append(self.draw(drafts(code, versions[0].provider, version, self.scheme), f"{code} v{version}"))
        if records:
            self.put(records)

    # -- the steps -----------------------------------------------------------------------------

    def submittable(self, code: str) -> bool:
        version = len(self.drafts[code])
        mine = [i for i in self.items.values() if i.code == code]
        if any(i.in_flight for i in mine):
            return False
        same = self.items.get((code, version, False))
        return same is None or same.at == RETURNED

    def submit(self) -> None:
        for organ in self.city.organs:
            codes = sorted(c for c, v in self.drafts.items()
                           if v[0].provider == organ.uscc and c not in self.held and self.submittable(c))
            if not codes:
                continue
            held = self.draw(st.sets(st.sampled_from(codes)), f"{organ.uscc} holds back") if not self.usually("all") else set()
            chosen = sorted(set(codes) - held)
            if self.trusted is not None:
                chosen = [c for c in chosen if not refusals(self.drafts[c][-1], self.scheme)]
            if not chosen:
                continue
            # the organ brings the report of the round, or (sometimes) lets the step validate
            report = self.validation() if self.trusted or self.usually(f"{organ.uscc} brings a report", odds=10) else None
            invalid = [c for c in chosen if refusals(self.drafts[c][-1], self.scheme)]
            valid = [c for c in chosen if c not in invalid]
            if invalid:
                event("an invalid draft refused")
                self.refused(self.wf.submit, organ.uscc, codes=chosen, report=report or self.validation())
            if valid:
                held = [c for c in self.held if self.drafts[c][0].provider == organ.uscc]
                everything = valid == codes and not invalid and not held
                result = self.wf.submit(organ.uscc, codes=None if everything and self.usually("no codes") else valid, report=report)
                assert sorted(result.accepted) == valid
                for code in valid:
                    key = (code, len(self.drafts[code]), False)
                    self.items[key] = Item(code, key[1], False, organ.uscc, self.city.route(organ.uscc), 1)

    def withdraw(self) -> None:
        for organ in self.city.organs:
            codes = []
            for code, version in sorted(self.published["general"].items()):
                mine = self.drafts[code][0].provider == organ.uscc
                flying = any(i.in_flight and i.withdrawal for i in self.items.values() if i.code == code)
                if mine and not flying:
                    codes.append(code)
            chosen = sorted(self.draw(st.sets(st.sampled_from(codes)), f"{organ.uscc} withdraws")) if codes else []
            if chosen:
                result = self.wf.withdraw(organ.uscc, chosen, reason=self.draw(st.sampled_from(REASONS), "why"))
                assert sorted(result.accepted) == chosen
                event("a withdrawal asked")
                for code in chosen:
                    version = self.published["general"][code]
                    self.items[(code, version, True)] = Item(code, version, True, organ.uscc, self.city.route(organ.uscc), 1)

    def waiting(self, verb: str, actor: str) -> list[Item]:
        """The items the model expects at (verb, actor), after checking the library agrees (when
        the model expects none, check_items compares every item at the end of the round)."""
        expected = [i for i in self.items.values() if i.awaits == (verb, actor)]
        if not expected:
            return expected
        actual = [i for i in self.wf.items(awaits=actor) if i.step == STEP_CLASS[verb]]
        assert sorted((i.code, i.version, i.withdrawal) for i in actual) == sorted(
            (i.code, i.version, i.withdrawal) for i in expected
        ), f"{verb} by {actor}"
        return expected

    def take(self, verb: str, actor: str) -> StepResult | None:
        """Take a step if anything awaits it (and the scenario wants to), with random decisions."""
        waiting = self.waiting(verb, actor)
        if not waiting or not (self.last_round or self.usually(f"{verb} by {actor} now", odds=6)):
            return None
        codes = sorted({i.code for i in waiting})
        kwargs: dict[str, Any] = {}
        taken = set(codes)
        if verb in ("audit", "approve", "report", "review") and not self.usually(f"{verb} all"):
            taken = set(self.draw(st.sets(st.sampled_from(codes), min_size=1), f"{verb} takes"))
        returned: set[str] = set()
        if verb in DECIDING and not self.usually(f"{verb} accepts all", odds=3):
            returned = set(self.draw(st.sets(st.sampled_from(sorted(taken))), f"{verb} returns"))
        if verb == "ratify" and not self.usually("ratify the summary", odds=6):
            kwargs["returned"] = self.draw(st.sampled_from(REASONS), "summary returned because")
            returned = taken
            event("a summary returned at ratification")
        elif returned:
            event(f"entries returned at {verb}")
            kwargs["returns"] = {c: self.draw(st.sampled_from(REASONS), f"{c} returned because") for c in sorted(returned)}
        if taken != set(codes):
            kwargs["codes"] = sorted(taken - returned)
        result: StepResult = getattr(self.wf, verb)(actor, **kwargs)
        moved = [i for i in waiting if i.code in taken]
        for item in moved:
            if item.code in returned:
                item.at = [v for v, _ in item.legs].index("summarise") if verb == "ratify" else RETURNED
            else:
                item.at += 1
        assert sorted(result.accepted) == sorted(i.code for i in moved if i.code not in returned)
        assert sorted(c for c, _ in result.returned) == sorted(i.code for i in moved if i.code in returned)
        return result

    def districts(self) -> None:
        for district in self.city.districts:
            self.take("audit", district.bda)
            self.take("approve", district.government)
            self.take("report", district.bda)

    def city_steps(self) -> None:
        self.take("review", self.city.bda)
        self.take("summarise", self.city.bda)
        self.publish()  # what was ratified before, while a new summary awaits ratification
        if self.take("ratify", self.city.government) is not None and self.usually("summarise the returns again"):
            self.take("summarise", self.city.bda)
            self.take("ratify", self.city.government)
        self.publish()

    def publish(self) -> None:
        if not self.waiting("publish", self.city.bda):
            return
        for verb in ("summarise", "ratify"):
            if any(i.awaits and i.awaits[0] == verb for i in self.items.values()):
                event(f"published while entries await {verb}")
        expected = self.expected()
        derived = members(self.catalog)
        assert {k: {self.code(e): v for e, v in vs.items()} for k, vs in derived.versions.items()} == expected
        result = self.take("publish", self.city.bda)
        if result is None:
            return
        assert result.changes is not None
        for kind in KINDS:
            old, new = self.published[kind], expected[kind]
            changes = result.changes[kind]
            assert sorted(changes.added) == sorted(c for c in new if c not in old), kind
            assert sorted(changes.changed) == sorted(c for c in new if c in old and old[c] != new[c]), kind
            assert sorted(changes.withdrawn) == sorted(c for c in old if c not in new), kind
            assert changes.members == len(new)
        self.published = expected
        self.publications += 1
        if self.checking:
            check_publication(self)

    def code(self, entry: URIRef) -> str:
        code = self.catalog.minter.code_of_entry(entry)
        assert code is not None
        return code

    def expected(self) -> dict[str, dict[str, int]]:
        """Who belongs in each city catalog: for each entry the highest approved version (a
        withdrawal winning a tie), when it is not a withdrawal, by allow-list for sharing and open."""
        winners: dict[str, Item] = {}
        for item in self.items.values():
            best = winners.get(item.code)
            if item.approved and (best is None or (item.version, item.withdrawal) > (best.version, best.withdrawal)):
                winners[item.code] = item
        general = {c: i.version for c, i in winners.items() if not i.withdrawal}
        return {
            "general": general,
            "sharing": {c: v for c, v in general.items() if shared(self.drafts[c][v - 1], self.scheme)},
            "open": {c: v for c, v in general.items() if opened(self.drafts[c][v - 1], self.scheme)},
        }

    # -- refused steps -------------------------------------------------------------------------

    def refused(self, step: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """A refused step raises WorkflowError and changes nothing (steps write only the workflow
        and published graphs; the size of the store tells any other write)."""
        before = self.snapshot()
        with pytest.raises(WorkflowError):
            step(*args, **kwargs)
        assert self.snapshot() == before
        event("a refused step")

    def snapshot(self) -> tuple[int, set[tuple[Any, ...]]]:
        minter = self.catalog.minter
        graphs = [minter.workflow_graph(), *(minter.city_catalog(k) for k in KINDS)]
        return len(self.catalog), {q for g in graphs for q in self.catalog._store.quads(g)}

    def probe(self) -> None:
        """Try one step the workflow must refuse."""
        kind = self.draw(st.sampled_from(["none", "none", "stranger", "blank reason", "unknown entry", "not published"]), "probe")
        organs = [o.uscc for o in self.city.organs]
        if kind == "stranger":
            verb = self.draw(st.sampled_from(VERBS[1:]), "verb")
            actor = self.draw(st.sampled_from(organs), "stranger")
            if not self.city.may_ever(actor, verb):
                self.refused(getattr(self.wf, verb), actor)
        elif kind in ("blank reason", "unknown entry"):
            deciders = sorted({i.awaits for i in self.items.values() if i.awaits and i.awaits[0] in DECIDING})
            if deciders:
                verb, actor = self.draw(st.sampled_from(deciders), "decider")
                code = self.waiting(verb, actor)[0].code if kind == "blank reason" else "399999/999999"
                reason = " " if kind == "blank reason" else REASONS[0]
                self.refused(getattr(self.wf, verb), actor, returns={code: reason})
        elif kind == "not published":
            unpublished = sorted(c for c in self.drafts if c not in self.published["general"])
            if unpublished:
                code = self.draw(st.sampled_from(unpublished), "unpublished")
                self.refused(self.wf.withdraw, self.drafts[code][0].provider, [code], reason=REASONS[0])

    # -- a whole scenario ----------------------------------------------------------------------

    def rounds(self, count: int, *held: Entry, probe: bool = True) -> None:
        self.compile(*held)
        for number in range(count):
            self.last_round = number == count - 1  # every step is taken: the catalogs are published
            if number:
                self.revise()
                self.withdraw()
            self.submit()
            if probe:
                self.probe()
            self.districts()
            self.city_steps()
            check_items(self)

    def push_through(self, code: str, *, rederive: bool = False) -> StepResult:
        """Submit a held entry and take it along its whole route, accepting everything awaiting
        the same steps, up to a publication (re-deriving every entry when asked)."""
        organ = self.drafts[code][0].provider
        self.held.discard(code)
        self.wf.submit(organ, codes=[code], report=self.validation())
        self.items[(code, 1, False)] = Item(code, 1, False, organ, self.city.route(organ), 1)
        for verb, actor in self.city.route(organ)[1:-1]:
            waiting = self.waiting(verb, actor)
            result = getattr(self.wf, verb)(actor)
            assert not result.returned
            for item in waiting:
                item.at += 1
        waiting = self.waiting("publish", self.city.bda)
        result = self.wf.publish(self.city.bda, rederive=rederive)
        for item in waiting:
            item.at += 1
        return result


# -- the invariants ---------------------------------------------------------------------------


def check_items(play: Play) -> None:
    """Every work item has exactly one state, and it is where the model says."""
    rows = play.wf.items()
    assert len({r.item for r in rows}) == len(rows), "a work item has more than one state"
    assert {(r.code, r.version, r.withdrawal) for r in rows} == set(play.items)
    for row in rows:
        item = play.items[(row.code, row.version, row.withdrawal)]
        assert row.status == item.status, (row.code, row.version, row.withdrawal)
        assert row.organ == play.catalog.minter.organ(item.organ)
        awaits = item.awaits if item.at != RETURNED else None
        if awaits is None:
            assert row.step in (None, GD.Compilation)
        else:
            assert (row.step, row.waiting_for) == (STEP_CLASS[awaits[0]], play.catalog.minter.organ(awaits[1]))


def check_publication(play: Play) -> None:
    """Every invariant, after a publication the model has followed."""
    catalog, minter = play.catalog, play.catalog.minter
    for kind in KINDS:
        rows = catalog.select("published_entries", catalog=minter.city_catalog(kind)).dicts()
        assert {str(r["code"]): int(str(r["version"])) for r in rows} == play.published[kind], kind
    check_index(play)
    check_counts(play)
    check_export(play, "open")
    check_export(play, "sharing")
    for code, version in play.published["general"].items():
        check_trail(play, code, version)
    check_organ_catalogs(play)
    assert members(catalog).withheld == ()


def check_index(play: Play) -> None:
    """The published sharing and open graphs index only shared, resp. opened, members, and the open
    one nothing the open platform must not receive."""
    minter = play.catalog.minter
    sharing = {(s, p, o) for s, p, o, _ in play.catalog._store.quads(minter.city_catalog("sharing"))}
    for code in play.published["sharing"]:
        values = {o for s, p, o in sharing if s == minter.entry(code) and p == GD.shareAttribute}
        assert values and {ShareAttribute(v) for v in values} <= SHARE_ALLOW, code
    open_ = {(s, p, o) for s, p, o, _ in play.catalog._store.quads(minter.city_catalog("open"))}
    assert not {p for _, p, _ in open_} & NOT_FOR_THE_OPEN_PLATFORM
    for code in play.published["open"]:
        entry = minter.entry(code)
        values = {o for s, p, o in open_ if s == entry and p == GD.openAttribute}
        grades = {o for s, p, o in open_ if s == entry and p == GD.grade}
        assert len(values) == 1 and len(grades) == 1, code
        (value,), (grade,) = values, grades
        assert OpenAttribute(value) in OPEN_ALLOW and OpenAttribute(value) in play.scheme.permits_open[Grade(grade)]


def check_counts(play: Play) -> None:
    """The member counts each published graph records (city_index, kept by difference from one
    publication to the next) equal a count of its members' indexed values, property by property."""
    for kind in KINDS:
        iri = play.catalog.minter.city_catalog(kind)
        quads = [(s, p, o) for s, p, o, _ in play.catalog._store.quads(iri)]
        members = {o for s, p, o in quads if s == iri and p == DCAT.dataset}
        counted = [p for p in city_index.COUNTED if p in city_catalogs.INDEX[kind]]
        expected = Counter((p, o) for s, p, o in quads if s in members and p in counted)
        recorded = {(row[2], row[3]): int(str(row[4])) for row in play.catalog.select("member_counts", catalog=iri).rows}
        assert recorded == dict(expected), kind


def entry_of(play: Play, term: object) -> str | None:
    """The resource code of the entry a term is or belongs to (its nodes are named under it)."""
    prefix = f"{play.catalog.settings.base_iri}resource/"
    if not isinstance(term, URIRef) or not str(term).startswith(prefix):
        return None
    return play.catalog.minter.code_of_entry(prefix + str(term)[len(prefix):].split("/")[0])


def check_export(play: Play, kind: str) -> None:
    """An export describes its members, at their published version, and nothing of any other
    entry; the open one nothing the open platform must not receive, and the open condition of
    every conditionally or on-application opened member."""
    members_ = play.published[kind]
    minter = play.catalog.minter
    query = "open_catalog" if kind == "open" else "city_catalog"
    graph = play.catalog.run(query, catalog=minter.city_catalog(kind))
    assert isinstance(graph, Graph)
    assert {s for s in graph.subjects(RDF.type, GD.DataResource)} == {minter.entry(c) for c in members_}, kind
    for s, p, o in graph:
        for term in (s, o):
            code = entry_of(play, term)
            assert code is None or code in members_, f"{kind} export mentions {term}"
        if isinstance(o, Literal):
            for code, version in MARK.findall(str(o)):
                assert members_.get(code) == int(version), f"{kind} export holds {o!r}"
        if kind == "open":
            assert p not in NOT_FOR_THE_OPEN_PLATFORM, (s, p, o)
            assert not any(word in str(o) or word in str(s) for word in SECRET_WORDS), (s, p, o)
    for code, version in members_.items():
        entry, draft = minter.entry(code), play.drafts[code][version - 1]
        if kind == "sharing":
            assert set(graph.objects(entry, GD.shareAttribute)) == {draft.share.iri}  # type: ignore[union-attr]
            assert draft.share in SHARE_ALLOW
        if kind == "open":
            assert set(graph.objects(entry, GD.openAttribute)) == {draft.open.iri}  # type: ignore[union-attr]
            rights = "PUBLIC" if draft.open is OpenAttribute.UNCONDITIONAL else "RESTRICTED"
            assert set(graph.objects(entry, DCTERMS.accessRights)) == {URIRef(ACCESS + rights)}
            if draft.open in NEEDS_OPEN_CONDITION:
                assert set(graph.objects(entry, GD.openCondition)) == {Literal(draft.open_condition, lang="zh")}
                event(f"published with its open condition: {draft.open.name.lower()}")  # type: ignore[union-attr]


def check_trail(play: Play, code: str, version: int) -> None:
    """The pass that published this version went through every leg of its organ's route, in
    order, each taken by the organ the route names (a summary returned at ratification goes back
    to summarisation)."""
    minter = play.catalog.minter
    rows = [r for r in play.catalog.select("entry_trail", entry=minter.entry(code)).dicts()
            if int(str(r["version"])) == version]
    steps = [r["step"] for r in rows]
    first_publication = steps.index(GD.Publication)
    start = max(i for i, s in enumerate(steps[:first_publication]) if s == GD.Submission)
    legs = play.city.route(play.drafts[code][0].provider)
    at = 0
    for row in rows[start:first_publication + 1]:
        if row.get("decision") == WorkflowDecision.RETURNED.iri:
            assert row["step"] == GD.Ratification, (code, row)
            at = [v for v, _ in legs].index("summarise")
            continue
        verb, actor = legs[at]
        assert (row["step"], row["actor"]) == (STEP_CLASS[verb], minter.organ(actor)), (code, version, row)
        at += 1
    assert at == len(legs), (code, version)


def check_organ_catalogs(play: Play) -> None:
    """When nothing sits between review and publication, the general catalog is exactly the union
    of the approved organ catalogs, and their sharing and open flags are the city catalogs'."""
    if any(i.awaits and i.awaits[0] in ("summarise", "ratify", "publish") for i in play.items.values()):
        return
    minter = play.catalog.minter
    scheme = URIRef(f"https://w3id.org/govdata-ld/code/{play.scheme.name}")
    union: dict[str, int] = {}
    for organ in sorted({versions[0].provider for versions in play.drafts.values()}):
        for row in play.catalog.select("organ_catalogs", organ=minter.organ(organ), open_scheme=scheme).dicts():
            code = str(row["code"])
            assert code not in union
            union[code] = int(str(row["version"]))
            assert row["shared"] == Literal(code in play.published["sharing"]), code
            assert row["opened"] == Literal(code in play.published["open"]), code
    assert union == play.published["general"]


# -- the properties ---------------------------------------------------------------------------


@given(city=cities(), scheme=st.sampled_from([GUIZHOU, GUIYANG]), count=st.sampled_from([2, 3, 1]), data=st.data())
def test_published_catalogs_keep_every_invariant(
    stores: Callable[[str], Catalog], city: City, scheme: Scheme, count: int, data: st.DataObject
) -> None:
    """Random rounds of the workflow in a random city, under the Guizhou or the Guiyang open
    attributes: validation refuses exactly the drafts the rules refuse and a refused step changes
    nothing; every item is where its route says; after each publication the published graphs hold
    exactly the approved entries by allow-list, the exports nothing of restricted entries, every
    member went through its whole route, and the general catalog is the union of the approved organ
    catalogs."""
    play = Play(stores(scheme.name), city, scheme, data)
    play.rounds(count)
    event(f"publications: {play.publications}")
    event(f"published entries: {len(play.published['general'])}")


FIELDS = {"grade": GD.grade, "share": GD.shareAttribute, "open": GD.openAttribute}
LABELS = {"grade": "grade", "share": "share attribute", "open": "open attribute"}
GOVERNS = {"grade": {"sharing", "open"}, "share": {"sharing"}, "open": {"open"}}
"""The catalogs whose allow-list reads each value (sharing: share attribute and grade; open: open
attribute and grade)."""
CODES = "https://w3id.org/govdata-ld/code/"


def faults(scheme: Scheme) -> st.SearchStrategy[tuple[str, URIRef | None]]:
    """A value deleted, or replaced by an unknown one (a made-up concept, a concept of another
    scheme, an open attribute outside the active scheme)."""
    outside = next(iter(OPEN_ALLOW - scheme.values))
    unknown = {
        "grade": [URIRef(CODES + "grade/top-secret"), ShareAttribute.CONDITIONAL.iri],
        "share": [URIRef(CODES + "share-attribute/shared-sometimes"), OpenAttribute.UNCONDITIONAL.iri],
        "open": [URIRef(CODES + "open-attribute/open-sometimes"), ShareAttribute.UNCONDITIONAL.iri, outside.iri],
    }
    return st.one_of(
        st.sampled_from(sorted(FIELDS)).map(lambda f: (f, None)),
        st.sampled_from([(f, v) for f, vs in unknown.items() for v in vs]),
    )


def changes() -> st.SearchStrategy[tuple[str, Grade | ShareAttribute | OpenAttribute]]:
    """A value replaced by a known one that can only restrict: any grade (which may now forbid
    what the entry says), 不予共享, 不予开放 (the export, read from the entry's version graph, keeps
    saying what the entry says)."""
    known: list[tuple[str, Grade | ShareAttribute | OpenAttribute]] = [
        *(("grade", g) for g in Grade), ("share", ShareAttribute.NOT_SHARED), ("open", OpenAttribute.NOT_OPEN),
    ]
    return st.sampled_from(known)


def set_value(play: Play, code: str, name: str, value: URIRef | None) -> None:
    """Fault injection: replace (or delete) one value the approved work item of an entry records."""
    minter = play.catalog.minter
    graph, item = minter.workflow_graph(), minter.work_item(code, play.published["general"][code])
    old = [(graph, s, p, o) for s, p, o, _ in play.catalog._store.quads(graph) if s == item and p == FIELDS[name]]
    assert len(old) == 1, (code, name, old)
    play.catalog._store.update(change(old, [] if value is None else [(graph, item, FIELDS[name], value)]))


@given(city=cities(), scheme=st.sampled_from([GUIZHOU, GUIYANG]), data=st.data())
def test_missing_or_unknown_values_are_withheld_and_reported(
    stores: Callable[[str], Catalog], deployments: dict[str, Settings], city: City, scheme: Scheme, data: st.DataObject
) -> None:
    """After approval, a value of an approved work item goes missing or unknown (fault injection
    in the workflow graph, or the store reopened with the other open-attribute scheme): the entry
    is reported as withheld, naming the value, and the next publication (re-deriving every entry:
    by itself after the scheme changed, asked to after the fault) keeps it out of every
    catalog whose allow-list reads that value, never defaulting it; it stays in the general
    catalog at its approved version, and no export says anything about what left a catalog. A
    value changed to a known one is not withheld: the catalogs follow it (derived from what was
    approved, the grade deciding)."""
    play = Play(stores(scheme.name), city, scheme, data)
    # test_published_catalogs_keep_every_invariant checks validation and every publication on the
    # same drafts; here organs bring a conforming report for the drafts the model finds valid
    play.trusted = ValidationReport(conforms=True, results=(), engine="sparql", graph=Graph())
    play.checking = False
    held = carrier(city)
    play.rounds(1, held, probe=False)
    published = dict(play.published["general"])
    broken: dict[str, tuple[str, URIRef | None]] = {}
    approved = {code: play.drafts[code][version - 1] for code, version in published.items()}
    """What the approved work items say, known values changed included."""
    switched = data.draw(st.booleans(), label="reopen with the other open-attribute scheme")
    if switched:
        other = GUIYANG if scheme is GUIZHOU else GUIZHOU
        reopened = replace(deployments[scheme.name], open_attribute_scheme=other.name)
        play.catalog = Catalog(play.catalog._store, reopened)
        play.wf, play.scheme = play.catalog.workflow, Scheme(other.name, other.values, scheme.permits_open)
    for code in sorted(published):
        if switched:
            value = play.drafts[code][published[code] - 1].open
            fault = None if value in play.scheme.values else ("open", value.iri)  # type: ignore[union-attr]
        else:
            kind = data.draw(st.sampled_from(["none", "broken", "changed"]), label=f"{code} after approval")
            fault = data.draw(faults(scheme), label="fault") if kind == "broken" else None
            if fault is not None:
                set_value(play, code, *fault)
            if kind == "changed":
                name, known = data.draw(changes(), label="changed to")
                set_value(play, code, name, known.iri)
                event("a known value changed after approval")
                approved[code] = replace(approved[code], **{name: known})  # type: ignore[arg-type]
        if fault is not None:
            broken[code] = fault
    event(f"withheld: {min(len(broken), 3)}{'+' if len(broken) > 3 else ''}")

    def reported() -> dict[str, tuple[str, ...]]:
        derived = members(play.catalog)
        for withheld in derived.withheld:
            assert set(withheld.catalogs) >= GOVERNS[broken[withheld.code][0]], withheld
        return {w.code: w.reasons for w in derived.withheld}

    def expected() -> dict[str, tuple[str, ...]]:
        return {
            code: (f"{LABELS[name]} missing" if value is None else f"{LABELS[name]} unknown: {value}",)
            for code, (name, value) in broken.items()
        }

    assert reported() == expected()
    # with whatever else awaited the same steps; a changed scheme re-derives every entry by itself
    # (gd:derivedWith), a value changed behind the workflow's back only when asked to
    result = play.push_through(held.code, rederive=not switched)
    general = play.expected()["general"]
    for code, version in general.items():
        value = play.drafts[code][version - 1].open
        if switched and code not in published and value not in play.scheme.values:
            broken[code] = ("open", value.iri)  # type: ignore[union-attr]
    assert reported() == expected()
    assert result.changes is not None
    actual = {kind: {str(r["code"]): int(str(r["version"])) for r in play.catalog.select(
        "published_entries", catalog=play.catalog.minter.city_catalog(kind)).dicts()} for kind in KINDS}
    assert actual["general"] == general
    for kind in ("sharing", "open"):
        for code, version in actual[kind].items():
            assert version == general[code]
            assert code not in broken or kind not in GOVERNS[broken[code][0]], f"{code} {broken[code]} in {kind}"
        for code, version in general.items():
            draft = approved.get(code, play.drafts[code][version - 1])
            allowed = shared(draft, play.scheme) if kind == "sharing" else opened(draft, play.scheme)
            if code not in broken:
                assert (code in actual[kind]) == allowed, (kind, code)
        assert set(result.changes[kind].withdrawn) == set(play.published[kind]) - set(actual[kind])
    play.published = actual
    check_export(play, "open")
    check_export(play, "sharing")


# -- library bugs found by the properties: minimal reproductions ---------------------------------


def publish_one(catalog: Catalog, city: City, entry: Entry, *, rederive: bool = False) -> StepResult:
    """Put an entry of a municipal organ and take it along the municipal route to publication
    (re-deriving every entry when asked: after a change made behind the workflow's back)."""
    wf = catalog.workflow
    catalog.put(entry)
    wf.submit(entry.provider, codes=[entry.code])
    wf.review(city.bda)
    wf.summarise(city.bda)
    wf.ratify(city.government)
    return wf.publish(city.bda, rederive=rederive)


@pytest.fixture
def municipal(stores: Callable[[str], Catalog]) -> tuple[Catalog, City, Entry]:
    """A city of a government, a big-data department and one department, whose one entry
    (non-sensitive, shared unconditionally, opened conditionally) is published."""
    city = build_city([OrganKind.WORKING_DEPARTMENT], [])
    catalog = stores(GUIZHOU.name)
    catalog.put(*city.organs)
    entry = carrier(city, "301003/000001", city.organs[2].uscc, OpenAttribute.CONDITIONAL)
    publish_one(catalog, city, entry)
    return catalog, city, entry


def test_a_withdrawal_asked_again_after_a_return_has_one_state(municipal: tuple[Catalog, City, Entry]) -> None:
    catalog, city, entry = municipal
    wf = catalog.workflow
    wf.withdraw(entry.provider, [entry.code], reason="不再提供")
    wf.review(city.bda, returns={entry.code: "继续提供"})
    wf.withdraw(entry.provider, [entry.code], reason="确需撤销")
    rows = [i for i in wf.items(entry=entry.code) if i.withdrawal]
    assert [(i.status, i.step) for i in rows] == [(WorkflowState.SUBMITTED.iri, GD.Review)]


@pytest.mark.parametrize("fault", ["open attribute deleted", "share attribute deleted", "store reopened with the Guiyang scheme"])
def test_an_entry_withheld_for_a_missing_or_unknown_value_is_in_neither_catalog(
    municipal: tuple[Catalog, City, Entry], deployments: dict[str, Settings], fault: str
) -> None:
    catalog, city, entry = municipal
    graph, item = catalog.minter.workflow_graph(), catalog.minter.work_item(entry.code, 1)
    if fault == "store reopened with the Guiyang scheme":  # where 有条件开放 is unknown
        catalog = Catalog(catalog._store, replace(deployments[GUIZHOU.name], open_attribute_scheme=GUIYANG.name))
    else:
        name = "open" if fault.startswith("open") else "share"
        value = OpenAttribute.CONDITIONAL.iri if name == "open" else ShareAttribute.UNCONDITIONAL.iri
        catalog._store.update(change([(graph, item, FIELDS[name], value)], []))
    (withheld,) = members(catalog).withheld
    assert withheld.code == entry.code and withheld.catalogs == ("sharing", "open")
    # another scheme re-derives every entry by itself (gd:derivedWith); a deleted value only when asked
    publish_one(catalog, city, carrier(city), rederive=not fault.startswith("store reopened"))
    for kind in ("sharing", "open"):
        codes = {str(r["code"]) for r in catalog.select("published_entries", catalog=catalog.minter.city_catalog(kind)).dicts()}
        assert entry.code not in codes, kind


@pytest.mark.parametrize("name", ["share", "open"])
def test_an_ambiguous_attribute_is_withheld_not_published(municipal: tuple[Catalog, City, Entry], name: str) -> None:
    catalog, city, entry = municipal
    graph, item = catalog.minter.workflow_graph(), catalog.minter.work_item(entry.code, 1)
    restricted = OpenAttribute.NOT_OPEN.iri if name == "open" else ShareAttribute.NOT_SHARED.iri
    catalog._store.update(change([], [(graph, item, FIELDS[name], restricted)]))
    kind = "open" if name == "open" else "sharing"
    publish_one(catalog, city, carrier(city), rederive=True)  # the value was added behind the workflow's back
    codes = {str(r["code"]) for r in catalog.select("published_entries", catalog=catalog.minter.city_catalog(kind)).dicts()}
    assert entry.code not in codes
    assert [w.code for w in members(catalog).withheld] == [entry.code]
