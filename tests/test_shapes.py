"""One negative test per shape: a mutation of the valid example city that makes the shape fire.

The shapes that can report a result are listed from the shapes graph: every node shape with a
target and a constraint of its own, and every property shape attached (``sh:property``) to a node
shape with a target. A node shape with a target and only property shapes (gds:DataResourceShape,
gds:AdministrativeOrganShape, ...) never reports under its own name; its property shapes do.

:data:`MUTATIONS` maps each such shape's local name to a SPARQL Update applied to a copy of the
city (organs and all entries). After it, the fast path must report the shape for a node the
valid city does not report it for, with the shape's severity (a warning for gds:UpdateDutyRule).
A shape added to ``shapes/`` without a mutation here fails
:func:`test_every_targeted_shape_has_a_mutation`.

pyshacl, the reference engine, takes ~15 s on the city, so it runs once, on the city with the
:data:`REPRESENTATIVE` mutations applied together (they touch different nodes; a test checks
that they do not interact).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH

from govdata_ld import Settings
from govdata_ld.validation import GDS, ValidationReport, shapes_graph, validate


AS_OF = date(2026, 11, 1)

# The prefixes the updates use (passed as initNs; the updates hold no formatted-in values).
PREFIXES = {
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "csvw": "http://www.w3.org/ns/csvw#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gd": "https://w3id.org/govdata-ld/ontology#",
    "res": "https://data.guiyang.example/resource/",
    "organ": "https://data.guiyang.example/organ/",
    "cat": "https://w3id.org/govdata-ld/code/category/",
    "bdb": "https://w3id.org/govdata-ld/code/basic-database/",
    "theme": "https://w3id.org/govdata-ld/code/theme/",
    "grade": "https://w3id.org/govdata-ld/code/grade/",
    "share": "https://w3id.org/govdata-ld/code/share-attribute/",
    "mode": "https://w3id.org/govdata-ld/code/share-mode/",
    "open": "https://w3id.org/govdata-ld/code/open-attribute/",
    "cycle": "https://w3id.org/govdata-ld/code/update-cycle/",
    "fmt": "https://w3id.org/govdata-ld/code/format/",
    "division": "https://w3id.org/govdata-ld/code/division/",
    "itemtype": "https://w3id.org/govdata-ld/code/item-data-type/",
    "dkind": "https://w3id.org/govdata-ld/code/distribution-kind/",
    "funding": "https://w3id.org/govdata-ld/code/funding-kind/",
    "kind": "https://w3id.org/govdata-ld/code/organ-kind/",
    "level": "https://w3id.org/govdata-ld/code/admin-level/",
}

# Nodes of the city the mutations touch:
#   res:301003%2F000002  道路交通事故统计数据 (公安局; departmental, non-sensitive, shared unconditionally,
#                        opened conditionally, monthly) -- most single-field mutations
#   res:301003%2F000001  刑事案件立案信息 (not shared, not opened)
#   res:101003%2F000001, res:101003%2F000002  常住/流动人口 (basic, population, conditionally shared)
#   res:101003%2F000003  户籍人口变动统计数据 (basic, population, opened)
#   res:201007%2F000001, res:201007%2F000003  卫健委 thematic entries (health theme)
#   organ:11520100008058813L  贵阳市农业农村局 (municipal working department, no entries)
#   organ:11520111006547605X  花溪区青岩镇人民政府 (township)
#   organ:115201120074233480  乌当区大数据发展管理局 (district big-data department)
MUTATIONS: dict[str, str] = {
    # --- required.ttl: the fields of an entry ---------------------------------------------------
    "DataResourceShape-identifier": """
        DELETE WHERE { res:301003%2F000002 dct:identifier ?code }""",
    "DataResourceShape-title": """
        INSERT DATA { res:101003%2F000002 dct:title "流动人口信息"@zh }""",
    "DataResourceShape-description": """
        INSERT DATA { res:301003%2F000002 dct:description "道路交通事故按月统计" }""",
    "DataResourceShape-publisher": """
        DELETE WHERE { res:301003%2F000002 dct:publisher ?organ }""",
    "DataResourceShape-sourceBusiness": """
        DELETE WHERE { res:301003%2F000002 gd:sourceBusiness ?business }""",
    "DataResourceShape-category": """
        DELETE WHERE { res:301003%2F000002 gd:category ?category }""",
    "DataResourceShape-grade": """
        DELETE WHERE { res:301003%2F000002 gd:grade ?grade }""",
    "DataResourceShape-shareAttribute": """
        DELETE WHERE { res:301003%2F000001 gd:shareAttribute ?share }""",
    "DataResourceShape-openAttribute": """
        DELETE WHERE { res:301003%2F000001 gd:openAttribute ?open }""",
    "DataResourceShape-useRequirement": """
        DELETE WHERE { res:301003%2F000002 gd:useRequirement ?requirement }""",
    "DataResourceShape-accrualPeriodicity": """
        DELETE WHERE { res:301003%2F000002 dct:accrualPeriodicity ?cycle }""",
    "DataResourceShape-issued": """
        DELETE DATA { res:301003%2F000002 dct:issued "2019-01-20"^^xsd:date } ;
        INSERT DATA { res:301003%2F000002 dct:issued "2019-01-20" }""",
    "DataResourceShape-modified": """
        INSERT DATA { res:301003%2F000002 dct:modified "2026-10-20"^^xsd:date }""",
    "DataResourceShape-resourceFormat": """
        DELETE WHERE { res:301003%2F000002 gd:resourceFormat ?format }""",
    "DataResourceShape-dataItem": """
        DELETE WHERE { res:301003%2F000002 gd:dataItem ?item }""",
    "DataItemShape-name": """
        DELETE WHERE { <https://data.guiyang.example/resource/301003%2F000002/item/1> csvw:name ?name }""",
    "DataItemShape-itemDataType": """
        DELETE WHERE { <https://data.guiyang.example/resource/301003%2F000002/item/1> gd:itemDataType ?type }""",
    # --- code_lists.ttl ---------------------------------------------------------------------------
    "DataResourceShape-identifier-pattern": """
        DELETE DATA { res:301003%2F000002 dct:identifier "301003/000002" } ;
        INSERT DATA { res:301003%2F000002 dct:identifier "301003-000002" }""",
    "DataResourceShape-category-codeList": """
        DELETE DATA { res:301003%2F000002 gd:category cat:departmental } ;
        INSERT DATA { res:301003%2F000002 gd:category theme:public-service }""",
    "DataResourceShape-basicDatabase-codeList": """
        INSERT DATA { res:301003%2F000002 gd:basicDatabase theme:work-safety }""",
    "DataResourceShape-theme-codeList": """
        INSERT DATA { res:301003%2F000002 gd:theme bdb:population }""",
    "DataResourceShape-grade-codeList": """
        DELETE DATA { res:301003%2F000002 gd:grade grade:non-sensitive } ;
        INSERT DATA { res:301003%2F000002 gd:grade grade:public }""",
    "DataResourceShape-shareAttribute-codeList": """
        DELETE DATA { res:301003%2F000002 gd:shareAttribute share:unconditional } ;
        INSERT DATA { res:301003%2F000002 gd:shareAttribute open:unconditional }""",
    "DataResourceShape-shareMode-codeList": """
        DELETE DATA { res:301003%2F000002 gd:shareMode mode:platform } ;
        INSERT DATA { res:301003%2F000002 gd:shareMode dkind:api }""",
    "DataResourceShape-openAttribute-codeList": """
        DELETE DATA { res:301003%2F000002 gd:openAttribute open:conditional } ;
        INSERT DATA { res:301003%2F000002 gd:openAttribute open:on-application }""",
    "DataResourceShape-accrualPeriodicity-codeList": """
        DELETE DATA { res:301003%2F000002 dct:accrualPeriodicity cycle:monthly } ;
        INSERT DATA { res:301003%2F000002 dct:accrualPeriodicity cycle:hourly }""",
    "DataResourceShape-resourceFormat-codeList": """
        DELETE DATA { res:301003%2F000002 gd:resourceFormat fmt:spreadsheet } ;
        INSERT DATA { res:301003%2F000002 gd:resourceFormat dkind:file }""",
    "DataResourceShape-spatial-codeList": """
        DELETE DATA { res:102004%2F000001 dct:spatial division:520100 } ;
        INSERT DATA { res:102004%2F000001 dct:spatial division:520000 }""",
    "DataItemShape-itemDataType-codeList": """
        DELETE { <https://data.guiyang.example/resource/301003%2F000002/item/2> gd:itemDataType ?type }
        INSERT { <https://data.guiyang.example/resource/301003%2F000002/item/2> gd:itemDataType fmt:csv }
        WHERE { <https://data.guiyang.example/resource/301003%2F000002/item/2> gd:itemDataType ?type }""",
    "DistributionShape-distributionKind-codeList": """
        DELETE DATA { <https://data.guiyang.example/resource/301003%2F000002/distribution/1> gd:distributionKind dkind:file } ;
        INSERT DATA { <https://data.guiyang.example/resource/301003%2F000002/distribution/1> gd:distributionKind fmt:xlsx }""",
    "DistributionShape-format-codeList": """
        DELETE DATA { <https://data.guiyang.example/resource/301003%2F000002/distribution/1> dct:format fmt:xlsx } ;
        INSERT DATA { <https://data.guiyang.example/resource/301003%2F000002/distribution/1> dct:format dkind:file }""",
    "AdministrativeOrganShape-organKind-codeList": """
        DELETE DATA { organ:11520100008058813L gd:organKind kind:working-department } ;
        INSERT DATA { organ:11520100008058813L gd:organKind level:municipal }""",
    "AdministrativeOrganShape-adminLevel-codeList": """
        DELETE DATA { organ:11520111006547605X gd:adminLevel level:township } ;
        INSERT DATA { organ:11520111006547605X gd:adminLevel level:town }""",
    "AdministrativeOrganShape-division-codeList": """
        DELETE DATA { organ:11520100008058813L gd:division division:520100 } ;
        INSERT DATA { organ:11520100008058813L gd:division division:520000 }""",
    "InformationSystemShape-fundingKind-codeList": """
        DELETE DATA { <https://data.guiyang.example/system/gy-psb-hukou> gd:fundingKind funding:fiscal-investment } ;
        INSERT DATA { <https://data.guiyang.example/system/gy-psb-hukou> gd:fundingKind funding:self-funded }""",
    # --- cross_field.ttl ------------------------------------------------------------------------
    "ShareConditionRule": """
        DELETE WHERE { res:101003%2F000001 gd:shareCondition ?condition }""",
    "LegalBasisRule": """
        DELETE WHERE { res:101003%2F000002 gd:legalBasis ?basis }""",
    "OpenConditionRule": """
        DELETE WHERE { res:301003%2F000002 gd:openCondition ?condition }""",
    "BasicDatabaseRule": """
        DELETE WHERE { res:101003%2F000003 gd:basicDatabase ?database }""",
    "ThemeRule": """
        DELETE WHERE { res:201007%2F000001 gd:theme ?theme }""",
    "GradeShareRule": """
        DELETE DATA { res:104002%2F000002 gd:grade grade:non-sensitive } ;
        INSERT DATA { res:104002%2F000002 gd:grade grade:sensitive }""",
    "GradeOpenRule": """
        DELETE DATA { res:101003%2F000002 gd:openAttribute open:not-open } ;
        INSERT DATA { res:101003%2F000002 gd:openAttribute open:unconditional }""",
    "LeadAuthorityRule": """
        DELETE DATA { res:101003%2F000003 dct:publisher organ:1152010000383916X0 } ;
        INSERT DATA { res:101003%2F000003 dct:publisher organ:11520100004806474X }""",
    "ThemeLeadRule": """
        DELETE DATA { res:201007%2F000001 dct:publisher organ:115201000061770778 } ;
        INSERT DATA { res:201007%2F000001 dct:publisher organ:11520100007523082N }""",
    # --- cross_entry.ttl ------------------------------------------------------------------------
    "UniqueCodeRule": """
        DELETE DATA { res:101003%2F000002 dct:identifier "101003/000002" } ;
        INSERT DATA { res:101003%2F000002 dct:identifier "101003/000001" }""",
    "DataResourceShape-relation": """
        INSERT DATA { res:301003%2F000002 dct:relation res:301003%2F000009 }""",
    "SharingCatalogShape-dataset": """
        INSERT DATA { <https://data.guiyang.example/catalog/1152010000383916X0/sharing> dcat:dataset res:301003%2F000001 }""",
    "OpenCatalogShape-dataset": """
        INSERT DATA { <https://data.guiyang.example/catalog/1152010000383916X0/open> dcat:dataset res:101003%2F000001 }""",
    # --- organs.ttl -----------------------------------------------------------------------------
    "AdministrativeOrganShape-identifier": """
        DELETE WHERE { organ:11520100008058813L org:identifier ?code }""",
    "AdministrativeOrganShape-prefLabel": """
        INSERT DATA { organ:11520100008058813L skos:prefLabel "贵阳市乡村振兴局"@zh }""",
    "AdministrativeOrganShape-organKind": """
        DELETE WHERE { organ:11520100008058813L gd:organKind ?kind }""",
    "AdministrativeOrganShape-adminLevel": """
        DELETE WHERE { organ:11520100008058813L gd:adminLevel ?level }""",
    "AdministrativeOrganShape-division": """
        DELETE WHERE { organ:11520100008058813L gd:division ?division }""",
    "CreditCodeCheckRule": """
        DELETE DATA { organ:11520100008058813L org:identifier "11520100008058813L" } ;
        INSERT DATA { organ:11520100008058813L org:identifier "11520100008085813L" }""",
    "GovernmentTreeRule": """
        DELETE WHERE { organ:11520100008058813L org:subOrganizationOf ?government }""",
    "OrganTreeCycleRule": """
        INSERT DATA { organ:115201020073494758 org:subOrganizationOf organ:11520102009215235E .
                      organ:11520102009215235E org:subOrganizationOf organ:115201020073494758 }""",
    "MunicipalGovernmentTopRule": """
        INSERT DATA { organ:11520100000393844U org:subOrganizationOf organ:11520000000000000X }""",
    "TownshipDivisionRule": """
        DELETE DATA { organ:11520111006547605X gd:division division:520111 } ;
        INSERT DATA { organ:11520111006547605X gd:division division:520102 }""",
    "BigDataDepartmentRule": """
        DELETE DATA { organ:115201120074233480 gd:organKind kind:big-data-department } ;
        INSERT DATA { organ:115201120074233480 gd:organKind kind:working-department }""",
    # --- update_duty.ttl (a warning) ------------------------------------------------------------
    "UpdateDutyRule": """
        DELETE DATA { res:201007%2F000003 dct:modified "2026-10-27"^^xsd:date } ;
        INSERT DATA { res:201007%2F000003 dct:modified "2026-10-01"^^xsd:date }""",
}

