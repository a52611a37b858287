"""The assessment of organs' government data resource management work (Art. 4 item 5, Art. 5 item 4).

The municipal big-data department assesses the municipal working departments and dispatched
agencies and the district people's governments (Art. 4 item 5); a district big-data department
assesses its district's departments, agencies and township governments (Art. 5 item 4).
:func:`assess` gives the figures both use, per organ, per district (the district's people's
government with every organ of its division, townships included) and for the municipal level:
entries compiled, the share passing validation, the share with mounted data, share and open
ratios, overdue updates, the mean days catalog versions waited in front of each step of
Article 12, and piveau's metadata-quality (MQA) points as a second, internationally known score
(scored by :mod:`govdata_ld.mqa`).

Figures are exact and undefined ratios stay undefined: with no entry, a ratio is ``None``, never 0
or 1. MQA metrics that need the network (URL status codes) or reference lists this package does
not ship are *not measured*: they score nothing and are left out of the maximum. Definitions:
``docs/assessment.md``; the metrics as W3C DQV: ``ontology/assessment_metrics.ttl``.

>>> [figure.key for figure in FIGURES][:3]
['entries', 'passing_share', 'distribution_share']
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from statistics import fmean
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from .codes import OrganKind
from .iris import code_of_division
from .mapping import OPENED, SHARED
from .mqa import (
    DIMENSIONS,
    MQA_FULL_SCORE,
    NOT_MEASURED,
    PV,
    EntryScore,
    MqaMetric,
    MqaRating,
    mqa_maximum,
    mqa_metrics,
    score_entry,
)
from .namespaces import DQV, GD, PREFIXES
from .routes import OrganTree

# The validator's own date arithmetic, so that overdue figures agree with its update-duty warnings.
from .validation import ValidationReport, interval_before, violations_by_entry
from .work_items import WorkItem

if TYPE_CHECKING:
    from .catalog import Catalog

METRIC = Namespace("https://w3id.org/govdata-ld/metric/")
"""Our assessment metrics and dimensions (``ontology/assessment_metrics.ttl``)."""
OA = Namespace("http://www.w3.org/ns/oa#")


class Scope(Enum):
    """What a row covers: the municipal-level organs; a district (county-level city, county) with
    every organ of its division, township governments included; or one organ."""

    MUNICIPAL = "municipal"
    DISTRICT = "district"
    ORGAN = "organ"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessmentRow:
    """The figures of one organ, district or the municipal level (``docs/assessment.md``).

    ``subject`` is the organ, or the GB/T 2260 division concept of the district or municipal
    level; ``code`` its credit code or division code; ``name`` the organ's, or the district's (the
    city's) people's government's zh name. Ratios lie between 0 and 1; ratios and MQA means are
    None when no entry is compiled, days when there was no such wait.
    """

    scope: Scope
    subject: URIRef
    code: str
    name: str
    organs: int
    entries: int
    passing_share: float | None
    distribution_share: float | None
    share_ratio: float | None
    open_ratio: float | None
    overdue: int
    days_correction: float | None
    days_audit: float | None
    days_approval: float | None
    days_reporting: float | None
    days_review: float | None
    days_summarisation: float | None
    days_ratification: float | None
    days_publication: float | None
    mqa_points: float | None
    mqa_maximum: int
    mqa_rating: MqaRating | None
    mqa_findability: float | None
    mqa_accessibility: float | None
    mqa_interoperability: float | None
    mqa_reusability: float | None
    mqa_contextuality: float | None

    def value(self, figure: Figure) -> int | float | None:
        """The value of one figure."""
        return cast("int | float | None", getattr(self, figure.key))


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One figure of a row and the DQV metric it is a measurement of."""

    key: str
    metric: URIRef
    datatype: URIRef


WAITS: tuple[tuple[str, URIRef], ...] = (
    ("days_correction", GD.Compilation),
    ("days_audit", GD.Audit),
    ("days_approval", GD.Approval),
    ("days_reporting", GD.Reporting),
    ("days_review", GD.Review),
    ("days_summarisation", GD.Summarisation),
    ("days_ratification", GD.Ratification),
    ("days_publication", GD.Publication),
)
"""Each waiting-time figure and the step class waited for (gd:Compilation: a returned version
waiting for its organ to correct and resubmit it)."""
_WAIT_KEYS = frozenset(key for key, _ in WAITS)

_DIMENSION_KEYS = {dimension: "mqa_" + str(dimension).rsplit("#", 1)[1] for dimension in DIMENSIONS}

FIGURES: tuple[Figure, ...] = (
    Figure(key="entries", metric=METRIC.entriesCompiled, datatype=XSD.integer),
    Figure(key="passing_share", metric=METRIC.passingShare, datatype=XSD.double),
    Figure(key="distribution_share", metric=METRIC.distributionShare, datatype=XSD.double),
    Figure(key="share_ratio", metric=METRIC.shareRatio, datatype=XSD.double),
    Figure(key="open_ratio", metric=METRIC.openRatio, datatype=XSD.double),
    Figure(key="overdue", metric=METRIC.overdueEntries, datatype=XSD.integer),
    *(Figure(key=k, metric=METRIC["daysWaiting" + k[5:].capitalize()], datatype=XSD.double) for k, _ in WAITS),
    Figure(key="mqa_points", metric=METRIC.mqaPoints, datatype=XSD.double),
    Figure(key="mqa_maximum", metric=METRIC.mqaMaximum, datatype=XSD.integer),
    *(Figure(key=k, metric=METRIC["mqa" + k[4:].capitalize()], datatype=XSD.double)
      for k in _DIMENSION_KEYS.values()),
)
"""Every figure of a row, in table order; each is one ``dqv:QualityMeasurement`` per row."""

_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Catalog work (Art. 9; shares of the entries compiled)", (
        ("organs", "organs"), ("entries", "entries"), ("passing", "passing_share"),
        ("mounted", "distribution_share"), ("shared", "share_ratio"), ("open", "open_ratio"),
        ("overdue", "overdue"))),
    ("Mean days waiting in front of each step (Art. 12)", tuple((k[5:], k) for k, _ in WAITS)),
    ("Metadata quality (piveau MQA; mean points per entry)", (
        ("points", "mqa_points"), ("rating", "mqa_rating"), *((k[4:], k) for k in _DIMENSION_KEYS.values()))),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """The result of :func:`assess`: the ``gd:WorkAssessment`` IRI, the day judged on, the assessor
    (the municipal big-data department, Art. 4 item 5), the rows (the municipal-level row and its
    organs, then each district's row and its organs), every current entry's MQA points, and the
    MQA metrics not measured with why."""

    iri: URIRef
    as_of: date
    assessor: URIRef
    rows: tuple[AssessmentRow, ...]
    scores: tuple[EntryScore, ...]
    not_measured: tuple[tuple[MqaMetric, str], ...]

    @property
    def ended(self) -> datetime:
        """The end of the ``as_of`` day (UTC): waits still open are measured to this moment."""
        return _end_of(self.as_of)

    def row(self, code: str, scope: Scope = Scope.ORGAN) -> AssessmentRow:
        """The row of an organ (by credit code) or of a district or the municipal level (by
        division code).

        Raises:
            KeyError: no row of that scope has that code.
        """
        for row in self.rows:
            if row.scope is scope and row.code == code:
                return row
        raise KeyError(f"no {scope.value} row has code {code!r}")

    def to_csv(self) -> str:
        """The rows as CSV: one column per figure, an empty cell where a figure is undefined."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["scope", "code", "name", "organs", *(f.key for f in FIGURES), "mqa_rating"])
        for r in self.rows:
            values = [_csv_cell(r.value(f)) for f in FIGURES]
            rating = "" if r.mqa_rating is None else r.mqa_rating.name.lower()
            writer.writerow([r.scope.value, r.code, r.name, r.organs, *values, rating])
        return out.getvalue()

    def text(self, *, scopes: Iterable[Scope] | None = None) -> str:
        """The rows as aligned tables for a terminal: catalog work, days waiting, metadata quality.

        Args:
            scopes: only rows of these scopes; all when None.
        """
        rows = [r for r in self.rows if scopes is None or r.scope in set(scopes)]
        out = [f"Assessment of {self.as_of.isoformat()} (Art. 4 item (5), Art. 5 item (4))"]
        for title, columns in _SECTIONS:
            table = [["scope", "code", "name", *(heading for heading, _ in columns)]]
            table += [[r.scope.value, r.code, r.name, *(_text_cell(k, getattr(r, k)) for _, k in columns)]
                      for r in rows]
            out += ["", title, *_align(table, right_from=3)]
        skipped = ", ".join(_local(m.metric) for m, _ in self.not_measured)
        out.append(f"MQA maximum {mqa_maximum()} of {MQA_FULL_SCORE} points; not measured: {skipped}")
        return "\n".join(out) + "\n"

    def graph(self) -> Graph:
        """The assessment as W3C DQV: one ``gd:WorkAssessment`` and one ``dqv:QualityMeasurement``
        per defined figure per row; an undefined figure, and each MQA metric not measured, is a
        ``dqv:QualityAnnotation`` saying why (``docs/assessment.md``)."""
        graph = Graph()
        for prefix, namespace in {**PREFIXES, "gdmetric": str(METRIC), "pv": str(PV), "oa": str(OA)}.items():
            graph.bind(prefix, namespace)
        activity = self.iri
        graph.add((activity, RDF.type, GD.WorkAssessment))
        graph.add((activity, RDF.type, PROV.Activity))
        graph.add((activity, PROV.endedAtTime, Literal(self.ended, datatype=XSD.dateTime)))
        graph.add((activity, DCTERMS.date, Literal(self.as_of, datatype=XSD.date)))
        graph.add((activity, PROV.wasAssociatedWith, self.assessor))
        for row in self.rows:
            if row.scope is Scope.ORGAN:
                graph.add((activity, GD.assessedOrgan, row.subject))
            for figure in FIGURES:
                node = URIRef(f"{activity}/{row.scope.value}/{quote(row.code, safe='')}/{_local(figure.metric)}")
                value = row.value(figure)
                if value is None:
                    why = "no work item waited for this step" if figure.key in _WAIT_KEYS else "no entry compiled"
                    _annotate(graph, node, activity, row.subject, figure.metric, f"not measured: {why}")
                    continue
                graph.add((node, RDF.type, DQV.QualityMeasurement))
                graph.add((node, DQV.computedOn, row.subject))
                graph.add((node, DQV.isMeasurementOf, figure.metric))
                graph.add((node, DQV.value, Literal(value, datatype=figure.datatype)))
                graph.add((node, PROV.wasGeneratedBy, activity))
        for metric, why in self.not_measured:
            node = URIRef(f"{activity}/not-measured/{_local(metric.metric)}")
            _annotate(graph, node, activity, activity, metric.metric, f"not measured: {why}")
        return graph


def assess(catalog: Catalog, *, as_of: date, report: ValidationReport | None = None) -> Assessment:
    """Assess the organs' catalog work on ``as_of`` (Art. 4 item 5, Art. 5 item 4).

    Args:
        catalog: the catalog store.
        as_of: the day judged on: update cycles are judged on it, and the workflow is read up to
            its end (UTC), later steps ignored, waits still open measured to that moment.
        report: a validation report of the current entries; ``catalog.validate(as_of=as_of)``
            when None.

    Returns:
        The figures per organ, per district and for the municipal level.

    Raises:
        WorkflowError: the registry lacks the municipal people's government or big-data
            department (the assessor).
        InputError: an update cycle's gd:maximumInterval is not a PnYnMnD duration.
    """
    tree = catalog.workflow.tree()
    report = report if report is not None else catalog.validate(as_of=as_of)
    facts = catalog.select("assessment_entries").dicts()
    distributions: dict[Node, list[dict[str, Node]]] = defaultdict(list)
    for row in catalog.select("assessment_distributions").dicts():
        distributions[row["entry"]].append(row)
    violating = set(violations_by_entry(report, [cast(URIRef, f["entry"]) for f in facts]))
    overdue = _overdue(catalog, as_of)
    entries = [
        _EntryFigures(
            provider=cast("URIRef | None", f.get("provider")), passing=f["entry"] not in violating,
            mounted=bool(distributions[f["entry"]]), shared=f.get("share") in SHARED,
            opened=f.get("open") in OPENED, overdue=f["entry"] in overdue,
            score=score_entry(f, distributions[f["entry"]]),
        )
        for f in facts
    ]
    waits = _waits(catalog, catalog.workflow.items(), _end_of(as_of))
    iri = URIRef(f"{catalog.minter.base}assessment/{as_of.isoformat()}")
    missing = tuple((m, NOT_MEASURED[m.metric]) for m in mqa_metrics() if not m.measured)
    return Assessment(iri=iri, as_of=as_of, assessor=tree.municipal_bda, rows=_rows(tree, entries, waits),
                      scores=tuple(e.score for e in entries), not_measured=missing)


# -- overdue entries and waiting times ----------------------------------------------------------


def _overdue(catalog: Catalog, as_of: date) -> set[URIRef]:
    """Entries last changed before their cycle's cut-off: one query per update cycle."""
    found: set[URIRef] = set()
    for row in catalog.select("assessment_update_cycles").dicts():
        before = interval_before(as_of, str(row["interval"]))
        result = catalog.select("overdue_entries", cycle=row["cycle"], before=before)
        found |= {e for e in result.column("entry") if isinstance(e, URIRef)}
    return found


