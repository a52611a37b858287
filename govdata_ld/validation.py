"""Validation against the shapes in ``shapes/``: a typed report, by the fast path or by pyshacl.

The only module that imports pyshacl, the reference engine. The fast path
(:mod:`govdata_ld.shacl_sparql`) runs the same shapes as set-based SPARQL on a scratch embedded
store; tests require both to give the same results. Only ``sh:Violation`` results decide
conformance; warnings are reported and counted. Nothing is fetched: the ontology and code lists
are the packaged (or configured) files, merged into a copy of the data, never into the caller's.
"""

from __future__ import annotations

import calendar
import os
import json
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyshacl
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH, SKOS, XSD
from rdflib.term import Node
from rdflib.util import from_n3

from . import resources, store
from .errors import GovDataError, InputError, NonConformantError
from .iris import Minter
from .namespaces import CODE, GD, curie
from .settings import Settings
from .shacl_sparql import Check, compile_checks, unsupported

GDS = Namespace("https://w3id.org/govdata-ld/shapes#")
ENGINES = ("auto", "sparql", "pyshacl")
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?")


@dataclass(frozen=True)
class ValidationResult:
    """One result: which node broke which shape, where, how badly, and why.

    Attributes:
        focus: the entry, organ, catalog or data item checked.
        path: the property (field) checked, when the shape has one.
        shape: the shape whose constraint failed.
        severity: ``sh:Violation`` or ``sh:Warning``.
        component: the SHACL constraint component.
        value: the offending value, when there is one.
        messages: the shape's message by language ("zh", "en").
        articles: notations of the provisions and clauses the shape enforces ("Art. 9(2)").
        label: the entry's resource code or the organ's credit code, for people.
        about: the path, or for a rule without one the property it is about (``gds:field``).
    """

    focus: Node
    path: Node | None
    shape: Node
    severity: URIRef
    component: URIRef
    value: Node | None
    messages: dict[str, str] = field(compare=False, hash=False)
    articles: tuple[str, ...] = field(compare=False, hash=False)
    label: str = field(compare=False, hash=False, default="")
    about: Node | None = field(compare=False, hash=False, default=None)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What two engines must agree on: focus, path, shape, severity."""
        return (str(self.focus), "" if self.path is None else str(self.path), str(self.shape), str(self.severity))

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang``, else in the other language."""
        return self.messages.get(lang) or next(iter(self.messages.values()), "")


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation.

    Attributes:
        conforms: no ``sh:Violation`` result.
        results: sorted by focus node, then path, then shape.
        engine: "sparql" (the fast path) or "pyshacl".
        graph: the raw ``sh:ValidationReport`` graph.
        fallback_reasons: why the fast path was not used, when it was not.
    """

    conforms: bool
    results: tuple[ValidationResult, ...]
    engine: str
    graph: Graph = field(compare=False, repr=False)
    fallback_reasons: tuple[str, ...] = ()

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == SH.Violation)

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity != SH.Violation)

    def keys(self) -> set[tuple[str, str, str, str]]:
        """The results as (focus, path, shape, severity), for comparing engines."""
        return {r.key for r in self.results}

    def without(self, nodes: set[Node]) -> ValidationReport:
        """The report without the results about ``nodes`` (as focus or as offending value)."""
        kept = [r for r in self.results if r.focus not in nodes and r.value not in nodes]
        return assemble(kept, self.engine, self.fallback_reasons)

    def raise_for_violations(self) -> None:
        """Raise :class:`NonConformantError` if there are violations."""
        if not self.conforms:
            raise NonConformantError(
                f"{len(self.violations)} violation(s); first: {self.violations[0].message('en')}", report=self
            )

    def text(self, lang: str = "zh") -> str:
        """The report for people, grouped by entry: code, field, rule, article, message."""
        lines = [
            f"{'conforms' if self.conforms else 'does not conform'}: "
            f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)"
        ]
        current = None
        for r in self.results:
            if r.focus != current:
                current = r.focus
                lines.append(f"\n{r.label or curie(r.focus)}")
            where = curie(r.about) if r.about is not None else "-"
            level = "violation" if r.severity == SH.Violation else "warning"
            value = f" [{r.value}]" if r.value is not None else ""
            lines.append(
                f"  {level:9} {where:28} {curie(r.shape):42} {', '.join(r.articles)}\n"
                f"            {r.message(lang)}{value}"
            )
        return "\n".join(lines) + "\n"

    def to_state(self) -> list[dict[str, object]]:
        """The results as JSON-ready dictionaries that :func:`report_from_state` reads back."""
        return [
            {
                "focus": r.focus.n3(), "path": None if r.path is None else r.path.n3(),
                "shape": r.shape.n3(), "severity": r.severity.n3(), "component": r.component.n3(),
                "value": None if r.value is None else r.value.n3(), "messages": r.messages,
                "articles": list(r.articles), "label": r.label,
                "about": None if r.about is None else r.about.n3(),
            }
            for r in self.results
        ]

    def to_json(self, lang: str = "zh") -> str:
        """The report as JSON (one object per result)."""
        doc = {
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "engine": self.engine,
            "results": [
                {
                    "focus": str(r.focus),
                    "label": r.label,
                    "path": None if r.path is None else str(r.path),
                    "field": None if r.about is None else str(r.about),
                    "shape": str(r.shape),
                    "severity": curie(r.severity),
                    "component": curie(r.component),
                    "value": None if r.value is None else str(r.value),
                    "message": r.message(lang),
                    "articles": list(r.articles),
                }
                for r in self.results
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=1)


def validate(
    *sources: str | Path | Graph,
    settings: Settings | None = None,
    as_of: date | None = None,
    engine: str = "auto",
    format: str | None = None,
) -> ValidationReport:
    """Validate RDF files (or graphs) against the shapes, with the ontology and code lists.

    Args:
        sources: files (or "-" for standard input) or rdflib graphs, validated together.
        settings: deployment settings (code lists, resource-code pattern, open-attribute scheme).
        as_of: the date the update duty is judged on; today when None.
        engine: "auto" (the fast path when it supports every shape, else pyshacl), "sparql",
            or "pyshacl".
        format: the files' format; by extension when None.

    Returns:
        The report; non-conformance is a result, not an exception.

    Raises:
        InputError: a file is missing or malformed, or the engine name is unknown.

    >>> report = validate(Graph())
    >>> report.conforms, len(report.results)
    (True, 0)
    """
    settings = settings or Settings.load()
    scratch = store.EmbeddedStore()
    for source in sources:
        if isinstance(source, Graph):
            scratch.add_default(source)
        else:
            name = str(source)
            fmt = store.format_for(name, format or ("turtle" if name == "-" else None))
            scratch.load_default(store.read_source(name), fmt, source=name)
    return Validator(settings, as_of=as_of, engine=engine).run(scratch)


def validate_document(data: bytes, format: str, shapes: Graph, *, source: str = "document") -> ValidationReport:
    """Validate a serialized document, re-parsed, against another profile's shapes (the official
    DCAT-AP shapes of an export), with neither our ontology nor our settings: the fast path when it
    runs every shape, else pyshacl (no inference, nothing fetched).

    Args:
        data: the document's bytes.
        format: one of :data:`govdata_ld.store.FORMATS`.
        shapes: the shapes graph (not modified).
        source: the document's name in errors.

    Raises:
        InputError: the document does not parse.
        GovDataError: pyshacl cannot run the shapes.
    """
    scratch = store.EmbeddedStore()
    scratch.load_default(data, format, source=source)
    reasons = tuple(unsupported(shapes))
    found: list[ValidationResult] = []
    if not reasons:
        for check in compile_checks(shapes):
            for row in scratch.select(check.query, {}, name=str(check.shape)).dicts():
                value = None if check.component in _NO_VALUE else row.get("value")
                found.append(_foreign_result(shapes, row["this"], row.get("path", check.path), check.shape,
                                             check.severity, check.component, value, check.constraint))
        return assemble(list(dict.fromkeys(found)), "sparql")
    graph = Graph()
    for s, p, o, _ in scratch.quads_default():
        graph.add((s, p, o))
    try:
        _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True)
    except Exception as exc:  # pyshacl raises its own hierarchy for broken shapes
        raise GovDataError(f"pyshacl failed: {exc}") from exc
    for result in (n for r in report.subjects(RDF.type, SH.ValidationReport) for n in report.objects(r, SH.result)):
        found.append(_foreign_result(
            shapes, *(report.value(result, p) for p in (SH.focusNode, SH.resultPath, SH.sourceShape, SH.resultSeverity,
                                                        SH.sourceConstraintComponent, SH.value, SH.sourceConstraint)),
        ))
    return assemble(found, "pyshacl", reasons, report)


def _foreign_result(
    shapes: Graph, focus: Node, path: Node | None, shape: Node, severity: URIRef, component: URIRef,
    value: Node | None, constraint: Node | None,
) -> ValidationResult:
    """A result of a third party's shapes: its sh:message, else its sh:description, else the component."""
    messages: dict[str, str] = {}
    for source in (constraint, shape):
        for predicate in (SH.message, SH.description):
            for text in shapes.objects(source, predicate) if source is not None else ():
                messages.setdefault(getattr(text, "language", None) or "en", str(text))
    if not messages:
        messages["en"] = f"{component.split('#')[-1]} on {path}" if path is not None else str(component)
    return ValidationResult(focus, path, shape, severity, component, value, messages, (), "")


