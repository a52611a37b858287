"""The assessment of organs' work (Art. 4 item 5, Art. 5 item 4): exact figures on small catalogs,
undefined ratios, waiting times from a workflow run at known times, MQA points, the DQV graph."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
import venv
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV

from govdata_ld import (
    AdminLevel,
    Catalog,
    Category,
    DataItem,
    Distribution,
    DistributionKind,
    Entry,
    Format,
    Grade,
    ItemDataType,
    OpenAttribute,
    Organ,
    OrganKind,
    Period,
    Settings,
    ShareAttribute,
    UpdateCycle,
    complete_uscc,
    resources,
)
from govdata_ld.assessment import FIGURES, METRIC, Assessment, Scope, assess
from govdata_ld.mqa import MQA_FULL_SCORE, NOT_MEASURED, PV, MqaRating, mqa_maximum, mqa_metrics
from govdata_ld.namespaces import DQV, GD, GDM
from govdata_ld.validation import assemble

from .conftest import ROOT

AS_OF = date(2026, 11, 1)
OA = Namespace("http://www.w3.org/ns/oa#")

GOV = complete_uscc("11520100000393844")
BDA = complete_uscc("11520100005556622")
DEPT = complete_uscc("11520100000496114")
EMPTY = complete_uscc("11520100008058813")
DGOV = complete_uscc("11520113009609779")
DBDA = complete_uscc("11520113001272403")
DDEPT = complete_uscc("11520113002582198")
TOWN = complete_uscc("11520113007712345")

ORGANS = [
    Organ(GOV, "贵阳市人民政府", OrganKind.PEOPLES_GOVERNMENT, AdminLevel.MUNICIPAL, "520100"),
    Organ(BDA, "贵阳市大数据发展管理局", OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.MUNICIPAL, "520100", GOV),
    Organ(DEPT, "贵阳市发展和改革委员会", OrganKind.WORKING_DEPARTMENT, AdminLevel.MUNICIPAL, "520100", GOV),
    Organ(EMPTY, "贵阳市农业农村局", OrganKind.WORKING_DEPARTMENT, AdminLevel.MUNICIPAL, "520100", GOV),
    Organ(DGOV, "白云区人民政府", OrganKind.PEOPLES_GOVERNMENT, AdminLevel.COUNTY, "520113", GOV),
    Organ(DBDA, "白云区大数据发展管理局", OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.COUNTY, "520113", DGOV),
    Organ(DDEPT, "白云区应急管理局", OrganKind.WORKING_DEPARTMENT, AdminLevel.COUNTY, "520113", DGOV),
    Organ(TOWN, "白云区都拉布依族乡人民政府", OrganKind.PEOPLES_GOVERNMENT, AdminLevel.TOWNSHIP, "520113", DGOV),
]

CSV_FILE = Distribution(DistributionKind.FILE, "名单", Format.CSV, "https://data.example/a.csv", "https://data.example/a.csv")


def entry(code: str, provider: str, **changes: object) -> Entry:
    """A valid entry: every rule of the Measures met; update cycle annual, issued this year."""
    fields: dict[str, object] = dict(
        code=code, title_zh=f"测试资源{code}", summary_zh="测试摘要。", provider=provider, source_business="测试业务",
        category=Category.DEPARTMENTAL, grade=Grade.NON_SENSITIVE, share=ShareAttribute.UNCONDITIONAL,
        open=OpenAttribute.UNCONDITIONAL, update_cycle=UpdateCycle.ANNUAL, issued=date(2026, 1, 1),
        format=Format.SPREADSHEET, use_requirement="按约定用途使用", items=(DataItem("名称", ItemDataType.CHARACTER),),
    )
    fields.update(changes)
    return Entry(**fields)  # type: ignore[arg-type]


@pytest.fixture
def small() -> Iterator[Catalog]:
    """Municipal: DEPT with 3 entries (one violating a rule), EMPTY with none. District 520113: DDEPT
    with 2 entries, the township with 1."""
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.put(
            *ORGANS,
            entry("301001/000001", DEPT, distributions=(CSV_FILE,), modified=date(2026, 9, 30),
                  update_cycle=UpdateCycle.MONTHLY),
            entry("301001/000002", DEPT, distributions=(CSV_FILE,), share=ShareAttribute.CONDITIONAL,
                  share_condition="仅供履职使用", legal_basis="《测试法》第一条", open=OpenAttribute.CONDITIONAL,
                  open_condition="实名申请", modified=date(2026, 10, 1), update_cycle=UpdateCycle.MONTHLY),
            entry("301001/000003", DEPT, use_requirement=None, share=ShareAttribute.NOT_SHARED,
                  share_condition="涉及个人隐私", legal_basis="《测试法》第一条", open=OpenAttribute.NOT_OPEN),
            entry("302001/000001", DDEPT, distributions=(CSV_FILE,)),
            entry("302001/000002", DDEPT),
            entry("303001/000001", TOWN, open=OpenAttribute.CONDITIONAL, open_condition="实名申请"),
        )
        yield catalog


def test_a_three_entry_organ_with_one_violating_entry_has_two_thirds_passing(small: Catalog) -> None:
    row = assess(small, as_of=AS_OF).row(DEPT)
    assert (row.scope, row.entries, row.organs) == (Scope.ORGAN, 3, 1)
    assert row.passing_share == 2 / 3
    assert row.distribution_share == 2 / 3
    assert row.share_ratio == 2 / 3  # unconditional and conditional; not shared does not count
    assert row.open_ratio == 2 / 3  # unconditional and conditional; not open does not count
    assert row.overdue == 1  # monthly, modified 2026-09-30 < 2026-10-01; the one of 10-01 is in time


def test_overdue_figures_agree_with_the_validators_update_duty_warnings(small: Catalog) -> None:
    report = small.validate(as_of=AS_OF)
    warned = {r.label for r in report.warnings if r.shape.endswith("UpdateDutyRule")}
    assessment = assess(small, as_of=AS_OF, report=report)
    assert warned == {"301001/000001"}
    assert sum(r.overdue for r in assessment.rows if r.scope is Scope.ORGAN) == len(warned)


def test_ratios_of_an_organ_without_entries_are_none_never_zero_or_one(small: Catalog) -> None:
    row = assess(small, as_of=AS_OF).row(EMPTY)
    assert (row.entries, row.overdue) == (0, 0)
    ratios = (row.passing_share, row.distribution_share, row.share_ratio, row.open_ratio)
    assert ratios == (None, None, None, None)
    assert (row.mqa_points, row.mqa_rating, row.mqa_findability) == (None, None, None)
    assert row.mqa_maximum == mqa_maximum()
    assert all(getattr(row, key) is None for key in ("days_audit", "days_review", "days_correction"))


def test_a_district_row_covers_every_organ_of_its_division_townships_included(small: Catalog) -> None:
    assessment = assess(small, as_of=AS_OF)
    district = assessment.row("520113", Scope.DISTRICT)
    assert (district.organs, district.entries, district.name) == (4, 3, "白云区人民政府")
    assert district.subject == URIRef("https://w3id.org/govdata-ld/code/division/520113")
    assert district.distribution_share == 1 / 3
    assert district.open_ratio == 1.0  # unconditional, unconditional, conditional
    municipal = assessment.row("520100", Scope.MUNICIPAL)
    assert (municipal.organs, municipal.entries, municipal.passing_share) == (4, 3, 2 / 3)
    assert [(r.scope, r.code) for r in assessment.rows] == [
        (Scope.MUNICIPAL, "520100"), *((Scope.ORGAN, c) for c in sorted([GOV, BDA, DEPT, EMPTY])),
        (Scope.DISTRICT, "520113"), *((Scope.ORGAN, c) for c in sorted([DGOV, DBDA, DDEPT, TOWN])),
    ]


def test_a_given_report_is_used_instead_of_validating(small: Catalog) -> None:
    assessment = assess(small, as_of=AS_OF, report=assemble([], "sparql"))
    assert assessment.row(DEPT).passing_share == 1.0


def test_opening_on_application_counts_as_open() -> None:
    opened = [OpenAttribute.ON_APPLICATION, OpenAttribute.NOT_OPEN, OpenAttribute.NOT_OPEN, OpenAttribute.NOT_OPEN]
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.put(*ORGANS, *(entry(f"301001/00000{n}", DEPT, open=o) for n, o in enumerate(opened, 1)))
        row = assess(catalog, as_of=AS_OF, report=assemble([], "sparql")).row(DEPT)
    assert row.open_ratio == 1 / 4


# -- waiting times ------------------------------------------------------------------------------


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=timezone.utc)


@pytest.fixture
def submitted(small: Catalog) -> Catalog:
    """DDEPT submits its two entries on 10-01; the district audits on 10-03, returning 302001/000002;
    the district government approves the other at noon on 10-04."""
    workflow = small.workflow
    workflow.submit(DDEPT, at=at(1))
    workflow.audit(DBDA, returns={"302001/000002": "请补充信息项说明"}, at=at(3))
    workflow.approve(DGOV, at=at(4, 12))
    return small


def test_days_waiting_are_measured_from_step_to_step_and_open_waits_to_the_end_of_as_of(submitted: Catalog) -> None:
    row = assess(submitted, as_of=date(2026, 10, 9)).row(DDEPT)  # measured to 10-10 00:00 UTC
    assert row.days_audit == 2.0  # both items, 10-01 -> 10-03
    assert row.days_approval == 1.5  # 10-03 -> 10-04 12:00
    assert row.days_reporting == 5.5  # still waiting since 10-04 12:00
    assert row.days_correction == 7.0  # returned on 10-03, not resubmitted
    assert (row.days_review, row.days_summarisation, row.days_publication) == (None, None, None)
    district = assess(submitted, as_of=date(2026, 10, 9)).row("520113", Scope.DISTRICT)
    assert (district.days_audit, district.days_reporting) == (2.0, 5.5)
    assert assess(submitted, as_of=date(2026, 10, 9)).row(DEPT).days_audit is None


def test_steps_after_as_of_are_not_yet_taken(submitted: Catalog) -> None:
    row = assess(submitted, as_of=date(2026, 10, 1)).row(DDEPT)  # measured to 10-02 00:00
    assert row.days_audit == 1.0  # both items still wait for the audit of 10-03
    assert (row.days_approval, row.days_correction) == (None, None)


def test_a_resubmission_ends_the_wait_for_correction(submitted: Catalog) -> None:
    submitted.workflow.submit(DDEPT, codes=["302001/000002"], at=at(6))
    submitted.workflow.audit(DBDA, at=at(7))
    row = assess(submitted, as_of=date(2026, 10, 9)).row(DDEPT)
    assert row.days_correction == 3.0  # 10-03 -> 10-06
    assert row.days_audit == pytest.approx((2 + 2 + 1) / 3)  # the resubmitted item waited again
    assert row.days_approval == pytest.approx((1.5 + 3) / 2)  # the second waits since 10-07


def test_every_step_of_the_district_route_to_publication(small: Catalog) -> None:
    workflow = small.workflow
    workflow.submit(DDEPT, codes=["302001/000001"], at=at(1))
    workflow.audit(DBDA, at=at(3))
    workflow.approve(DGOV, at=at(4))
    workflow.report(DBDA, at=at(5))
    workflow.review(BDA, at=at(7))
    workflow.summarise(BDA, at=at(8))
    workflow.ratify(GOV, at=at(10))
    workflow.publish(BDA, at=at(11))  # three activities (one per city catalog) count as one step
    row = assess(small, as_of=date(2026, 10, 20)).row(DDEPT)
    days = [row.days_audit, row.days_approval, row.days_reporting, row.days_review,
            row.days_summarisation, row.days_ratification, row.days_publication]
    assert days == [2.0, 1.0, 1.0, 2.0, 1.0, 2.0, 1.0]
    assert row.days_correction is None


# -- MQA ----------------------------------------------------------------------------------------


def test_the_vendored_vocabulary_scores_405_in_the_published_dimension_maxima() -> None:
    metrics = mqa_metrics()
    assert sum(m.true_score for m in metrics) == MQA_FULL_SCORE == 405
    by_dimension = {d: sum(m.true_score for m in metrics if m.dimension == d) for d in {m.dimension for m in metrics}}
    assert by_dimension == {PV.findability: 100, PV.accessibility: 100, PV.interoperability: 110,
                            PV.reusability: 75, PV.contextuality: 20}  # pv:reusablity read as pv:reusability
    assert PV.score not in {m.metric for m in metrics}  # the total, not a metric with points
    assert {m.metric: m.false_score for m in metrics if m.false_score} == {
        PV.formatAvailability: -5, PV.mediaTypeAvailability: -5}


def test_every_scored_metric_is_either_evaluated_or_reported_not_measured() -> None:
    assert set(NOT_MEASURED) <= {m.metric for m in mqa_metrics()}
    assert {PV.accessUrlStatusCode, PV.downloadUrlStatusCode} <= set(NOT_MEASURED)  # the network
    assert mqa_maximum() == 405 - 50 - 30 - 20 - 20 - 30 - 10 == 245
    assert [mqa_maximum(d) for d in (PV.findability, PV.accessibility, PV.interoperability, PV.reusability,
                                      PV.contextuality)] == [100, 20, 40, 65, 20]


def test_points_of_one_entry_metric_by_metric() -> None:
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.put(*ORGANS, entry("301001/000001", DEPT, keywords=("测试",), spatial="520100",
                                   license="https://creativecommons.org/licenses/by/4.0/",
                                   distributions=(CSV_FILE,), modified=date(2026, 10, 30)))
        (score,) = assess(catalog, as_of=AS_OF).scores
    points = {r.metric: r.points for r in score.results}
    assert points[PV.keywordAvailability] == 30 and points[PV.spatialAvailability] == 20
    assert points[PV.categoryAvailability] == 0  # gd:category is not dcat:theme
    assert points[PV.temporalAvailability] == 0
    assert points[PV.downloadUrlAvailability] == 20
    assert (points[PV.formatAvailability], points[PV.mediaTypeAvailability]) == (20, -5)
    assert points[PV.formatMediaTypeVocabularyAlignment] == 0  # csv is an EU file type, but no media type
    assert [points[m] for m in (PV.licenceAvailability, PV.accessRightsAvailability,
                                PV.accessRightsVocabularyAlignment, PV.contactPointAvailability,
                                PV.publisherAvailability)] == [20, 10, 5, 0, 10]
    assert [points[m] for m in (PV.rightsAvailability, PV.byteSizeAvailability, PV.dateIssuedAvailability,
                                PV.dateModifiedAvailability)] == [0, 0, 5, 5]
    assert score.points == 50 + 20 + 15 + 45 + 10 == 140
    assert score.maximum == 245
    assert score.rating is MqaRating.GOOD  # 140 × 405 / 245 = 231.4
    not_measured = [r for r in score.results if r.metric in NOT_MEASURED]
    assert len(not_measured) == 6 and all(r.value is None and r.points == 0 for r in not_measured)


def test_an_entry_without_distributions_loses_no_points_for_a_missing_format() -> None:
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.put(*ORGANS, entry("301001/000001", DEPT, temporal=Period(date(2020, 1, 1))))
        (score,) = assess(catalog, as_of=AS_OF).scores
    results = {r.metric: r for r in score.results}
    assert results[PV.formatAvailability].value is False
    assert results[PV.formatAvailability].points == results[PV.mediaTypeAvailability].points == 0
    assert results[PV.temporalAvailability].points == 20
    assert score.dimension_points(PV.interoperability) == 0


def test_the_best_distribution_counts() -> None:
    bare = Distribution(DistributionKind.API, "接口", None, "https://data.example/api")
    ofd = Distribution(DistributionKind.FILE, "文件", Format.OFD, None, "https://data.example/a.ofd")
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.put(*ORGANS, entry("301001/000001", DEPT, distributions=(bare, ofd)))
        (score,) = assess(catalog, as_of=AS_OF).scores
    results = {r.metric: r for r in score.results}
    assert results[PV.formatAvailability].points == 20 and results[PV.downloadUrlAvailability].points == 20
    assert results[PV.formatMediaTypeVocabularyAlignment].value is False  # OFD has no EU file type


def test_organ_rows_average_the_points_of_their_entries(small: Catalog) -> None:
    assessment = assess(small, as_of=AS_OF)
    row = assessment.row(DEPT)
    mine = [s for s in assessment.scores if s.code.startswith("301001/")]
    assert row.mqa_points == sum(s.points for s in mine) / 3
    assert row.mqa_interoperability == sum(s.dimension_points(PV.interoperability) for s in mine) / 3
    assert row.mqa_rating is MqaRating.of(row.mqa_points, 245)


def test_ratings_follow_the_vendored_scoring_scheme() -> None:
    scheme = Graph().parse(ROOT / "ontology" / "vendor" / "piveau-scoring-skos.rdf", format="xml")
    assert {m.iri for m in MqaRating} == set(scheme.subjects(SKOS.inScheme, None))
    dc = Namespace("http://purl.org/dc/elements/1.1/")
    concepts = scheme.subjects(SKOS.inScheme, None)
    text = {str(c).rsplit("#", 1)[1]: str(scheme.value(c, dc.description)) for c in concepts}
    assert re.findall(r"\d+", text["excellent"]) == ["350"] and re.findall(r"\d+", text["bad"]) == ["120"]
    assert re.findall(r"\d+", text["good"]) == ["221", "350"] and re.findall(r"\d+", text["enough"]) == ["120", "220"]
    rating = [MqaRating.of(p, 405) for p in (351, 350, 221, 220, 120, 119)]
    assert rating == [MqaRating.EXCELLENT, MqaRating.GOOD, MqaRating.GOOD, MqaRating.ENOUGH, MqaRating.ENOUGH,
                      MqaRating.BAD]
    assert MqaRating.of(245, 245) is MqaRating.EXCELLENT  # scaled to 405


# -- outputs ------------------------------------------------------------------------------------


def test_the_dqv_graph_has_one_measurement_or_annotation_per_figure_and_row(small: Catalog) -> None:
    assessment = assess(small, as_of=AS_OF)
    graph = assessment.graph()
    (activity,) = graph.subjects(RDF.type, GD.WorkAssessment)
    assert activity == assessment.iri == URIRef("https://data.guiyang.example/assessment/2026-11-01")
    assert graph.value(activity, PROV.wasAssociatedWith) == URIRef(f"https://data.guiyang.example/organ/{BDA}")
    assert graph.value(activity, PROV.endedAtTime) == Literal(datetime(2026, 11, 2, tzinfo=timezone.utc))
    organs = {r.subject for r in assessment.rows if r.scope is Scope.ORGAN}
    assert set(graph.objects(activity, GD.assessedOrgan)) == organs
    measurements = set(graph.subjects(RDF.type, DQV.QualityMeasurement))
    defined = [(r, f) for r in assessment.rows for f in FIGURES if r.value(f) is not None]
    assert len(measurements) == len(defined)
    for row, figure in defined:
        (node,) = [m for m in graph.subjects(DQV.computedOn, row.subject)
                   if graph.value(m, DQV.isMeasurementOf) == figure.metric and m in measurements]
        value = graph.value(node, DQV.value)
        assert value.datatype == figure.datatype and value.toPython() == row.value(figure)
        assert graph.value(node, PROV.wasGeneratedBy) == activity
    passing = [m for m in measurements if graph.value(m, DQV.isMeasurementOf) == METRIC.passingShare
               and graph.value(m, DQV.computedOn) == assessment.row(DEPT).subject]
    assert [graph.value(m, DQV.value) for m in passing] == [Literal(2 / 3, datatype=XSD.double)]


def test_undefined_figures_and_unmeasured_metrics_are_annotations_not_values(small: Catalog) -> None:
    assessment = assess(small, as_of=AS_OF)
    graph = assessment.graph()
    annotations = set(graph.subjects(RDF.type, DQV.QualityAnnotation))
    undefined = [(r, f) for r in assessment.rows for f in FIGURES if r.value(f) is None]
    assert len(annotations) == len(undefined) + 6
    empty = assessment.row(EMPTY).subject
    about_empty = {graph.value(a, DCTERMS.subject) for a in annotations if graph.value(a, OA.hasTarget) == empty}
    assert METRIC.passingShare in about_empty and METRIC.entriesCompiled not in about_empty
    unmeasured = {graph.value(a, DCTERMS.subject) for a in annotations
                  if graph.value(a, OA.hasTarget) == assessment.iri}
    assert unmeasured == set(NOT_MEASURED)
    for annotation in annotations:
        assert graph.value(annotation, OA.motivatedBy) == DQV.qualityAssessment
        assert str(graph.value(annotation, OA.bodyValue)).startswith("not measured: ")
        assert (annotation, DQV.value, None) not in graph


def test_every_figure_is_a_metric_of_the_ontology_and_follows_its_conventions() -> None:
    ontology = resources.ontology()
    metrics = set(ontology.subjects(RDF.type, DQV.Metric))
    assert {f.metric for f in FIGURES} == {m for m in metrics if str(m).startswith(str(METRIC))}
    dimensions = set(ontology.subjects(RDF.type, DQV.Dimension))
    header = URIRef("https://w3id.org/govdata-ld/ontology/assessment_metrics")
    assert (header, RDF.type, OWL.Ontology) in ontology
    for term in {f.metric for f in FIGURES} | dimensions:
        languages = {label.language for label in ontology.objects(term, RDFS.label)}
        definitions = {d.language for d in ontology.objects(term, SKOS.definition)}
        assert {"zh", "en"} <= languages and {"zh", "en"} <= definitions, term
        assert ontology.value(term, RDFS.isDefinedBy) == header, term
        provisions = set(ontology.objects(term, RDFS.seeAlso))
        assert {GDM["art-4-item-5"], GDM["art-5-item-4"]} <= provisions, term
        assert all((p, RDF.type, GD.LegalProvision) in ontology for p in provisions), term
    for figure in FIGURES:
        assert ontology.value(figure.metric, DQV.expectedDataType) == figure.datatype, figure.key
        piveau = {PV[d] for d in ("findability", "accessibility", "interoperability", "reusability", "contextuality")}
        assert ontology.value(figure.metric, DQV.inDimension) in dimensions | piveau


def test_csv_has_one_column_per_figure_and_empty_cells_where_undefined(small: Catalog) -> None:
    lines = assess(small, as_of=AS_OF).to_csv().splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["scope", "code", "name", "organs"] and header[-1] == "mqa_rating"
    assert header[4:-1] == [f.key for f in FIGURES]
    empty = next(line.split(",") for line in lines if EMPTY in line)
    assert empty[header.index("entries")] == "0" and empty[header.index("passing_share")] == ""
    dept = next(line.split(",") for line in lines if DEPT in line)
    assert dept[header.index("passing_share")] == "0.6667"


def test_text_aligns_its_tables_and_shows_undefined_figures_as_dashes(small: Catalog) -> None:
    text = assess(small, as_of=AS_OF).text()
    assert "Catalog work" in text and "Mean days waiting" in text and "Metadata quality" in text
    assert "not measured: accessUrlStatusCode, downloadUrlStatusCode" in text

    def width(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

    table = text.split("\n\n")[1].splitlines()[1:]
    assert len({width(line) for line in table}) == 1
    empty = next(line for line in table if EMPTY in line)
    assert empty.split()[-6:] == ["0", "-", "-", "-", "-", "0"]
    only = assess(small, as_of=AS_OF).text(scopes=[Scope.DISTRICT])
    assert "520113" in only and DEPT not in only


# -- the example city ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city_assessment(city_catalog: Catalog) -> Assessment:
    return assess(city_catalog, as_of=AS_OF)


def test_the_example_city_row_by_row(city_assessment: Assessment) -> None:
    rows = city_assessment.rows
    organs = [r for r in rows if r.scope is Scope.ORGAN]
    districts = [r for r in rows if r.scope is Scope.DISTRICT]
    (municipal,) = [r for r in rows if r.scope is Scope.MUNICIPAL]
    assert (len(organs), len(districts)) == (48, 10)
    assert sum(r.entries for r in organs) == municipal.entries + sum(r.entries for r in districts) == 79
    assert sum(r.overdue for r in organs) == 2  # the two stale entries of the example
    assert {r.passing_share for r in organs if r.entries} == {1.0}
    assert len(city_assessment.scores) == 79
    assert all(s.maximum == 245 for s in city_assessment.scores)


def test_the_docs_example_is_the_current_output(city_assessment: Assessment) -> None:
    page = (ROOT / "docs" / "assessment.md").read_text("utf-8")
    (block,) = re.findall(r"```text\n(.*?)```", page, flags=re.S)
    assert block == city_assessment.text(scopes=[Scope.MUNICIPAL, Scope.DISTRICT])
    (csv_block,) = re.findall(r"```csv\n(.*?)```", page, flags=re.S)
    assert csv_block.splitlines() == city_assessment.to_csv().splitlines()[:3]


def test_the_docs_python_example_runs() -> None:
    page = (ROOT / "docs" / "assessment.md").read_text("utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    result = subprocess.run([sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "白云区人民政府" in result.stdout


# -- the vendored files -------------------------------------------------------------------------


def test_the_vendored_files_are_not_ontology_files_and_name_their_source() -> None:
    assert not any(name.startswith("piveau") for name in resources.names("ontology"))
    readme = (ROOT / "ontology" / "vendor" / "README.md").read_text("utf-8")
    assert "7b29f2a4f6dab8cdadc0b2765fd5729e7307428b" in readme and "Apache License, Version 2.0" in readme


PROBE = """
import json
from govdata_ld.mqa import mqa_maximum, mqa_metrics
print(json.dumps({"metrics": len(mqa_metrics()), "maximum": mqa_maximum()}))
"""


@pytest.mark.slow
def test_the_installed_wheel_reads_the_vendored_vocabulary(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("govdata_ld-*.whl"))
    env = tmp_path / "venv"
    venv.create(env, with_pip=True, system_site_packages=True)
    python = env / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True)
    out = subprocess.run([python, "-c", PROBE], check=True, capture_output=True, text=True, cwd=tmp_path)
    assert json.loads(out.stdout) == {"metrics": 23, "maximum": 245}
