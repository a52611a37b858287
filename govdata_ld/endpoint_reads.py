"""Reading a remote store whole: results past a server's row cap, CONSTRUCT as a paged SELECT,
and the graphs that are the catalog's.

A SELECT that returns ``row_cap`` rows or more is cross-checked with ``COUNT(*)`` of the same
query; when the server returned fewer rows than the count (Virtuoso's ``ResultSetMaxRows`` cuts
results silently with HTTP 200), it is read again in pages ordered by the string of its first
variable, each page starting at the last key of the one before (keyset paging: Virtuoso refuses
``OFFSET`` past its cap), and the rows are counted against ``COUNT(*)`` again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from rdflib import Literal, URIRef
from rdflib.term import Node

from . import endpoint_virtuoso
from . import sparql_rewrite as rw
from .endpoint_http import Connection, solutions
from .errors import TruncatedResultError
from .results import SelectResult
from .sparql_values import values_block
from .store import Quad, parse

log = logging.getLogger(__name__)

PRIVATE = "urn:govdata-ld:"
"""The prefix of the library's own graphs on a server (control, staging, default)."""
VIRTUOSO_DEFAULT = PRIVATE + "default"
"""The graph that stands for the default graph on Virtuoso, whose own default graph is the
union of all graphs (``ASK { ?s ?p ?o }`` is true as soon as any graph holds a statement)."""
FOREIGN_GRAPHS = {
    "virtuoso": (
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localhost:8890/",
    ),
}
"""Graphs a server keeps for itself, by dialect (IRI prefixes); the catalog never lists them."""


class Reader:
    """Queries whose answers are complete (paged past the row cap) and in rdflib terms."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def json(self, text: str, *, name: str | None) -> dict[str, object]:
        """The SPARQL JSON results of a query, sent in the form the server's dialect needs (see
        :func:`~govdata_ld.endpoint_virtuoso.sent_form`)."""
        if self.connection.dialect == "virtuoso":
            text = endpoint_virtuoso.sent_form(text)
        return self.connection.query_json(text, name=name)

    def ask(self, text: str, *, name: str | None) -> bool:
        return bool(self.json(text, name=name).get("boolean"))

    def rows(self, text: str, *, name: str | None, check: bool = True) -> SelectResult:
        """A SELECT's rows; a result as long as the row cap is checked with COUNT(*) and paged."""
        result = solutions(self.json(text, name=name))
        if check and len(result.rows) >= self.connection.config.row_cap:
            total = self._count(text, name=name)
            if total != len(result.rows):
                log.info("%s: %d of %d rows returned; reading in pages by key", name or "query", len(result.rows), total)
                result = self._paged(text, result.variables, total, name=name)
        return result

    def construct(self, text: str, *, name: str | None) -> Iterator[tuple[Node, Node, Node, Node | None]]:
        """A CONSTRUCT evaluated as a SELECT of its template's variables (so it can be paged),
        its template filled in here."""
        prologue, template_text, rest = rw.construct_parts(text)
        patterns = rw.template(template_text, rw.prefixes(prologue))
        names = rw.variables(patterns)
        select = prologue + "\nSELECT DISTINCT " + (" ".join("?" + n for n in names) or "*") + "\n" + rest
        seen: set[tuple[Node, Node, Node]] = set()
        for s, p, o, _ in rw.instantiate(patterns, self.rows(select, name=name).dicts()):
            if (s, p, o) not in seen:
                seen.add((s, p, o))
                yield s, p, o, None

    def describe(self, text: str, *, name: str | None) -> list[Quad]:
        """The statements a DESCRIBE query answers with (as Turtle)."""
        return parse(self.connection.query(text, name=name, turtle=True), "turtle", source="server")

    def graph(self, graph: URIRef) -> Iterator[Quad]:
        """The statements of one named graph."""
        text = "SELECT ?s ?p ?o WHERE {\n" + values_block(["g"], [(graph,)]) + "\nGRAPH ?g { ?s ?p ?o } }"
        for s, p, o in self.rows(text, name="graph content").rows:
            yield s, p, o, graph  # type: ignore[misc]

    def graph_filter(self) -> str:
        """A FILTER on ``?g`` leaving out the control, staging and server graphs (constants of
        the library)."""
        prefixes = (PRIVATE, *FOREIGN_GRAPHS.get(self.connection.dialect, ()))
        return "FILTER(" + " && ".join("!STRSTARTS(STR(?g), " + Literal(p).n3() + ")" for p in prefixes) + ")"

    def _count(self, text: str, *, name: str | None) -> int:
        prologue, body = rw.split_prologue(text)
        counted = prologue + "\nSELECT (COUNT(*) AS ?n) WHERE { {\n" + body + "\n} }"
        rows = solutions(self.json(counted, name=name)).rows
        return int(rows[0][0].toPython())  # type: ignore[union-attr]

    def _paged(self, text: str, variables: tuple[str, ...], total: int, *, name: str | None) -> SelectResult:
        """Read a result in pages ordered by the string of its first variable, then check the
        count."""
        prologue, body = rw.split_prologue(text)
        key = variables[0]
        page_size = self.connection.config.page_size
        rows: list[tuple[Node | None, ...]] = []
        last: Literal | None = None
        while True:
            bound = "" if last is None else "FILTER(STR(?" + key + ") >= ?govdata_last)\n" + values_block(["govdata_last"], [(last,)])
            page = (
                prologue + "\nSELECT * WHERE { {\n" + body + "\n} " + bound + " } ORDER BY STR(?" + key + ") LIMIT "
                + str(page_size)
            )
            got = solutions(self.json(page, name=name))
            order = [got.variables.index(v) for v in variables]
            page_rows = [tuple(r[i] for i in order) for r in got.rows]
            if len(page_rows) < page_size:
                rows += page_rows
                break
            high = str(page_rows[-1][0])
            keep = [r for r in page_rows if str(r[0]) != high]
            if not keep:
                raise TruncatedResultError(f"cannot page the result: more than {page_size} rows share the key ?{key}", name=name)
            rows += keep
            last = Literal(high)
        if len(rows) != total:
            raise TruncatedResultError(f"paging read {len(rows)} rows but COUNT(*) says {total}", name=name)
        return SelectResult(variables, tuple(rows))