def _waits(catalog: Catalog, items: Sequence[WorkItem], end: datetime) -> dict[URIRef, list[tuple[URIRef, float]]]:
    """The waits of each compiling organ's work items: (step class waited for, days).

    A wait runs from the step that put an item in front of a step to the step that took it; a
    wait still open at ``end`` (or ended only after it) is measured to ``end``. A returned version
    waits for correction (gd:Compilation) until it, or a newer version of its entry, is submitted.
    """
    steps: dict[URIRef, list[tuple[URIRef, datetime]]] = defaultdict(list)
    for row in catalog.select("assessment_workflow_steps").dicts():
        taken = (cast(URIRef, row["step"]), cast(Literal, row["at"]).toPython())
        trail = steps[cast(URIRef, row["item"])]
        if not trail or trail[-1] != taken:  # a publication writes one activity per city catalog
            trail.append(taken)
    submitted: dict[URIRef, list[datetime]] = defaultdict(list)
    for item in items:
        if not item.withdrawal and steps.get(item.item):
            submitted[item.entry].append(steps[item.item][0][1])
    waits: dict[URIRef, list[tuple[URIRef, float]]] = defaultdict(list)
    for item in items:
        previous: tuple[URIRef, datetime] | None = None
        following: URIRef | None = None
        for step, at in steps.get(item.item, []):
            if at > end:
                following = step
                break
            if previous is not None:
                waits[item.organ].append((_waited_for(step), _days(at - previous[1])))
            previous = (step, at)
        if previous is None:
            continue
        since = previous[1]
        if following is not None:
            waits[item.organ].append((_waited_for(following), _days(end - since)))
        elif item.step is not None and item.waiting_for is not None:
            until = end
            if item.step == GD.Compilation:
                later = [t for t in submitted[item.entry] if since < t <= end]
                until = min(later, default=end)
            waits[item.organ].append((item.step, _days(until - since)))
    return waits


