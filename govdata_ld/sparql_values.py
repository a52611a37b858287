"""The one place where RDF terms enter SPARQL text: a ``VALUES`` block written from terms.

Terms are written with rdflib's ``.n3()``, which refuses IRIs holding ``<>"{}|^`\\`` and escapes
literals (backslash included), as rdflib's own remote store does. Every other way of putting a
value into query text (f-strings, ``%``, ``.format()``, ``+``) is forbidden in this project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .errors import ParameterError

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def term_text(term: Node | None) -> str:
    """Write one term as SPARQL text; ``None`` is ``UNDEF``.

    Raises:
        ParameterError: a blank node, or an IRI with characters an IRI may not hold.

    >>> term_text(Literal('a "quoted" \\\\ value', lang="zh"))
    '"a \\\\"quoted\\\\" \\\\\\\\ value"@zh'
    >>> term_text(URIRef("http://ex.org/a> } ; DROP ALL {"))
    Traceback (most recent call last):
    ...
    govdata_ld.errors.ParameterError: not a valid IRI: 'http://ex.org/a> } ; DROP ALL {'
    """
    if term is None:
        return "UNDEF"
    if isinstance(term, URIRef):
        if _BAD_IRI.search(term):
            raise ParameterError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    if isinstance(term, BNode):
        raise ParameterError("blank nodes cannot be sent as values; name the node with an IRI")
    raise ParameterError(f"not an RDF term: {term!r}")


def values_block(variables: Sequence[str], rows: Iterable[Sequence[Node | None]]) -> str:
    """Write a ``VALUES`` block binding ``variables`` to each row of terms.

    >>> values_block(["s", "o"], [(URIRef("http://ex.org/a"), Literal(1))])
    'VALUES (?s ?o) {\\n(<http://ex.org/a> "1"^^<http://www.w3.org/2001/XMLSchema#integer>)\\n}'
    """
    for name in variables:
        if not _VARIABLE.fullmatch(name):
            raise ParameterError(f"not a SPARQL variable name: {name!r}")
    head = " ".join(f"?{name}" for name in variables)
    written: dict[Node | None, str] = {}

    def text(term: Node | None) -> str:
        found = written.get(term)
        if found is None:
            found = written[term] = term_text(term)
        return found

    body = "\n".join(
        "(" + " ".join(text(term) for term in _checked(row, len(variables))) + ")" for row in rows
    )
    return f"VALUES ({head}) {{\n{body}\n}}"


def _checked(row: Sequence[Node | None], width: int) -> Sequence[Node | None]:
    if len(row) != width:
        raise ParameterError(f"a VALUES row needs {width} terms, got {len(row)}")
    return row


def fill(template: str, variables: Sequence[str], rows: Iterable[Sequence[Node | None]]) -> str:
    """Put a ``VALUES`` block written from terms in place of the ``{values}`` mark of a template.

    >>> fill("SELECT * WHERE { {values} }", ["x"], [(Literal("a"),)])
    'SELECT * WHERE { VALUES (?x) {\\n("a")\\n} }'
    """
    if template.count("{values}") != 1:
        raise ParameterError("a template needs exactly one {values} mark")
    return template.replace("{values}", values_block(variables, rows))


def fill_list(template: str, mark: str, terms: Iterable[Node]) -> str:
    """Put a parenthesised list of terms (for ``IN``) in place of the ``mark`` of a template.

    pyoxigraph joins a ``VALUES`` block before the patterns it constrains, so a long list of
    allowed predicates is faster as ``FILTER(?p IN …)``.

    >>> fill_list("FILTER(?p IN {list})", "{list}", [URIRef("http://ex.org/a"), URIRef("http://ex.org/b")])
    'FILTER(?p IN (<http://ex.org/a>, <http://ex.org/b>))'
    """
    if template.count(mark) != 1:
        raise ParameterError(f"a template needs exactly one {mark} mark")
    return template.replace(mark, "(" + ", ".join(term_text(t) for t in terms) + ")")


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def restrict(query: str, variable: str, terms: Iterable[Node]) -> str:
    """Bind ``variable`` to each of ``terms`` by a ``VALUES`` block at the start of the query's
    (first, outermost) ``WHERE`` clause, so it narrows every pattern that follows: how a query
    over all entries is run for a few of them.

    >>> restrict("SELECT ?e WHERE { GRAPH ?e { ?e ?p ?o } }", "e", [URIRef("http://ex.org/a")])
    'SELECT ?e WHERE { VALUES (?e) {\\n(<http://ex.org/a>)\\n} GRAPH ?e { ?e ?p ?o } }'
    """
    found = _WHERE.search(query)
    if found is None:
        raise ParameterError("a restricted query needs a WHERE clause")
    block = values_block([variable], [(term,) for term in terms])
    return f"{query[: found.end()]} {block}{query[found.end():]}"


def append_values(query: str, bindings: Mapping[str, Node]) -> str:
    """Append a one-row ``VALUES`` block binding each variable, after the whole query.

    This is how bound parameters reach a remote endpoint; a trailing ``VALUES`` joins after
    grouping, so every bindable variable must be in scope at the top level of the query.

    >>> append_values("SELECT ?x WHERE { ?x ?p ?o }", {"x": URIRef("http://ex.org/a")})
    'SELECT ?x WHERE { ?x ?p ?o }\\nVALUES (?x) {\\n(<http://ex.org/a>)\\n}'
    """
    if not bindings:
        return query
    names = sorted(bindings)
    return query + "\n" + values_block(names, [tuple(bindings[n] for n in names)])
