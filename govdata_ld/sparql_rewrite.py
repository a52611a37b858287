"""Structural rewriting of SPARQL text for remote stores (no value ever enters text here).

A remote store needs three things the embedded one does not: bound parameters as a ``VALUES``
block at the start of the WHERE clause (``docs/decisions/20261126-workflow.md``), a query wrapped
for paging by key, and a multi-operation update taken apart into its operations so that its effect
can be applied as one operation (SPARQL 1.1 Update §3.1.3). Values are written only by
:mod:`govdata_ld.sparql_values`; this module moves the text around them. Its tokenizer skips
comments, strings and IRIs, so a brace or keyword inside a literal is never mistaken for syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from rdflib import RDF, XSD, Literal, URIRef, Variable
from rdflib.term import Node

from .errors import QueryError, StoreError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<values>(?i:VALUES)\s*(?:\([^)]*\)|[?$]\w+)\s*\{(?:[^{}"'<]++|<[^<>\s]*+>|<|\"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\"|"(?:[^"\\\n]|\\.)*+"|'(?:[^'\\\n]|\\.)*+')*+\})
  | (?P<long>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7-\uffff]+)
  | (?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<open>\{) | (?P<close>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*(?::[^\s{}()<>,;"']*)?|:[^\s{}()<>,;"']*)
  | (?P<other>\^\^|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


def tokens(text: str) -> Iterator[Token]:
    """The tokens of SPARQL text, comments and white space left out."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            yield Token(kind, match.group(), match.start(), match.end())


def _upper(token: Token) -> str:
    return token.text.upper() if token.kind == "word" else ""


def split_prologue(text: str) -> tuple[str, str]:
    """Split PREFIX and BASE declarations (with comments before them) from the rest."""
    toks = list(tokens(text))
    i, end = 0, 0
    while i < len(toks):
        word = _upper(toks[i])
        if word == "PREFIX" and i + 2 < len(toks):
            end, i = toks[i + 2].end, i + 3
        elif word == "BASE" and i + 1 < len(toks):
            end, i = toks[i + 1].end, i + 2
        else:
            break
    return text[:end], text[end:]


