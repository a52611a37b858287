"""SHACL shapes compiled into set-based SPARQL: one query per constraint, over all focus nodes.

pyshacl checks one focus node at a time and runs SPARQL-based constraints through rdflib's engine,
which costs ~10 ms per node and constraint. Here each constraint of a targeted shape becomes one
SELECT over every focus node at once, run by the embedded store. pyshacl stays the reference:
tests require the same results (focus, path, shape, severity) on the example city, the invalid
examples, generated catalogs and the W3C SHACL test suite for every component claimed here.

Supported: targets (class, implicit class, node, subjects-of, objects-of); predicate and inverse
paths; the components in :data:`SUPPORTED`, with property shapes nested in property shapes;
SPARQL-based constraints (SELECT; not inside shapes used by sh:node/not/and/or) with ``$this``
pre-bound and ``$PATH`` substituted. Anything else makes :func:`unsupported` name it, and
validation falls back to pyshacl.

Pre-binding: a SPARQL constraint runs as ``{ focus nodes } LATERAL { SELECT ... }`` (SEP-0006,
which pyoxigraph implements), so ``$this`` is substituted into the whole query, nested groups,
UNION branches, BIND and FILTER included, as the SHACL spec defines pre-binding; a plain join
would evaluate those parts before ``$this`` is bound.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, SH, XSD
from rdflib.term import Node

from .errors import ParameterError
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

# Parameters that belong to a supported component but are not a component of their own (a shape
# may be its own SPARQL constraint), and the annotations every shape may carry.
_COMPANIONS = {SH.flags, SH.select, SH.prefixes}
_SHAPE_TERMS = {
    RDF.type, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path,
    SH.property, SH.severity, SH.message, SH.name, SH.description, SH.order, SH.group,
    SH.deactivated, RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy,
}
_SHACL = str(SH)
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_CASTABLE = {XSD.date, XSD.dateTime, XSD.integer, XSD.decimal, XSD.boolean, XSD.double, XSD.float}
_REFERENCES = (SH.property, SH.node, SH["not"])  # and the members of sh:and / sh:or lists
_SUBQUERY = re.compile(r"\bSELECT\b(.*?)(?:\bWHERE\b|\{)", re.IGNORECASE | re.DOTALL)
_THIS = re.compile(r"[?$]this\b")
_PREFIX = re.compile(r"^\s*PREFIX\s+(\S*?)\s*:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
_PREFIX_NAME = re.compile(r"([A-Za-z][\w.-]*)?")
_INSTANCE = f"{term_text(RDF.type)}/{term_text(RDFS.subClassOf)}*"
# parameters whose values are written into the queries as terms
_TERMS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH["class"], SH.datatype, SH.hasValue)


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
    # a custom constraint component: any node with sh:parameter (of whatever class)
    parameters = {
        p: c for c, parameter in shapes.subject_objects(SH.parameter) for p in shapes.objects(parameter, SH.path)
    }
    for shape in _all_shapes(shapes):
        for p in set(shapes.predicates(shape)):
            if str(p).startswith(_SHACL) and p not in SUPPORTED and p not in _SHAPE_TERMS and p not in _COMPANIONS:
                problems.append(f"{_name(shape)}: {p.n3()}")
            if p in parameters:
                component = parameters[p].n3() if isinstance(parameters[p], URIRef) else "(a blank node)"
                problems.append(f"{_name(shape)}: custom constraint component {component}")
        terms = [o for p in _TERMS for o in shapes.objects(shape, p)]
        terms += [m for members in shapes.objects(shape, SH["in"]) for m in Collection(shapes, members)]
        terms += [shape] if (shape, RDF.type, RDFS.Class) in shapes else []
        if not all(_writable(term) for term in terms):
            problems.append(f"{_name(shape)}: a blank node or malformed IRI as a target or constraint value")
        path = shapes.value(shape, SH.path)
        if path is not None and _path_text(shapes, path) is None:
            problems.append(f"{_name(shape)}: path {path.n3() if isinstance(path, URIRef) else 'expression'}")
        for constraint in shapes.objects(shape, SH.sparql):
            problems += [f"{_name(shape)}: {problem}" for problem in _sparql_problems(shapes, constraint)]
        if shape in _reachable(shapes, _children(shapes, shape)):
            problems.append(f"{_name(shape)}: recursive shape")
    nested = _reachable(shapes, [c for s in _all_shapes(shapes) for c in _children(shapes, s, properties=False)])
    for child in nested:
        if any(True for _ in shapes.objects(child, SH.sparql)):
            problems.append(f"{_name(child)}: SPARQL constraint in a shape used by sh:node/not/and/or")
    return sorted(set(problems))


def _sparql_problems(shapes: Graph, constraint: Node) -> list[str]:
    text = str(shapes.value(constraint, SH.select) or "")
    if not text:
        return ["SPARQL constraint without sh:select"]
    problems = []
    if "$currentShape" in text or "$shapesGraph" in text:
        problems.append("$currentShape/$shapesGraph in SPARQL")
    if re.search(r"\bVALUES\b|\bMINUS\b|\bSERVICE\b", text, re.IGNORECASE):
        problems.append("VALUES, MINUS or SERVICE in SPARQL")
    if re.search(r"^\s*BASE\b", text, re.IGNORECASE | re.MULTILINE):
        problems.append("BASE in SPARQL")
    if re.search(r"\bAS\s+[?$]this\b", text, re.IGNORECASE):
        problems.append("SPARQL assigns the pre-bound $this")
    if any(not _THIS.search(m) for m in _SUBQUERY.findall(_PREFIX.sub("", text))[1:]):
        problems.append("SPARQL subquery that does not project $this by name")
    if any(not _PREFIX_NAME.fullmatch(prefix) for prefix, _ in _declarations(shapes, constraint)):
        problems.append("SPARQL prefix declaration with an invalid prefix")
    return problems


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
        targets = _targets(shapes, shape)
        if targets is not None:
            checks += _shape_checks(shapes, shape, f"SELECT DISTINCT ?this WHERE {{ {targets} }}", names)
    return checks


def _shape_checks(shapes: Graph, shape: Node, focus: str, names: _Names) -> list[Check]:
    """The checks of ``shape`` and of its property shapes, over the nodes ``focus`` selects as ?this.

    A property shape's own property shapes (sh:property) take its value nodes as focus nodes.
    """
    if _deactivated(shapes, shape):
        return []
    checks = []
    severity = shapes.value(shape, SH.severity) or SH.Violation
    path = shapes.value(shape, SH.path)
    for component, pattern, constraint in _constraints(shapes, shape, "?this", names, top=True):
        projection = "*" if constraint is not None else "?this ?value"
        query = f"SELECT DISTINCT {projection} WHERE {{\n{{ {focus} }}\n{pattern}\n}}"
        checks.append(Check(shape, component, severity, path, constraint, _prefixed(shapes, constraint, query)))  # type: ignore[arg-type]
    inner = focus
    if path is not None:
        outer = names.fresh("focus")
        inner = (
            f"SELECT DISTINCT ?this WHERE {{ {{ SELECT (?this AS {outer}) WHERE {{ {focus} }} }}\n"
            f"{outer} {_path_text(shapes, path)} ?this }}"
        )
    for property_shape in shapes.objects(shape, SH.property):
        checks += _shape_checks(shapes, property_shape, inner, names)
    return checks


def violates(shapes: Graph, shape: Node, focus: str, names: _Names) -> str:
    """A group pattern that matches when the node bound to ``focus`` violates ``shape``."""
    if _deactivated(shapes, shape):
        return "FILTER (false)"
    parts = [pattern for _, pattern, _ in _constraints(shapes, shape, focus, names, top=False)]
    path = shapes.value(shape, SH.path)
    for property_shape in shapes.objects(shape, SH.property):
        if path is None:
            parts.append(violates(shapes, property_shape, focus, names))
        else:
            value = names.fresh("f")
            nested = violates(shapes, property_shape, value, names)
            parts.append(f"{focus} {_path_text(shapes, path)} {value} . {{ {nested} }}")
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
                if top and not _deactivated(shapes, argument):
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
        n = int(str(argument))
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
        n = int(str(argument))
        if path is None:
            return None
        if n == 0:
            return f"FILTER EXISTS {{ {focus} {path} {names.fresh('x')} }}"
        if n == 1:
            a, b = names.fresh("x"), names.fresh("x")
            return f"{focus} {path} {a}, {b} . FILTER (!sameTerm({a}, {b}))"
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
        same_tag = f"LANG({a}) != \"\" && LCASE(LANG({a})) = LCASE(LANG({b}))"
        return f"{focus} {path} {a}, {b} . FILTER (!sameTerm({a}, {b}) && {same_tag})"
    if parameter == SH.hasValue:
        if path is None:
            return f"FILTER (!sameTerm({focus}, {term_text(argument)}))"
        return f"FILTER NOT EXISTS {{ {focus} {path} {term_text(argument)} }}"
    # the components below test each value node
    if parameter == SH["class"]:
        test = f"FILTER NOT EXISTS {{ {value} {_INSTANCE} {term_text(argument)} }}"
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
    """The constraint's SELECT, evaluated once per focus node with ``$this`` substituted."""
    text = _PREFIX.sub("", str(shapes.value(constraint, SH.select)))
    text = re.sub(r"\$this\b", "?this", text)
    if path is not None:
        text = re.sub(r"\$PATH\b", lambda _: path, text)
    return f"LATERAL {{ {text} }}"