# Run through pyshacl too, together: nested shapes under sh:or and sh:not, language tags, a code
# list (sh:node), SPARQL arithmetic on the credit code, SPARQL date comparison with a warning.
REPRESENTATIVE = (
    "OpenConditionRule",
    "DataResourceShape-title",
    "DataResourceShape-spatial-codeList",
    "CreditCodeCheckRule",
    "UpdateDutyRule",
)

# The constraint parameters of SHACL Core and SHACL-SPARQL: a node shape with none of them
# reports nothing under its own name.
CONSTRAINT_PARAMETERS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minExclusive,
    SH.minInclusive, SH.maxExclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH.pattern,
    SH.languageIn, SH.uniqueLang, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
    SH["not"], SH["and"], SH["or"], SH.xone, SH.node, SH.qualifiedValueShape, SH.closed,
    SH.hasValue, SH["in"], SH.sparql,
}
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def targeted_shapes(shapes: Graph) -> dict[str, URIRef]:
    """Local name -> shape, for every shape that reports results under its own name."""
    def active(shape: URIRef) -> bool:
        deactivated = shapes.value(shape, SH.deactivated)
        return deactivated is None or deactivated.toPython() is not True

    node_shapes = {s for t in TARGETS for s in shapes.subjects(t, None)}
    node_shapes |= set(shapes.subjects(RDF.type, RDFS.Class)) & set(shapes.subjects(RDF.type, SH.NodeShape))
    found = set()
    for shape in filter(active, node_shapes):
        if any((shape, p, None) in shapes for p in CONSTRAINT_PARAMETERS):
            found.add(shape)
        found |= {p for p in shapes.objects(shape, SH.property) if active(p)}
    named = {}
    for shape in found:
        assert isinstance(shape, URIRef) and shape.startswith(str(GDS)), f"unnamed shape {shape!r}"
        named[shape[len(str(GDS)):]] = shape
    return named


