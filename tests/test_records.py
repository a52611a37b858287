"""Typed records go to RDF in one place and come back equal, directly and through the store."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from govdata_ld import (
    AdminLevel,
    BasicDatabase,
    Catalog,
    Category,
    ContactPoint,
    DataItem,
    Distribution,
    DistributionKind,
    Entry,
    Format,
    FundingKind,
    Grade,
    InformationSystem,
    InputError,
    ItemDataType,
    LeadAuthority,
    OpenAttribute,
    Organ,
    OrganKind,
    Period,
    ShareAttribute,
    ShareMode,
    Theme,
    ThemeLead,
    UpdateCycle,
    complete_uscc,
)
from govdata_ld.iris import Minter
from govdata_ld.mapping import SPECS, from_graph, subject_of, to_triples

MINTER = Minter("https://data.guiyang.example/")
GOV = complete_uscc("11520100MB0000001")
PSB = complete_uscc("11520100MB0000002")
CUSTOM_GRADE = URIRef("https://data.example.gov.cn/code/grade/level-4")

ORGAN = Organ(PSB, "贵阳市公安局", OrganKind.WORKING_DEPARTMENT, AdminLevel.MUNICIPAL, "520100", GOV, "Guiyang Public Security Bureau")
SYSTEM = InformationSystem("psb-hukou", "人口管理信息系统", PSB, FundingKind.FISCAL_INVESTMENT, "户籍管理", "Household registration system")
FULL_ENTRY = Entry(
    code="101001/000001",
    title_zh="常住人口基本信息",
    title_en="Basic information of resident population",
    summary_zh="全市常住人口的基本登记信息。",
    summary_en="Registration data of the city's residents.",
    provider=PSB,
    source_business="户籍管理",
    source_system="psb-hukou",
    category=Category.BASIC,
    basic_database=BasicDatabase.POPULATION,
    contributors=(GOV,),
    grade=Grade.SENSITIVE,
    share=ShareAttribute.CONDITIONAL,
    share_condition="仅向履行法定职责的机关共享",
    share_mode=ShareMode.PLATFORM,
    legal_basis="《中华人民共和国个人信息保护法》第三十四条",
    open=OpenAttribute.NOT_OPEN,
    use_requirement="不得用于约定以外的用途",
    update_cycle=UpdateCycle.DAILY,
    issued=date(2024, 3, 1),
    modified=date(2026, 10, 30),
    format=Format.DATABASE,
    items=(
        DataItem("公民身份号码", ItemDataType.CHARACTER, "18位身份号码"),
        DataItem("姓名", ItemDataType.CHARACTER),
        DataItem("出生日期", ItemDataType.DATE, "公历"),
    ),
    related=("101001/000002", "102001/000001"),
    distributions=(
        Distribution(DistributionKind.TABLE, "常住人口库表", Format.RDB_TABLE, "https://share.guiyang.example/t/1"),
        Distribution(DistributionKind.API, "常住人口核验接口", Format.JSON, "https://share.guiyang.example/api/1"),
    ),
    keywords=("人口", "户籍"),
    spatial="520100",
    temporal=Period(date(2020, 1, 1), None),
    license="https://creativecommons.org/licenses/by/4.0/",
    languages=("http://publications.europa.eu/resource/authority/language/ENG",
               "http://publications.europa.eu/resource/authority/language/ZHO"),
    contact=ContactPoint("贵阳市公安局数据管理处", "data@psb.guiyang.example", "0851-00000000"),
    internal_contact=ContactPoint("张三", "zhangsan@psb.guiyang.example"),
)
MINIMAL_ENTRY = Entry(
    "301001/000001", "测试", "测试摘要", PSB, "测试业务", Category.DEPARTMENTAL, CUSTOM_GRADE,
    ShareAttribute.UNCONDITIONAL, OpenAttribute.UNCONDITIONAL, UpdateCycle.MONTHLY, date(2025, 1, 1), Format.CSV,
)
RECORDS = [
    ORGAN,
    SYSTEM,
    LeadAuthority(BasicDatabase.POPULATION, PSB),
    ThemeLead(Theme.HEALTH, GOV),
    FULL_ENTRY,
    MINIMAL_ENTRY,
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_record_round_trips_through_rdf(record) -> None:
    graph = Graph()
    for triple in to_triples(record, MINTER):
        graph.add(triple)
    assert from_graph(graph, subject_of(record, MINTER), type(record), MINTER) == record


def test_every_record_field_has_a_mapping() -> None:
    for cls, spec in SPECS.items():
        mapped = {f.attr for f in spec.fields} | ({spec.subject.attr} if spec.subject else set())
        declared = {f.name for f in dataclasses.fields(cls)}
        assert declared == mapped, cls.__name__


def test_entries_join_their_providers_catalogs_by_allow_list() -> None:
    def catalogs(entry: Entry) -> set[str]:
        return {str(s).rsplit("/", 1)[1] for s, p, o in to_triples(entry, MINTER) if p == DCAT.dataset}

    assert catalogs(MINIMAL_ENTRY) == {"resource", "sharing", "open"}
    assert catalogs(FULL_ENTRY) == {"resource", "sharing"}
    unknown = dataclasses.replace(MINIMAL_ENTRY, share=URIRef("https://example.org/share/maybe"),
                                  open=URIRef("https://example.org/open/maybe"))
    assert catalogs(unknown) == {"resource"}


def test_records_round_trip_through_the_store(catalog: Catalog) -> None:
    summary = catalog.put(*RECORDS)
    assert summary.added == ("101001/000001", "301001/000001")
    assert catalog.entry("101001/000001") == FULL_ENTRY
    assert catalog.entry("301001/000001") == MINIMAL_ENTRY
    assert catalog.organ(PSB) == ORGAN
    again = catalog.put(*RECORDS)
    assert again.unchanged == ("101001/000001", "301001/000001")


def test_reading_an_unknown_entry_or_organ_is_an_input_error(memory_catalog: Catalog) -> None:
    with pytest.raises(InputError, match="no entry has resource code"):
        memory_catalog.entry("999999/000000")
    with pytest.raises(InputError, match="no organ"):
        memory_catalog.organ(GOV)


def test_the_same_entry_twice_in_one_write_is_refused(memory_catalog: Catalog) -> None:
    with pytest.raises(InputError, match="exactly one is needed"):
        memory_catalog.put(MINIMAL_ENTRY, dataclasses.replace(MINIMAL_ENTRY, title_zh="另一个"))
