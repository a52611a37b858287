"""piveau's metadata-quality assessment (MQA) of one catalog entry, as data.europa.eu scores datasets.

piveau, the software behind data.europa.eu, gives every harvested dataset up to 405 points in five
dimensions (findability 100, accessibility 100, interoperability 110, reusability 75,
contextuality 20) and rates the total excellent, good, enough or bad. Its 2019 vocabulary of
``dqv:Metric``s with their points and its rating scheme are vendored, as published, in
``ontology/vendor/`` (source, commit and licence in ``ontology/vendor/README.md``) and read with
:func:`govdata_ld.resources.vendored`; upstream defects are handled here, not patched there.

Metrics this package cannot judge offline and exactly are *not measured* (:data:`NOT_MEASURED`):
URL status codes need the network, and the non-proprietary and machine-readable file types,
DCAT-AP compliance and known licences need lists or shapes this package does not ship. They score
nothing, are left out of the maximum and are never guessed. How each measured metric reads an
entry: ``docs/assessment.md``.

>>> mqa_maximum(), MQA_FULL_SCORE
(245, 405)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import cast

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from . import resources
from .namespaces import DQV

PV = Namespace("https://piveau.eu/ns/voc#")
"""piveau's metadata-quality vocabulary (vendored in ``ontology/vendor/``)."""
SCORING = Namespace("https://piveau.eu/ns/scoring#")
"""piveau's rating categories (vendored in ``ontology/vendor/``)."""

MQA_FULL_SCORE = 405
"""The most points piveau's MQA gives a dataset (100 + 100 + 110 + 75 + 20)."""
_VENDORED_VOCABULARY = ("piveau-dqv-vocabulary.ttl",)
_DIMENSION_TYPOS = {PV.reusablity: PV.reusability}
"""The upstream vocabulary files two reusability metrics under a misspelt dimension."""
DIMENSIONS = (PV.findability, PV.accessibility, PV.interoperability, PV.reusability, PV.contextuality)
"""piveau's five dimensions, in its order."""

NOT_MEASURED: dict[URIRef, str] = {
    PV.accessUrlStatusCode: "needs the network (an HTTP HEAD request to each access URL)",
    PV.downloadUrlStatusCode: "needs the network (an HTTP HEAD request to each download URL)",
    PV.formatMediaTypeNonProprietary: "needs the EU list of non-proprietary file types, not shipped",
    PV.formatMediaTypeMachineInterpretable: "needs the EU list of machine-readable file types, not shipped",
    PV.dcatApCompliance: "needs the DCAT-AP SHACL shapes, not vendored (our shapes check the Measures)",
    PV.knownLicence: "needs piveau's collection of known licences, not shipped",
}
"""MQA metrics this package does not measure, and why: they score nothing and are left out of the
maximum; never guessed."""

# What each measured MQA metric checks, in the facts of assessment_entries.rq and
# assessment_distributions.rq. Dataset-level checks read the entry; distribution-level checks
# read the entry's best distribution; licence, rights, size and dates count on the entry or on any
# distribution (our model states licence and dates on the entry; a distribution inherits them).
_ON_ENTRY = {
    PV.keywordAvailability: "keyword",
    PV.categoryAvailability: "theme",
    PV.spatialAvailability: "spatial",
    PV.temporalAvailability: "temporal",
    PV.accessRightsAvailability: "access_rights",
    PV.accessRightsVocabularyAlignment: "access_rights_aligned",
    PV.contactPointAvailability: "contact_point",
    PV.publisherAvailability: "publisher",
}
_ON_BEST_DISTRIBUTION = {
    PV.downloadUrlAvailability: ("download_url",),
    PV.formatAvailability: ("format",),
    PV.mediaTypeAvailability: ("media_type",),
    PV.formatMediaTypeVocabularyAlignment: ("format_aligned", "media_type_aligned"),  # both, as defined
}
_ON_ENTRY_OR_DISTRIBUTION = {
    PV.licenceAvailability: "license",
    PV.rightsAvailability: "rights",
    PV.byteSizeAvailability: "byte_size",
    PV.dateIssuedAvailability: "issued",
    PV.dateModifiedAvailability: "modified",
}


class MqaRating(Enum):
    """piveau's rating categories (``ontology/vendor/piveau-scoring-skos.rdf``); ``.value`` is the
    concept IRI. Applied to points scaled to piveau's 405: ``points × 405 / maximum``."""

    EXCELLENT = str(SCORING["excellent"])
    GOOD = str(SCORING["good"])
    ENOUGH = str(SCORING["enough"])
    BAD = str(SCORING["bad"])

    @property
    def iri(self) -> URIRef:
        """The category's SKOS concept."""
        return URIRef(self.value)

    @classmethod
    def of(cls, points: float, maximum: int) -> MqaRating:
        """The category of ``points`` out of ``maximum``: excellent above 350 (of 405), good above
        220, enough from 120, bad below 120.

        >>> MqaRating.of(405, 405).name, MqaRating.of(150, 245).name, MqaRating.of(-10, 245).name
        ('EXCELLENT', 'GOOD', 'BAD')
        """
        scaled = points * MQA_FULL_SCORE / maximum
        above = ((cls.EXCELLENT, scaled > 350), (cls.GOOD, scaled > 220), (cls.ENOUGH, scaled >= 120))
        return next((rating for rating, holds in above if holds), cls.BAD)


