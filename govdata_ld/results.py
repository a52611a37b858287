"""What queries return: rows of rdflib terms, written as a table, CSV or SPARQL JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node


@dataclass(frozen=True)
class SelectResult:
    """The solutions of a SELECT query.

    Attributes:
        variables: the projected variable names, in order.
        rows: one tuple of terms (or None when unbound) per solution.

    >>> r = SelectResult(("n",), ((Literal(3),),))
    >>> r.to_csv()
    'n\\r\\n3\\r\\n'
    """

    variables: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Node | None, ...]]:
        return iter(self.rows)

    def dicts(self) -> list[dict[str, Node]]:
        """The solutions as dictionaries of the bound variables."""
        return [
            {v: t for v, t in zip(self.variables, row) if t is not None} for row in self.rows
        ]

    def project(self, names: Iterable[str]) -> SelectResult:
        """The same solutions with only the named variables, in that order."""
        keep = [self.variables.index(n) for n in names if n in self.variables]
        return SelectResult(tuple(self.variables[i] for i in keep), tuple(tuple(r[i] for i in keep) for r in self.rows))

    def column(self, name: str) -> list[Node | None]:
        """The values of one variable, in row order."""
        i = self.variables.index(name)
        return [row[i] for row in self.rows]

    def to_csv(self) -> str:
        """Write the solutions as SPARQL 1.1 CSV results (plain values)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.variables)
        writer.writerows(["" if t is None else str(t) for t in row] for row in self.rows)
        return out.getvalue()

    def to_json(self) -> str:
        """Write the solutions as SPARQL 1.1 Query Results JSON."""
        bindings = [
            {v: _json_term(t) for v, t in zip(self.variables, row) if t is not None}
            for row in self.rows
        ]
        doc = {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, indent=1)


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out