class Validator:
    """Runs the shapes over a scratch store; keeps its compiled queries for repeated runs."""

    def __init__(self, settings: Settings, *, as_of: date | None = None, engine: str = "auto") -> None:
        if engine not in ENGINES:
            raise InputError(f"unknown engine {engine!r}; engines: {', '.join(ENGINES)}", source="engine")
        self.settings = settings
        self.as_of = as_of or date.today()
        self.minter = Minter(settings.base_iri)
        self.shapes = shapes_graph(settings)
        self.vocabulary = resources.ontology(overrides=settings.code_lists)
        self.fallback_reasons = tuple(unsupported(self.shapes))
        if engine == "sparql" and self.fallback_reasons:
            raise InputError("the fast path cannot run these shapes: " + "; ".join(self.fallback_reasons), source="engine")
        self.engine = "pyshacl" if engine == "pyshacl" or self.fallback_reasons else "sparql"
        self.checks: list[Check] = compile_checks(self.shapes) if self.engine == "sparql" else []

    def context(self) -> list[tuple[Node, Node, Node]]:
        """The ontology, code lists and the update-duty cut-off dates added to the data."""
        triples = list(self.vocabulary)
        for cycle, interval in self.vocabulary.subject_objects(GD.maximumInterval):
            cutoff = interval_before(self.as_of, str(interval))
            triples.append((cycle, GDS.staleBefore, Literal(cutoff.isoformat(), datatype=XSD.date)))
        return triples

    def run(self, scratch: store.EmbeddedStore) -> ValidationReport:
        """Validate the default graph of ``scratch`` (the context is added to it)."""
        scratch.add_default(self.context())
        if self.engine == "pyshacl":
            return self._pyshacl(scratch)
        return self._sparql(scratch)

    def _sparql(self, scratch: store.EmbeddedStore) -> ValidationReport:
        found: dict[tuple, ValidationResult] = {}
        # The store answers queries in parallel (it releases the GIL while evaluating).
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            answers = pool.map(lambda check: scratch.select(check.query, {}, name=str(check.shape)), self.checks)
        for check, rows in zip(self.checks, answers):
            for row in rows.dicts():
                focus = row["this"]
                value = row.get("value")
                if check.component in _NO_VALUE:
                    value = None
                path = row.get("path", check.path)
                result = self._result(focus, path, check.shape, check.severity, check.component, value, check.constraint)
                found.setdefault((result.key, check.component, value), result)
        return assemble(list(found.values()), "sparql", self.fallback_reasons)

    def _pyshacl(self, scratch: store.EmbeddedStore) -> ValidationReport:
        data = Graph()
        for s, p, o, _ in scratch.quads_default():
            data.add((s, p, o))
        try:
            _, graph, _ = pyshacl.validate(
                data, shacl_graph=self.shapes, inference="none", allow_warnings=True, inplace=True
            )
        except Exception as exc:  # pyshacl raises its own hierarchy for broken shapes
            raise GovDataError(f"pyshacl failed: {exc}") from exc
        return self.report_from_graph(graph, "pyshacl")

    def report_from_graph(self, graph: Graph, engine: str) -> ValidationReport:
        """Read a ``sh:ValidationReport`` graph (pyshacl's, or a saved one) into a report."""
        results = [
            self._result(
                graph.value(node, SH.focusNode),
                graph.value(node, SH.resultPath),
                graph.value(node, SH.sourceShape),
                graph.value(node, SH.resultSeverity),
                graph.value(node, SH.sourceConstraintComponent),
                graph.value(node, SH.value),
                graph.value(node, SH.sourceConstraint),
            )
            for report in graph.subjects(RDF.type, SH.ValidationReport)
            for node in graph.objects(report, SH.result)  # not the sh:detail results nested in them
        ]
        return assemble(results, engine, self.fallback_reasons, graph)

    def _result(
        self, focus: Node, path: Node | None, shape: Node, severity: URIRef, component: URIRef,
        value: Node | None, constraint: Node | None,
    ) -> ValidationResult:
        messages = {}
        for source in (constraint, shape):
            if source is None:
                continue
            for message in self.shapes.objects(source, SH.message):
                if isinstance(message, Literal) and message.language and message.language not in messages:
                    messages[message.language] = str(message)
        articles = tuple(sorted(str(self.vocabulary.value(a, SKOS.notation) or a) for a in self.shapes.objects(shape, RDFS.seeAlso)))
        about = path if path is not None else self.shapes.value(shape, GDS.field)
        return ValidationResult(focus, path, shape, severity, component, value, messages, articles, self._label(focus), about)

    def _label(self, focus: Node) -> str:
        return self.minter.code_of_entry(focus) or self.minter.code_of_organ(focus) or ""


