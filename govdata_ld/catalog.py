"""The Catalog: open a store, load files and records, query it, read entries back, count.

>>> from govdata_ld import Catalog
>>> with Catalog.open("memory") as catalog:
...     catalog.select("totals").dicts()[0]["entries"].toPython()
0
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from . import bulk_import, endpoint, graphs, queries, resources, sparql_hints, sparql_rewrite, sparql_values, store
from .errors import InputError, ParameterError
from .graphs import Partition, WriteSummary
from .iris import Minter
from .mapping import from_graph, to_triples
from .namespaces import GD, PREFIXES
from .records import Entry, Organ, Record
from .results import SelectResult
from .settings import Settings
from .validation import ValidationReport, Validator, merge_reports, report_from_state
from .workflow import Workflow

log = logging.getLogger(__name__)

MEMORY = "memory"
STATE_FILE = "govdata-validation.json"
STAT_DIMENSIONS: dict[str, URIRef] = {
    "provider": DCTERMS.publisher,
    "category": GD.category,
    "share attribute": GD.shareAttribute,
    "open attribute": GD.openAttribute,
    "grade": GD.grade,
}
"""What ``stats`` counts entries by: a name and the property counted."""


@dataclass(frozen=True)
class StatRow:
    """How many current entries have one value of a dimension."""

    value: Node
    label_zh: str | None
    label_en: str | None
    entries: int


@dataclass(frozen=True)
class Stats:
    """Counts of a catalog store: totals, and entries by provider, category, attributes, grade."""

    totals: dict[str, int]
    by: dict[str, tuple[StatRow, ...]]


class StepLock:
    """The catalog's re-entrant lock. Taking it (not again from inside) starts a new read-then-write
    cycle of the store (a remote store reads its revision afresh at the cycle's first read; issue 7,
    part 5), so a step is guarded by what it read, however long ago the catalog
    last read."""

    def __init__(self, backend: store.EmbeddedStore) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._backend = backend

    def __enter__(self) -> StepLock:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1:
            self._backend.begin_cycle()
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        self._lock.release()


class Catalog:
    """A catalog store: organs, information systems and entries as RDF in named graphs.

    Open one with :meth:`open`; use it as a context manager so the store is flushed and released.
    """

    def __init__(self, backend: store.EmbeddedStore, settings: Settings) -> None:
        self._store = backend
        self.settings = settings
        self.minter = Minter(settings.base_iri)
        self._write_lock = StepLock(backend)  # re-entrant: a workflow step holds it while it writes
        self.workflow = Workflow(self)
        """The Article 12 steps on this store (see :class:`~govdata_ld.workflow.Workflow`)."""
        self.vocabulary_digest = ""
        """``sha256:…`` of the ontology and code lists in use (set when the vocabulary is loaded)."""
        self._ensure_vocabulary()
        if isinstance(backend, store.EmbeddedStore) and backend.path is not None:
            bulk_import.recover(backend, self.minter)  # an import a dead process left half-written

    @classmethod
    def open(
        cls,
        location: str | Path | None = None,
        *,
        settings: Settings | None = None,
        update_url: str | None = None,
        graph_store_url: str | None = None,
    ) -> Catalog:
        """Open a store: in memory (``None`` or ``"memory"``), persistent in a directory, or on a
        SPARQL server (an ``http(s)://`` query URL; see ``docs/stores.md``).

        Args:
            location: ``"memory"``/None, a directory (created when missing), or a query URL.
            settings: deployment settings; :meth:`Settings.load` when None.
            update_url: a server's update endpoint, when it is not the query URL.
            graph_store_url: a server's Graph Store endpoint (bulk writes are staged through it).

        Raises:
            StoreInUseError: another process holds the directory.
            StoreError: the directory cannot be opened as a store.
            StoreUnavailableError: the server cannot be reached.
            ConfigurationError: the settings are invalid.
        """
        settings = settings or Settings.load()
        if endpoint.is_url(location):
            config = endpoint.RemoteConfig.from_environment(
                str(location), update_url=update_url, graph_store_url=graph_store_url, store=settings.store
            )
            return cls(endpoint.RemoteStore(config), settings)  # type: ignore[arg-type]
        if location is None or str(location) == MEMORY:
            return cls(store.EmbeddedStore(), settings)
        path = Path(location)
        path.mkdir(parents=True, exist_ok=True)
        return cls(store.EmbeddedStore(path), settings)

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Flush written data to disk and release the store; the object is unusable after."""
        self._store.close()

    # -- writing ---------------------------------------------------------------------------

    def load(
        self,
        *sources: str | Path,
        format: str | None = None,
        progress: Callable[[str], None] | None = None,
        restore: bool = False,
    ) -> WriteSummary:
        """Load RDF files (or ``"-"`` for standard input) in one all-or-nothing write.

        Entries are upserted by resource code: a known code gets a new version (the old one
        is kept), an unchanged description changes nothing. Organs, catalogs and other subjects
        are replaced by the description the files give. Named graphs (TriG, N-Quads, JSON-LD)
        are refused unless ``restore`` is given: they would be written as given, and the
        workflow trail, the published catalogs and the code lists and grade permits tables
        live in named graphs (a forged approval or permit would pass every later step).

        Args:
            sources: file paths, or "-" for standard input.
            format: a format name (see :data:`govdata_ld.store.FORMATS`); by extension when None.
            progress: called with each source's name once it is parsed.
            restore: write named graphs as given: an administrator restoring a dump
                (:meth:`dump`) from a trusted source.

        Raises:
            InputError: a file is missing, of unknown format or malformed (with file and line),
                or holds named graphs without ``restore`` (``input.named-graph-refused``); the
                store is unchanged.
        """
        parts = []
        for source in sources:
            name = str(source)
            fmt = store.format_for(name, format or ("turtle" if name == "-" else None))
            quads = store.parse(store.read_source(name), fmt, source=name)
            parts.append((name, graphs.partition(quads, self.minter, source=name)))
            if progress is not None:
                progress(name)
        for name, part in parts:
            if part.restored and not restore:
                shown = ", ".join(sorted(part.restored)[:3]) + (" ..." if len(part.restored) > 3 else "")
                raise InputError(
                    f"{len(part.restored)} named graph(s) ({shown}): only a restore of a trusted dump writes "
                    "named graphs (load --restore); catalogs are loaded as triples",
                    source=name, code="input.named-graph-refused",
                )
        return self._write(parts)

    def put(self, *records: Record) -> WriteSummary:
        """Write typed records (organs, systems, lead assignments, entries) in one write.

        Raises:
            InputError: two records describe the same entry.
        """
        quads = [(s, p, o, None) for record in records for s, p, o in to_triples(record, self.minter)]
        return self._write([("records", graphs.partition(quads, self.minter, source="records"))])

    def _write(self, parts: list[tuple[str, Partition]]) -> WriteSummary:
        merged = _merge(parts)
        with self._write_lock:
            touched = [self.minter.entry_graph(e) for e in merged.entries] + list(merged.restored)
            current: dict[URIRef, set[tuple[Node, Node, Node]]] = {}
            if touched:
                for g, s, p, o in self._store.select(graphs.current_query(touched), {}).rows:
                    current.setdefault(g, set()).add((s, p, o))  # type: ignore[arg-type]
            registry_now: set[tuple[Node, Node, Node]] = set()
            subjects = {s for s, _, _ in merged.registry}
            if subjects:
                query = graphs.registry_query(self.minter.registry_graph(), subjects)
                registry_now = {row[1:] for row in self._store.select(query, {}).rows}  # type: ignore[misc]
            planned, summary = graphs.plan(merged, current, registry_now, self.minter)
            if planned.only_inserts():  # as data, one transaction: no update text to build and parse
                self._store.insert((s, p, o, g) for g, s, p, o in planned.inserts)  # type: ignore[misc]
            elif text := planned.text():
                self._store.update(text)
        log.info(
            "wrote %d statements: %d entries added, %d revised, %d unchanged",
            summary.triples, len(summary.added), len(summary.revised), len(summary.unchanged),
        )
        return summary

    def _ensure_vocabulary(self) -> None:
        texts = resources.ontology_texts(self.settings.code_lists)
        digest = hashlib.sha256("\0".join(texts[n] for n in sorted(texts)).encode()).hexdigest()
        self.vocabulary_digest = f"sha256:{digest}"
        graph = self.minter.vocabulary_graph()
        marker = (graph, DCTERMS.identifier, Literal(self.vocabulary_digest))
        if self._store.query(
            "ASK { GRAPH ?g { ?g ?p ?o } }", {"g": graph, "p": marker[1], "o": marker[2]}
        ):
            return
        triples = [marker]
        for name, text in sorted(texts.items()):
            triples += [q[:3] for q in store.parse(text.encode(), "turtle", source=f"ontology/{name}.ttl")]
        self._store.update(graphs.replace_graph(graph, triples))

    # -- reading ---------------------------------------------------------------------------

    def query(
        self, text: str, params: Mapping[str, Any] | None = None, *, name: str | None = None
    ) -> SelectResult | Graph | bool:
        """Run a read-only SPARQL query; parameters must be declared in its ``#+ param:`` header.

        Args:
            text: the query (SELECT, CONSTRUCT, ASK or DESCRIBE).
            params: variable name -> value (an rdflib term, or text converted by the declared type).
            name: how to name the query in errors.

        Raises:
            QueryError: an update, SERVICE, a syntax error or a failure while running.
            ParameterError: an undeclared, missing or malformed parameter.
        """
        if not isinstance(text, str):
            raise ParameterError(f"the query must be text, not {type(text).__name__}", code="param.invalid", parameter="text")
        parsed = queries.parse(text, name or "query")
        return self._store.query(text, self._bind(parsed, dict(params or {})), name=parsed.name)

    def run(self, name: str, **params: Any) -> SelectResult | Graph | bool:
        """Run a named query from ``queries/`` with keyword parameters.

        Raises:
            ResourceNotFoundError: no query has that name (the message lists those that exist).
            ParameterError: a parameter is undeclared, missing or malformed.
        """
        named = queries.named(name)
        return self._store.query(named.text, self._bind(named, params), name=name)

    def select(
        self, name: str, *, restrict: Mapping[str, Collection[Node]] | None = None, **params: Any
    ) -> SelectResult:
        """Run a named SELECT query and return its rows (see :meth:`run`).

        Args:
            restrict: variable -> the terms it may take (a ``VALUES`` block at the start of the
                query's WHERE clause): a query over all entries run for a few of them. Over
                ``RESTRICT_CHUNK`` terms of a projected variable (the one with the most terms; the
                others stay whole), in a query without grouping, aggregates or a limit, it runs
                once per chunk of its terms (sorted), and the rows come chunk after chunk, each
                chunk in the query's order.

        >>> with Catalog.open("memory") as catalog:
        ...     catalog.select("organs").variables[:3]
        ('organ', 'uscc', 'name')
        """
        named = queries.named(name)
        restrict = dict(restrict or {})
        for variable, terms in restrict.items():
            if not re.search(rf"\?{re.escape(variable)}\b", named.text):
                raise ParameterError(f"cannot restrict ?{variable}: the query has no such variable", name=name,
                                     code="param.unknown", parameter=variable)
            if isinstance(terms, (str, bytes)) or not isinstance(terms, Collection) or not all(isinstance(t, Node) for t in terms):
                raise ParameterError(f"restrict ?{variable}: give a collection of RDF terms", name=name,
                                     code="param.invalid", parameter=variable)
        bindings = self._bind(named, params, restricted=list(restrict))
        chunked = _chunked(named, restrict)
        if chunked is None:
            return self._store.select(self._restricted(named.text, restrict), bindings, name=name)
        variable, chunks = chunked
        results = [self._store.select(self._restricted(named.text, {**restrict, variable: c}), bindings, name=name)
                   for c in chunks]
        return SelectResult(results[0].variables, tuple(row for r in results for row in r.rows))

    def _restricted(self, text: str, restrict: Mapping[str, Collection[Node]]) -> str:
        if isinstance(self._store, store.EmbeddedStore):  # see sparql_hints: pyoxigraph needs them
            return sparql_hints.with_hints(text, restrict, restrict=True)
        for variable, terms in restrict.items():  # one block first in WHERE (Virtuoso prices every extra block)
            text = sparql_values.restrict(text, variable, terms)
        return text

    def _bind(
        self, query: queries.NamedQuery, params: dict[str, Any], *, restricted: Collection[str] = ()
    ) -> dict[str, Node]:
        """Bind a query's parameters; a declared ``?registry``, ``?workflow`` or ``?vocabulary`` parameter left out
        is bound to this deployment's graph of that name (their IRIs come from the base IRI, so
        query files cannot write them)."""
        graphs = {
            "registry": self.minter.registry_graph(),
            "workflow": self.minter.workflow_graph(),
            "vocabulary": self.minter.vocabulary_graph(),
        }
        for name, graph in graphs.items():
            if name in query.parameters and name not in params:
                params = {**params, name: graph}
        return query.bind(params, restricted=restricted)

    def entry(self, code: str) -> Entry:
        """Read the current version of an entry back as a record.

        Raises:
            InputError: no entry has that code, or its description cannot be read as a record.
        """
        iri = self.minter.entry(code)
        description = self._graph(self.minter.entry_graph(iri))
        if not description:
            raise InputError(f"no entry has resource code {code!r}")
        return from_graph(description, iri, Entry, self.minter)  # type: ignore[no-any-return]

    def organ(self, uscc: str) -> Organ:
        """Read an organ back as a record.

        Raises:
            InputError: no organ has that code.
        """
        iri = self.minter.organ(uscc)
        registry = self._graph(self.minter.registry_graph())
        if (iri, None, None) not in registry:
            raise InputError(f"no organ has unified social credit code {uscc!r}")
        return from_graph(registry, iri, Organ, self.minter)  # type: ignore[no-any-return]

    def versions(self, code: str) -> list[int]:
        """The version numbers an entry has had, oldest first; empty for an unknown code."""
        result = self.select("entry_versions", entry=self.minter.entry(code))
        return sorted(int(str(v)) for v in result.column("version"))

    def stats(self) -> Stats:
        """Count organs, systems and entries, and entries by provider, category, attributes, grade."""
        totals_row = self.select("totals").dicts()[0]
        totals = {k: int(v.toPython()) for k, v in totals_row.items()}
        by = {}
        for label, predicate in STAT_DIMENSIONS.items():
            rows = self.select("count_entries_by", dimension=predicate).dicts()
            by[label] = tuple(
                StatRow(
                    r["value"],
                    _text(r.get("label_zh")),
                    _text(r.get("label_en")),
                    int(r["entries"].toPython()),
                )
                for r in rows
            )
        return Stats(totals, by)

    def validate(
        self,
        *,
        as_of: date | None = None,
        engine: str = "auto",
        changed: Iterable[str] | None = None,
        previous: ValidationReport | None = None,
    ) -> ValidationReport:
        """Validate the current entries, organs and catalogs against the shapes.

        Args:
            as_of: the date the update duty is judged on; today when None.
            engine: "auto", "sparql" (the fast path) or "pyshacl" (the reference).
            changed: resource codes of entries changed since ``previous``; only they and the
                entries their change can affect (entries whose related codes name them) are
                validated, and the result is merged into ``previous``.
            previous: the report of the last full (or merged) validation; needed with ``changed``.

        Raises:
            InputError: ``changed`` without ``previous``, or an unknown engine.
        """
        validator = _validator(self.settings, as_of or date.today(), engine)
        registry = self.minter.registry_graph()
        if changed is None:
            return validator.run(self._store.construct_scratch(graphs.content_query([registry], all_entries=True)))
        if previous is None:
            raise InputError("validating only changed entries needs the previous report", source="previous")
        affected, context = self._scope([self.minter.entry(code) for code in changed])
        scope = graphs.content_query([registry, *sorted(affected | context)])
        partial = validator.run(self._store.construct_scratch(scope))
        return merge_reports(previous, partial, affected)

    def validate_changed(self, *, as_of: date | None = None, engine: str = "auto") -> ValidationReport:
        """Validate what changed since the last run of this method, and merge with that run.

        The first run (or one on a memory store) validates everything. The state (entry
        versions and results) is kept in ``govdata-validation.json`` in the store directory.
        """
        day = as_of or date.today()
        versions = {str(e): str(v) for e, v in self.select("entry_graphs").rows}
        state_file = None if self._store.path is None else self._store.path / STATE_FILE
        state = json.loads(state_file.read_text("utf-8")) if state_file and state_file.is_file() else None
        if state is None or state.get("as_of") != str(day):
            report = self.validate(as_of=day, engine=engine)
        else:
            old = state["versions"]
            removed = {URIRef(e) for e in old if e not in versions}
            previous = report_from_state(state["results"], engine).without(removed)
            codes = [self.minter.code_of_entry(e) or e for e, v in versions.items() if old.get(e) != v]
            report = self.validate(as_of=day, engine=engine, changed=codes, previous=previous) if codes else previous
        if state_file is not None:
            payload = {"as_of": str(day), "versions": versions, "results": report.to_state()}
            state_file.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        return report

    def _scope(self, entries: list[URIRef]) -> tuple[set[URIRef], set[URIRef]]:
        """What re-validating ``entries`` needs: the entries whose results a change to them can
        alter (themselves, and entries whose related codes name them; a code names one entry), and
        the entries they name, which the store must hold for the related-code rule to see them."""
        affected, context = set(entries), set()
        for entry in entries:
            description = self._graph(self.minter.entry_graph(entry))
            context |= set(description.objects(entry, DCTERMS.relation))  # type: ignore[arg-type]
        if entries:
            affected |= {row[1] for row in self.select("entries_relating_to", restrict={"target": entries}).rows}  # type: ignore[misc]
        return affected, context - affected

    def dump(self, format: str = "trig", *, vocabulary: bool = False) -> bytes:
        """Serialize the store's named graphs (the vocabulary graph only when asked).

        TriG, N-Quads and JSON-LD keep the graphs (and load back as they were); Turtle,
        N-Triples and RDF/XML merge them (and loading sorts the statements into graphs again).

        Raises:
            InputError: the format is unknown.
        """
        if format not in store.FORMATS:
            raise InputError(f"unknown format {format!r}; known: {', '.join(store.FORMATS)}")
        skip = None if vocabulary else self.minter.vocabulary_graph()
        statements = (q for q in self._store.quads() if q[3] != skip)
        return store.serialize(statements, format, PREFIXES)

    def push_open_catalog(
        self, target: str, *, update_url: str | None = None, graph_store_url: str | None = None
    ) -> int:
        """Copy the published open catalog (as ``open_catalog`` exports it: allow-listed fields
        only, Art. 12 para 3) to a separate public SPARQL store, which then holds nothing else.

        Returns:
            The number of statements pushed.

        Raises:
            StoreError: the target cannot be reached or written; it is left as it was.
        """
        open_iri = self.minter.city_catalog("open")
        exported = self.run("open_catalog", catalog=open_iri)
        return endpoint.push_graph(exported, open_iri, target, update_url=update_url, graph_store_url=graph_store_url)  # type: ignore[arg-type]

    def __len__(self) -> int:
        """Statements in the store, the vocabulary included."""
        return len(self._store)

    def _graph(self, name: URIRef) -> Graph:
        graph = Graph()
        for s, p, o, _ in self._store.quads(name):
            graph.add((s, p, o))
        return graph


def open_catalog(location: str | Path | None = None, *, settings: Settings | None = None) -> Catalog:
    """Open a :class:`Catalog` (same as :meth:`Catalog.open`)."""
    return Catalog.open(location, settings=settings)


_VALIDATORS: dict[tuple[object, ...], Validator] = {}


def _validator(settings: Settings, as_of: date, engine: str) -> Validator:
    """A validator for these settings, date and engine; shapes and code lists are parsed and
    compiled once per process (a Validator is read-only once built)."""
    key = (
        settings.base_iri, settings.resource_code_pattern, settings.open_attribute_scheme,
        tuple(sorted((k, str(v)) for k, v in settings.code_lists.items())), as_of, engine,
    )
    if key not in _VALIDATORS:
        _VALIDATORS[key] = Validator(settings, as_of=as_of, engine=engine)
    return _VALIDATORS[key]


RESTRICT_CHUNK = 200
"""Terms per query of a long ``restrict``: pyoxigraph's join with a VALUES block grew
quadratically (deriving 1,200 entries of a 20,000-entry city: 13 s in one query, 1.0 s in
chunks of 200; 240 entries: 0.18 s); a server's request-size limit is kept far off too."""
_UNCHUNKABLE = {"GROUP", "LIMIT", "OFFSET", "DISTINCT", "REDUCED", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}


def _chunked(
    query: queries.NamedQuery, restrict: Mapping[str, Collection[Node]]
) -> tuple[str, list[list[Node]]] | None:
    """The variable and chunks of terms to run ``query`` for, one query each, when its rows are
    the union of the chunks' rows (the variable with the most terms, projected, is chunked; the
    others stay whole: the restriction is a product, so its rows split by the chunked variable;
    no grouping, aggregate, DISTINCT or limit); else None."""
    if not restrict:
        return None
    variable, terms = max(restrict.items(), key=lambda item: len(item[1]))
    if len(terms) <= RESTRICT_CHUNK or query.form != "SELECT":
        return None
    toks = list(sparql_rewrite.tokens(query.text))
    words = [t.text.upper() for t in toks if t.kind == "word"]
    if _UNCHUNKABLE & set(words):
        return None
    projected = next((toks[:k] for k, t in enumerate(toks) if t.kind == "word" and t.text.upper() == "WHERE"), [])
    if f"?{variable}" not in {t.text for t in projected if t.kind == "var"}:
        return None
    ordered = sorted(terms, key=str)
    return variable, [ordered[k:k + RESTRICT_CHUNK] for k in range(0, len(ordered), RESTRICT_CHUNK)]


def _merge(parts: Iterable[tuple[str, Partition]]) -> Partition:
    merged = Partition()
    seen: dict[URIRef, str] = {}
    for source, part in parts:
        for entry, triples in part.entries.items():
            if entry in seen:
                raise InputError(f"entry {entry} is described twice (also in {seen[entry]})", source=source)
            seen[entry] = source
            merged.entries[entry] = triples
        merged.registry += part.registry
        for g, triples in part.restored.items():
            merged.restored.setdefault(g, []).extend(triples)
    return merged


def _text(term: Node | None) -> str | None:
    return None if term is None else str(term)

