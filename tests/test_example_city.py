"""The Guiyang example city: complete as the issue asks, loadable in both modes, counted truly."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS

from govdata_ld import AdminLevel, Catalog, Grade, OpenAttribute, OrganKind, Settings, ShareAttribute, is_valid_uscc
from govdata_ld.codes import BasicDatabase, Category
from govdata_ld.namespaces import GD

from .conftest import CITY, city_files

ORG_ID = URIRef("http://www.w3.org/ns/org#identifier")
SUB = URIRef("http://www.w3.org/ns/org#subOrganizationOf")


def organs_of(city: Graph, kind: OrganKind, level: AdminLevel) -> list[URIRef]:
    return [
        o
        for o in city.subjects(GD.organKind, kind.iri)
        if (o, GD.adminLevel, level.iri) in city
    ]


def test_the_build_script_output_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(CITY / "build.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_city_has_the_organs_the_issue_names(city: Graph) -> None:
    assert len(organs_of(city, OrganKind.PEOPLES_GOVERNMENT, AdminLevel.MUNICIPAL)) == 1
    assert len(organs_of(city, OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.MUNICIPAL)) == 1
    assert len(organs_of(city, OrganKind.WORKING_DEPARTMENT, AdminLevel.MUNICIPAL)) >= 8
    assert len(organs_of(city, OrganKind.DISPATCHED_AGENCY, AdminLevel.MUNICIPAL)) >= 1
    district_governments = organs_of(city, OrganKind.PEOPLES_GOVERNMENT, AdminLevel.COUNTY)
    divisions = {city.value(g, GD.division).rsplit("/", 1)[1] for g in district_governments}
    assert divisions == {"520102", "520103", "520111", "520112", "520113", "520115", "520121", "520122", "520123", "520181"}
    district_bdas = organs_of(city, OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.COUNTY)
    assert {city.value(b, SUB) for b in district_bdas} == set(district_governments)
    assert len(organs_of(city, OrganKind.WORKING_DEPARTMENT, AdminLevel.COUNTY)) >= 3
    townships = organs_of(city, OrganKind.PEOPLES_GOVERNMENT, AdminLevel.TOWNSHIP)
    assert len(townships) >= 2
    assert all(city.value(t, SUB) in district_governments for t in townships)


def test_every_unified_social_credit_code_is_valid_and_distinct(city: Graph) -> None:
    codes = [str(c) for c in city.objects(None, ORG_ID)]
    assert len(codes) == len(set(codes)) >= 40
    assert all(is_valid_uscc(c) and c.startswith("11") for c in codes)


def test_the_entries_cover_every_value_the_issue_names(city: Graph) -> None:
    entries = set(city.subjects(RDF.type, GD.DataResource))
    assert len(entries) >= 60
    for enum, predicate in ((ShareAttribute, GD.shareAttribute), (Grade, GD.grade)):
        assert {m.iri for m in enum} <= set(city.objects(None, predicate)), enum
    guizhou_open = {OpenAttribute.UNCONDITIONAL.iri, OpenAttribute.CONDITIONAL.iri, OpenAttribute.NOT_OPEN.iri}
    assert guizhou_open <= set(city.objects(None, GD.openAttribute))
    assert {m.iri for m in BasicDatabase} <= set(city.objects(None, GD.basicDatabase))
    assert len(set(city.objects(None, GD.theme))) >= 6
    titles = [t for e in entries for t in city.objects(e, DCTERMS.title) if t.language == "zh"]
    assert len(titles) == len(entries) and all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in titles)


@pytest.mark.parametrize("mode", ["memory", "disk"])
def test_the_city_loads_in_both_store_modes(mode: str, tmp_path: Path, city: Graph) -> None:
    location = "memory" if mode == "memory" else tmp_path / "store"
    with Catalog.open(location, settings=Settings()) as catalog:
        summary = catalog.load(*city_files())
        assert len(summary.added) == len(set(city.subjects(RDF.type, GD.DataResource)))
    if mode == "disk":
        with Catalog.open(location, settings=Settings()) as reopened:
            assert reopened.stats().totals["entries"] == len(summary.added)


def test_stats_prints_the_true_counts(city_catalog: Catalog, city: Graph) -> None:
    stats = city_catalog.stats()
    entries = set(city.subjects(RDF.type, GD.DataResource))
    assert stats.totals == {
        "organs": len(set(city.subjects(RDF.type, GD.AdministrativeOrgan))),
        "systems": len(set(city.subjects(RDF.type, GD.InformationSystem))),
        "entries": len(entries),
        "earlier_versions": 0,
    }
    for dimension, predicate in (
        ("provider", DCTERMS.publisher),
        ("category", GD.category),
        ("share attribute", GD.shareAttribute),
        ("open attribute", GD.openAttribute),
        ("grade", GD.grade),
    ):
        expected = Counter(city.value(e, predicate) for e in entries)
        assert {row.value: row.entries for row in stats.by[dimension]} == expected, dimension
    categories = {row.value: row for row in stats.by["category"]}
    assert categories[Category.BASIC.iri].label_zh == "基础信息资源"
    providers = stats.by["provider"]
    assert all(row.label_zh for row in providers), "every provider is labelled from the registry"
