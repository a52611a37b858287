"""The bulk import of entries new to an embedded store: the statements :meth:`Catalog.put`
would write, as N-Quads text, through the engine's bulk loader in batches.

:meth:`Catalog.put` plans every write against the store and lands it in one transaction; for
100,000 new entries that transaction grew past 14 GB (issue 5). When every entry of an import is
new to the store and there are more than :data:`BULK_THRESHOLD` of them, :func:`import_entries`
writes them in batches of :data:`BATCH_ENTRIES` with the engine's bulk loader instead (bounded
memory; 2.9 times faster at 10,000 entries, ``docs/spreadsheets.md``), and keeps the import
all-or-nothing itself:

1. an *intent record* (one transaction, flushed) names the import and every entry graph it will
   write, in the graph ``{base}graph/imports``;
2. the batches are bulk-loaded (not transactions: readers of the store may see the entries of the
   batches written so far, and part of the batch being written, before the import ends);
3. the intent record is removed in one transaction.

An exception in between drops every graph the intent names, then the intent, at once; a process
that dies in between leaves the intent, and the next :meth:`Catalog.open` of the store rolls the
import back the same way (:func:`recover`) and logs a warning. The statements are exactly those
:meth:`Catalog.put` writes for new entries (the same mapping table, each distinct non-text value
converted through :func:`govdata_ld.mapping.term`; ``tests/test_bulk_import.py`` compares them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCAT, PROV, XSD
from rdflib.term import Node

from . import input_gate, store
from .errors import InputError, StoreError
from .graphs import WriteSummary
from .iris import Minter
from .mapping import SPECS, Field, Kind, check_classified, memberships, term
from .namespaces import DCAT3, GD
from .records import Entry

if TYPE_CHECKING:
    from .catalog import Catalog

log = logging.getLogger(__name__)

BULK_THRESHOLD = 2000
"""Imports of more new entries than this take the bulk path (below it one transaction is fast)."""
BATCH_ENTRIES = 10_000
"""Entries per bulk-loaded batch (about 455,000 statements, 93 MB of N-Quads for the benchmark's
sheet; two batches are held at most)."""
IMPORTS_GRAPH = "graph/imports"
"""Where intent records live, under the base IRI (empty unless an import is running or died)."""

_TEXT = (Kind.TEXT, Kind.ZH, Kind.EN)
_SUFFIX = {Kind.TEXT: '"', Kind.ZH: '"@zh', Kind.EN: '"@en'}
_NOT_IN_IRIREF = frozenset('\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17'
                           '\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f <>"{}|^`\\')


def imports_graph(minter: Minter) -> URIRef:
    """The graph of intent records of bulk imports."""
    return URIRef(f"{minter.base}{IMPORTS_GRAPH}")


def import_entries(catalog: Catalog, entries: Sequence[Entry]) -> WriteSummary:
    """Write entries as :meth:`Catalog.put` would: through the bulk path when the store is
    embedded, there are more than :data:`BULK_THRESHOLD` entries, their codes are distinct and
    none of them is in the store yet; else through :meth:`Catalog.put`.

    Raises:
        InputError: an entry the record mapping refuses (the store is left as it was).
        StoreError: the store could not be written (the import is rolled back; if that fails
            too, the next :meth:`Catalog.open` rolls it back).
    """
    backend = catalog._store  # noqa: SLF001 - the library's own store
    with catalog._write_lock:  # noqa: SLF001 - no other write between the check and the import
        if not isinstance(backend, store.EmbeddedStore) or len(entries) <= BULK_THRESHOLD:
            return catalog.put(*entries)
        names = [catalog.minter.entry(e.code) for e in entries]
        if len(set(names)) != len(names) or backend._holding(names):
            return catalog.put(*entries)  # revisions, or an entry given twice (put refuses it)
        return _bulk(catalog, backend, sorted(zip(names, entries), key=lambda pair: pair[0]))


def nquads(entries: Sequence[Entry], minter: Minter) -> Iterator[str]:
    """The N-Quads lines :meth:`Catalog.put` writes for entries new to the store (the entry
    graphs with their version 1; an entry's duplicate statements once), entry after entry.

    Raises:
        InputError, ClassificationError: as :func:`govdata_ld.mapping.to_triples`.

    >>> from datetime import date
    >>> from govdata_ld.codes import (Category, Format, Grade, ItemDataType, OpenAttribute,
    ...     ShareAttribute, UpdateCycle)
    >>> from govdata_ld.records import DataItem
    >>> entry = Entry(code="301017/000012", title_zh="规划许可", summary_zh="摘要", provider="11520100MB1234567P",
    ...     source_business="许可", category=Category.DEPARTMENTAL, grade=Grade.NON_SENSITIVE,
    ...     share=ShareAttribute.UNCONDITIONAL, open=OpenAttribute.NOT_OPEN, update_cycle=UpdateCycle.MONTHLY,
    ...     issued=date(2024, 3, 1), format=Format.DATABASE, items=(DataItem("编号", ItemDataType.CHARACTER),))
    >>> lines = list(nquads([entry], Minter("https://data.example.gov.cn/id/")))
    >>> len(lines), lines[-1].split()[1:3]
    (23, ['<http://www.w3.org/ns/dcat#version>', '"1"'])
    """
    writer = _Writer(minter)
    for entry in entries:
        yield from writer.entry(entry)


def ntriples(entries: Sequence[Entry], minter: Minter) -> Iterator[str]:
    """The N-Triples lines of entries: the triples of :func:`govdata_ld.mapping.to_triples`
    (an entry's duplicate statements once), entry after entry.

    Raises:
        InputError, ClassificationError: as :func:`govdata_ld.mapping.to_triples`.
    """
    writer = _Writer(minter, graphs=False)
    for entry in entries:
        yield from writer.entry(entry)


class _Writer:
    """N-Quads (or N-Triples) of entries; each distinct non-text value is converted through the
    mapping once."""

    def __init__(self, minter: Minter, *, graphs: bool = True) -> None:
        self.minter = minter
        self.graphs = graphs
        self.limits = input_gate.limits()
        self.terms: dict[tuple[int, Any], str] = {}
        self.catalogs: dict[tuple[Any, ...], list[str]] = {}
        self.orders: dict[int, str] = {}
        self.predicates = {id(f): f" {_iri(f.predicate)} " for spec in SPECS.values() for f in spec.fields}
        self.types = {cls: [f" {_iri(RDF.type)} {_iri(t)} " for t in spec.types] for cls, spec in SPECS.items()}
        self.version = f" {_iri(DCAT3.version)} {_nt(Literal('1'))} "
        self.dataset = f" {_iri(DCAT.dataset)} "
        self.order = f" {_iri(GD.order)} "

    def entry(self, entry: Entry) -> list[str]:
        subject_iri = self.minter.entry(entry.code)
        check_classified(entry)
        subject = _iri(subject_iri)
        tail = f" {subject} .\n" if self.graphs else " .\n"
        lines: list[str] = []
        self._describe(entry, subject_iri, subject, tail, lines)
        key = (entry.provider, entry.share, entry.open)
        catalogs = self.catalogs.get(key)
        if catalogs is None:
            catalogs = self.catalogs[key] = [_iri(c) for c in memberships(entry, self.minter)]
        lines += [catalog + self.dataset + subject + tail for catalog in catalogs]
        if self.graphs:
            lines.append(subject + self.version + tail)
        return lines

    def _describe(self, record: Any, subject_iri: URIRef, subject: str, tail: str, lines: list[str]) -> None:
        spec = SPECS[type(record)]
        lines += [subject + t + tail for t in self.types[spec.cls]]
        for field in spec.fields:
            value = getattr(record, field.attr)
            if value is None:
                continue
            predicate = subject + self.predicates[id(field)]
            if field.kind is Kind.NESTED:
                for position, item in enumerate(value if field.many else (value,), start=1):
                    path = (field.segment, position) if field.many else (field.segment,)
                    child_iri = Minter.child(subject_iri, *path)
                    child = _iri(child_iri)
                    lines.append(predicate + child + tail)
                    self._describe(item, child_iri, child, tail, lines)
                    if field.many:
                        lines.append(child + self.order + self._order(position) + tail)
            elif field.many:
                lines += [predicate + o + tail for o in dict.fromkeys(self._term(field, v) for v in value)]
            else:
                lines.append(predicate + self._term(field, value) + tail)

    def _term(self, field: Field, value: Any) -> str:
        kind = field.kind
        if kind in _TEXT and value.__class__ is str:
            problem = input_gate.literal_problem(value, self.limits)
            if problem is not None:
                raise InputError(problem[1], code=problem[0], parameter=field.attr)
            return '"' + _escape(value) + _SUFFIX[kind]
        key = (id(field), value)
        try:
            found = self.terms.get(key)
        except TypeError:  # an unhashable value: the mapping says what is wrong with it
            return _nt(term(field, value, self.minter))
        if found is None:
            found = self.terms[key] = _nt(term(field, value, self.minter))
        return found

    def _order(self, position: int) -> str:
        found = self.orders.get(position)
        if found is None:
            found = self.orders[position] = _nt(Literal(position))
        return found


def _escape(text: str) -> str:
    # N-Quads STRING_LITERAL_QUOTE (RDF 1.1 N-Quads §3): no raw quote, backslash, LF or CR.
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


def _iri(iri: str) -> str:
    # IRIREF (RDF 1.1 N-Quads §3): minted IRIs are percent-encoded and IRI fields checked by the
    # mapping, so a character IRIREF cannot carry is a bug, never written.
    if not _NOT_IN_IRIREF.isdisjoint(iri):
        raise InputError(f"not an IRI: {iri!r}", code="input.invalid-iri")
    return f"<{iri}>"


def _nt(node: Node) -> str:
    """One rdflib term as N-Quads, as :mod:`govdata_ld.store` hands it to the engine."""
    if isinstance(node, URIRef):
        return _iri(str(node))
    if isinstance(node, Literal):
        text = '"' + _escape(str(node)) + '"'
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype is not None and str(node.datatype) != str(XSD.string):
            return f"{text}^^{_iri(str(node.datatype))}"
        return text
    raise InputError(f"not a term an entry is written with: {node!r}", code="param.type")


def _bulk(catalog: Catalog, backend: store.EmbeddedStore, pairs: list[tuple[URIRef, Entry]]) -> WriteSummary:
    minter = catalog.minter
    graph = imports_graph(minter)
    activity = URIRef(f"{minter.base}import/{uuid.uuid4()}")
    started = Literal(datetime.now(timezone.utc).isoformat(timespec="seconds"), datatype=XSD.dateTime)
    head = f"{_iri(activity)} {_iri(PROV.generated)} "
    tail = f" {_iri(graph)} .\n"
    intent = [f"{_iri(activity)} {_iri(RDF.type)} {_iri(PROV.Activity)}{tail}",
              f"{_iri(activity)} {_iri(PROV.startedAtTime)} {_nt(started)}{tail}"]
    intent += [head + _iri(name) + tail for name, _ in pairs]
    backend._load_nquads("".join(intent).encode("utf-8"))
    names = [name for name, _ in pairs]
    written = 0
    try:
        backend.flush()  # the intent is on disk before any entry is
        writer = _Writer(minter)
        # The engine loads a batch without the GIL while the next one is converted: at most two
        # batches are held; leaving the block waits for the load in flight (before any rollback).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govdata-bulk-load") as loader:
            loading: Future[None] | None = None
            for start in range(0, len(pairs), BATCH_ENTRIES):
                lines: list[str] = []
                for _, entry in pairs[start:start + BATCH_ENTRIES]:
                    lines += writer.entry(entry)
                written += len(lines)
                try:
                    data = "".join(lines).encode("utf-8")
                except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 (put's store refuses it too)
                    raise StoreError(f"insert failed, nothing was written: {exc}") from exc
                del lines
                if loading is not None:
                    loading.result()
                loading = loader.submit(backend._bulk_load_nquads, data)
                del data
            if loading is not None:
                loading.result()
        backend._drop_graphs([graph])  # one transaction: the import is done
        backend.flush()
    except BaseException:
        _roll_back(backend, names, graph, activity)
        raise
    log.info("bulk import %s: %d entries, %d statements", activity, len(pairs), written)
    return WriteSummary(added=tuple(minter.code_of_entry(name) or str(name) for name in names), triples=written)


def _roll_back(backend: store.EmbeddedStore, names: list[URIRef], graph: URIRef, activity: URIRef) -> None:
    try:
        backend._drop_graphs(names)
        backend._drop_graphs([graph])
        backend.flush()
    except StoreError as exc:
        log.error("bulk import %s failed and could not be rolled back (%s); the next open of the store "
                  "rolls it back", activity, exc)


def recover(backend: store.EmbeddedStore, minter: Minter) -> int:
    """Roll back bulk imports a dead process left unfinished: drop every graph their intent
    records name, then the intent records. Returns how many graphs were dropped.

    Raises:
        StoreError: the store could not be written (the intent stays for the next open).
    """
    graph = imports_graph(minter)
    activities: dict[Node, list[URIRef]] = {}
    for s, p, o, _ in backend.quads(graph):
        names = activities.setdefault(s, [])
        if p == PROV.generated and isinstance(o, URIRef):
            names.append(o)
    if not activities:
        return 0
    dropped = 0
    for activity, names in activities.items():
        log.warning("bulk import %s did not finish (the process writing it stopped): rolling back its %d entry "
                    "graph(s)", activity, len(names))
        backend._drop_graphs(names)
        dropped += len(names)
    backend._drop_graphs([graph])
    backend.flush()
    return dropped
