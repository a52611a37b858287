"""SHACL shapes compiled into set-based SPARQL: one query per constraint, over all focus nodes.

pyshacl checks one focus node at a time and runs SPARQL-based constraints through rdflib's engine,
which costs ~10 ms per node and constraint. Here each constraint of a targeted shape becomes one
SELECT over every focus node at once, run by the embedded store. pyshacl stays the reference:
tests require the same results (focus, path, shape, severity) on the example city, the invalid
examples, generated catalogs and the W3C SHACL test suite for every component claimed here.

Supported: targets (class, implicit class, node, subjects-of, objects-of); predicate and inverse
paths; the components in :data:`SUPPORTED`; SPARQL-based constraints (SELECT, top level) with
``$this`` and ``$PATH``. Anything else makes :func:`unsupported` name it, and validation falls
back to pyshacl.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from .sparql_values import term_text

# parameter -> constraint component
SUPPORTED: dict[URIRef, URIRef] = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.sparql: SH.SPARQLConstraintComponent,
}
"""The constraint parameters the fast path runs, with their components."""

# Parameters that belong to a supported component but are not a component of their own, and the
# annotations every shape may carry.
_COMPANIONS = {SH.flags}
_SHAPE_TERMS = {
    RDF.type, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path,
    SH.property, SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group,
    SH.deactivated, RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy,
}
_SHACL = str(SH)
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_CASTABLE = {XSD.date, XSD.dateTime, XSD.integer, XSD.decimal, XSD.boolean, XSD.double, XSD.float}


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, compiled to a query returning ``?this`` (and ``?value``)."""

    shape: URIRef | BNode
    component: URIRef
    severity: URIRef
    path: Node | None
    constraint: Node | None
    query: str


@dataclass
class _Names:
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fresh(self, stem: str) -> str:
        return f"?{stem}_{next(self.counter)}"


class Unsupported(Exception):
    """A shape uses something the fast path does not run (internal: callers get names)."""


def unsupported(shapes: Graph) -> list[str]:
    """Name what in ``shapes`` the fast path cannot run; empty when it runs everything."""
    problems = []
    for shape in _all_shapes(shapes):
        for p in set(shapes.predicates(shape)):
            if str(p).startswith(_SHACL) and p not in SUPPORTED and p not in _SHAPE_TERMS and p not in _COMPANIONS:
                problems.append(f"{_name(shape)}: {p.n3()}")
        path = shapes.value(shape, SH.path)
        if path is not None and _path_text(shapes, path) is None:
            problems.append(f"{_name(shape)}: path {path.n3() if isinstance(path, URIRef) else 'expression'}")
        for constraint in shapes.objects(shape, SH.sparql):
            text = str(shapes.value(constraint, SH.select) or "")
            if not text:
                problems.append(f"{_name(shape)}: SPARQL constraint without sh:select")
            if "$currentShape" in text or "$shapesGraph" in text:
                problems.append(f"{_name(shape)}: $currentShape/$shapesGraph in SPARQL")
            if re.search(r"\bVALUES\b|\bMINUS\b|\bSERVICE\b", text, re.IGNORECASE):
                problems.append(f"{_name(shape)}: VALUES, MINUS or SERVICE in SPARQL")
    for parent, child in _nested(shapes):
        if any(True for _ in shapes.objects(child, SH.sparql)):
            problems.append(f"{_name(parent)}: nested shape {_name(child)} has a SPARQL constraint")
    return sorted(set(problems))


def compile_checks(shapes: Graph) -> list[Check]:
    """Compile every targeted shape's constraints into queries.

    Raises:
        Unsupported: when :func:`unsupported` is not empty.
    """
    problems = unsupported(shapes)
    if problems:
        raise Unsupported("; ".join(problems))
    checks = []
    names = _Names()
    for shape in sorted(_all_shapes(shapes), key=str):
        if _deactivated(shapes, shape):
            continue
        targets = _targets(shapes, shape)
        if targets is None:
            continue
        checks += _shape_checks(shapes, shape, targets, names)
    return checks


def _shape_checks(shapes: Graph, shape: Node, targets: str, names: _Names) -> list[Check]:
    checks = []
    units = [(shape, None)] + [(p, p) for p in shapes.objects(shape, SH.property)]
    if shapes.value(shape, SH.path) is not None:
        units = [(shape, shape)]
    for unit, property_shape in units:
        if _deactivated(shapes, unit):
            continue
        severity = shapes.value(unit, SH.severity) or SH.Violation
        path = shapes.value(unit, SH.path) if property_shape is not None else None
        for component, pattern, constraint in _constraints(shapes, unit, "?this", names, top=True):
            query = f"SELECT DISTINCT * WHERE {{\n{{ {targets} }}\n{pattern}\n}}"
            checks.append(Check(unit, component, severity, path, constraint, _prefixed(shapes, constraint, query)))  # type: ignore[arg-type]
    return checks


