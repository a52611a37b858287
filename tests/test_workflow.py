"""The Article 12 workflow on the example city: the two routes, every refused step, returns and
corrections, withdrawal, the trail, and publication by difference (issue 4)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, PROV

from govdata_ld import Catalog, Settings, city_catalogs
from govdata_ld.errors import ParameterError, WorkflowError
from govdata_ld.graphs import change
from govdata_ld.namespaces import GD
from govdata_ld.routes import RETURNED, STATE_AFTER, WITHDRAWN

from .conftest import CITY, ROOT

MUNICIPAL_BDA = "115201000055566223"
MUNICIPAL_GOV = "11520100000393844U"
NANMING_BDA = "11520102007401413M"
NANMING_GOV = "11520102006406781M"
NANMING_EDU = "115201020073494758"  # district working department: district route
YUNYAN_BDA = "11520103001152014H"
YUNYAN_HB = "11520103003545102L"
CIVIL_AFFAIRS = "115201000094057410"  # municipal working department: municipal route
EDU_ENTRY = "302103/000001"
CIVIL_AFFAIRS_ENTRY = "301011/000001"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def city_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example city loaded once and dumped; each test restores it into a fresh store."""
    from .conftest import city_files

    path = tmp_path_factory.mktemp("city") / "city.nq"
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.load(*city_files())
        path.write_bytes(catalog.dump("nquads"))
    return path


@pytest.fixture
def city(city_dump: Path) -> Iterator[Catalog]:
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.load(city_dump, restore=True)
        yield catalog


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def district_path(catalog: Catalog, organ: str = NANMING_EDU) -> None:
    """Take the district route up to the municipal review for one organ of Nanming."""
    wf = catalog.workflow
    wf.submit(organ, at=at(0))
    wf.audit(NANMING_BDA, organ=organ, at=at(1))
    wf.approve(NANMING_GOV, at=at(2))
    wf.report(NANMING_BDA, at=at(3))
    wf.review(MUNICIPAL_BDA, organ=organ, at=at(4))


def city_steps(catalog: Catalog, start: int = 5) -> None:
    wf = catalog.workflow
    wf.summarise(MUNICIPAL_BDA, at=at(start))
    wf.ratify(MUNICIPAL_GOV, at=at(start + 1))
    wf.publish(MUNICIPAL_BDA, at=at(start + 2))


def published(catalog: Catalog, kind: str) -> dict[str, int]:
    rows = catalog.select("published_entries", catalog=catalog.minter.city_catalog(kind)).dicts()
    return {str(r["code"]): int(str(r["version"])) for r in rows}


