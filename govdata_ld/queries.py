"""Named queries and users' query files: headers, declared parameters, read-only checks.

Each file in ``queries/`` opens with a ``#+ summary:`` line and one ``#+ param:`` line per
bindable variable::

    #+ param: ?provider iri optional  The organ whose entries to list

Types: ``iri`` (a full IRI or a prefixed name such as ``gd:grade``), ``string``, ``zh`` (a
literal tagged @zh), ``date``, ``integer``. An optional parameter left unbound matches anything.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from pyparsing import ParseException
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.term import Node

from . import input_gate, resources
from .errors import ParameterError, QueryError
from .namespaces import PREFIXES

PARAM_TYPES = ("iri", "string", "zh", "date", "dateTime", "integer")
_PARAM = re.compile(r"#\+\s*param:\s*\?(\w+)\s+(\w+)(\s+optional)?\s*(.*)")
_SUMMARY = re.compile(r"#\+\s*summary:\s*(.+)")
_EXAMPLE = re.compile(r"#\+\s*example:\s*\?(\w+)\s+(.+)")
_FORM = re.compile(r"^\s*(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a query."""

    name: str
    type: str
    optional: bool
    description: str


@dataclass(frozen=True)
class NamedQuery:
    """A query with its header.

    Attributes:
        name: the file stem, or the path of a user's file.
        summary: what the query returns.
        parameters: declared parameters, by variable name.
        text: the SPARQL text.
        form: SELECT, CONSTRUCT, ASK or DESCRIBE.
        examples: parameter values for the cookbook's example run (``#+ example: ?name value``).
    """

    name: str
    summary: str
    parameters: dict[str, Parameter]
    text: str
    form: str
    examples: dict[str, str] = field(default_factory=dict)

    def bind(self, values: dict[str, Any], *, restricted: Collection[str] = ()) -> dict[str, Node]:
        """Check and convert parameter values (terms, Python values or strings) to terms;
        a parameter in ``restricted`` is given as a list of terms elsewhere (a VALUES block).

        Raises:
            ParameterError: an undeclared parameter, a missing required one, or a bad value.
        """
        unknown = set(values) - set(self.parameters)
        if unknown:
            declared = ", ".join(sorted(self.parameters)) or "(none)"
            raise ParameterError(
                f"unknown parameter(s) {', '.join(sorted(unknown))}; declared: {declared}",
                name=self.name, code="param.unknown", parameter=sorted(unknown)[0],
            )
        missing = [p.name for p in self.parameters.values() if not p.optional and p.name not in values and p.name not in restricted]
        if missing:
            raise ParameterError(f"missing required parameter(s): {', '.join(missing)}", name=self.name,
                                 code="param.missing", parameter=missing[0])
        return {k: _coerce(self.parameters[k], v, self.name) for k, v in values.items()}


def parse(text: str, name: str) -> NamedQuery:
    """Read a query's header and check that it only reads.

    Raises:
        QueryError: the text is an update, uses SERVICE, does not parse, or has a bad header.
    """
    check_read_only(text, name)
    summary = next((m.group(1).strip() for m in map(_SUMMARY.match, text.splitlines()) if m), "")
    parameters: dict[str, Parameter] = {}
    for line in text.splitlines():
        match = _PARAM.match(line)
        if match:
            pname, ptype, optional, description = match.groups()
            if ptype not in PARAM_TYPES:
                raise QueryError(
                    f"parameter ?{pname} has unknown type {ptype!r}; types: {', '.join(PARAM_TYPES)}",
                    name=name,
                )
            parameters[pname] = Parameter(pname, ptype, bool(optional), description.strip())
    examples = {m.group(1): m.group(2).strip() for m in map(_EXAMPLE.match, text.splitlines()) if m}
    unknown = set(examples) - set(parameters)
    if unknown:
        raise QueryError(f"example for undeclared parameter(s) {', '.join(sorted(unknown))}", name=name)
    form_match = _FORM.search(_strip_comments(text))
    form = form_match.group(1).upper() if form_match else "SELECT"
    return NamedQuery(name, summary, parameters, text, form, examples)


@functools.lru_cache(maxsize=None)
def named(name: str) -> NamedQuery:
    """Load a named query from ``queries/`` (parsed and checked once per process).

    Raises:
        ResourceNotFoundError: no query has that name; the message lists the names.
    """
    return parse(resources.query(name), name)


_PARSER_LOCK = threading.Lock()
"""rdflib's SPARQL parser (pyparsing) is not thread-safe: two threads parsing at once fail with
TypeErrors inside pyparsing (seen when four threads took their first steps together)."""


def check_read_only(text: str, name: str | None = None) -> None:
    """Refuse anything but a query that only reads the store: no update, no SERVICE, no LOAD.

    Raises:
        QueryError: the text is an update, calls a remote SERVICE, or does not parse.

    >>> check_read_only("SELECT * WHERE { SERVICE <http://ex.org/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    govdata_ld.errors.QueryError: SERVICE is refused: queries may not reach other endpoints
    """
    input_gate.check_query(text, name=name or "query")  # before rdflib's parser reads it differently
    try:
        with _PARSER_LOCK:
            tree = parseQuery(text)
    except ParseException as exc:
        try:
            with _PARSER_LOCK:
                parseUpdate(text)
        except ParseException:
            raise QueryError(f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}", name=name) from exc
        raise QueryError("updates are refused: a query may only read (SELECT, CONSTRUCT, ASK, DESCRIBE)", name=name) from exc
    if _contains(tree, "ServiceGraphPattern"):
        raise QueryError("SERVICE is refused: queries may not reach other endpoints", name=name)


def _contains(node: Any, component: str) -> bool:
    if getattr(node, "name", None) == component:
        return True
    if isinstance(node, dict):
        return any(_contains(v, component) for v in node.values())
    if isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
        return any(_contains(v, component) for v in node)
    return False


def _coerce(param: Parameter, value: Any, name: str) -> Node:
    if isinstance(value, (URIRef, Literal)):
        return value
    text = str(value)
    try:
        if param.type == "iri":
            return _iri(text)
        if param.type == "zh":
            return Literal(text, lang="zh")
        if param.type == "date":
            return Literal(value if isinstance(value, date) else date.fromisoformat(text), datatype=XSD.date)
        if param.type == "dateTime":
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(text)
            return Literal(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc), datatype=XSD.dateTime)
        if param.type == "integer":
            return Literal(int(text))
        return Literal(text)
    except ValueError as exc:
        raise ParameterError(f"parameter ?{param.name}: expected {param.type}, got {text!r}", name=name,
                             code="param.invalid", parameter=param.name) from exc


def _iri(text: str) -> URIRef:
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", text):
        raise ValueError(text)
    return URIRef(text)


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