def mutate(city: Graph, update: str) -> Graph:
    graph = Graph()
    graph += city
    graph.update(update, initNs=PREFIXES)
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return shapes_graph(Settings())


@pytest.fixture(scope="module")
def baseline(city: Graph) -> ValidationReport:
    return validate(city, settings=Settings(), as_of=AS_OF, engine="sparql")


@pytest.fixture(scope="module")
def mutated(city: Graph) -> Callable[[str], ValidationReport]:
    """The fast path's report on the city after one mutation, computed once per mutation."""
    reports: dict[str, ValidationReport] = {}

    def report(name: str) -> ValidationReport:
        if name not in reports:
            graph = mutate(city, MUTATIONS[name])
            assert set(graph) != set(city), f"the mutation for {name} changes nothing"
            reports[name] = validate(graph, settings=Settings(), as_of=AS_OF, engine="sparql")
        return reports[name]

    return report


@pytest.fixture(scope="module")
def representative(city: Graph) -> tuple[ValidationReport, ValidationReport]:
    """The city with every representative mutation applied: (fast path, pyshacl)."""
    graph = Graph()
    graph += city
    for name in REPRESENTATIVE:
        graph.update(MUTATIONS[name], initNs=PREFIXES)
    fast = validate(graph, settings=Settings(), as_of=AS_OF, engine="sparql")
    reference = validate(graph, settings=Settings(), as_of=AS_OF, engine="pyshacl")
    return fast, reference


