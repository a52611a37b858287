"""The Article 12 route of each organ's catalogs: who submits to whom, who takes which step.

The organ tree in the registry decides everything; there is no permission table to drift.

* District route (Art. 12 para 1): a township government, a district working department or
  dispatched agency submits to its district's big-data department, which audits and summarises
  (Art. 5 item 3); the district people's government approves; the district big-data department
  reports to the municipal big-data department, which reviews (Art. 4 item 4).
* Municipal route (Art. 12 para 2): a municipal working department or dispatched agency submits
  to the municipal big-data department, which reviews and summarises.
* Both then go through the city steps (Art. 12 para 3): the municipal big-data department
  summarises, the municipal people's government ratifies (审定, the Measures' "validation"), the
  municipal big-data department publishes.

Gaps of the Measures (a big-data department's or a people's government's own catalogs,
development-zone committees) follow :class:`~govdata_ld.settings.Settings`; the choice is
recorded in ``docs/decisions/20261126-workflow.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import URIRef

from .codes import AdminLevel, OrganKind
from .errors import WorkflowError
from .namespaces import GD
from .settings import Settings

STATES = "https://w3id.org/govdata-ld/code/workflow-state/"
PROVISIONS = {
    GD.Submission: "Art. 12 para 1-2",
    GD.Audit: "Art. 5 item 3, Art. 12 para 1",
    GD.Approval: "Art. 12 para 1",
    GD.Reporting: "Art. 12 para 1",
    GD.Review: "Art. 4 item 4, Art. 12 para 2",
    GD.Summarisation: "Art. 12 para 3",
    GD.Ratification: "Art. 12 para 3",
    GD.Publication: "Art. 12 para 3",
    GD.Withdrawal: "Art. 12",
}
"""The clause each step rests on, quoted in refusals."""

STEP_NAMES = {
    GD.Compilation: "compile",
    GD.Submission: "submit",
    GD.Audit: "audit",
    GD.Approval: "approve",
    GD.Reporting: "report",
    GD.Review: "review",
    GD.Summarisation: "summarise",
    GD.Ratification: "ratify",
    GD.Publication: "publish",
    GD.Withdrawal: "withdraw",
}
"""The verb of each step, as the library's methods and the CLI's commands name it."""

STATE_AFTER = {
    GD.Submission: URIRef(STATES + "submitted"),
    GD.Audit: URIRef(STATES + "audited"),
    GD.Approval: URIRef(STATES + "approved"),
    GD.Reporting: URIRef(STATES + "reported"),
    GD.Review: URIRef(STATES + "reviewed"),
    GD.Summarisation: URIRef(STATES + "summarised"),
    GD.Ratification: URIRef(STATES + "ratified"),
    GD.Publication: URIRef(STATES + "published"),
}
"""The state a work item reaches when a step accepts it."""
RETURNED = URIRef(STATES + "returned")
WITHDRAWN = URIRef(STATES + "withdrawn")
DECIDING = frozenset({GD.Audit, GD.Approval, GD.Review, GD.Ratification})
"""Steps that decide (accept or return with reasons)."""

_ACTOR_KINDS = {
    GD.Audit: "the district big-data department of the organ's district",
    GD.Approval: "the district people's government of the organ's district",
    GD.Reporting: "the district big-data department of the organ's district",
    GD.Review: "the municipal big-data department",
    GD.Summarisation: "the municipal big-data department",
    GD.Ratification: "the municipal people's government",
    GD.Publication: "the municipal big-data department",
}


@dataclass(frozen=True)
class OrganInfo:
    """What the route of an organ depends on (read from the registry)."""

    iri: URIRef
    uscc: str
    name: str
    kind: URIRef
    level: URIRef
    division: URIRef | None
    parent: URIRef | None


@dataclass(frozen=True)
class Leg:
    """One step of a route: its class and the organ that takes it."""

    step: URIRef
    actor: URIRef


@dataclass(frozen=True)
class Route:
    """The steps an organ's catalog versions go through, in order, from submission to publication.

    Attributes:
        organ: the compiling organ.
        name: "district" or "municipal".
        legs: submission first (taken by the organ), publication last.
    """

    organ: URIRef
    name: str
    legs: tuple[Leg, ...]

    def after(self, step: URIRef) -> Leg | None:
        """The leg that follows ``step``; None after publication."""
        steps = [leg.step for leg in self.legs]
        index = steps.index(step) + 1
        return self.legs[index] if index < len(self.legs) else None

    def leg(self, step: URIRef) -> Leg | None:
        """The leg of ``step``, or None when the route has no such step."""
        return next((leg for leg in self.legs if leg.step == step), None)


class OrganTree:
    """The organs of a store and the route each one's catalogs take.

    Raises (from the constructor):
        WorkflowError: the tree lacks the municipal people's government or big-data department.
    """

    def __init__(self, organs: Iterable[OrganInfo], settings: Settings) -> None:
        self.organs = {o.iri: o for o in organs}
        self.by_code = {o.uscc: o for o in self.organs.values()}
        self.settings = settings
        self.municipal_government = self._single(OrganKind.PEOPLES_GOVERNMENT, AdminLevel.MUNICIPAL)
        self.municipal_bda = self._single(OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.MUNICIPAL)

    def organ(self, uscc: str, *, step: str) -> OrganInfo:
        """The organ with credit code ``uscc``.

        Raises:
            WorkflowError: no organ of the registry has that code.
        """
        try:
            return self.by_code[uscc]
        except KeyError:
            raise WorkflowError(f"no organ has credit code {uscc!r}", step=step, actor=uscc) from None

    def name(self, iri: URIRef | None) -> str:
        """An organ's zh name and code, for messages."""
        organ = self.organs.get(iri) if iri is not None else None
        return f"{organ.name} ({organ.uscc})" if organ else str(iri)

    def district_of(self, organ: OrganInfo) -> URIRef | None:
        """The GB/T 2260 division concept of the district an organ belongs to (None: municipal)."""
        if organ.level == AdminLevel.MUNICIPAL.iri:
            return None
        return organ.division

    def district_organ(self, division: URIRef | None, kind: OrganKind) -> URIRef | None:
        """The district-level organ of ``kind`` serving ``division``."""
        for o in self.organs.values():
            if o.kind == kind.iri and o.level == AdminLevel.COUNTY.iri and o.division == division:
                return o.iri
        return None

    def route(self, organ: OrganInfo) -> Route:
        """The route of an organ's catalogs.

        Raises:
            WorkflowError: the organ's district has no big-data department or government.
        """
        city = (
            Leg(GD.Summarisation, self.municipal_bda),
            Leg(GD.Ratification, self.municipal_government),
            Leg(GD.Publication, self.municipal_bda),
        )
        if self._route_name(organ) == "municipal":
            legs = (Leg(GD.Submission, organ.iri), Leg(GD.Review, self.municipal_bda))
            return Route(organ.iri, "municipal", legs + city)
        division = organ.division
        bda = self.district_organ(division, OrganKind.BIG_DATA_DEPARTMENT)
        government = self.district_organ(division, OrganKind.PEOPLES_GOVERNMENT)
        if bda is None or government is None:
            raise WorkflowError(
                f"{self.name(organ.iri)} lies in division {division}, which has no district "
                "big-data department or people's government in the registry",
                step="submit",
                actor=organ.uscc,
                provision=PROVISIONS[GD.Audit],
            )
        legs = (
            Leg(GD.Submission, organ.iri),
            Leg(GD.Audit, bda),
            Leg(GD.Approval, government),
            Leg(GD.Reporting, bda),
            Leg(GD.Review, self.municipal_bda),
        )
        return Route(organ.iri, "district", legs + city)

    def may_ever_take(self, organ: OrganInfo, step: URIRef) -> bool:
        """Whether an organ of this kind and level takes ``step`` on any route."""
        bda, gov = OrganKind.BIG_DATA_DEPARTMENT.iri, OrganKind.PEOPLES_GOVERNMENT.iri
        county, municipal = AdminLevel.COUNTY.iri, AdminLevel.MUNICIPAL.iri
        allowed = {
            GD.Audit: (bda, county),
            GD.Approval: (gov, county),
            GD.Reporting: (bda, county),
            GD.Review: (bda, municipal),
            GD.Summarisation: (bda, municipal),
            GD.Ratification: (gov, municipal),
            GD.Publication: (bda, municipal),
        }
        return step not in allowed or (organ.kind, organ.level) == allowed[step]

    @staticmethod
    def actor_kind(step: URIRef) -> str:
        """Who the Measures name for a step, in words."""
        return _ACTOR_KINDS.get(step, "the compiling organ")

    def sub_organs(self, organ: URIRef) -> set[URIRef]:
        """An organ and every organ below it in the tree."""
        children: dict[URIRef, list[URIRef]] = {}
        for o in self.organs.values():
            if o.parent is not None:
                children.setdefault(o.parent, []).append(o.iri)
        found, stack = set(), [organ]
        while stack:
            node = stack.pop()
            if node not in found:
                found.add(node)
                stack.extend(children.get(node, ()))
        return found

    def _route_name(self, organ: OrganInfo) -> str:
        if organ.kind == OrganKind.DEVELOPMENT_ZONE_COMMITTEE.iri:
            return self.settings.development_zone_route
        if organ.level == AdminLevel.MUNICIPAL.iri:
            return "municipal"
        core = {OrganKind.PEOPLES_GOVERNMENT.iri, OrganKind.BIG_DATA_DEPARTMENT.iri}
        if organ.level == AdminLevel.COUNTY.iri and organ.kind in core:
            return self.settings.district_core_route
        return "district"

    def _single(self, kind: OrganKind, level: AdminLevel) -> URIRef:
        found = [o.iri for o in self.organs.values() if o.kind == kind.iri and o.level == level.iri]
        if len(found) != 1:
            raise WorkflowError(
                f"the registry must hold exactly one organ of kind {kind.name.lower()} at level "
                f"{level.name.lower()}; found {len(found)}",
                step="workflow",
                provision="Art. 4, Art. 12 para 3",
            )
        return found[0]