def refused(catalog: Catalog, call: object, *args: object, **kwargs: object) -> WorkflowError:
    """Call a step that must be refused, and check that it changed nothing."""
    before = catalog.dump("nquads")
    with pytest.raises(WorkflowError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert catalog.dump("nquads") == before
    return caught.value


def test_the_district_route_takes_every_step_in_order_with_its_rightful_organ(city: Catalog) -> None:
    district_path(city)
    city_steps(city)
    assert published(city, "general") == {EDU_ENTRY: 1, "302103/000002": 1}
    trail = city.select("entry_trail", entry=city.minter.entry(EDU_ENTRY)).dicts()
    steps = [(str(r["step"]).rsplit("#", 1)[1], city.minter.code_of_organ(str(r["actor"]))) for r in trail]
    assert steps[:8] == [
        ("Submission", NANMING_EDU),
        ("Audit", NANMING_BDA),
        ("Approval", NANMING_GOV),
        ("Reporting", NANMING_BDA),
        ("Review", MUNICIPAL_BDA),
        ("Summarisation", MUNICIPAL_BDA),
        ("Ratification", MUNICIPAL_GOV),
        ("Publication", MUNICIPAL_BDA),
    ]
    assert [r["at"].toPython() for r in trail[:3]] == [at(0), at(1), at(2)]
    decisions = {str(r["step"]).rsplit("#", 1)[1]: r.get("decision") for r in trail}
    accepted = URIRef("https://w3id.org/govdata-ld/code/workflow-decision/accepted")
    assert decisions["Audit"] == decisions["Approval"] == decisions["Review"] == decisions["Ratification"] == accepted
    item = city.workflow.items(entry=EDU_ENTRY)[0]
    assert item.status == STATE_AFTER[GD.Publication] and item.waiting_for is None


def test_the_municipal_route_goes_from_submission_straight_to_review(city: Catalog) -> None:
    wf = city.workflow
    wf.submit(CIVIL_AFFAIRS, at=at(0))
    items = wf.items(organ=CIVIL_AFFAIRS)
    assert {(i.step, i.waiting_for) for i in items} == {(GD.Review, city.minter.organ(MUNICIPAL_BDA))}
    error = refused(city, wf.audit, NANMING_BDA)
    assert "nothing awaits audit" in str(error)
    wf.review(MUNICIPAL_BDA, at=at(1))
    city_steps(city, 2)
    assert set(published(city, "general")) == {i.code for i in items}


def test_a_district_big_data_department_cannot_audit_another_districts_organs(city: Catalog) -> None:
    city.workflow.submit(NANMING_EDU, at=at(0))
    error = refused(city, city.workflow.audit, YUNYAN_BDA, codes=[EDU_ENTRY])
    assert f"awaits audit by 南明区大数据发展管理局 ({NANMING_BDA})" in str(error)
    assert error.provision and "Art. 12 para 1" in error.provision


def test_a_department_cannot_approve_ratify_or_publish(city: Catalog) -> None:
    district_path(city)
    for step in (city.workflow.approve, city.workflow.ratify, city.workflow.publish, city.workflow.summarise):
        error = refused(city, step, NANMING_EDU)
        assert "may not" in str(error)
    assert "only the municipal people's government" in str(refused(city, city.workflow.ratify, NANMING_GOV))


def test_nothing_reaches_the_city_before_the_district_government_approved_it(city: Catalog) -> None:
    wf = city.workflow
    wf.submit(NANMING_EDU, at=at(0))
    wf.audit(NANMING_BDA, at=at(1))
    assert "awaits approve by 南明区人民政府" in str(refused(city, wf.report, NANMING_BDA, codes=[EDU_ENTRY]))
    assert "awaits approve" in str(refused(city, wf.review, MUNICIPAL_BDA, codes=[EDU_ENTRY]))
    assert "nothing awaits summarise" in str(refused(city, wf.summarise, MUNICIPAL_BDA))


def test_a_return_needs_a_reason_and_a_non_deciding_step_cannot_return(city: Catalog) -> None:
    wf = city.workflow
    wf.submit(NANMING_EDU, at=at(0))
    assert "needs a reason" in str(refused(city, wf.audit, NANMING_BDA, returns={EDU_ENTRY: " "}))
    wf.audit(NANMING_BDA, at=at(1))
    wf.approve(NANMING_GOV, at=at(2))
    error = refused(city, wf._advance, GD.Reporting, NANMING_BDA, returns={EDU_ENTRY: "no"})
    assert "does not decide" in str(error)


def test_a_catalog_that_fails_validation_cannot_be_submitted(city: Catalog) -> None:
    city.load(ROOT / "examples" / "guiyang-invalid" / "ShareConditionRule.ttl")
    error = refused(city, city.workflow.submit, CIVIL_AFFAIRS)
    assert "fails validation" in str(error)
    assert any("301011/000002" in p for p in error.problems)
    result = city.workflow.submit(CIVIL_AFFAIRS, withhold_invalid=True, at=at(0))
    assert "301011/000002" not in result.accepted
    assert any(code == "301011/000002" and why.startswith("fails validation") for code, why in result.skipped)


def test_an_organ_submits_only_its_own_entries_once(city: Catalog) -> None:
    wf = city.workflow
    assert "no current entry" in str(refused(city, wf.submit, YUNYAN_HB, codes=[EDU_ENTRY]))
    wf.submit(NANMING_EDU, at=at(0))
    error = refused(city, wf.submit, NANMING_EDU, codes=[EDU_ENTRY])
    assert "already on its way" in str(error)
    assert "nothing to submit" in str(refused(city, wf.submit, NANMING_EDU))
    assert "no organ has credit code" in str(refused(city, wf.submit, "11520100MA00000000"))


def test_returned_entries_are_corrected_and_resubmitted_and_every_version_is_kept(city: Catalog) -> None:
    wf = city.workflow
    wf.submit(NANMING_EDU, at=at(0))
    result = wf.audit(NANMING_BDA, returns={EDU_ENTRY: "数据项描述不完整"}, at=at(1))
    assert result.returned == ((EDU_ENTRY, "数据项描述不完整"),)
    item = wf.items(entry=EDU_ENTRY)[0]
    assert item.status == RETURNED and item.waiting_for == city.minter.organ(NANMING_EDU)
    assert item.step == GD.Compilation
    entry = city.entry(EDU_ENTRY)
    city.put(dataclasses.replace(entry, summary_zh=entry.summary_zh + "（已补充信息项说明）"))
    wf.submit(NANMING_EDU, codes=[EDU_ENTRY], at=at(2))
    assert [(i.version, i.status) for i in wf.items(entry=EDU_ENTRY)] == [(1, RETURNED), (2, STATE_AFTER[GD.Submission])]
    assert city.versions(EDU_ENTRY) == [1, 2]
    trail = city.select("entry_trail", entry=city.minter.entry(EDU_ENTRY)).dicts()
    assert [(str(r["step"]).rsplit("#", 1)[1], int(str(r["version"]))) for r in trail] == [
        ("Submission", 1), ("Audit", 1), ("Submission", 2),
    ]
    assert str(trail[1]["reason"]) == "数据项描述不完整"


def test_a_returned_summary_goes_back_to_summarisation(city: Catalog) -> None:
    district_path(city)
    wf = city.workflow
    wf.summarise(MUNICIPAL_BDA, at=at(5))
    assert "needs a reason" in str(refused(city, wf.ratify, MUNICIPAL_GOV, returned=""))
    wf.ratify(MUNICIPAL_GOV, returned="共享属性需复核", at=at(6))
    assert {(i.step, i.status) for i in wf.items(organ=NANMING_EDU)} == {(GD.Summarisation, STATE_AFTER[GD.Review])}
    assert published(city, "general") == {}
    city_steps(city, 7)
    assert set(published(city, "general")) == {EDU_ENTRY, "302103/000002"}


def test_a_correction_after_publication_follows_the_same_path_and_is_recorded_as_changed(city: Catalog) -> None:
    district_path(city)
    city_steps(city)
    entry = city.entry(EDU_ENTRY)
    city.put(dataclasses.replace(entry, title_zh=entry.title_zh + "（更正）"))
    assert published(city, "general")[EDU_ENTRY] == 1  # the city reads approved versions only
    district_path(city)
    wf = city.workflow
    wf.summarise(MUNICIPAL_BDA, at=at(10))
    wf.ratify(MUNICIPAL_GOV, at=at(11))
    result = wf.publish(MUNICIPAL_BDA, at=at(12))
    assert result.changes["general"].changed == (EDU_ENTRY,)
    assert result.changes["general"].added == ()
    assert published(city, "general")[EDU_ENTRY] == 2
    exported = city.run("city_catalog", catalog=city.minter.city_catalog("general"))
    titles = {str(o) for o in exported.objects(city.minter.entry(EDU_ENTRY), URIRef("http://purl.org/dc/terms/title"))}
    assert entry.title_zh + "（更正）" in titles and entry.title_zh not in titles


def test_a_withdrawal_follows_the_path_and_the_next_publication_removes_the_entry(city: Catalog) -> None:
    wf = city.workflow
    assert "not in the published general catalog" in str(refused(city, wf.withdraw, NANMING_EDU, [EDU_ENTRY], reason="x"))
    district_path(city)
    city_steps(city)
    assert "needs a reason" in str(refused(city, wf.withdraw, NANMING_EDU, [EDU_ENTRY], reason=""))
    assert "another organ" in str(refused(city, wf.withdraw, YUNYAN_HB, [EDU_ENTRY], reason="x"))
    wf.withdraw(NANMING_EDU, [EDU_ENTRY], reason="业务已撤销", at=at(10))
    assert "a withdrawal is already on its way" in str(refused(city, wf.withdraw, NANMING_EDU, [EDU_ENTRY], reason="x"))
    wf.audit(NANMING_BDA, at=at(11))
    wf.approve(NANMING_GOV, at=at(12))
    wf.report(NANMING_BDA, at=at(13))
    wf.review(MUNICIPAL_BDA, at=at(14))
    wf.summarise(MUNICIPAL_BDA, at=at(15))
    wf.ratify(MUNICIPAL_GOV, at=at(16))
    assert EDU_ENTRY in published(city, "general")
    result = wf.publish(MUNICIPAL_BDA, at=at(17))
    assert result.changes["general"].withdrawn == (EDU_ENTRY,)
    for kind in ("general", "sharing", "open"):
        assert EDU_ENTRY not in published(city, kind)
    entry = city.minter.entry(EDU_ENTRY)
    publications = {s for s, _, _ in city._graph(city.minter.workflow_graph()).triples((None, GD.withdrawn, entry))}
    assert len(publications) == 3  # the general, sharing and open catalogs each record it
    withdrawal = [i for i in wf.items(entry=EDU_ENTRY) if i.withdrawal]
    assert [(i.status, i.waiting_for) for i in withdrawal] == [(WITHDRAWN, None)]
    wf.submit(CIVIL_AFFAIRS, at=at(18))  # a later publication keeps it withdrawn
    wf.review(MUNICIPAL_BDA, at=at(19))
    wf.summarise(MUNICIPAL_BDA, at=at(20))
    wf.ratify(MUNICIPAL_GOV, at=at(21))
    later = wf.publish(MUNICIPAL_BDA, at=at(22))
    assert EDU_ENTRY not in published(city, "general") and later.changes["general"].withdrawn == ()


def test_a_publication_brings_the_catalogs_up_to_date_by_difference(city: Catalog) -> None:
    district_path(city)
    city_steps(city)
    wf = city.workflow
    wf.submit(CIVIL_AFFAIRS, at=at(8))
    wf.review(MUNICIPAL_BDA, at=at(9))
    wf.summarise(MUNICIPAL_BDA, at=at(10))
    wf.ratify(MUNICIPAL_GOV, at=at(11))
    result = wf.publish(MUNICIPAL_BDA, at=at(12))
    civil = {i.code for i in wf.items(organ=CIVIL_AFFAIRS)}
    assert set(result.changes["general"].added) == civil
    assert result.changes["general"].members == len(civil) + 2
    head = city.select("catalog_head", catalog=city.minter.city_catalog("general")).dicts()[0]
    assert str(head["version"]) == "2" and head["modified"].toPython() == at(12)
    assert "nothing awaits publish" in str(refused(city, wf.publish, MUNICIPAL_BDA))


def _drop_member(catalog: Catalog, kind: str, code: str) -> None:
    """Tamper with a published graph: remove one member's link (what only a full derivation repairs)."""
    iri, entry = catalog.minter.city_catalog(kind), catalog.minter.entry(code)
    catalog._store.update(change([(iri, iri, DCAT.dataset, entry)], []))  # noqa: SLF001


def _publish_civil_affairs_then_nanming(catalog: Catalog, *, tamper: Callable[[], None]) -> dict[str, int]:
    """Publish the municipal civil-affairs catalog, ``tamper``, then publish Nanming's
    education catalog (fewer entries than are published: a publication that re-derives only
    its own entries unless told otherwise)."""
    wf = catalog.workflow
    wf.submit(CIVIL_AFFAIRS, at=at(0))
    wf.review(MUNICIPAL_BDA, at=at(1))
    city_steps(catalog, start=2)
    tamper()
    wf.submit(NANMING_EDU, at=at(8))
    wf.audit(NANMING_BDA, at=at(9))
    wf.approve(NANMING_GOV, at=at(10))
    wf.report(NANMING_BDA, at=at(11))
    wf.review(MUNICIPAL_BDA, at=at(12))
    city_steps(catalog, start=13)
    return published(catalog, "general")


def test_a_publication_re_derives_only_the_entries_it_publishes(city: Catalog) -> None:
    civil = CIVIL_AFFAIRS_ENTRY
    general = _publish_civil_affairs_then_nanming(city, tamper=lambda: _drop_member(city, "general", civil))
    assert EDU_ENTRY in general and civil not in general  # not being published: not re-derived
    head = city.select("catalog_head", catalog=city.minter.city_catalog("general")).dicts()[0]
    assert head["derived_with"] == city_catalogs.derivation_basis(city)


def test_other_code_lists_or_open_scheme_re_derive_every_entry(city: Catalog) -> None:
    civil = CIVIL_AFFAIRS_ENTRY
    iri = city.minter.city_catalog("general")

    def as_if_published_under_other_code_lists() -> None:
        _drop_member(city, "general", civil)
        city._store.update(change(  # noqa: SLF001
            [(iri, iri, GD.derivedWith, city_catalogs.derivation_basis(city))],
            [(iri, iri, GD.derivedWith, Literal("sha256:0 open-attribute"))],
        ))

    general = _publish_civil_affairs_then_nanming(city, tamper=as_if_published_under_other_code_lists)
    assert EDU_ENTRY in general and civil in general  # every entry re-derived: the gap is repaired


def test_items_awaiting_an_organ_are_found_by_step(city: Catalog) -> None:
    district_path(city)
    wf = city.workflow
    waiting = wf.items(awaits=MUNICIPAL_BDA)
    assert waiting and {i.step for i in waiting} == {GD.Summarisation}
    assert wf.items(awaits=MUNICIPAL_BDA, step=GD.Summarisation) == waiting
    assert wf.items(awaits=MUNICIPAL_BDA, step=GD.Publication) == []
    assert waiting == [i for i in wf.items() if i.waiting_for == city.minter.organ(MUNICIPAL_BDA)]
    with pytest.raises(ParameterError):
        wf.items(step=GD.Summarisation)


def test_art_10_contributors_are_recorded_on_the_work_item(city: Catalog) -> None:
    city.workflow.submit("1152010000929640X9", at=at(0))  # market regulation: thematic entries with contributors
    graph = city._graph(city.minter.workflow_graph())
    contributed = {(s, o) for s, o in graph.subject_objects(URIRef("http://purl.org/dc/terms/contributor"))}
    assert any(o == city.minter.organ("115201000061770778") for _, o in contributed)


def test_each_step_is_a_prov_activity_with_actor_time_sequence(city: Catalog) -> None:
    city.workflow.submit(NANMING_EDU, at=at(0))
    result = city.workflow.audit(NANMING_BDA, returns={EDU_ENTRY: "需补充"}, reason="符合要求", at=at(1))
    graph = city._graph(city.minter.workflow_graph())
    assert len(result.activities) == 2  # one per decision
    for activity in result.activities:
        assert (activity, PROV.wasAssociatedWith, city.minter.organ(NANMING_BDA)) in graph
        assert graph.value(activity, PROV.endedAtTime).toPython() == at(1)
        assert graph.value(activity, GD.sequence) is not None
    reasons = {str(graph.value(a, GD.reason)) for a in result.activities}
    assert reasons == {"需补充", "符合要求"}


def test_pending_work_lists_what_waits_for_an_organ(city: Catalog) -> None:
    city.workflow.submit(NANMING_EDU, at=at(0))
    rows = city.select("pending_work", organ=city.minter.organ(NANMING_BDA)).dicts()
    assert {str(r["code"]) for r in rows} == {EDU_ENTRY, "302103/000002"}
    assert {r["step"] for r in rows} == {GD.Audit}
    assert city.workflow.pending(NANMING_GOV) == []


def test_the_gap_routes_follow_the_settings(city_dump: Path) -> None:
    for route, first in (("district", GD.Audit), ("municipal", GD.Review)):
        with Catalog.open("memory", settings=Settings(district_core_route=route)) as catalog:
            catalog.load(city_dump, restore=True)
            tree = catalog.workflow.tree()
            government = tree.by_code[NANMING_GOV]
            assert tree.route(government).legs[1].step == first


def test_filters_narrow_the_published_catalogs(city: Catalog) -> None:
    district_path(city)
    city.workflow.submit(YUNYAN_HB, at=at(0))
    city.workflow.audit(YUNYAN_BDA, at=at(1))
    city.workflow.approve("11520103007879265E", at=at(2))
    city.workflow.report(YUNYAN_BDA, at=at(3))
    city.workflow.review(MUNICIPAL_BDA, at=at(4))
    city_steps(city)
    general = city.minter.city_catalog("general")
    everything = city.select("catalog_entries", catalog=general)
    assert len(everything) == 4
    nanming = city.select("catalog_entries", catalog=general, organ=city.minter.organ(NANMING_GOV))
    assert {str(c) for c in nanming.column("code")} == {EDU_ENTRY, "302103/000002"}
    title = str(everything.dicts()[0]["title"])
    assert len(city.select("catalog_entries", catalog=general, text=title[1:3])) >= 1
    assert len(city.select("catalog_entries", catalog=general, text="没有这样的标题")) == 0
    by_organ = {city.minter.code_of_organ(str(r["organ"])): int(str(r["entries"])) for r in city.select("catalog_counts_by_organ", catalog=general).dicts()}
    assert by_organ[MUNICIPAL_GOV] == 4 and by_organ[NANMING_GOV] == 2 and by_organ[NANMING_EDU] == 2


def test_time_defaults_to_now_in_utc(city: Catalog) -> None:
    city.workflow.submit(NANMING_EDU)
    since = city.workflow.items(entry=EDU_ENTRY)[0].since
    assert since is not None and since.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - since).total_seconds()) < 120