@dataclass(frozen=True, slots=True, kw_only=True)
class MqaMetric:
    """One scored metric of piveau's vocabulary, its dimension corrected where misspelt."""

    metric: URIRef
    dimension: URIRef
    true_score: int
    false_score: int

    @property
    def measured(self) -> bool:
        """False for the metrics in :data:`NOT_MEASURED`."""
        return self.metric not in NOT_MEASURED


@dataclass(frozen=True, slots=True, kw_only=True)
class MqaResult:
    """One MQA metric on one entry: its value (None: not measured) and the points it scores."""

    metric: URIRef
    dimension: URIRef
    value: bool | None
    points: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryScore:
    """The MQA points of one current entry: the sum of its results' points (one result per scored
    metric of the vocabulary, not-measured ones included), the most the measured metrics give, and
    piveau's category of the points scaled to 405."""

    entry: URIRef
    code: str
    provider: URIRef | None
    points: int
    maximum: int
    rating: MqaRating
    results: tuple[MqaResult, ...]

    def dimension_points(self, dimension: URIRef) -> int:
        """The points scored in one of piveau's dimensions."""
        return sum(r.points for r in self.results if r.dimension == dimension)


@cache
def mqa_metrics() -> tuple[MqaMetric, ...]:
    """The scored metrics of piveau's vendored vocabulary (``pv:score``, the total, has no points
    and is not one), with ``pv:reusablity`` read as ``pv:reusability``.

    >>> sum(m.true_score for m in mqa_metrics())
    405
    """
    graph = Graph().parse(data=resources.vendored(*_VENDORED_VOCABULARY), format="turtle")
    metrics = []
    for metric, score in graph.subject_objects(PV.trueScore):
        dimension = cast(URIRef, graph.value(metric, DQV.inDimension))
        penalty = cast(Literal, graph.value(metric, PV.falseScore, default=Literal(0)))
        metrics.append(MqaMetric(metric=cast(URIRef, metric), dimension=_DIMENSION_TYPOS.get(dimension, dimension),
                                 true_score=int(cast(Literal, score).toPython()), false_score=int(penalty.toPython())))
    return tuple(sorted(metrics, key=lambda m: (DIMENSIONS.index(m.dimension), str(m.metric))))


def mqa_maximum(dimension: URIRef | None = None) -> int:
    """The most points an entry can score on the measured metrics (of one dimension, or all).

    >>> mqa_maximum(PV.accessibility)
    20
    """
    return sum(m.true_score for m in mqa_metrics() if m.measured and dimension in (None, m.dimension))


def score_entry(entry: Mapping[str, Node], distributions: Sequence[Mapping[str, Node]]) -> EntryScore:
    """Score one entry on every metric of the vocabulary.

    Distribution metrics are read on the best distribution (the one scoring most on them; ties:
    the first by IRI). An entry with no distribution is not penalised for lacking a format.

    Args:
        entry: the entry's row of ``assessment_entries.rq`` (``entry``, ``code``, ``provider`` and
            one boolean literal per fact checked).
        distributions: the entry's rows of ``assessment_distributions.rq``.

    Returns:
        The entry's points, maximum, rating and one result per metric.

    >>> from rdflib import Literal, URIRef
    >>> score = score_entry({"entry": URIRef("urn:x:e"), "code": Literal("1"), "keyword": Literal(True)}, [])
    >>> score.points, score.maximum, score.rating.name
    (30, 245, 'BAD')
    """
    metrics = mqa_metrics()
    by_distribution = [m for m in metrics if m.metric in _ON_BEST_DISTRIBUTION]

    def holds(facts: Mapping[str, Node], names: Sequence[str]) -> bool:
        return all(_true(facts.get(n)) for n in names)

    def points(facts: Mapping[str, Node]) -> int:
        return sum(m.true_score if holds(facts, _ON_BEST_DISTRIBUTION[m.metric]) else m.false_score
                   for m in by_distribution)

    best = max(sorted(distributions, key=lambda d: str(d["distribution"])), key=points, default=None)
    results = []
    for m in metrics:
        value: bool | None
        if not m.measured:
            results.append(MqaResult(metric=m.metric, dimension=m.dimension, value=None, points=0))
            continue
        if m.metric in _ON_ENTRY:
            value = _true(entry.get(_ON_ENTRY[m.metric]))
        elif m.metric in _ON_ENTRY_OR_DISTRIBUTION:
            name = _ON_ENTRY_OR_DISTRIBUTION[m.metric]
            value = _true(entry.get(name)) or any(_true(d.get(name)) for d in distributions)
        else:
            value = best is not None and holds(best, _ON_BEST_DISTRIBUTION[m.metric])
        # piveau penalises a distribution lacking a format; an entry with no distribution at all
        # has nothing to penalise (the share with mounted data counts that).
        scored = m.true_score if value else (m.false_score if best is not None else 0)
        results.append(MqaResult(metric=m.metric, dimension=m.dimension, value=value, points=scored))
    total = sum(r.points for r in results)
    maximum = mqa_maximum()
    return EntryScore(
        entry=cast(URIRef, entry["entry"]), code=str(entry["code"]),
        provider=cast("URIRef | None", entry.get("provider")),
        points=total, maximum=maximum, rating=MqaRating.of(total, maximum), results=tuple(results),
    )


def _true(term: Node | None) -> bool:
    return isinstance(term, Literal) and term.toPython() is True
