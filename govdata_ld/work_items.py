"""Work items and workflow steps as statements of the workflow graph (Measures Art. 12).

A :class:`WorkItem` is one submitted version of one entry (or a request to withdraw it) with
its state and what it awaits; a step is a ``prov:Activity`` of a ``gd:WorkflowStep`` subclass.
This module reads items from query rows and writes the statements of states and activities;
:mod:`govdata_ld.workflow` decides which steps may be taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import PROV
from rdflib.term import Node

from .graphs import Quad4
from .namespaces import ADMS, GD
from .sparql_values import fill


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkItem:
    """One version of one entry on the Article 12 path.

    Attributes:
        item: the work item's IRI.
        entry: the entry.
        code: its resource code.
        version: the entry version submitted.
        organ: the organ that compiled and submitted it.
        status: its workflow-state concept.
        waiting_for: the organ whose step it awaits (None once published).
        step: the step class it awaits.
        since: when it began to wait.
        withdrawal: whether it asks to withdraw the published entry.
    """

    item: URIRef
    entry: URIRef
    code: str
    version: int
    organ: URIRef
    status: URIRef
    waiting_for: URIRef | None
    step: URIRef | None
    since: datetime | None
    withdrawal: bool


def item_from_row(row: Mapping[str, Node]) -> WorkItem:
    """A work item from a row of the ``work_items`` query."""
    since = row.get("since")
    return WorkItem(
        item=row["item"],  # type: ignore[arg-type]
        entry=row["entry"],  # type: ignore[arg-type]
        code=str(row["code"]),
        version=int(str(row["version"])),
        organ=row["organ"],  # type: ignore[arg-type]
        status=row["status"],  # type: ignore[arg-type]
        waiting_for=row.get("waiting_for"),  # type: ignore[arg-type]
        step=row.get("step"),  # type: ignore[arg-type]
        since=since.toPython() if since is not None else None,  # type: ignore[union-attr]
        withdrawal=bool(row.get("withdrawal") is not None and row["withdrawal"].toPython()),  # type: ignore[union-attr]
    )


def state_quads(graph: URIRef, item: URIRef, status: URIRef, awaits: URIRef | None, step: URIRef | None, when: Literal) -> list[Quad4]:
    """The statements of a state: the status and, unless nothing is awaited, whom and what it
    awaits since ``when``."""
    quads: list[Quad4] = [(graph, item, ADMS.status, status)]
    if awaits is not None and step is not None:
        quads += [(graph, item, GD.awaits, awaits), (graph, item, GD.awaitsStep, step), (graph, item, GD.waitingSince, when)]
    return quads


def current_state_quads(graph: URIRef, item: WorkItem) -> list[Quad4]:
    """The statements of an item's present state (to delete before writing the next)."""
    quads: list[Quad4] = [(graph, item.item, ADMS.status, item.status)]
    if item.waiting_for is not None:
        quads.append((graph, item.item, GD.awaits, item.waiting_for))
    if item.step is not None:
        quads.append((graph, item.item, GD.awaitsStep, item.step))
    if item.since is not None:
        quads.append((graph, item.item, GD.waitingSince, Literal(item.since, datatype=XSD.dateTime)))
    return quads


_MOVE = (
    "DELETE { GRAPH ?w { ?item <http://www.w3.org/ns/adms#status> ?seen ; "
    "<https://w3id.org/govdata-ld/ontology#awaits> ?seen_awaits ; "
    "<https://w3id.org/govdata-ld/ontology#awaitsStep> ?seen_step ; "
    "<https://w3id.org/govdata-ld/ontology#waitingSince> ?since } } "
    "INSERT { GRAPH ?w { ?item <http://www.w3.org/ns/adms#status> ?status ; "
    "<https://w3id.org/govdata-ld/ontology#awaits> ?awaits ; "
    "<https://w3id.org/govdata-ld/ontology#awaitsStep> ?next ; "
    "<https://w3id.org/govdata-ld/ontology#waitingSince> ?from . "
    "?activity <http://www.w3.org/ns/prov#used> ?item } } "
    "WHERE { {values} GRAPH ?w { ?item <http://www.w3.org/ns/adms#status> ?seen ; "
    "<https://w3id.org/govdata-ld/ontology#awaits> ?seen_awaits ; "
    "<https://w3id.org/govdata-ld/ontology#awaitsStep> ?seen_step ; "
    "<https://w3id.org/govdata-ld/ontology#waitingSince> ?since } }"
)
_MOVE_VARIABLES = ["w", "item", "seen", "seen_awaits", "seen_step", "status", "awaits", "next", "from", "activity"]


def move_update(
    graph: URIRef,
    when: Literal,
    items: Sequence[WorkItem],
    after: Mapping[URIRef, tuple[URIRef, URIRef | None, URIRef | None]],
    used_by: Mapping[URIRef, URIRef | None],
) -> str:
    """The update that moves waiting items to their next state, each only if it is still in the
    state it was read in (status, organ and step awaited): an item another step moved in between
    is left alone, so no item ever holds two states.

    Args:
        graph: the workflow graph.
        when: the time of the step (the new state's ``gd:waitingSince``).
        items: the items as read, each awaiting an organ's step.
        after: item -> its next status, and the organ and step it then awaits (None, None: nothing).
        used_by: item -> the activity recorded as using it (``prov:used``), written only with the move.
    """
    rows = []
    for item in items:
        status, awaits, step = after[item.item]
        rows.append((graph, item.item, item.status, item.waiting_for, item.step, status, awaits, step,
                     when if awaits is not None else None, used_by.get(item.item)))
    return fill(_MOVE, _MOVE_VARIABLES, rows)


def activity_quads(
    graph: URIRef,
    activity: URIRef,
    step: URIRef,
    actor: URIRef,
    when: Literal,
    sequence: int,
    used: Sequence[URIRef],
    *,
    decision: URIRef | None = None,
    reason: str | None = None,
) -> list[Quad4]:
    """The statements of one step: its class, actor, time, sequence, the items it used, and its
    decision and reason (a reason in Chinese is tagged ``@zh``, else ``@en``)."""
    quads: list[Quad4] = [
        (graph, activity, RDF.type, step),
        (graph, activity, PROV.wasAssociatedWith, actor),
        (graph, activity, PROV.startedAtTime, when),
        (graph, activity, PROV.endedAtTime, when),
        (graph, activity, GD.sequence, Literal(sequence)),
    ]
    quads += [(graph, activity, PROV.used, item) for item in used]
    if decision is not None:
        quads.append((graph, activity, GD.decision, decision))
    if reason:
        quads.append((graph, activity, GD.reason, Literal(reason, lang="zh" if _has_cjk(reason) else "en")))
    return quads


def time_literal(at: datetime | None) -> Literal:
    """The time of a step as ``xsd:dateTime`` in whole seconds; now when None, UTC when naive."""
    moment = (at or datetime.now(timezone.utc)).replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return Literal(moment, datatype=XSD.dateTime)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