_NO_VALUE = {
    SH.MinCountConstraintComponent, SH.MaxCountConstraintComponent, SH.UniqueLangConstraintComponent,
}


def merge_reports(previous: ValidationReport, partial: ValidationReport, affected: set[Node]) -> ValidationReport:
    """Replace, in ``previous``, what ``partial`` re-validated for the ``affected`` entries.

    ``partial`` ran over the registry and the affected entries only, so its results count for
    those entries, and for catalogs only where the offending value is one of them; results about
    organs and other entries are kept from ``previous``.
    """
    fresh = [r for r in partial.results if r.focus in affected or r.value in affected]
    return assemble([*previous.without(affected).results, *fresh], partial.engine, partial.fallback_reasons)


def assemble(results: Sequence[ValidationResult], engine: str, fallback: tuple[str, ...] = (), graph: Graph | None = None) -> ValidationReport:
    """A report from results: sorted, conformance decided by violations only."""
    ordered = tuple(sorted(results, key=_order))
    conforms = not any(r.severity == SH.Violation for r in ordered)
    return ValidationReport(conforms, ordered, engine, graph if graph is not None else _report_graph(ordered, conforms), fallback)


def report_from_state(state: list[dict], engine: str) -> ValidationReport:  # type: ignore[type-arg]
    """Rebuild a report saved with :meth:`ValidationReport.to_state`."""

    def term(text: object) -> Node | None:
        return None if text is None else from_n3(str(text))

    results = [
        ValidationResult(
            term(r["focus"]), term(r["path"]), term(r["shape"]), term(r["severity"]),  # type: ignore[arg-type]
            term(r["component"]), term(r["value"]), dict(r["messages"]), tuple(r["articles"]), r["label"],  # type: ignore[arg-type]
            term(r.get("about")),
        )
        for r in state
    ]
    return assemble(results, engine)


