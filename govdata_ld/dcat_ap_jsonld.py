"""Compact, readable JSON-LD for the DCAT-AP export, written against our shipped context.

pyoxigraph writes expanded JSON-LD (fast, but unreadable) and rdflib's compaction costs about a
minute for 100,000 entries; the export's shape is known (flat nodes, one per subject), so compaction
here is one pass over the statements: each subject becomes a node object in ``@graph``, each
property its context term when the term's coercion fits the values (``@id``, a datatype, a
language map), else its compact IRI with explicit value objects. The result expands to exactly
the statements given (tests re-parse it with both rdflib and pyoxigraph).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.term import Node

from . import resources

CONTEXT = "dcat_ap"
"""The name of the shipped context (``ontology/context/dcat_ap.jsonld``)."""
DEFAULT_CONTEXT_URL = "https://w3id.org/govdata-ld/context/dcat-ap.jsonld"
"""Where a deployment publishes the shipped context; documents refer to it unless inlined."""
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True, slots=True)
class _Term:
    name: str
    coerce: str | None  # "@id", a datatype IRI, or None
    language_map: bool


@cache
def context() -> dict[str, Any]:
    """The shipped context document (``{"@context": {...}}``), parsed once."""
    parsed: dict[str, Any] = json.loads(resources.jsonld_context(CONTEXT))
    return parsed


@cache
def _terms() -> tuple[dict[str, _Term], dict[str, str]]:
    """Property IRI -> term, and namespace -> prefix, from the shipped context."""
    definitions = context()["@context"]
    prefixes = {v: k for k, v in definitions.items() if isinstance(v, str) and not k.startswith("@")}

    def expand(value: str) -> str:
        prefix, sep, local = value.partition(":")
        return definitions[prefix] + local if sep and isinstance(definitions.get(prefix), str) else value

    terms = {}
    for name, definition in definitions.items():
        if isinstance(definition, dict):
            coerce = definition.get("@type")
            terms[expand(definition["@id"])] = _Term(
                name, coerce if coerce in (None, "@id") else expand(coerce), definition.get("@container") == "@language"
            )
    return terms, prefixes


def compact_iri(iri: str) -> str:
    """``dcat:Dataset`` for a namespace of the context, else the IRI itself.

    >>> compact_iri("http://www.w3.org/ns/dcat#Dataset")
    'dcat:Dataset'
    """
    _, prefixes = _terms()
    for namespace, prefix in prefixes.items():
        if iri.startswith(namespace) and iri != namespace and not iri[len(namespace):].startswith("//"):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def to_jsonld(
    triples: Iterable[tuple[Node, Node, Node]], *, context_ref: str | Mapping[str, Any] | None = None
) -> bytes:
    """Write statements as compact JSON-LD: ``{"@context": ..., "@graph": [node, ...]}``.

    Args:
        triples: the statements (IRIs, blank nodes, literals).
        context_ref: the context's URL, or None to inline the shipped context.

    >>> from rdflib import URIRef, Literal
    >>> s = URIRef("http://ex.org/d")
    >>> text = to_jsonld([(s, URIRef("http://purl.org/dc/terms/title"), Literal("标题", lang="zh"))],
    ...                  context_ref="https://ex.org/ctx.jsonld").decode()
    >>> '"title": {' in text and '"zh": "标题"' in text
    True
    """
    subjects: dict[Node, dict[Node, list[Node]]] = {}
    for s, p, o in triples:
        subjects.setdefault(s, {}).setdefault(p, []).append(o)
    nodes = [_node(s, properties) for s, properties in sorted(subjects.items(), key=lambda item: _key(item[0]))]
    document = {"@context": context()["@context"] if context_ref is None else context_ref, "@graph": nodes}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def with_inline_context(document: bytes) -> bytes:
    """The same JSON-LD document with a referenced context replaced by the shipped one, so that
    it can be parsed with no network access.

    Raises:
        ValueError: the document is not JSON.
    """
    parsed = json.loads(document)
    if isinstance(parsed, dict) and isinstance(parsed.get("@context"), str):
        parsed["@context"] = context()["@context"]
    return json.dumps(parsed, ensure_ascii=False).encode("utf-8")


def _key(term: Node) -> tuple[int, str]:
    return (1 if isinstance(term, BNode) else 0, str(term))


def _id(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _node(subject: Node, properties: dict[Node, list[Node]]) -> dict[str, Any]:
    terms, _ = _terms()
    node: dict[str, Any] = {"@id": _id(subject)}
    types = properties.pop(RDF.type, [])
    if types:
        names = sorted(compact_iri(str(t)) if isinstance(t, URIRef) else _id(t) for t in types)
        node["@type"] = names[0] if len(names) == 1 else names
    for predicate in sorted(properties, key=str):
        values = sorted(properties[predicate], key=_value_key)
        term = terms.get(str(predicate))
        if term is not None and term.language_map:
            if all(isinstance(v, Literal) and v.language for v in values):
                languages: dict[str, Any] = {}
                for v in values:
                    languages.setdefault(v.language, []).append(str(v))  # type: ignore[attr-defined]
                node[term.name] = {k: (v[0] if len(v) == 1 else v) for k, v in sorted(languages.items())}
                continue
            term = None
        key = term.name if term is not None else compact_iri(str(predicate))
        written = [_value(v, term) for v in values]
        node[key] = written[0] if len(written) == 1 else written
    return node


def _value_key(term: Node) -> tuple[str, str, str]:
    if isinstance(term, Literal):
        return ("1", str(term), term.language or str(term.datatype or ""))
    return ("0", _id(term), "")


def _value(term: Node, definition: _Term | None) -> Any:
    coerce = definition.coerce if definition is not None else None
    if isinstance(term, (URIRef, BNode)):
        return _id(term) if coerce == "@id" else {"@id": _id(term)}
    literal: Literal = term  # type: ignore[assignment]
    if literal.language:
        return {"@value": str(literal), "@language": literal.language}
    datatype = str(literal.datatype) if literal.datatype is not None else _XSD_STRING
    if coerce is None and datatype == _XSD_STRING:
        return str(literal)
    if coerce == datatype:
        return str(literal)
    if datatype == _XSD_STRING:
        return {"@value": str(literal)}
    return {"@value": str(literal), "@type": compact_iri(datatype)}
