"""Compact, readable JSON-LD for the DCAT-AP export, written against our shipped context.

pyoxigraph writes expanded JSON-LD (fast, but unreadable) and rdflib's compaction costs about a
minute for 100,000 entries; the export's shape is known (flat nodes, one per subject), so compaction
here is one pass over the statements: each subject becomes a node object in ``@graph``, each
property its context term when the term's coercion fits the values (``@id``, a datatype, a
language map), else its compact IRI with explicit value objects. The result expands to exactly
the statements given (tests re-parse it with both rdflib and pyoxigraph).

Two doors lead to the same writer: :func:`to_jsonld` takes RDF terms (any store), and
:func:`from_ntriples` takes the N-Triples the embedded store's engine writes, so a large
export never makes an RDF term per value. Nodes are sorted by IRI and written one per line.
"""

from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from rdflib import RDF, BNode, Literal
from rdflib.term import Node

from . import resources

CONTEXT = "dcat_ap"
"""The name of the shipped context (``ontology/context/dcat_ap.jsonld``)."""
DEFAULT_CONTEXT_URL = "https://w3id.org/govdata-ld/context/dcat-ap.jsonld"
"""Where a deployment publishes the shipped context; documents refer to it unless inlined."""
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_TYPE = str(RDF.type)


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


@lru_cache(maxsize=4096)
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
    subjects: dict[str, dict[str, list[_Value]]] = {}
    for s, p, o in triples:
        subjects.setdefault(_id(s), {}).setdefault(str(p), []).append(_neutral(o))
    return _document(subjects, context_ref)


def from_ntriples(data: bytes, *, context_ref: str | Mapping[str, Any] | None = None) -> bytes:
    """Compact N-Triples (as the embedded store writes them: one statement per line) into the
    document :func:`to_jsonld` writes for the same statements, without an RDF term per value:
    the lines are read by one regular expression.

    Args:
        data: N-Triples, UTF-8.
        context_ref: the context's URL, or None to inline the shipped context.

    Raises:
        ValueError: a line that is not a statement.

    >>> from rdflib import URIRef, Literal
    >>> line = b'<http://ex.org/d> <http://purl.org/dc/terms/title> "t"@en .'
    >>> triple = (URIRef("http://ex.org/d"), URIRef("http://purl.org/dc/terms/title"), Literal("t", lang="en"))
    >>> from_ntriples(line) == to_jsonld([triple])
    True
    """
    return assemble([nodes_from_ntriples(data)], context_ref=context_ref)


def nodes_from_ntriples(data: bytes) -> str:
    """The node objects :func:`from_ntriples` writes for N-Triples, without the document around
    them: one per line, joined by ``,`` and a line break, for :func:`assemble` ("" for none).

    Raises:
        ValueError: a line that is not a statement.
    """
    with _no_cycle_collection():
        text = data.decode("utf-8")
        statements = _NT_LINE.findall(text)
        if len(statements) != text.count("\n") + (1 if text and not text.endswith("\n") else 0):
            raise ValueError("not N-Triples written one statement per line")
        subjects: dict[str, dict[str, list[_Value]]] = {}
        for s_iri, s_blank, p, o_iri, o_blank, lexical, language, datatype in statements:
            if o_iri or o_blank:
                value: _Value = (0, o_iri or o_blank, "", "")
            else:
                value = (1, _nt_unescape(lexical) if "\\" in lexical else lexical, language,
                         "" if datatype == _XSD_STRING else datatype)
            properties = subjects.get(s_iri or s_blank)
            if properties is None:
                properties = subjects[s_iri or s_blank] = {}
            values = properties.get(p)
            if values is None:
                properties[p] = [value]
            else:
                values.append(value)
        return _nodes(subjects)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Millions of tuples, lists and dicts, none of them in a cycle: the cycle collector would
    walk them again and again as they pile up (a quarter of the time at 10,000 entries, more at
    100,000). Reference counting still frees them; the collector's state is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_NT_LINE = re.compile(
    r'^(?:<([^>]*)>|(_:\S+)) <([^>]*)> (?:<([^>]*)>|(_:\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?) \.$',
    re.MULTILINE,
)
_NT_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_NT_CHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _nt_unescape(lexical: str) -> str:
    return _NT_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if m.group(3) is None else _NT_CHARS[m.group(3)], lexical)


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


_Value = tuple[int, str, str, str]
"""A statement's object: (0 for an IRI or blank node, 1 for a literal; the IRI, ``_:label`` or
lexical form; the language tag or ""; the datatype IRI, "" for a language tag or xsd:string)."""


def _neutral(term: Node) -> _Value:
    if isinstance(term, Literal):
        datatype = "" if term.language or term.datatype is None or str(term.datatype) == _XSD_STRING else str(term.datatype)
        return (1, str(term), term.language or "", datatype)
    return (0, _id(term), "", "")