def prefixes(prologue: str) -> dict[str, str]:
    """The PREFIX declarations of a prologue, as name -> namespace."""
    toks = list(tokens(prologue))
    found = {}
    for i, tok in enumerate(toks):
        if _upper(tok) == "PREFIX" and i + 2 < len(toks):
            found[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
    return found


def where_brace(text: str) -> int:
    """The position just after the ``{`` that opens the outer WHERE clause of a query.

    Raises:
        QueryError: the query has no group pattern.
    """
    depth = 0
    toks = list(tokens(text))
    form = next((_upper(t) for t in toks if _upper(t) in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")), "")
    for i, tok in enumerate(toks):
        if tok.kind == "open":
            if depth == 0 and form in ("SELECT", "ASK"):
                return tok.end
            depth += 1
        elif tok.kind == "close":
            depth -= 1
        elif depth == 0 and _upper(tok) == "WHERE" and i + 1 < len(toks) and toks[i + 1].kind == "open":
            return toks[i + 1].end
    raise QueryError("cannot find the WHERE clause of the query")


def with_values_first(text: str, variables: Collection[str], block: Callable[[Sequence[str]], str]) -> str:
    """Put a one-row ``VALUES`` block (written by :mod:`sparql_values` through ``block``) at the
    start of the query's WHERE clause, binding every parameter, and at the start of each group
    pattern inside it that mentions a parameter, binding only those it mentions: a parameter then
    holds wherever its variable occurs (a FILTER or BIND sees only its own group, a subquery only
    its own WHERE), as pyoxigraph's substitution and rdflib's initBindings make it hold.

    A block binding variables a group never mentions changes no answer, but Virtuoso 7.2 prices
    every extra join: with a block in each of the 12 groups of ``city_members.rq`` its cost
    estimate passed its limit (``MaxQueryCostEstimationTime``) and the query was refused.
    Templates, VALUES data and the braces around a subquery get no block.

    >>> with_values_first("SELECT ?x WHERE { ?x ?p ?o OPTIONAL { ?x ?q ?y } }", ["p"], lambda n: "B" + "".join(n))
    'SELECT ?x WHERE {\\nBp\\n ?x ?p ?o OPTIONAL { ?x ?q ?y } }'
    """
    wanted = set(variables)
    toks = list(tokens(text))
    places: list[tuple[int, list[str]]] = []
    for i, tok in enumerate(toks):
        if not group_brace(toks, i):
            continue
        if not places:  # the WHERE clause itself: every parameter (a projected one included)
            places.append((tok.end, sorted(wanted)))
            continue
        close = _matching(toks, i)
        mentioned = sorted({t.text[1:] for t in toks[i + 1:close] if t.kind == "var"} & wanted)
        if mentioned:
            places.append((tok.end, mentioned))
    if not places:
        raise QueryError("cannot find the WHERE clause of the query")
    out, last = [], 0
    for at, names in places:
        out += [text[last:at], "\n", block(names), "\n"]
        last = at
    return "".join([*out, text[last:]])


def group_brace(toks: Sequence[Token], i: int) -> bool:
    """Whether token ``i`` opens a group pattern: not the braces around a subquery, of a VALUES
    block or of a CONSTRUCT template."""
    if toks[i].kind != "open" or (i + 1 < len(toks) and _upper(toks[i + 1]) == "SELECT"):
        return False
    j = i - 1
    while j >= 0 and (toks[j].kind == "var" or toks[j].text in ("(", ")")):
        j -= 1
    if j >= 0 and _upper(toks[j]) in ("VALUES", "CONSTRUCT"):
        return False
    return not (j > 0 and toks[j].kind == "iri" and _upper(toks[j - 1]) == "VALUES")


def place(template: str, **blocks: str) -> str:
    """Put blocks written by :mod:`sparql_values` in place of the ``{name}`` marks of a constant
    template; the template is split on its marks first, so a mark inside a block is never read."""
    parts = re.split(r"(\{[a-z]+\})", template)
    used = [p[1:-1] for p in parts if re.fullmatch(r"\{[a-z]+\}", p)]
    if sorted(used) != sorted(blocks):
        raise QueryError(f"template marks {sorted(used)} do not match the blocks {sorted(blocks)}")
    return "".join(blocks[p[1:-1]] if re.fullmatch(r"\{[a-z]+\}", p) else p for p in parts)


def query_form(text: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE."""
    return next((_upper(t) for t in tokens(text) if _upper(t) in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")), "SELECT")


def construct_parts(text: str) -> tuple[str, str, str]:
    """Split a CONSTRUCT query into prologue, template text and the rest (``WHERE {...} ...``)."""
    prologue, body = split_prologue(text)
    toks = list(tokens(body))
    start = next(i for i, t in enumerate(toks) if _upper(t) == "CONSTRUCT")
    if _upper(toks[start + 1]) == "WHERE":  # CONSTRUCT WHERE { pattern }: the template is the pattern
        close = _matching(toks, start + 2)
        return prologue, body[toks[start + 2].end:toks[close].start], body[toks[start + 1].start:]
    close = _matching(toks, start + 1)
    return prologue, body[toks[start + 1].end:toks[close].start], body[toks[close].end:]


def _matching(toks: Sequence[Token], open_index: int) -> int:
    """The index of the brace, or parenthesis, closing the one at ``open_index``."""
    if toks[open_index].text == "(":
        opens, closes, what = (lambda t: t.text == "("), (lambda t: t.text == ")"), "parentheses"
    else:
        opens, closes, what = (lambda t: t.kind == "open"), (lambda t: t.kind == "close"), "braces"
    depth = 0
    for j in range(open_index, len(toks)):
        if opens(toks[j]):
            depth += 1
        elif closes(toks[j]):
            depth -= 1
            if depth == 0:
                return j
    raise QueryError(f"unbalanced {what}")


# -- updates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """One update operation reduced to templates and a WHERE clause.

    Attributes:
        delete: the DELETE template text ("" when none).
        insert: the INSERT template text ("" when none).
        where: the WHERE group text, braces included ("" for data-only operations).
        drop: the graph a DROP/CLEAR removes whole, when the operation is one.
    """

    delete: str
    insert: str
    where: str
    drop: URIRef | None = None


def operations(update: str) -> tuple[str, list[Operation]]:
    """Take an update request apart: its prologue and its operations (SPARQL 1.1 Update §3).

    Supported: ``INSERT/DELETE … WHERE``, ``DELETE WHERE``, ``INSERT DATA``, ``DELETE DATA``,
    ``DROP``/``CLEAR GRAPH <g>``. ``WITH``, ``USING``, LOAD and the graph-management forms other
    than these are refused.

    Raises:
        StoreError: an operation of an unsupported form.
    """
    prologue, body = split_prologue(update)
    toks = list(tokens(body))
    ops: list[Operation] = []
    i = 0

    def group(at: int) -> tuple[str, int]:
        if at >= len(toks) or toks[at].kind != "open":
            raise StoreError("malformed update: expected '{'")
        close = _matching(toks, at)
        return body[toks[at].start:toks[close].end], close + 1

    def inner(group_text: str) -> str:
        return group_text[1:-1]

    while i < len(toks):
        word = _upper(toks[i])
        nxt = _upper(toks[i + 1]) if i + 1 < len(toks) else ""
        if toks[i].kind == "other" and toks[i].text == ";":
            i += 1
            continue
        if word in ("INSERT", "DELETE") and nxt == "DATA":
            data, i = group(i + 2)
            ops.append(Operation(inner(data) if word == "DELETE" else "", inner(data) if word == "INSERT" else "", ""))
        elif word == "DELETE" and nxt == "WHERE":
            where, i = group(i + 2)
            ops.append(Operation(inner(where), "", where))
        elif word in ("INSERT", "DELETE"):
            delete = insert = ""
            if word == "DELETE":
                template, i = group(i + 1)
                delete = inner(template)
                if i < len(toks) and _upper(toks[i]) == "INSERT":
                    template, i = group(i + 1)
                    insert = inner(template)
            else:
                template, i = group(i + 1)
                insert = inner(template)
            if i >= len(toks) or _upper(toks[i]) != "WHERE":
                raise StoreError("unsupported update form (USING or WITH): write the graphs in the templates")
            where, i = group(i + 1)
            ops.append(Operation(delete, insert, where))
        elif word in ("DROP", "CLEAR"):
            i += 1
            if i < len(toks) and _upper(toks[i]) == "SILENT":
                i += 1
            if i + 1 < len(toks) and _upper(toks[i]) == "GRAPH" and toks[i + 1].kind == "iri":
                ops.append(Operation("", "", "", drop=URIRef(toks[i + 1].text[1:-1])))
                i += 2
            else:
                raise StoreError("only DROP GRAPH <iri> and CLEAR GRAPH <iri> are supported on a remote store")
        else:
            raise StoreError(f"unsupported update operation starting with {toks[i].text[:20]!r}")
    return prologue, ops


# -- templates -------------------------------------------------------------------------------

Pattern = tuple[Node, Node, Node, Node | None]
"""A template statement (subject, predicate, object, graph); variables are rdflib Variables."""

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return _ESCAPES[code]

    return re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[tnrbf\"'\\])", one, text)


def template(text: str, names: Mapping[str, str]) -> list[Pattern]:
    """Parse a quad template (or quad data) into statement patterns.

    Handles ``GRAPH`` blocks, variables, IRIs, prefixed names, ``a``, literals (with language or
    datatype), numbers, booleans, and ``;``/``,`` lists.

    Raises:
        StoreError: blank nodes, collections or other syntax a remote write does not support.
    """
    toks = list(tokens(text))
    patterns: list[Pattern] = []
    pos = 0

    def term(at: int) -> tuple[Node, int]:
        tok = toks[at]
        if tok.kind == "var":
            return Variable(tok.text[1:]), at + 1
        if tok.kind == "iri":
            return URIRef(tok.text[1:-1]), at + 1
        if tok.kind in ("string", "long"):
            quote = 3 if tok.kind == "long" else 1
            value = _unescape(tok.text[quote:-quote])
            if at + 1 < len(toks) and toks[at + 1].text == "^^":
                datatype, after = term(at + 2)
                return Literal(value, datatype=datatype), after
            if at + 1 < len(toks) and toks[at + 1].text.startswith("@"):
                return Literal(value, lang=toks[at + 2].text if toks[at + 1].text == "@" else toks[at + 1].text[1:]), at + 3
            return Literal(value), at + 1
        if tok.kind == "word":
            if tok.text == "a":
                return RDF.type, at + 1
            if tok.text in ("true", "false"):
                return Literal(tok.text == "true"), at + 1
            prefix, sep, local = tok.text.partition(":")
            if sep and prefix in names:
                return URIRef(names[prefix] + local), at + 1
        if tok.kind == "number":
            return Literal(tok.text, datatype=XSD.integer if tok.text.lstrip("+-").isdigit() else XSD.decimal), at + 1
        raise StoreError(f"unsupported term in an update template for a remote store: {tok.text[:40]!r}")

    def triples(at: int, end: int, graph: Node | None) -> None:
        while at < end:
            if toks[at].text == ".":
                at += 1
                continue
            subject, at = term(at)
            while True:
                predicate, at = term(at)
                while True:
                    obj, at = term(at)
                    patterns.append((subject, predicate, obj, graph))
                    if at < end and toks[at].text == ",":
                        at += 1
                        continue
                    break
                if at < end and toks[at].text == ";":
                    at += 1
                    if at < end and toks[at].text in (".", ";"):
                        continue
                    if at >= end or toks[at].text == ".":
                        break
                    continue
                break

    while pos < len(toks):
        if _upper(toks[pos]) == "GRAPH":
            graph, after = term(pos + 1)
            close = _matching(toks, after)
            triples(after + 1, close, graph)
            pos = close + 1
        elif toks[pos].text == ".":
            pos += 1
        else:
            end = pos
            while end < len(toks) and _upper(toks[end]) != "GRAPH":
                end += 1
            triples(pos, end, None)
            pos = end
    return patterns


def instantiate(patterns: Sequence[Pattern], rows: Iterable[Mapping[str, Node | None]]) -> Iterator[tuple[Node, Node, Node, Node | None]]:
    """The statements a template yields for each solution; a pattern with an unbound variable
    yields nothing for that solution (SPARQL 1.1 Update §3.1.3)."""
    for row in rows:
        for pattern in patterns:
            out = []
            for part in pattern:
                if isinstance(part, Variable):
                    part = row.get(str(part))
                    if part is None:
                        break
                out.append(part)
            else:
                yield out[0], out[1], out[2], out[3]


def variables(patterns: Sequence[Pattern]) -> list[str]:
    """The names of the variables a template uses, in order of first use."""
    seen: dict[str, None] = {}
    for pattern in patterns:
        for part in pattern:
            if isinstance(part, Variable):
                seen[str(part)] = None
    return list(seen)


def data_only(where: str) -> bool:
    """Whether a WHERE group holds nothing but one VALUES block (evaluated without the store)."""
    kinds = [t.kind for t in tokens(where)]
    return kinds in ([], ["open", "close"], ["open", "values", "close"])
