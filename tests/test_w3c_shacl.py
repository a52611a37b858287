"""The W3C SHACL test suite on the SPARQL fast path (:mod:`govdata_ld.shacl_sparql`).

The suite (``tests/w3c_shacl/``, see its README) is walked from its root manifest. Every test
whose shapes graph :func:`unsupported` accepts is *claimed*: its data graph goes into the default
graph of a scratch :class:`EmbeddedStore`, every compiled check runs, and the results must equal
the expected ``sh:ValidationReport``. Tests the fast path does not accept are listed by name, with
the reasons :func:`unsupported` gives, in :data:`EXPECTED_UNSUPPORTED`; a test keeps that list
exact, so widening or narrowing the claim is a deliberate edit here.

What is compared, per result: (focus node, result path, source shape, severity), as a set, and
``sh:conforms`` (SHACL's meaning: no result of any severity). Values, components and messages are
not compared (the project's engines agree on the same four-part key). Blank nodes cannot be
compared by identity across graphs (the expected report sits in the test file, the results come
out of the store), so:

* a blank-node focus node or source shape is replaced by the marker ``_:b``;
* a blank-node result path is written out structurally (``[<sh:inversePath> <ex:p>]``,
  lists as ``( ... )``), from the graph that holds it: the expected report writes paths in full,
  and the fast path's paths come from the shapes graph.

Results are first made a set by real identity on each side (blank nodes are stable within one
graph and within the store), then compared as multisets of the canonical keys, so two distinct
blank-node focus nodes still count twice.

The files are parsed with rdflib's literal normalisation off, so literals reach the store and the
shapes as written (``"1"^^xsd:boolean`` stays distinct from ``true``, ill-typed literals stay
ill-typed), as when the store parses a file itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import rdflib
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from govdata_ld.shacl_sparql import compile_checks, unsupported
from govdata_ld.store import EmbeddedStore

SUITE = Path(__file__).resolve().parent / "w3c_shacl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
BLANK = "_:b"
TOTAL = 121

Key = tuple[str, str, str, str]

# test name -> what unsupported() says about its shapes (joined by "; ", IRIs shortened to local
# names). Every test not named here is claimed by the fast path and must give the expected report.
# The sht:Failure tests (shapes a processor must reject) are all here: the fast path names them
# and leaves them to pyshacl.
EXPECTED_UNSUPPORTED: dict[str, str] = {
    "core/complex/personexample": (
        "PersonShape: sh:closed; "
        "PersonShape: sh:ignoredProperties; "
        "a blank-node shape: sh:nodeKind"
    ),
    "core/complex/shacl-shacl": (
        "EntailmentShape: sh:nodeKind; "
        "PathNodeShape: sh:xone; "
        "ShapeShape: sh:xone; "
        "ShapesGraphShape: sh:nodeKind; "
        "a blank-node shape: sh:nodeKind; "
        "a blank-node shape: path expression"
    ),
    "core/misc/severity-002": "TestShape1: sh:nodeKind",
    "core/node/closed-001": "MyShape: sh:closed",
    "core/node/closed-002": "MyShape: sh:closed; MyShape: sh:ignoredProperties",
    "core/node/disjoint-001": "TestShape: sh:disjoint",
    "core/node/equals-001": "TestShape: sh:equals",
    "core/node/maxExclusive-001": "TestShape: sh:maxExclusive",
    "core/node/maxInclusive-001": "TestShape: sh:maxInclusive",
    "core/node/maxLength-001": "TestShape: sh:maxLength",
    "core/node/minExclusive-001": "TestShape: sh:minExclusive",
    "core/node/minInclusive-001": "TestShape: sh:minInclusive",
    "core/node/minInclusive-002": "TestShape: sh:minInclusive",
    "core/node/minInclusive-003": "TestShape: sh:minInclusive",
    "core/node/minLength-001": "TestShape: sh:minLength",
    "core/node/nodeKind-001": "IRITestShape: sh:nodeKind",
    "core/node/qualified-001": (
        "s1: sh:qualifiedMaxCount; "
        "s1: sh:qualifiedMinCount; "
        "s1: sh:qualifiedValueShapesDisjoint"
    ),
    "core/node/xone-001": "XoneConstraintExampleShape: sh:xone",
    "core/node/xone-duplicate": "s1: sh:xone",
    "core/path/path-alternative-001": "TestShape: path expression",
    "core/path/path-complex-001": "TestShape: path expression",
    "core/path/path-complex-002": "s1: path expression; s2: path expression",
    "core/path/path-oneOrMore-001": "TestShape: path expression",
    "core/path/path-sequence-001": "TestShape: path expression",
    "core/path/path-sequence-002": "TestShape: path expression",
    "core/path/path-sequence-duplicate-001": "SP: sh:nodeKind; SP: path expression",
    "core/path/path-strange-001": "s1: path expression",
    "core/path/path-strange-002": "s1: path expression",
    "core/path/path-zeroOrMore-001": "TestShape: path expression",
    "core/path/path-zeroOrOne-001": "TestShape: path expression",
    "core/property/disjoint-001": "TestShape-property1: sh:disjoint",
    "core/property/equals-001": "TestShape-property1: sh:equals",
    "core/property/lessThan-001": "TestShape-property1: sh:lessThan",
    "core/property/lessThan-002": "TestShape-first: sh:lessThan",
    "core/property/lessThanOrEquals-001": "TestShape-property1: sh:lessThanOrEquals",
    "core/property/maxExclusive-001": "TestShape-property: sh:maxExclusive",
    "core/property/maxInclusive-001": "TestShape-property: sh:maxInclusive",
    "core/property/maxLength-001": "TestShape-testProperty: sh:maxLength",
    "core/property/minExclusive-001": "TestShape-testProperty: sh:minExclusive",
    "core/property/minExclusive-002": "TestShape-testProperty: sh:minExclusive",
    "core/property/minLength-001": "TestShape-testProperty: sh:minLength",
    "core/property/nodeKind-001": "a blank-node shape: sh:nodeKind",
    "core/property/qualifiedMinCountDisjoint-001": (
        "HandShape-digit-maxCount4: sh:qualifiedMaxCount; "
        "HandShape-digit-maxCount4: sh:qualifiedValueShape; "
        "HandShape-digit-maxCount4: sh:qualifiedValueShapesDisjoint; "
        "HandShape-digit-minCount1: sh:qualifiedMinCount; "
        "HandShape-digit-minCount1: sh:qualifiedValueShape; "
        "HandShape-digit-minCount1: sh:qualifiedValueShapesDisjoint"
    ),
    "core/property/qualifiedValueShape-001": (
        "APGARObservationShape-related: sh:qualifiedMaxCount; "
        "APGARObservationShape-related: sh:qualifiedMinCount; "
        "APGARObservationShape-related: sh:qualifiedValueShape"
    ),
    "core/property/qualifiedValueShapesDisjoint-001": (
        "HandShape-digit1: sh:qualifiedMaxCount; "
        "HandShape-digit1: sh:qualifiedMinCount; "
        "HandShape-digit1: sh:qualifiedValueShape; "
        "HandShape-digit1: sh:qualifiedValueShapesDisjoint; "
        "HandShape-digit4: sh:qualifiedMaxCount; "
        "HandShape-digit4: sh:qualifiedMinCount; "
        "HandShape-digit4: sh:qualifiedValueShape; "
        "HandShape-digit4: sh:qualifiedValueShapesDisjoint"
    ),
    "sparql/component/nodeValidator-001": "TestShape: custom constraint component TestConstraintComponent",
    "sparql/component/optional-001": (
        "IncompleteShape: custom constraint component TestConstraintComponent; "
        "TestShape1: custom constraint component TestConstraintComponent; "
        "TestShape2: custom constraint component TestConstraintComponent"
    ),
    "sparql/component/propertyValidator-select-001": (
        "a blank-node shape: custom constraint component LanguageConstraintComponentUsingSELECT"
    ),
    "sparql/component/validator-001": "TestShape: custom constraint component TestConstraintComponent",
    "sparql/pre-binding/pre-binding-006": "TestShape: SPARQL subquery that does not project $this by name",
    "sparql/pre-binding/shapesGraph-001": "TestShape: $currentShape/$shapesGraph in SPARQL",
    "sparql/pre-binding/unsupported-sparql-001": "TestShape: VALUES, MINUS or SERVICE in SPARQL",
    "sparql/pre-binding/unsupported-sparql-002": "TestShape: VALUES, MINUS or SERVICE in SPARQL",
    "sparql/pre-binding/unsupported-sparql-003": "TestShape: VALUES, MINUS or SERVICE in SPARQL",
    "sparql/pre-binding/unsupported-sparql-004": (
        "TestShape: SPARQL subquery that does not project $this by name"
    ),
    "sparql/pre-binding/unsupported-sparql-005": "TestShape: SPARQL assigns the pre-bound $this",
    "sparql/pre-binding/unsupported-sparql-006": (
        "a blank-node shape: custom constraint component LanguageConstraintComponentUsingASK"
    ),
}


@dataclass(frozen=True)
class Case:
    """One ``sht:Validate`` entry."""

    name: str
    label: str
    data: Path
    shapes: Path
    manifest: Path
    result: Node | None


@cache
def _graph(path: Path) -> Graph:
    """A suite file parsed once, ``<>`` and relative IRIs resolved against the file's own IRI.

    Literals keep their lexical form (rdflib would turn ``"1"^^xsd:boolean`` into ``true``, which
    uniqueLang-002 tests), as when the store parses a file itself.
    """
    graph = Graph()
    normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        graph.parse(path, format="turtle", publicID=path.as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    return graph


def _path_of(iri: Node | None) -> Path:
    return Path(unquote(urlparse(str(iri)).path))


def _name(entry: Node) -> str:
    return _path_of(entry).relative_to(SUITE).with_suffix("").as_posix()


def _cases(manifest: Path) -> list[Case]:
    graph = _graph(manifest)
    found = []
    for entries in graph.objects(None, MF.entries):
        for entry in Collection(graph, entries):
            action = graph.value(entry, MF.action)
            found.append(
                Case(
                    name=_name(entry),
                    label=str(graph.value(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) or ""),
                    data=_path_of(graph.value(action, SHT.dataGraph)),
                    shapes=_path_of(graph.value(action, SHT.shapesGraph)),
                    manifest=manifest,
                    result=graph.value(entry, MF.result),
                )
            )
    for include in sorted(graph.objects(None, MF.include), key=str):
        found += _cases(_path_of(include))
    return found


CASES = _cases(SUITE / "manifest.ttl")
_IRI = re.compile(r"<([^>]*[/#])([^/#>]*)>")


def _reasons(shapes: Graph) -> str:
    """What :func:`unsupported` says, IRIs shortened to ``sh:name`` or their local name."""
    return "; ".join(_IRI.sub(lambda m: ("sh:" if m[1] == str(SH) else "") + m[2], r) for r in unsupported(shapes))


REASONS = {case.name: _reasons(_graph(case.shapes)) for case in CASES}
CLAIMED = [case for case in CASES if not REASONS[case.name]]


def _path_key(graph: Graph, path: Node | None, seen: frozenset[Node] = frozenset()) -> str:
    """A SHACL path written out, blank nodes by structure."""
    if path is None:
        return ""
    if not isinstance(path, BNode):
        return path.n3()
    if path in seen:
        return BLANK
    seen = seen | {path}
    if graph.value(path, RDF.first) is not None:
        return "(" + " ".join(_path_key(graph, m, seen) for m in Collection(graph, path)) + ")"
    pairs = sorted(f"{p.n3()} {_path_key(graph, o, seen)}" for p, o in graph.predicate_objects(path))
    return "[" + "; ".join(pairs) + "]"


def _node_key(node: Node | None) -> str:
    if node is None:
        return ""
    return BLANK if isinstance(node, BNode) else node.n3()


def _canonical(keys: Iterable[tuple[Node | None, str, Node | None, Node | None]]) -> Counter[Key]:
    return Counter((_node_key(f), p, _node_key(s), _node_key(v)) for f, p, s, v in keys)


def _expected(case: Case) -> tuple[bool, Counter[Key]]:
    graph = _graph(case.manifest)
    report = case.result
    keys = {
        (
            graph.value(r, SH.focusNode),
            _path_key(graph, graph.value(r, SH.resultPath)),
            graph.value(r, SH.sourceShape),
            graph.value(r, SH.resultSeverity),
        )
        for r in graph.objects(report, SH.result)
    }
    conforms = graph.value(report, SH.conforms)
    assert isinstance(conforms, Literal), f"{case.name}: no sh:conforms in the expected report"
    return bool(conforms.toPython()), _canonical(keys)


def _fast_path(case: Case) -> tuple[bool, Counter[Key]]:
    shapes = _graph(case.shapes)
    store = EmbeddedStore()
    store.add_default(_graph(case.data))
    keys = set()
    for check in compile_checks(shapes):
        for row in store.select(check.query, {}, name=str(check.shape)).dicts():
            bound = row.get("path")
            path = bound.n3() if bound is not None else _path_key(shapes, check.path)
            keys.add((row["this"], path, check.shape, check.severity))
    return not keys, _canonical(keys)


def test_the_whole_suite_is_walked() -> None:
    assert len(CASES) == TOTAL
    assert len({case.name for case in CASES}) == TOTAL


def test_unsupported_tests_are_named_with_their_reasons() -> None:
    """The tests the fast path leaves to pyshacl, and why: an explicit, reviewed list."""
    found = {name: reason for name, reason in REASONS.items() if reason}
    assert found == EXPECTED_UNSUPPORTED


@pytest.mark.parametrize("case", CLAIMED, ids=[case.name for case in CLAIMED])
def test_claimed_test_gives_the_expected_report(case: Case) -> None:
    if case.result == SHT.Failure:
        # the shapes must be rejected: compiling or running them has to fail
        with pytest.raises(Exception):  # noqa: B017, PT011
            _fast_path(case)
        return
    conforms, results = _fast_path(case)
    expected_conforms, expected_results = _expected(case)
    assert results == expected_results, case.label
    assert conforms == expected_conforms, case.label