def _id(term: Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _document(subjects: dict[str, dict[str, list[_Value]]], context_ref: str | Mapping[str, Any] | None) -> bytes:
    return assemble([_nodes(subjects)], context_ref=context_ref)


def assemble(parts: Iterable[str], *, context_ref: str | Mapping[str, Any] | None = None) -> bytes:
    """One document of node objects written apart (:func:`nodes_from_ntriples`), in the order
    given, under a readable head. A subject in two parts is two node objects with the same
    ``@id``: JSON-LD merges them when the document is expanded.

    >>> doc = assemble(['{"@id": "http://ex.org/a"}', "", '{"@id": "http://ex.org/b"}'], context_ref="https://ex.org/c")
    >>> import json; [n["@id"] for n in json.loads(doc)["@graph"]]
    ['http://ex.org/a', 'http://ex.org/b']
    """
    head = json.dumps({"@context": context()["@context"] if context_ref is None else context_ref}, ensure_ascii=False, indent=1)
    body = ",\n  ".join(part for part in parts if part)
    graph = "[\n  " + body + "\n ]" if body else "[]"
    return "".join((head[:-2], ',\n "@graph": ', graph, "\n}\n")).encode("utf-8")


def _nodes(subjects: dict[str, dict[str, list[_Value]]]) -> str:
    """One node object per subject, sorted (IRIs, then blank nodes), each on one line, joined by
    ``,`` and a line break. The C JSON encoder writes all nodes in one call (with an indent,
    Python's encoder is about four times slower): each node wrapped in a list, so that ``}], [{``
    stands only between nodes, unless a text holds it (then each node is written on its own)."""
    ordered = sorted(subjects.items(), key=lambda item: subject_order(item[0]))
    nodes = [_node(subject, properties) for subject, properties in ordered]
    if not nodes:
        return ""
    wrapped = json.dumps([[node] for node in nodes], ensure_ascii=False)
    if wrapped.count(_BETWEEN) == len(nodes) - 1:
        return wrapped[2:-2].replace(_BETWEEN, "},\n  {")
    return ",\n  ".join(json.dumps(node, ensure_ascii=False) for node in nodes)


_BETWEEN = "}], [{"


def subject_order(subject: str) -> tuple[int, str]:
    """Where a node object stands in ``@graph``: IRIs, then blank nodes (``_:label``), by their text."""
    return (1, subject[2:]) if subject.startswith("_:") else (0, subject)


def _node(subject: str, properties: dict[str, list[_Value]]) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": subject}
    types = properties.pop(_RDF_TYPE, None)
    if types:
        names = sorted(compact_iri(t[1]) if t[0] == 0 and not t[1].startswith("_:") else t[1] for t in types)
        node["@type"] = names[0] if len(names) == 1 else names
    plans = _plans()
    for predicate in sorted(properties):
        values = properties[predicate]
        plan = plans.get(predicate)
        if plan is None:
            plan = plans[predicate] = _plan(predicate)
        key, term = plan
        if len(values) == 1:
            value = values[0]
            if term is not None and term.language_map:
                if value[2]:
                    node[key] = {value[2]: value[1]}
                    continue
                key, term = compact_iri(predicate), None
            node[key] = _value(value, term)
            continue
        values.sort(key=_value_key)
        if term is not None and term.language_map:
            if all(v[2] for v in values):
                languages: dict[str, list[str]] = {}
                for v in values:
                    languages.setdefault(v[2], []).append(v[1])
                node[key] = {k: (v[0] if len(v) == 1 else v) for k, v in sorted(languages.items())}
                continue
            key, term = compact_iri(predicate), None
        node[key] = [_value(v, term) for v in values]
    return node


@cache
def _plans() -> dict[str, tuple[str, _Term | None]]:
    """Predicate IRI -> (its key in a node, its context term), filled as predicates are met."""
    return {}


def _plan(predicate: str) -> tuple[str, _Term | None]:
    term = _terms()[0].get(predicate)
    return (term.name, term) if term is not None else (compact_iri(predicate), None)


def _value_key(value: _Value) -> tuple[int, str, str]:
    return (value[0], value[1], value[2] or value[3])


def _value(value: _Value, definition: _Term | None) -> Any:
    coerce = definition.coerce if definition is not None else None
    kind, text, language, datatype = value
    if kind == 0:
        return text if coerce == "@id" else {"@id": text}
    if language:
        return {"@value": text, "@language": language}
    datatype = datatype or _XSD_STRING
    if coerce == datatype or (coerce is None and datatype == _XSD_STRING):
        return text
    if datatype == _XSD_STRING:
        return {"@value": text}
    return {"@value": text, "@type": compact_iri(datatype)}