def _order(r: ValidationResult) -> tuple[str, ...]:
    return (*r.key[:3], str(r.component), str(r.value))


def shapes_graph(settings: Settings) -> Graph:
    """The shapes, with the deployment's resource-code pattern and open-attribute scheme in place."""
    graph = resources.shapes()
    for shape in list(graph.subjects(GDS.setting, Literal("resource_code_pattern"))):
        graph.set((shape, SH.pattern, Literal(settings.resource_code_pattern)))
    for shape in list(graph.subjects(GDS.setting, Literal("open_attribute_scheme"))):
        graph.set((shape, SH.hasValue, URIRef(f"{CODE}{settings.open_attribute_scheme}")))
    return graph


def _report_graph(results: Sequence[ValidationResult], conforms: bool) -> Graph:
    graph = Graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    for r in results:
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, r.focus))
        graph.add((node, SH.sourceShape, r.shape))
        graph.add((node, SH.resultSeverity, r.severity))
        graph.add((node, SH.sourceConstraintComponent, r.component))
        if r.path is not None:
            graph.add((node, SH.resultPath, r.path))
        if r.value is not None:
            graph.add((node, SH.value, r.value))
        for lang, text in r.messages.items():
            graph.add((node, SH.resultMessage, Literal(text, lang=lang)))
    return graph