def test_the_valid_city_gives_no_violations(baseline: ValidationReport) -> None:
    assert baseline.conforms and baseline.violations == (), baseline.text("en")
    assert {r.shape for r in baseline.warnings} <= {GDS.UpdateDutyRule}


def test_the_shapes_that_report_are_found(shapes: Graph) -> None:
    found = targeted_shapes(shapes)
    assert {"UniqueCodeRule", "UpdateDutyRule", "DataResourceShape-title", "DataItemShape-name",
            "AdministrativeOrganShape-identifier", "SharingCatalogShape-dataset"} <= set(found)
    # containers and nested shapes report under other names
    assert not {"DataResourceShape", "AdministrativeOrganShape", "Shared", "GradeConcept"} & set(found)
    # every node shape with a target either reports itself or has property shapes that do
    for shape in {s for t in TARGETS for s in shapes.subjects(t, None)}:
        assert shape in found.values() or set(shapes.objects(shape, SH.property)) <= set(found.values()), shape


def test_every_targeted_shape_has_a_mutation(shapes: Graph) -> None:
    found = set(targeted_shapes(shapes))
    assert not found - set(MUTATIONS), f"shapes without a negative test: {sorted(found - set(MUTATIONS))}"
    assert not set(MUTATIONS) - found, f"mutations for no targeted shape: {sorted(set(MUTATIONS) - found)}"


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_the_mutation_makes_its_shape_fire(
    name: str, shapes: Graph, baseline: ValidationReport, mutated: Callable[[str], ValidationReport]
) -> None:
    report = mutated(name)
    severity = shapes.value(GDS[name], SH.severity) or SH.Violation
    assert severity in (SH.Violation, SH.Warning)
    listed = report.violations if severity == SH.Violation else report.warnings
    assert GDS[name] in {r.shape for r in listed}, report.text("en")
    new = report.keys() - baseline.keys()
    assert any(k[2] == str(GDS[name]) and k[3] == str(severity) for k in new), "fires only where it fired before"
    if severity == SH.Violation:
        assert not report.conforms


def test_the_representative_mutations_do_not_interact(
    representative, baseline: ValidationReport, mutated: Callable[[str], ValidationReport]
) -> None:
    fast, _ = representative
    expected = set(baseline.keys())
    for name in REPRESENTATIVE:
        expected |= mutated(name).keys()
    assert fast.keys() == expected


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_pyshacl_reports_what_the_fast_path_reports_for_a_representative_mutation(
    name: str, representative, baseline: ValidationReport, mutated: Callable[[str], ValidationReport]
) -> None:
    _, reference = representative
    new = mutated(name).keys() - baseline.keys()
    assert new and new <= reference.keys()
    focus = {k[0] for k in new}
    assert {k for k in reference.keys() if k[0] in focus} == {k for k in mutated(name).keys() if k[0] in focus}


def test_pyshacl_reports_the_same_results_on_the_representative_mutations(representative) -> None:
    fast, reference = representative
    assert reference.engine == "pyshacl"
    assert reference.keys() == fast.keys()
    assert reference.conforms == fast.conforms