def _waited_for(step: URIRef) -> URIRef:
    """The step class a wait ended by ``step`` was for: a submission after the first ends a
    correction (the first submission of an item has no wait before it)."""
    return GD.Compilation if step == GD.Submission else step


# -- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _EntryFigures:
    provider: URIRef | None
    passing: bool
    mounted: bool
    shared: bool
    opened: bool
    overdue: bool
    score: EntryScore


def _rows(tree: OrganTree, entries: Sequence[_EntryFigures],
          waits: Mapping[URIRef, list[tuple[URIRef, float]]]) -> tuple[AssessmentRow, ...]:
    by_organ: dict[URIRef, list[_EntryFigures]] = defaultdict(list)
    for entry in entries:
        if entry.provider is not None:
            by_organ[entry.provider].append(entry)
    groups: dict[URIRef | None, list[URIRef]] = defaultdict(list)
    for organ in tree.organs.values():
        groups[tree.district_of(organ)].append(organ.iri)
    municipal = tree.organs[tree.municipal_government]

    def row(scope: Scope, subject: URIRef, code: str, name: str, organs: Sequence[URIRef]) -> AssessmentRow:
        return _row(scope, subject, code, name, organs, by_organ, waits)

    rows = []
    for division in sorted(groups, key=lambda d: "" if d is None else str(d)):
        members = sorted(groups[division], key=lambda o: tree.organs[o].uscc)
        if division is None:
            subject = municipal.division or municipal.iri
            rows.append(row(Scope.MUNICIPAL, subject, _division_code(subject), municipal.name, members))
        else:
            government = tree.district_organ(division, OrganKind.PEOPLES_GOVERNMENT)
            name = tree.organs[government].name if government is not None else _division_code(division)
            rows.append(row(Scope.DISTRICT, division, _division_code(division), name, members))
        rows += [row(Scope.ORGAN, o, tree.organs[o].uscc, tree.organs[o].name, [o]) for o in members]
    return tuple(rows)