def violates(shapes: Graph, shape: Node, focus: str, names: _Names) -> str:
    """A group pattern that matches when the node bound to ``focus`` violates ``shape``."""
    parts = [pattern for _, pattern, _ in _constraints(shapes, shape, focus, names, top=False)]
    for property_shape in shapes.objects(shape, SH.property):
        parts += [p for _, p, _ in _constraints(shapes, property_shape, focus, names, top=False)]
    if not parts:
        return "FILTER (false)"
    return " UNION ".join(f"{{ {p} }}" for p in parts)


def _constraints(
    shapes: Graph, unit: Node, focus: str, names: _Names, *, top: bool
) -> Iterator[tuple[URIRef, str, Node | None]]:
    """Yield (component, pattern, source constraint) for each constraint of ``unit`` on ``focus``.

    At top level the value node is ``?value``; nested, a fresh variable.
    """
    if _deactivated(shapes, unit):
        return
    path = shapes.value(unit, SH.path)
    path_text = _path_text(shapes, path) if path is not None else None
    value = "?value" if top else names.fresh("v")
    if path_text is None:
        values = f"BIND ({focus} AS {value})"
    else:
        values = f"{focus} {path_text} {value} ."
    for parameter, component in SUPPORTED.items():
        for argument in shapes.objects(unit, parameter):
            if parameter == SH.sparql:
                if top:
                    yield component, _sparql_pattern(shapes, argument, path_text), argument
                continue
            pattern = _component_pattern(shapes, unit, parameter, argument, focus, path_text, values, value, names)
            if pattern is not None:
                yield component, pattern, None


def _component_pattern(
    shapes: Graph, unit: Node, parameter: URIRef, argument: Node, focus: str,
    path: str | None, values: str, value: str, names: _Names,
) -> str | None:
    if parameter == SH.minCount:
        n = int(argument)
        if path is None or n == 0:
            return None
        if n == 1:
            return f"FILTER NOT EXISTS {{ {focus} {path} {names.fresh('x')} }}"
        count = names.fresh("n")
        x = names.fresh("x")
        return (
            f"OPTIONAL {{ SELECT {focus} (COUNT(DISTINCT {x}) AS {count}) WHERE {{ {focus} {path} {x} }} GROUP BY {focus} }}\n"
            f"FILTER (COALESCE({count}, 0) < {n})"
        )
    if parameter == SH.maxCount:
        n = int(argument)
        if path is None:
            return None
        if n == 0:
            return f"FILTER EXISTS {{ {focus} {path} {names.fresh('x')} }}"
        if n == 1:
            a, b = names.fresh("x"), names.fresh("x")
            return f"{focus} {path} {a}, {b} . FILTER ({a} != {b})"
        count = names.fresh("n")
        x = names.fresh("x")
        return (
            f"{{ SELECT {focus} (COUNT(DISTINCT {x}) AS {count}) WHERE {{ {focus} {path} {x} }} GROUP BY {focus} }}\n"
            f"FILTER ({count} > {n})"
        )
    if parameter == SH.uniqueLang:
        if path is None or not _true(argument):
            return None
        a, b = names.fresh("x"), names.fresh("x")
        return f"{focus} {path} {a}, {b} . FILTER ({a} != {b} && LANG({a}) != \"\" && LANG({a}) = LANG({b}))"
    if parameter == SH.hasValue:
        if path is None:
            return f"FILTER (!sameTerm({focus}, {term_text(argument)}))"
        return f"FILTER NOT EXISTS {{ {focus} {path} {term_text(argument)} }}"
    # the components below test each value node
    if parameter == SH["class"]:
        test = f"FILTER NOT EXISTS {{ {value} <{RDF.type}>/<{RDFS.subClassOf}>* {term_text(argument)} }}"
    elif parameter == SH.datatype:
        test = f"FILTER (!isLiteral({value}) || DATATYPE({value}) != {term_text(argument)}"
        if argument in _CASTABLE:
            test += f" || !COALESCE({term_text(argument)}(STR({value})) = {value}, false)"
        test += ")"
    elif parameter == SH.pattern:
        flags = shapes.value(unit, SH.flags)
        extra = f", {term_text(Literal(str(flags)))}" if flags is not None else ""
        test = f"FILTER (isBlank({value}) || !REGEX(STR({value}), {term_text(Literal(str(argument)))}{extra}))"
    elif parameter == SH.languageIn:
        tags = [str(t) for t in Collection(shapes, argument)]
        matches = " || ".join(f"langMatches(LANG({value}), {term_text(Literal(t))})" for t in tags) or "false"
        test = f"FILTER (!isLiteral({value}) || !({matches}))"
    elif parameter == SH["in"]:
        members = list(Collection(shapes, argument))
        same = " || ".join(f"sameTerm({value}, {term_text(m)})" for m in members) or "false"
        test = f"FILTER (!({same}))"
    elif parameter == SH.node:
        test = f"FILTER EXISTS {{ {violates(shapes, argument, value, names)} }}"
    elif parameter == SH["not"]:
        test = f"FILTER NOT EXISTS {{ {violates(shapes, argument, value, names)} }}"
    elif parameter == SH["and"]:
        members = list(Collection(shapes, argument))
        test = "FILTER (" + " || ".join(f"EXISTS {{ {violates(shapes, m, value, names)} }}" for m in members) + ")"
    elif parameter == SH["or"]:
        members = list(Collection(shapes, argument))
        test = "FILTER (" + " && ".join(f"EXISTS {{ {violates(shapes, m, value, names)} }}" for m in members) + ")"
    else:  # pragma: no cover - SUPPORTED and this function list the same parameters
        raise Unsupported(str(parameter))
    return f"{values}\n{test}"