def test_the_example_city_has_every_organ_on_a_route() -> None:
    with Catalog.open("memory", settings=Settings()) as catalog:
        catalog.load(CITY / "organs.ttl")
        tree = catalog.workflow.tree()
        routes = {o.uscc: tree.route(o).name for o in tree.organs.values()}
    assert routes[NANMING_EDU] == "district" and routes[CIVIL_AFFAIRS] == "municipal"
    assert routes["11520111006547605X"] == "district"  # a township government
    assert len(routes) == 48


def test_platforms_follow_each_publication_through_publication_changes(city: Catalog) -> None:
    district_path(city)
    city_steps(city)
    entry = city.entry(EDU_ENTRY)
    city.put(dataclasses.replace(entry, title_zh=entry.title_zh + "（更正）"))
    district_path(city)
    city_steps(city, 10)
    general = city.minter.city_catalog("general")
    rows = city.select("publication_changes", catalog=general).dicts()
    changes = [(str(r["change"]).rsplit("#", 1)[1], str(r["code"]), r["at"].toPython()) for r in rows]
    assert changes == [
        ("changed", EDU_ENTRY, at(12)),
        ("added", EDU_ENTRY, at(7)),
        ("added", "302103/000002", at(7)),
    ]
    later = city.select("publication_changes", catalog=general, since=at(8).isoformat()).dicts()
    assert [str(r["code"]) for r in later] == [EDU_ENTRY]