def _row(scope: Scope, subject: URIRef, code: str, name: str, organs: Sequence[URIRef],
         by_organ: Mapping[URIRef, list[_EntryFigures]], waits: Mapping[URIRef, list[tuple[URIRef, float]]],
         ) -> AssessmentRow:
    entries = [e for o in organs for e in by_organ.get(o, [])]
    days: dict[URIRef, list[float]] = defaultdict(list)
    for organ in organs:
        for step, length in waits.get(organ, []):
            days[step].append(length)

    def share(test: Callable[[_EntryFigures], bool]) -> float | None:
        return sum(1 for e in entries if test(e)) / len(entries) if entries else None

    mqa = fmean(e.score.points for e in entries) if entries else None
    dimensions = {key: fmean(e.score.dimension_points(d) for e in entries) if entries else None
                  for d, key in _DIMENSION_KEYS.items()}
    waited = {key: (fmean(days[step]) if days.get(step) else None) for key, step in WAITS}
    return AssessmentRow(
        scope=scope, subject=subject, code=code, name=name, organs=len(organs), entries=len(entries),
        passing_share=share(lambda e: e.passing), distribution_share=share(lambda e: e.mounted),
        share_ratio=share(lambda e: e.shared), open_ratio=share(lambda e: e.opened),
        overdue=sum(1 for e in entries if e.overdue), mqa_points=mqa, mqa_maximum=mqa_maximum(),
        mqa_rating=None if mqa is None else MqaRating.of(mqa, mqa_maximum()), **waited, **dimensions,
    )