def _sparql_pattern(shapes: Graph, constraint: Node, path: str | None) -> str:
    text = str(shapes.value(constraint, SH.select))
    text = re.sub(r"\$this\b", "?this", text)
    if path is not None:
        text = re.sub(r"\$PATH\b", path, text)
    body = re.sub(r"^\s*PREFIX\s+\S*\s*<[^>]*>\s*", "", text, flags=re.IGNORECASE | re.MULTILINE)
    return f"{{ {body} }}"


def _prefixed(shapes: Graph, constraint: Node | None, query: str) -> str:
    if constraint is None:
        return query
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: {term_text(URIRef(str(namespace)))}")
    return "\n".join(sorted(set(lines)) + [query])


def _targets(shapes: Graph, shape: Node) -> str | None:
    parts = []
    for cls in shapes.objects(shape, SH.targetClass):
        parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {term_text(cls)} .")
    if (shape, RDF.type, RDFS.Class) in shapes:
        parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {term_text(shape)} .")
    nodes = list(shapes.objects(shape, SH.targetNode))
    if nodes:
        parts.append("VALUES ?this { " + " ".join(term_text(n) for n in nodes) + " }")
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        parts.append(f"?this {term_text(p)} ?gds_target .")
    for p in shapes.objects(shape, SH.targetObjectsOf):
        parts.append(f"?gds_target {term_text(p)} ?this .")
    if not parts:
        return None
    return " UNION ".join(f"{{ {p} }}" for p in parts)


def _path_text(shapes: Graph, path: Node) -> str | None:
    if isinstance(path, URIRef):
        return term_text(path)
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, URIRef) and len(set(shapes.predicate_objects(path))) == 1:
        return f"^{term_text(inverse)}"
    return None


def _all_shapes(shapes: Graph) -> set[Node]:
    found: set[Node] = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        found |= set(shapes.subjects(RDF.type, kind))
    for target in _TARGETS:
        found |= set(shapes.subjects(target, None))
    found |= set(shapes.objects(None, SH.property))
    found |= set(shapes.objects(None, SH.node))
    found |= set(shapes.objects(None, SH["not"]))
    for parameter in (SH["and"], SH["or"]):
        for lst in shapes.objects(None, parameter):
            found |= set(Collection(shapes, lst))
    return found


def _nested(shapes: Graph) -> Iterator[tuple[Node, Node]]:
    for parent, child in shapes.subject_objects(SH.node):
        yield parent, child
    for parent, child in shapes.subject_objects(SH["not"]):
        yield parent, child
    for parameter in (SH["and"], SH["or"]):
        for parent, lst in shapes.subject_objects(parameter):
            for member in Collection(shapes, lst):
                yield parent, member
                for prop in shapes.objects(member, SH.property):
                    yield parent, prop


def _deactivated(shapes: Graph, shape: Node) -> bool:
    return _true(shapes.value(shape, SH.deactivated))


def _true(term: Node | None) -> bool:
    return isinstance(term, Literal) and term.toPython() is True


def _name(shape: Node) -> str:
    return shape.n3() if isinstance(shape, URIRef) else "a blank-node shape"