def _declarations(shapes: Graph, constraint: Node) -> list[tuple[str, str]]:
    """The (prefix, namespace) pairs of ``sh:prefixes/owl:imports*/sh:declare`` and of the query."""
    found = _PREFIX.findall(str(shapes.value(constraint, SH.select) or ""))
    seen: set[Node] = set()
    todo = list(shapes.objects(constraint, SH.prefixes))
    while todo:
        ontology = todo.pop()
        if ontology in seen:
            continue
        seen.add(ontology)
        todo += shapes.objects(ontology, OWL.imports)
        for declaration in shapes.objects(ontology, SH.declare):
            prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration, SH.namespace)
            found.append((str(prefix), str(namespace)) if prefix is not None and namespace is not None else ("?", ""))
    return found


def _prefixed(shapes: Graph, constraint: Node | None, query: str) -> str:
    if constraint is None:
        return query
    declarations = _declarations(shapes, constraint)
    lines = {f"PREFIX {prefix}: {term_text(URIRef(namespace))}" for prefix, namespace in declarations}
    return "\n".join(sorted(lines) + [query])


def _targets(shapes: Graph, shape: Node) -> str | None:
    parts = []
    for cls in shapes.objects(shape, SH.targetClass):
        parts.append(f"?this {_INSTANCE} {term_text(cls)} .")
    if (shape, RDF.type, RDFS.Class) in shapes:
        parts.append(f"?this {_INSTANCE} {term_text(shape)} .")
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
        return term_text(path) if _writable(path) else None
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, URIRef) and _writable(inverse) and len(set(shapes.predicate_objects(path))) == 1:
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