# -- helpers ------------------------------------------------------------------------------------


def _annotate(graph: Graph, node: URIRef, activity: URIRef, target: URIRef, metric: URIRef, note: str) -> None:
    graph.add((node, RDF.type, DQV.QualityAnnotation))
    graph.add((node, OA.motivatedBy, DQV.qualityAssessment))
    graph.add((node, OA.hasTarget, target))
    graph.add((node, DCTERMS.subject, metric))
    graph.add((node, OA.bodyValue, Literal(note, lang="en")))
    graph.add((node, PROV.wasGeneratedBy, activity))


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


def _days(span: timedelta) -> float:
    return span.total_seconds() / 86400


def _division_code(concept: URIRef) -> str:
    return code_of_division(concept) or str(concept)


def _local(iri: URIRef) -> str:
    text = str(iri)
    return text[max(text.rfind("/"), text.rfind("#")) + 1 :]


def _csv_cell(value: float | None) -> str:
    return "" if value is None else str(value) if isinstance(value, int) else f"{value:.4f}"


def _text_cell(key: str, value: float | MqaRating | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, MqaRating):
        return value.name.lower()
    if isinstance(value, int):
        return str(value)
    return f"{value * 100:.1f}%" if key.endswith(("_share", "_ratio")) else f"{value:.1f}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _align(table: Sequence[Sequence[str]], *, right_from: int) -> list[str]:
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for row in table:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i >= right_from else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return lines