def interval_before(day: date, duration: str) -> date:
    """The day one update-cycle interval before ``day``: an entry last changed before it is overdue.

    Years and months are taken off first, clamped to the end of a shorter month, then days. The
    validator's update-duty warnings and the assessment's overdue figures both use this, so they
    agree.

    Args:
        day: the day judged on.
        duration: a ``gd:maximumInterval``, an ``xsd:duration`` of the form PnYnMnD.

    Returns:
        The cut-off day.

    Raises:
        InputError: ``duration`` is not of the form PnYnMnD.

    >>> interval_before(date(2024, 3, 31), "P1M"), interval_before(date(2024, 3, 1), "P1Y1D")
    (datetime.date(2024, 2, 29), datetime.date(2023, 2, 28))
    """
    match = _DURATION.fullmatch(duration)
    if not match:
        raise InputError(f"unsupported update-cycle interval {duration!r} (PnYnMnD expected)")
    years, months, days = (int(g or 0) for g in match.groups())
    month_index = day.year * 12 + day.month - 1 - years * 12 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    shifted = date(year, month + 1, min(day.day, last))
    return date.fromordinal(shifted.toordinal() - days)


def violations_by_entry(report: ValidationReport, entries: Iterable[URIRef]) -> dict[URIRef, list[ValidationResult]]:
    """The violations of a report about each of ``entries`` (their own nodes included)."""
    wanted = set(entries)
    found: dict[URIRef, list[ValidationResult]] = {}
    for result in report.violations:
        entry = entry_of(result, wanted)
        if entry is not None:
            found.setdefault(entry, []).append(result)
    return found


def problem_text(result: ValidationResult) -> str:
    """A result in one line: the English message and the clauses it enforces."""
    return f"{result.message('en')} ({', '.join(result.articles)})"


def entry_of(result: ValidationResult, entries: set[URIRef]) -> URIRef | None:
    """Which of ``entries`` a result is about: its focus or value, or the entry that owns the
    focus node (a data item, distribution, contact point ...); None for none of them."""
    focus = str(result.focus)
    for candidate in (result.focus, result.value):
        if candidate in entries:
            return candidate  # type: ignore[return-value]
    head = focus.split("/item/")[0].split("/distribution/")[0].split("/contact")[0]
    head = head.split("/internal-contact")[0].split("/temporal")[0].split("/genid/")[0]
    return URIRef(head) if URIRef(head) in entries else None