def _children(shapes: Graph, shape: Node, *, properties: bool = True) -> list[Node]:
    """The shapes ``shape`` refers to: sh:node, sh:not, sh:and/sh:or members (and sh:property)."""
    found = [c for p in _REFERENCES if properties or p != SH.property for c in shapes.objects(shape, p)]
    for parameter in (SH["and"], SH["or"]):
        for members in shapes.objects(shape, parameter):
            found += Collection(shapes, members)
    return found


def _reachable(shapes: Graph, roots: list[Node]) -> set[Node]:
    seen: set[Node] = set()
    todo = list(roots)
    while todo:
        shape = todo.pop()
        if shape not in seen:
            seen.add(shape)
            todo += _children(shapes, shape)
    return seen


def _writable(term: Node) -> bool:
    try:
        term_text(term)
    except ParameterError:
        return False
    return True


def _deactivated(shapes: Graph, shape: Node) -> bool:
    return _true(shapes.value(shape, SH.deactivated))


def _true(term: Node | None) -> bool:
    """Only the literal ``true`` counts: SHACL names no other boolean form (``"1"`` is not true)."""
    return isinstance(term, Literal) and term.datatype == XSD.boolean and str(term) == "true"


def _name(shape: Node) -> str:
    return shape.n3() if isinstance(shape, URIRef) else "a blank-node shape"
