"""Where the embedded store repeats a query's bound parameters as ``VALUES`` blocks.

pyoxigraph (0.5) applies ``substitutions`` without letting them drive its index lookups: with
``?target`` bound, ``entries_relating_to`` still read every entry (0.2 s at 20,000 entries; the
same query with a ``VALUES`` block first in its WHERE clause took 0.1 ms). The embedded store
therefore keeps the substitution, which gives the answer its meaning (SEP-0007: the variable is
bound wherever it occurs), and adds the same one-row ``VALUES`` blocks as hints for the
optimizer. They cannot change an answer: each binds a variable to the very term the
substitution binds it to. ``Catalog.select(restrict=...)`` (a query over all entries run for
a few of them) places its multi-row blocks the same way on the embedded store: a block in an
inner group only repeats the restriction the first block already makes.

Where the blocks go, as measured at 20,000 entries:

* first in the WHERE clause, and first in each inner group (OPTIONAL, EXISTS, a GRAPH group,
  a UNION branch) that mentions a bound variable, binding those it mentions: pyoxigraph
  evaluates such a group on its own before joining, so a block there turns its scan into a
  lookup (``work_items`` for one entry: 0.07 s to 2.4 ms; ``entry_trail`` 0.09 s to 1.9 ms);
* never for a bound parameter that names a graph (``GRAPH ?catalog``): substitution already
  narrows the graph, and a block binding it made pyoxigraph match the group's pattern in every
  named graph (``published_entries`` for 199 entries: 0.3 s with it, 0.017 s without);
* a restricted variable that names a graph has no substitution to narrow it, so its blocks are
  the restriction itself: first in the WHERE clause and first inside each ``GRAPH ?var`` group
  (``entry_graphs`` for 200 of 20,000 entries: 0.14 s with the first block alone, 0.006 s with
  both);
* nothing inside a subquery, whose variables are its own unless it projects them.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping

from rdflib.term import Node

from .sparql_rewrite import _matching, _upper, group_brace, tokens
from .sparql_values import values_block


def with_hints(text: str, values: Mapping[str, Collection[Node]], *, restrict: bool = False) -> str:
    """``text`` with ``VALUES`` blocks binding each variable of ``values`` to its terms, first in
    the WHERE clause and in the inner groups where they speed pyoxigraph up; with ``restrict``
    (the blocks are the only restriction: no substitution binds the variables) also for a
    variable that names a graph.

    >>> from rdflib import URIRef
    >>> with_hints("SELECT ?e WHERE { GRAPH ?e { ?e ?p ?t } }", {"t": [URIRef("http://ex.org/t")]})
    'SELECT ?e WHERE {\\nVALUES (?t) {\\n(<http://ex.org/t>)\\n}\\n GRAPH ?e {\\nVALUES (?t) {\\n(<http://ex.org/t>)\\n}\\n ?e ?p ?t } }'
    """
    if not values:
        return text
    blocks = {name: values_block([name], [(term,) for term in terms]) for name, terms in values.items()}
    out: list[str] = []
    last = 0
    for at, names in _places(text, tuple(sorted(values)), restrict):
        out += [text[last:at], "\n", "\n".join(blocks[n] for n in names), "\n"]
        last = at
    return "".join([*out, text[last:]])


@functools.lru_cache(maxsize=512)
def _places(text: str, names: tuple[str, ...], restrict: bool) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Offsets just after the opening brace of each group that gets blocks, with their names;
    nothing inside a subquery, whose variables are its own unless it projects them."""
    toks = list(tokens(text))
    graph_names = {toks[k + 1].text[1:] for k in range(len(toks) - 1) if _upper(toks[k]) == "GRAPH" and toks[k + 1].kind == "var"}
    wanted = set(names) if restrict else set(names) - graph_names
    names = tuple(n for n in names if n in wanted)
    if not names:
        return ()
    places: list[tuple[int, tuple[str, ...]]] = []
    i = 0
    while i < len(toks):
        if places and toks[i].kind == "open" and i + 1 < len(toks) and _upper(toks[i + 1]) == "SELECT":
            i = _matching(toks, i) + 1  # a subquery: its variables are its own
            continue
        if group_brace(toks, i):
            if not places:  # the WHERE clause: every variable
                places.append((toks[i].end, names))
            else:
                close = _matching(toks, i)
                inside = {t.text[1:] for t in toks[i + 1:close] if t.kind == "var"}
                if i >= 2 and _upper(toks[i - 2]) == "GRAPH" and toks[i - 1].kind == "var":
                    inside.add(toks[i - 1].text[1:])  # the group a GRAPH ?var names
                mentioned = tuple(sorted(inside & wanted))
                if mentioned:
                    places.append((toks[i].end, mentioned))
        i += 1
    return tuple(places)
