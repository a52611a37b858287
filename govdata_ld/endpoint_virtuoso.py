"""Queries Virtuoso 7.2 answers wrongly or not at all, rewritten before they are sent:
:func:`prepare` before parameters are bound (it may read from the server), :func:`sent_form` on
the text as sent (order of joins, EXISTS in BIND, booleans).

**Text parameters.** ``STR()`` of a non-ASCII simple literal written in the query (a VALUES
row, a constant) gives a string that matches nothing (``catalog_search`` for 登记 found no
entry), while ``STR()`` of the same text typed ``xsd:string`` works; a simple literal *is* an
``xsd:string`` (RDF 1.1), but Virtuoso matches the typed form against no stored simple literal.
So ``STR(?text)`` of such a parameter reads a twin parameter bound to the typed form, and the
parameter itself stays as it was for matching.

**Property paths.** Virtuoso refuses a ``?``, ``*`` or ``+`` path inside ``EXISTS`` ("TR…: transitive start not
given"), and a ``*`` path whose two ends are variables either fails the same way or, joined
after other patterns, gives fewer rows. It runs a path one of whose ends is a term. Before a
query goes to Virtuoso, three forms are rewritten into ones that give the same solutions:

1. ``FILTER EXISTS { s p? ?x }`` (how optional parameters filter, docs/queries.md) becomes
   ``FILTER(!BOUND(?x) || ?x = s || EXISTS { s p ?x })``;
2. ``FILTER EXISTS { s p* o }`` with one end a bound parameter: the nodes the bound end reaches
   by ``p+`` are read first (a path with a term at one end, which Virtuoso runs), and the
   filter tests the other end against them: ``FILTER(s = o || s IN (…))``; with that end
   unbound the filter holds for every solution and is dropped;
3. a pattern ``?a p* ?b``: with one end a bound parameter (Virtuoso then drops the zero-length
   match: ``catalog_entries_of_organ`` missed the organ's own 199 entries of 851), the nodes it
   reaches by ``p+`` are read first and the pattern becomes a ``VALUES`` block of them and the
   end itself; with neither end bound, ``p``'s statements are read, their
   reflexive-transitive closure is computed here (reflexive over every node of the graph, as
   SPARQL 1.1 §9.3 defines a zero-length path between two variables) and the pattern becomes
   a ``VALUES`` block of the pairs (blank nodes left out: they cannot be sent, and no
   bound term equals one).

Either form may sit in a ``GRAPH g { … }`` block whose ``g`` is an IRI or a bound parameter.
Values enter the text only through :mod:`govdata_ld.sparql_values`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from . import sparql_rewrite as rw
from .results import SelectResult
from .sparql_values import fill, fill_list, values_block

Rows = Callable[[str], SelectResult]
"""Runs a SELECT on the server and returns its rows."""


@dataclass(frozen=True, slots=True)
class _Path:
    start: int  # text offsets of what is replaced
    end: int
    graph: str | None  # the GRAPH term's text, if any
    subject: rw.Token
    predicate: str  # the path's base: an IRI or prefixed name, as written
    modifier: str  # "?", "*" or "+"
    object: rw.Token


def prepare(text: str, bindings: Mapping[str, Node], rows: Rows) -> tuple[str, dict[str, Node]]:
    """The query and its parameters in forms Virtuoso answers rightly (see the module docstring).

    >>> prepare("SELECT ?e WHERE { ?e ?p ?o FILTER(CONTAINS(STR(?o), STR(?t))) }", {"t": Literal("登记")}, None)[0]
    'SELECT ?e WHERE { ?e ?p ?o FILTER(CONTAINS(STR(?o), STR(?govdata_str_t))) }'
    """
    wide = {
        name for name, value in bindings.items()
        if isinstance(value, Literal) and value.datatype is None and value.language is None and not str(value).isascii()
    }
    out = dict(bindings)
    if wide:
        toks = list(rw.tokens(text))
        edits = [
            (toks[i + 2], "?govdata_str_" + toks[i + 2].text[1:])
            for i in range(len(toks) - 3)
            if rw._upper(toks[i]) == "STR" and toks[i + 1].text == "(" and toks[i + 2].kind == "var"
            and toks[i + 2].text[1:] in wide and toks[i + 3].text == ")"
        ]
        parts, last = [], 0
        for tok, piece in edits:
            parts += [text[last:tok.start], piece]
            last = tok.end
        text = "".join([*parts, text[last:]])
        out |= {"govdata_str_" + name: Literal(str(bindings[name]), datatype=XSD.string) for name in wide}
    return rewrite(text, bindings, rows), out


def rewrite(text: str, bindings: Mapping[str, Node], rows: Rows) -> str:
    """The query with the path forms Virtuoso cannot run rewritten.

    >>> rewrite("SELECT ?e WHERE { ?e ?p ?o FILTER EXISTS { ?e <http://ex.org/t>? ?t } }", {}, None)
    'SELECT ?e WHERE { ?e ?p ?o FILTER(!BOUND(?t) || ?t = ?e || EXISTS { ?e <http://ex.org/t> ?t }) }'
    """
    prologue, _ = rw.split_prologue(text)
    toks = list(rw.tokens(text))
    edits: list[tuple[int, int, str]] = []
    inside_exists = 0  # the end (text offset) of the EXISTS group being read, if any
    for i, tok in enumerate(toks):
        if rw._upper(tok) == "EXISTS" and i + 1 < len(toks) and toks[i + 1].kind == "open":
            inside_exists = max(inside_exists, toks[rw._matching(toks, i + 1)].end)
        if rw._upper(tok) == "FILTER" and i + 2 < len(toks) and rw._upper(toks[i + 1]) == "EXISTS" and toks[i + 2].kind == "open":
            path = _path_group(toks, i + 2)
            if path is not None:
                replaced = _exists(text, prologue, path, toks[i].start, bindings, rows)
                if replaced is not None:
                    edits.append((toks[i].start, path.end, replaced))
        elif tok.kind == "word" and tok.text.endswith("*") and 0 < i < len(toks) - 1 and tok.start > inside_exists:
            replaced = _closure_pattern(text, prologue, toks, i, bindings, rows)
            if replaced is not None:
                edits.append(replaced)
    out, last = [], 0
    for start, end, piece in sorted(edits):
        if start < last:
            continue
        out += [text[last:start], piece]
        last = end
    return "".join([*out, text[last:]])


def _path_group(toks: Sequence[rw.Token], open_index: int) -> _Path | None:
    """The one path pattern an EXISTS group holds (in a GRAPH block or not), if that is all."""
    close = rw._matching(toks, open_index)
    inner = [t for t in toks[open_index + 1:close] if t.text != "."]
    graph = None
    if len(inner) >= 6 and rw._upper(inner[0]) == "GRAPH" and inner[2].kind == "open" and inner[-1].kind == "close":
        graph, inner = inner[1].text, inner[3:-1]
    if len(inner) == 4 and inner[2].text in "?*+" and inner[1].kind == "iri":
        inner = [inner[0], rw.Token("word", inner[1].text + inner[2].text, inner[1].start, inner[2].end), inner[3]]
    if len(inner) != 3 or inner[1].kind not in ("word", "iri") or inner[1].text[-1:] not in ("?", "*", "+"):
        return None
    if any(t.kind not in ("var", "iri", "word") for t in (inner[0], inner[2])):
        return None
    return _Path(toks[open_index].start, toks[close].end, graph, inner[0], inner[1].text[:-1], inner[1].text[-1], inner[2])


def _exists(text: str, prologue: str, path: _Path, start: int, bindings: Mapping[str, Node], rows: Rows) -> str | None:
    s, o = path.subject.text, path.object.text
    if path.modifier == "?":
        if path.object.kind != "var":
            return None
        inner = s + " " + path.predicate + " " + o
        group = "GRAPH " + path.graph + " { " + inner + " }" if path.graph else inner
        return "FILTER(!BOUND(" + o + ") || " + o + " = " + s + " || EXISTS { " + group + " })"
    graph = _term(path.graph, bindings) if path.graph else None
    if path.graph and graph is None:
        return None
    for bound_end, free_end, forward in ((path.object, path.subject, False), (path.subject, path.object, True)):
        if bound_end.kind != "var" or free_end.kind != "var":
            continue
        if bound_end.text[1:] not in bindings:
            if free_end.text[1:] in bindings:
                continue
            return "FILTER(true)"  # an unbound end: the zero-length path matches every solution
        value = bindings[bound_end.text[1:]]
        reached = _reached(prologue, path, graph, value, forward=forward, rows=rows)
        test = "FILTER(" + free_end.text + " = " + bound_end.text + " || " + free_end.text + " IN {list})"
        return fill_list(test, "{list}", reached) if reached else "FILTER(" + free_end.text + " = " + bound_end.text + ")"
    return None


def _reached(prologue: str, path: _Path, graph: Node | None, value: Node, *, forward: bool, rows: Rows) -> list[Node]:
    """The nodes ``value`` reaches by ``p+`` (forward: as subject; else: as object)."""
    pattern = "?govdata_at " + path.predicate + "+ ?govdata_node" if forward else "?govdata_node " + path.predicate + "+ ?govdata_at"
    if graph is not None:
        pattern = "GRAPH ?govdata_graph { " + pattern + " }"
        block = values_block(["govdata_at", "govdata_graph"], [(value, graph)])
    else:
        block = values_block(["govdata_at"], [(value,)])
    query = prologue + "\nSELECT DISTINCT ?govdata_node WHERE { " + block + " " + pattern + " }"
    return [r[0] for r in rows(query).rows if r[0] is not None]


def _closure_pattern(
    text: str, prologue: str, toks: Sequence[rw.Token], i: int, bindings: Mapping[str, Node], rows: Rows
) -> tuple[int, int, str] | None:
    """``?a p* ?b`` as one whole triple pattern in a GRAPH block of a known graph: with both
    ends unbound, a VALUES block of the closure pairs; with one end a bound parameter, a VALUES
    block of the nodes that end reaches by ``p+``, and the end itself."""
    subject, obj = toks[i - 1], toks[i + 1]
    if subject.kind != "var" or obj.kind != "var":
        return None
    bound = [end for end in (subject, obj) if end.text[1:] in bindings]
    before = toks[i - 2] if i >= 2 else None
    after = toks[i + 2] if i + 2 < len(toks) else None
    if len(bound) == 2 or before is None or (before.kind != "open" and before.text != "."):
        return None
    if after is not None and after.text in (";", ","):
        return None
    graph = _enclosing_graph(toks, i, bindings)
    if graph is None:
        return None
    path = _Path(subject.start, obj.end, None, subject, toks[i].text[:-1], "*", obj)
    if bound:
        value = bindings[bound[0].text[1:]]
        free = obj if bound[0] is subject else subject
        reached = _reached(prologue, path, graph, value, forward=bound[0] is subject, rows=rows)
        block = fill("{values}", [free.text[1:]], [(n,) for n in [value, *reached] if not isinstance(n, BNode)])
    else:
        pairs = _closure(prologue, toks[i].text[:-1], graph, rows)
        block = fill("{values}", [subject.text[1:], obj.text[1:]], sorted(pairs, key=str))
    end = after.end if after is not None and after.text == "." else obj.end
    return subject.start, end, block + " "


def _enclosing_graph(toks: Sequence[rw.Token], i: int, bindings: Mapping[str, Node]) -> Node | None:
    depth = 0
    for j in range(i - 1, 1, -1):
        if toks[j].kind == "close":
            depth += 1
        elif toks[j].kind == "open":
            if depth == 0:
                if rw._upper(toks[j - 2]) == "GRAPH":
                    return _term(toks[j - 1].text, bindings)
                return None
            depth -= 1
    return None


def _closure(prologue: str, predicate: str, graph: Node, rows: Rows) -> set[tuple[Node, Node]]:
    block = values_block(["govdata_graph"], [(graph,)])
    edges = rows(prologue + "\nSELECT ?a ?b WHERE { " + block + " GRAPH ?govdata_graph { ?a " + predicate + " ?b } }").rows
    nodes = rows(
        prologue + "\nSELECT DISTINCT ?n WHERE { " + block
        + " GRAPH ?govdata_graph { { ?n ?govdata_p ?govdata_o } UNION { ?govdata_s ?govdata_p ?n } } }"
    ).rows
    following: dict[Node, set[Node]] = {}
    for a, b in edges:
        following.setdefault(a, set()).add(b)  # type: ignore[arg-type]
    pairs = {(n[0], n[0]) for n in nodes if n[0] is not None}
    for start in following:
        seen: set[Node] = set()
        todo = list(following[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo += following.get(node, ())
        pairs |= {(start, node) for node in seen}
    return {(a, b) for a, b in pairs if not isinstance(a, BNode) and not isinstance(b, BNode)}  # type: ignore[return-value]


def _term(text: str | None, bindings: Mapping[str, Node]) -> Node | None:
    if text is None:
        return None
    if text.startswith(("?", "$")):
        return bindings.get(text[1:])
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    return None


# -- rewrites of the text as sent ----------------------------------------------------------


def exists_in_bind_as_if(text: str) -> str:
    """Write each ``EXISTS {…}`` and ``NOT EXISTS {…}`` inside a ``BIND(…)`` as
    ``IF(EXISTS {…}, true, false)``: the same value (an EXISTS is never an error), in the form
    Virtuoso 7.2 compiles. It refuses an EXISTS that is an operand of ``||`` or ``&&`` in a BIND
    (``SQ074``), while it takes an EXISTS alone, an ``IF`` around one, and either in a FILTER.

    >>> exists_in_bind_as_if("SELECT * WHERE { ?s ?p ?o BIND(BOUND(?o) || NOT EXISTS { ?s ?q ?r } AS ?x) }")
    'SELECT * WHERE { ?s ?p ?o BIND(BOUND(?o) || IF(NOT EXISTS { ?s ?q ?r }, true, false) AS ?x) }'
    """
    toks = list(rw.tokens(text))
    edits: list[tuple[int, str]] = []
    i = 0
    while i < len(toks):
        if rw._upper(toks[i]) == "BIND" and i + 1 < len(toks) and toks[i + 1].text == "(":
            end = rw._matching(toks, i + 1)
            j = i + 2
            while j < end:
                word = rw._upper(toks[j])
                starts = j
                if word == "NOT" and j + 1 < end and rw._upper(toks[j + 1]) == "EXISTS":
                    j += 1
                    word = "EXISTS"
                if word == "EXISTS" and j + 1 < end and toks[j + 1].kind == "open":
                    close = rw._matching(toks, j + 1)
                    edits += [(toks[starts].start, "IF("), (toks[close].end, ", true, false)")]
                    j = close + 1
                    continue
                j += 1
            i = end + 1
            continue
        i += 1
    out, last = [], 0
    for at, piece in sorted(edits):
        out += [text[last:at], piece]
        last = at
    return "".join([*out, text[last:]])


def sent_form(text: str) -> str:
    """Rewrite a query into the form Virtuoso 7.2 evaluates as written; each rewrite answers a
    failure the test suite found (docs/stores.md). Applied to the text as sent, parameters
    bound (the reader calls it on every query to Virtuoso):

    * ``define sql:select-option "order"`` first: the server joins the patterns in the order
      they are written (the order the query files are written in for the embedded store).
      Left to choose, after a few hundred writes its optimizer picked plans on which
      ``BIND(IF(…))`` over ``VALUES`` rows looped forever, stopping the server answering
      anyone, and it priced ``city_members.rq`` past its cost limit;
    * ``EXISTS`` inside ``BIND`` is written as ``IF(EXISTS {…}, true, false)`` (``SQ074``).

    >>> sent_form("SELECT * WHERE { ?s ?p ?o }")
    'define sql:select-option "order"\\nSELECT * WHERE { ?s ?p ?o }'
    """
    if "EXISTS" in text.upper():
        text = exists_in_bind_as_if(text)
    return VIRTUOSO_ORDER + booleans_cast(text)


VIRTUOSO_ORDER = 'define sql:select-option "order"\n'
_XSD_BOOLEAN = "<http://www.w3.org/2001/XMLSchema#boolean>"
_BOOLEAN_CALLS = {
    "EXISTS", "BOUND", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX",
    "CONTAINS", "STRSTARTS", "STRENDS", "LANGMATCHES",
}
_COMPARISONS = {"=", "!", "<", ">", "|", "&"}


def booleans_cast(text: str) -> str:
    """Cast each ``BIND`` and SELECT expression that yields a boolean to ``xsd:boolean``: the
    same value (a boolean cast to boolean is itself), typed. Virtuoso 7.2 computes booleans as
    SQL integers and answers ``"1"^^xsd:integer`` for ``true`` unless the value is cast.

    An expression yields a boolean when at its top it has ``||``, ``&&``, ``!``, a comparison,
    ``IN``, a test (``EXISTS``, ``BOUND``, ``sameTerm``, ``isIRI``, ``REGEX``, ``STRSTARTS``…),
    ``true`` or ``false``, a variable another such expression binds, or an ``IF``/``COALESCE``
    whose values all yield booleans.

    >>> booleans_cast("SELECT ?x WHERE { BIND(true AS ?t) BIND(COALESCE(?t, false) AS ?x) BIND(STR(?x) AS ?y) }")
    'SELECT ?x WHERE { BIND(<http://www.w3.org/2001/XMLSchema#boolean>(true) AS ?t) BIND(<http://www.w3.org/2001/XMLSchema#boolean>(COALESCE(?t, false)) AS ?x) BIND(STR(?x) AS ?y) }'
    """
    toks = list(rw.tokens(text))
    found: list[tuple[int, int, str]] = []  # expression start, end (token indexes), variable
    for i, tok in enumerate(toks):
        if tok.text != "(":
            continue
        opener = rw._upper(toks[i - 1]) if i > 0 else ""
        in_select = opener != "BIND" and _in_projection(toks, i)
        if opener != "BIND" and not in_select:
            continue
        end = rw._matching(toks, i)
        depth = 0
        for j in range(i + 1, end):
            depth += toks[j].text == "(" or toks[j].kind == "open"
            depth -= toks[j].text == ")" or toks[j].kind == "close"
            if depth == 0 and rw._upper(toks[j]) == "AS" and j + 1 < end and toks[j + 1].kind == "var":
                found.append((i + 1, j, toks[j + 1].text[1:]))
                break
    booleans: set[str] = set()
    changed = True
    while changed:
        changed = False
        for start, end, name in found:
            if name not in booleans and _yields_boolean(toks, start, end, booleans):
                booleans.add(name)
                changed = True
    edits = sorted(
        (at, piece) for start, end, name in found if name in booleans
        for at, piece in ((toks[start].start, _XSD_BOOLEAN + "("), (toks[end - 1].end, ")"))
    )
    out, last = [], 0
    for at, piece in edits:
        out += [text[last:at], piece]
        last = at
    return "".join([*out, text[last:]])


def _in_projection(toks: Sequence[rw.Token], i: int) -> bool:
    """Whether the parenthesis at ``i`` opens an ``(expression AS ?var)`` of a SELECT clause."""
    j = i - 1
    while j >= 0 and (toks[j].kind == "var" or toks[j].text in ("(", ")", "*") or rw._upper(toks[j]) in ("DISTINCT", "REDUCED")):
        if toks[j].text == ")":  # skip back over an earlier projected expression
            depth = 0
            while j >= 0:
                depth += toks[j].text == ")"
                depth -= toks[j].text == "("
                if depth == 0:
                    break
                j -= 1
        j -= 1
    return j >= 0 and rw._upper(toks[j]) == "SELECT"


def _yields_boolean(toks: Sequence[rw.Token], start: int, end: int, booleans: set[str]) -> bool:
    """Whether the expression of tokens ``start``…``end`` (exclusive) yields a boolean."""
    while end - start >= 2 and toks[start].text == "(" and rw._matching(toks, start) == end - 1:
        start, end = start + 1, end - 1
    if end <= start:
        return False
    depth = 0
    for j in range(start, end):
        depth += toks[j].text == "(" or toks[j].kind == "open"
        depth -= toks[j].text == ")" or toks[j].kind == "close"
        if depth == 0 and (toks[j].text in _COMPARISONS or rw._upper(toks[j]) == "IN"):
            return True
    first = toks[start]
    if end - start == 1:
        return first.text in ("true", "false") or (first.kind == "var" and first.text[1:] in booleans)
    word = rw._upper(first)
    if word in _BOOLEAN_CALLS or (word == "NOT" and rw._upper(toks[start + 1]) == "EXISTS"):
        return True
    if word in ("IF", "COALESCE") and toks[start + 1].text == "(" and rw._matching(toks, start + 1) == end - 1:
        args = _arguments(toks, start + 1)
        values = args[1:] if word == "IF" else args
        return bool(values) and all(_yields_boolean(toks, a, b, booleans) for a, b in values)
    return False


def _arguments(toks: Sequence[rw.Token], open_index: int) -> list[tuple[int, int]]:
    """The token spans of the comma-separated arguments of a call."""
    close = rw._matching(toks, open_index)
    spans, depth, begin = [], 0, open_index + 1
    for j in range(open_index + 1, close):
        depth += toks[j].text == "(" or toks[j].kind == "open"
        depth -= toks[j].text == ")" or toks[j].kind == "close"
        if depth == 0 and toks[j].text == ",":
            spans.append((begin, j))
            begin = j + 1
    spans.append((begin, close))
    return spans
