"""The Article 12 workflow: submit, audit, approve, report, review, summarise, ratify, publish.

State is RDF in the workflow graph (``docs/graphs.md``): one ``gd:WorkItem`` per submitted
version of an entry (or request to withdraw it), with its state, the organ and step it awaits and
since when; every step is a ``prov:Activity`` of a ``gd:WorkflowStep`` subclass with the acting
organ, time, sequence number, decision and reason, using the items it decided on. Who may take a
step follows from the organ tree (:mod:`govdata_ld.routes`). A step is checked in full before one
SPARQL update writes it, so a refused step raises :class:`~govdata_ld.errors.WorkflowError` and
changes nothing.

>>> from govdata_ld import Catalog
>>> with Catalog.open("memory") as catalog:
...     catalog.workflow.items()
[]
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from . import city_catalogs
from .errors import ParameterError, WorkflowError
from .graphs import Quad4, change
from .iris import CITY_CATALOG_KINDS
from .namespaces import DCAT3, GD
from .routes import (
    DECIDING,
    PROVISIONS,
    RETURNED,
    STATE_AFTER,
    STEP_NAMES,
    WITHDRAWN,
    OrganInfo,
    OrganTree,
    Route,
)
from .sparql_values import fill
from .validation import (
    ValidationReport,
    assemble,
    entry_of,
    problem_text,
    violations_by_entry,
)
from .work_items import (
    WorkItem,
    activity_quads,
    current_state_quads,
    item_from_row,
    move_update,
    state_quads,
    time_literal,
)

if TYPE_CHECKING:
    from .catalog import Catalog

log = logging.getLogger(__name__)

ACCEPTED = URIRef("https://w3id.org/govdata-ld/code/workflow-decision/accepted")
RETURNED_DECISION = URIRef("https://w3id.org/govdata-ld/code/workflow-decision/returned")
DONE = frozenset({RETURNED, STATE_AFTER[GD.Publication], WITHDRAWN})
"""States in which an item waits for nobody but its own organ (or nobody at all)."""

# Art. 10: a basic or thematic resource is compiled by its lead with the organs that build it;
# the work item records them as they stood in the submitted version.
_CONTRIBUTORS = (
    "INSERT { GRAPH ?w { ?item <http://purl.org/dc/terms/contributor> ?c } } "
    "WHERE { {values} GRAPH ?e { ?e <http://purl.org/dc/terms/contributor> ?c } }"
)
_USED = "SELECT (COUNT(?item) AS ?n) WHERE { {values} GRAPH ?w { ?a <http://www.w3.org/ns/prov#used> ?item } }"
_LAST_SEQUENCE = (
    "PREFIX gd: <https://w3id.org/govdata-ld/ontology#>\n"
    "SELECT (MAX(?n) AS ?last) WHERE { GRAPH ?g { ?a gd:sequence ?n } }"
)


_Step = TypeVar("_Step", bound=Callable[..., "StepResult"])


def _serialised(method: _Step) -> _Step:
    """Take a step under the catalog's lock, from reading the state to writing the next one:
    steps of one process on one store never interleave (one process per store directory)."""

    @functools.wraps(method)
    def locked(self: Workflow, *args: Any, **kwargs: Any) -> StepResult:
        with self._catalog._write_lock:  # noqa: SLF001 - the catalog's own (re-entrant) lock
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    """What a step did.

    Attributes:
        step: the verb ("submit", "audit", ...).
        actor: the credit code of the acting organ.
        accepted: resource codes moved on (submitted, accepted, reported, summarised, published).
        returned: (resource code, reason) of the entries returned to their organ.
        activities: the IRIs of the activities written.
        skipped: resource codes the step left alone, with why (a submission skips what is already
            on its way or published).
        changes: for a publication, per city catalog, what was added, changed and withdrawn.
    """

    step: str
    actor: str
    accepted: tuple[str, ...] = ()
    returned: tuple[tuple[str, str], ...] = ()
    activities: tuple[URIRef, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    changes: Mapping[str, city_catalogs.Changes] | None = None


class Workflow:
    """The Article 12 steps on one catalog store (``catalog.workflow``).

    Every method names the acting organ by credit code; only the organ the Measures name for a
    step may take it. Times default to now (UTC); pass ``at`` for a recorded time.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # -- reading -----------------------------------------------------------------------------

    def tree(self) -> OrganTree:
        """The organ tree of the registry, with the route of each organ.

        Raises:
            WorkflowError: the registry lacks the municipal government or big-data department.
        """
        rows = self._catalog.select("organs").dicts()
        organs = [
            OrganInfo(
                iri=r["organ"],  # type: ignore[arg-type]
                uscc=str(r["uscc"]),
                name=str(r["name"]),
                kind=r["kind"],  # type: ignore[arg-type]
                level=r["level"],  # type: ignore[arg-type]
                division=r.get("division"),  # type: ignore[arg-type]
                parent=r.get("parent"),  # type: ignore[arg-type]
            )
            for r in rows
        ]
        return OrganTree(organs, self._catalog.settings)

    def items(
        self, *, organ: str | None = None, entry: str | None = None, awaits: str | None = None,
        step: URIRef | None = None,
    ) -> list[WorkItem]:
        """Work items, by resource code and version; each argument narrows the list.

        Args:
            organ: credit code of the compiling organ.
            entry: resource code of the entry.
            awaits: credit code of the organ whose step they await.
            step: the step they await (a ``gd:WorkflowStep`` subclass; with ``awaits`` only).
        """
        minter = self._catalog.minter
        params: dict[str, Node] = {}
        if organ is not None:
            params["organ"] = minter.organ(organ)
        if entry is not None:
            params["entry"] = minter.entry(entry)
        if awaits is not None:  # through the organ awaited: an index lookup, not a scan
            params["awaits"] = minter.organ(awaits)
            if step is not None:
                params["step"] = step
            rows = self._catalog.select("awaiting_items", **params).dicts()
        elif step is not None:
            raise ParameterError("step narrows the items awaiting an organ: give awaits too")
        else:
            rows = self._catalog.select("work_items", **params).dicts()
        return [item_from_row(r) for r in rows]

    def pending(self, organ: str) -> list[WorkItem]:
        """The items waiting for ``organ``'s step, oldest first."""
        items = self.items(awaits=organ)
        return sorted(items, key=lambda i: (i.since or datetime.min.replace(tzinfo=timezone.utc), i.code))

    # -- the steps ---------------------------------------------------------------------------

    @_serialised
    def submit(
        self,
        organ: str,
        *,
        codes: Iterable[str] | None = None,
        report: ValidationReport | None = None,
        withhold_invalid: bool = False,
        allow_empty: bool = False,
        at: datetime | None = None,
    ) -> StepResult:
        """Submit an organ's catalogs: every entry it provides whose current version is not yet
        on its way or published (or only ``codes``), to the organ its route names (Art. 12 para
        1-2). Returned entries are submitted again once corrected (or as they are).

        Args:
            organ: the submitting organ's credit code.
            codes: only these entries; each must be submittable.
            report: a validation report covering these entries (validated now when None).
            withhold_invalid: leave entries that fail validation out (listed in ``skipped``)
                instead of refusing the whole submission.
            allow_empty: return a result with nothing accepted, instead of refusing, when there
                is nothing (valid) to submit.
            at: the time of the step.

        Raises:
            WorkflowError: the organ is unknown or has no route; a named entry is not the organ's,
                or is already on its way; nothing to submit; an entry or the organ fails
                validation (a catalog that fails validation cannot be submitted, Art. 9 para 2).
        """
        verb = "submit"
        tree = self.tree()
        info = tree.organ(organ, step=verb)
        route = tree.route(info)
        current: dict[str, dict[str, Node]] = {}
        stated: dict[tuple[str, str], set[Node]] = {}  # (code, attribute) -> every value its draft states
        for r in self._catalog.select("organ_entries", organ=info.iri).dicts():
            current.setdefault(str(r["code"]), r)
            for key in ("share", "open", "grade"):
                if r.get(key) is not None:
                    stated.setdefault((str(r["code"]), key), set()).add(r[key])
        items_by_code: dict[str, list[WorkItem]] = {}
        for item in self.items(organ=organ):
            items_by_code.setdefault(item.code, []).append(item)
        wanted = list(current) if codes is None else list(dict.fromkeys(codes))
        problems, chosen, skipped = [], [], []
        for code in wanted:
            row = current.get(code)
            if row is None:
                problems.append(f"{code}: no current entry with this code is provided by {tree.name(info.iri)}")
                continue
            version = int(str(row["version"]))
            why = _not_submittable(items_by_code.get(code, []), version, tree)
            if why is None:
                chosen.append(code)
            elif codes is None:
                skipped.append((code, why))
            else:
                problems.append(f"{code}: {why}")
        if problems:
            raise WorkflowError("some entries cannot be submitted", step=verb, actor=organ,
                                provision=PROVISIONS[GD.Submission], problems=problems)
        if not chosen and allow_empty:
            return StepResult(step=verb, actor=organ, skipped=tuple(skipped))
        if not chosen:
            raise WorkflowError(f"{tree.name(info.iri)} has nothing to submit", step=verb, actor=organ,
                                provision=PROVISIONS[GD.Submission], problems=[f"{c}: {w}" for c, w in skipped])
        report = report or self._catalog.validate(changed=chosen, previous=assemble([], "sparql"))
        if withhold_invalid:
            invalid = violations_by_entry(report, [self._catalog.minter.entry(c) for c in chosen])
            failing = {self._catalog.minter.code_of_entry(e) or str(e): rs for e, rs in invalid.items()}
            skipped += [(c, "fails validation: " + "; ".join(problem_text(r) for r in rs)) for c, rs in failing.items()]
            chosen = [c for c in chosen if c not in failing]
        self._check_valid(info, chosen, report, verb)
        if not chosen and allow_empty:
            return StepResult(step=verb, actor=organ, skipped=tuple(skipped))
        if not chosen:
            raise WorkflowError(f"{tree.name(info.iri)} has nothing valid to submit", step=verb, actor=organ,
                                provision="Art. 9 para 2", problems=[f"{c}: {w}" for c, w in skipped])
        when = time_literal(at)
        next_leg = route.legs[1]
        minter = self._catalog.minter
        workflow = minter.workflow_graph()
        inserts: list[Quad4] = []
        deletes: list[Quad4] = []
        used = []
        for code in chosen:
            row = current[code]
            version = int(str(row["version"]))
            item = minter.work_item(code, version)
            old = next((i for i in items_by_code.get(code, []) if i.item == item), None)
            if old is not None:
                deletes += current_state_quads(workflow, old)
            else:
                inserts += [
                    (workflow, item, RDF.type, GD.WorkItem),
                    (workflow, item, PROV.specializationOf, row["entry"]),
                    (workflow, item, DCTERMS.identifier, Literal(code)),
                    (workflow, item, DCAT3.version, Literal(version)),
                    (workflow, item, PROV.wasAttributedTo, info.iri),
                ]
                # every value the draft states: two values stay two, and the publication withholds
                # the entry as ambiguous (Art. 9 para 2), instead of one kept at random
                for key, predicate in (("share", GD.shareAttribute), ("open", GD.openAttribute), ("grade", GD.grade)):
                    for value in sorted(stated.get((code, key), ()), key=str):
                        inserts.append((workflow, item, predicate, value))
            inserts += state_quads(workflow, item, STATE_AFTER[GD.Submission], next_leg.actor, next_leg.step, when)
            used.append(item)
        sequence = self._next_sequence()
        activity = minter.activity(sequence)
        inserts += activity_quads(workflow, activity, GD.Submission, info.iri, when, sequence, used)
        inserts.append((workflow, activity, GD.addressedTo, next_leg.actor))
        contributors = fill(_CONTRIBUTORS, ["w", "item", "e"], [(workflow, minter.work_item(c, int(str(current[c]["version"]))), current[c]["entry"]) for c in chosen])
        self._write(deletes, inserts, contributors)
        log.info("%s submitted %d entries to %s", organ, len(chosen), tree.name(next_leg.actor))
        return StepResult(step=verb, actor=organ, accepted=tuple(chosen), activities=(activity,), skipped=tuple(skipped))

    @_serialised
    def withdraw(
        self, organ: str, codes: Iterable[str], *, reason: str, at: datetime | None = None
    ) -> StepResult:
        """Ask to withdraw (撤销) published entries; the request follows the organ's route like a
        submission, and the publication after its ratification removes the entries (Art. 12).

        Raises:
            WorkflowError: no reason; an entry is not published, not the organ's, or a
                withdrawal of it is already on its way.
        """
        verb = "withdraw"
        if not reason.strip():
            raise WorkflowError("a withdrawal needs a reason", step=verb, actor=organ, provision=PROVISIONS[GD.Withdrawal])
        tree = self.tree()
        info = tree.organ(organ, step=verb)
        route = tree.route(info)
        minter = self._catalog.minter
        wanted = {code: minter.entry(code) for code in codes}
        published = city_catalogs.published_versions(self._catalog, minter.city_catalog("general"), wanted.values())
        items_by_entry: dict[URIRef, list[WorkItem]] = {}
        if wanted:
            for row in self._catalog.select("work_items", restrict={"entry": wanted.values()}).dicts():
                item = item_from_row(row)
                items_by_entry.setdefault(item.entry, []).append(item)
        problems, chosen = [], []
        for code, entry in wanted.items():
            items = items_by_entry.get(entry, [])
            if entry not in published:
                problems.append(f"{code}: not in the published general catalog")
            elif not any(i.organ == info.iri for i in items):
                problems.append(f"{code}: compiled by another organ")
            elif any(i.withdrawal and i.status not in DONE for i in items):
                problems.append(f"{code}: a withdrawal is already on its way")
            else:
                old = [i for i in items if i.withdrawal and i.version == published[entry]]
                chosen.append((code, entry, published[entry], old[0] if old else None))
        if problems:
            raise WorkflowError("some entries cannot be withdrawn", step=verb, actor=organ,
                                provision=PROVISIONS[GD.Withdrawal], problems=problems)
        when = time_literal(at)
        workflow = minter.workflow_graph()
        next_leg = route.legs[1]
        inserts: list[Quad4] = []
        deletes: list[Quad4] = []
        used = []
        for code, entry, version, returned in chosen:
            item = minter.work_item(code, version, withdrawal=True)
            if returned is not None:  # asked again after a return: its old state goes
                deletes += current_state_quads(workflow, returned)
            inserts += [
                (workflow, item, RDF.type, GD.WorkItem),
                (workflow, item, PROV.specializationOf, entry),
                (workflow, item, DCTERMS.identifier, Literal(code)),
                (workflow, item, DCAT3.version, Literal(version)),
                (workflow, item, PROV.wasAttributedTo, info.iri),
                (workflow, item, GD.withdrawal, Literal(True)),
            ]
            inserts += state_quads(workflow, item, STATE_AFTER[GD.Submission], next_leg.actor, next_leg.step, when)
            used.append(item)
        sequence = self._next_sequence()
        activity = minter.activity(sequence)
        inserts += activity_quads(workflow, activity, GD.Withdrawal, info.iri, when, sequence, used, reason=reason)
        inserts.append((workflow, activity, GD.addressedTo, next_leg.actor))
        self._write(deletes, inserts)
        return StepResult(step=verb, actor=organ, accepted=tuple(c[0] for c in chosen), activities=(activity,))

    def audit(self, actor: str, *, organ: str | None = None, codes: Iterable[str] | None = None,
              returns: Mapping[str, str] | None = None, reason: str | None = None,
              at: datetime | None = None) -> StepResult:
        """A district big-data department audits and summarises what its district's organs
        submitted: accepts every awaiting entry (or ``codes``) except ``returns`` (code -> reason)
        (Art. 5 item 3, Art. 12 para 1)."""
        return self._advance(GD.Audit, actor, organ=organ, codes=codes, returns=returns, reason=reason, at=at)

    def approve(self, actor: str, *, organ: str | None = None, codes: Iterable[str] | None = None,
                returns: Mapping[str, str] | None = None, reason: str | None = None,
                at: datetime | None = None) -> StepResult:
        """A district people's government approves its big-data department's summary (Art. 12
        para 1); ``returns`` sends entries back to their organ."""
        return self._advance(GD.Approval, actor, organ=organ, codes=codes, returns=returns, reason=reason, at=at)

    def report(self, actor: str, *, organ: str | None = None, codes: Iterable[str] | None = None,
               at: datetime | None = None) -> StepResult:
        """A district big-data department reports the approved district summary to the municipal
        big-data department (Art. 12 para 1)."""
        return self._advance(GD.Reporting, actor, organ=organ, codes=codes, at=at)

    def review(self, actor: str, *, organ: str | None = None, codes: Iterable[str] | None = None,
               returns: Mapping[str, str] | None = None, reason: str | None = None,
               at: datetime | None = None) -> StepResult:
        """The municipal big-data department reviews municipal organs' catalogs and reported
        district summaries (Art. 4 item 4, Art. 12 para 1-2)."""
        return self._advance(GD.Review, actor, organ=organ, codes=codes, returns=returns, reason=reason, at=at)

    def summarise(self, actor: str, *, at: datetime | None = None) -> StepResult:
        """The municipal big-data department summarises everything reviewed into the city's
        general, sharing and open catalogs and reports them for ratification (Art. 12 para 3)."""
        return self._advance(GD.Summarisation, actor, at=at)

    def ratify(self, actor: str, *, returns: Mapping[str, str] | None = None, reason: str | None = None,
               returned: str | None = None, at: datetime | None = None) -> StepResult:
        """The municipal people's government ratifies (审定) the summarised city catalogs (Art. 12
        para 3). ``returned`` (a reason) sends the whole summary back to summarisation; ``returns``
        only some entries. Not SHACL validation: a decision of government."""
        return self._advance(GD.Ratification, actor, returns=returns, return_all=returned, reason=reason, at=at)

    def publish(self, actor: str, *, rederive: bool = False, at: datetime | None = None) -> StepResult:
        """The municipal big-data department publishes the ratified catalogs: the general and
        sharing catalogs on the sharing platform, the open catalog on the open platform, as named
        graphs brought up to date by difference, each publication recording what it added,
        changed and withdrew (Art. 12 para 3). Write files with :meth:`Catalog.export_city`.

        Only the entries being published are re-derived (every entry when the code lists or the
        open-attribute scheme changed since the last publication); ``rederive`` re-derives every
        entry, to repair the catalogs after the store was changed outside the workflow."""
        return self._advance(GD.Publication, actor, rederive=rederive, at=at)

    # -- the common path of every deciding or forwarding step ------------------------------------

    @_serialised
    def _advance(
        self,
        step: URIRef,
        actor: str,
        *,
        organ: str | None = None,
        codes: Iterable[str] | None = None,
        returns: Mapping[str, str] | None = None,
        return_all: str | None = None,
        reason: str | None = None,
        rederive: bool = False,
        at: datetime | None = None,
    ) -> StepResult:
        verb = STEP_NAMES[step]
        provision = PROVISIONS[step]
        tree = self.tree()
        who = tree.organ(actor, step=verb)
        if not tree.may_ever_take(who, step):
            raise WorkflowError(
                f"{tree.name(who.iri)} may not {verb}: only {tree.actor_kind(step)} may",
                step=verb, actor=actor, provision=provision,
            )
        waiting = self.items(awaits=actor, step=step)
        returns = dict(returns or {})
        if return_all is not None:
            returns = {i.code: return_all for i in waiting}
        if returns and step not in DECIDING:
            raise WorkflowError(f"a {verb} step does not decide; nothing can be returned", step=verb, actor=actor, provision=provision)
        empty = [c for c, r in returns.items() if not r or not r.strip()]
        if empty:
            raise WorkflowError("a return needs a reason", step=verb, actor=actor, provision="Art. 12",
                                problems=[f"{c}: no reason" for c in empty])
        if organ is not None:
            compiler = tree.organ(organ, step=verb)
            waiting = [i for i in waiting if i.organ == compiler.iri]
        named = None if codes is None else list(dict.fromkeys(codes))
        problems = []
        for code in [*(named or []), *returns]:
            if not any(i.code == code for i in waiting):
                problems.append(f"{code}: {self._where(code, tree)}")
        if problems:
            raise WorkflowError(f"some entries do not await {verb} by {tree.name(who.iri)}", step=verb,
                                actor=actor, provision=provision, problems=sorted(set(problems)))
        if named is not None:
            waiting = [i for i in waiting if i.code in named or i.code in returns]
        if not waiting:
            raise WorkflowError(f"nothing awaits {verb} by {tree.name(who.iri)}", step=verb, actor=actor, provision=provision)
        when = time_literal(at)
        minter = self._catalog.minter
        workflow = minter.workflow_graph()
        routes: dict[URIRef, Route] = {}
        groups: dict[tuple[URIRef | None, str | None], list[WorkItem]] = {}
        after: dict[URIRef, tuple[URIRef, URIRef | None, URIRef | None]] = {}  # item -> status, awaits, step
        for item in waiting:
            if item.organ not in routes:
                routes[item.organ] = tree.route(tree.organs[item.organ])
            if item.code in returns:
                groups.setdefault((RETURNED_DECISION, returns[item.code]), []).append(item)
                if step == GD.Ratification:  # the summary goes back to summarisation
                    after[item.item] = (STATE_AFTER[GD.Review], tree.municipal_bda, GD.Summarisation)
                else:
                    after[item.item] = (RETURNED, item.organ, GD.Compilation)
                continue
            decision = ACCEPTED if step in DECIDING else None
            groups.setdefault((decision, reason if decision else None), []).append(item)
            following = routes[item.organ].after(step)
            if following is None:  # published; a published withdrawal leaves the entry withdrawn
                after[item.item] = (WITHDRAWN if item.withdrawal else STATE_AFTER[step], None, None)
            else:
                after[item.item] = (STATE_AFTER[step], following.actor, following.step)
        sequence = self._next_sequence()
        activities = []
        inserts: list[Quad4] = []
        used_by: dict[URIRef, URIRef | None] = {}  # item -> the activity recorded as using it
        if step == GD.Publication:  # one publication per city catalog, each with its changes
            groups = {(None, kind): waiting for kind in CITY_CATALOG_KINDS}
        for (decision, why), members in groups.items():
            activity = minter.activity(sequence)
            publication = step == GD.Publication
            inserts += activity_quads(workflow, activity, step, who.iri, when, sequence,
                                      [i.item for i in members] if publication else [],
                                      decision=decision, reason=None if publication else why)
            used_by.update((i.item, None if publication else activity) for i in members)
            if step == GD.Reporting:
                inserts.append((workflow, activity, GD.addressedTo, tree.municipal_bda))
            activities.append(activity)
            sequence += 1
        moves = move_update(workflow, when, waiting, after, used_by)
        changes = None
        operations = [moves, change([], inserts)]
        if step == GD.Publication:
            changes, records, graph_update = city_catalogs.plan_publication(
                self._catalog, when, dict(zip(CITY_CATALOG_KINDS, activities, strict=True)),
                entries=None if rederive else {i.entry for i in waiting},
            )
            operations = [moves, change([], inserts + records), graph_update]
        self._catalog._store.update(" ;\n".join(operations))  # noqa: SLF001 - under the step's lock
        if step != GD.Publication:
            self._check_moved(activities, len(waiting), verb, actor, provision)
        returned = tuple(sorted((i.code, returns[i.code]) for i in waiting if i.code in returns))
        accepted = tuple(sorted(i.code for i in waiting if i.code not in returns))
        log.info("%s by %s: %d accepted, %d returned", verb, actor, len(accepted), len(returned))
        return StepResult(step=verb, actor=actor, accepted=accepted, returned=returned,
                          activities=tuple(activities), changes=changes)

    # -- helpers -------------------------------------------------------------------------------

    def _where(self, code: str, tree: OrganTree) -> str:
        """Where an entry's active item is, for refusals."""
        active = [i for i in self.items(entry=code) if i.status not in DONE]
        if not active:
            return "nothing of this entry is on its way"
        item = active[-1]
        return (
            f"awaits {STEP_NAMES.get(item.step, str(item.step))} by {tree.name(item.waiting_for)}"
            if item.step is not None else "nothing of this entry is on its way"
        )

    def _check_valid(self, organ: OrganInfo, codes: Sequence[str], report: ValidationReport, verb: str) -> None:
        entries = {self._catalog.minter.entry(c) for c in codes}
        bad = [r for r in report.violations if r.focus == organ.iri or entry_of(r, entries) is not None]
        if bad:
            raise WorkflowError(
                f"the catalog of {organ.name} ({organ.uscc}) fails validation and cannot be submitted",
                step=verb, actor=organ.uscc, provision="Art. 9 para 2",
                problems=[f"{r.label or r.focus}: {problem_text(r)}" for r in bad],
            )

    def _next_sequence(self) -> int:
        rows = self._catalog._store.select(_LAST_SEQUENCE, {}).rows  # noqa: SLF001
        last = rows[0][0] if rows else None
        return int(last.toPython()) + 1 if last is not None else 1

    def _write(self, deletes: list[Quad4], inserts: list[Quad4], *more: str) -> None:
        self._catalog._store.update(" ;\n".join([change(deletes, inserts), *more]))  # noqa: SLF001

    def _check_moved(self, activities: list[URIRef], expected: int, verb: str, actor: str, provision: str) -> None:
        """Read back how many items the step's activities moved: each move was guarded by the
        state the step read, so an item another process moved in between was left alone (never
        two states), and the step says so instead of claiming it."""
        rows = self._catalog._store.select(  # noqa: SLF001
            fill(_USED, ["w", "a"], [(self._catalog.minter.workflow_graph(), a) for a in activities]), {}
        ).rows
        moved = int(rows[0][0].toPython()) if rows else 0  # type: ignore[union-attr]
        if moved != expected:
            raise WorkflowError(
                f"{expected - moved} of {expected} entries were moved by a concurrent step before this "
                f"{verb} was written; the trail records what this {verb} did", step=verb, actor=actor,
                provision=provision,
            )


def _not_submittable(items: list[WorkItem], version: int, tree: OrganTree) -> str | None:
    """Why the current version of an entry cannot be submitted now, or None when it can."""
    for item in items:
        if item.withdrawal and item.status not in DONE:
            return "a withdrawal of it is on its way"
        if item.status not in DONE and item.status != RETURNED:
            if item.version == version:
                return f"already on its way: awaits {STEP_NAMES.get(item.step, '?')} by {tree.name(item.waiting_for)}"
            return (f"version {item.version} is still on its way (awaits {STEP_NAMES.get(item.step, '?')} "
                    f"by {tree.name(item.waiting_for)}); wait for its decision")
    same = [i for i in items if i.version == version and not i.withdrawal]
    if same and same[0].status != RETURNED:
        return "this version is already published"
    return None
