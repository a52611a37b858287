"""The bulk import of new entries (issue 5, import performance): the same statements as
``Catalog.put``, written in batches, all or nothing.

The statements are compared with ``Catalog.put``'s on generated entries (every optional field,
texts with quotes, backslashes, line breaks and non-BMP characters, every member of every code
list, code-list values given as members, IRIs and texts); the crash test is
``tests/test_bulk_import_crash.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from govdata_ld import Catalog, Settings, bulk_import, import_sheets, read_sheets, store
from govdata_ld.codes import (
    SYNONYMS,
    BasicDatabase,
    Category,
    CodeEnum,
    DistributionKind,
    Format,
    Grade,
    ItemDataType,
    OpenAttribute,
    ShareAttribute,
    ShareMode,
    Theme,
    UpdateCycle,
)
from govdata_ld.errors import InputError, StoreError
from govdata_ld.identifiers import complete_uscc
from govdata_ld.iris import Minter
from govdata_ld.records import ContactPoint, DataItem, Distribution, Entry, Period
from govdata_ld.tabular import to_graph, to_turtle, write_entries

SETTINGS = Settings()
PROVIDERS = [complete_uscc(f"11520100MB{i:07d}") for i in range(3)]
# Quotes, backslashes, line breaks, a tab, CJK, a non-BMP ideograph and an emoji; no character
# the input gate refuses (XML 1.0 controls) and no lone surrogate.
TEXT = st.text(st.sampled_from(list('a"\\\n\r\t 规划许可\u3000\U00020000\U0001F600\'<>&;|é')), max_size=12)
IRIS = ["http://publications.europa.eu/resource/authority/language/ZHO", "https://例子.example/路径?q=1#x",
        "http://data.example.org/licence/1.0"]


def code_value(enum: type[CodeEnum]) -> st.SearchStrategy[object]:
    """A code-list value as a member, its IRI (as URIRef or text) or a person's text for it."""
    def forms(member: CodeEnum) -> list[object]:
        return [member, member.value, str(member.value), *SYNONYMS.get(member, ())[:2]]
    return st.sampled_from(list(enum)).flatmap(lambda m: st.sampled_from(forms(m)))


def optional(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.none() | strategy


@st.composite
def entries(draw: st.DrawFn, code: str) -> Entry:
    dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
    email = st.from_regex(r"[a-z0-9._+-]{1,8}@[a-z0-9-]{1,8}\.example", fullmatch=True)
    contact = st.builds(ContactPoint, TEXT, optional(email), optional(st.from_regex(r"[0-9-]{3,12}", fullmatch=True)))
    return Entry(
        code=code,
        title_zh=draw(TEXT),
        summary_zh=draw(TEXT),
        provider=draw(st.sampled_from(PROVIDERS)),
        source_business=draw(TEXT),
        category=draw(code_value(Category)),
        grade=draw(code_value(Grade)),
        share=draw(code_value(ShareAttribute)),
        open=draw(code_value(OpenAttribute)),
        update_cycle=draw(code_value(UpdateCycle)),
        issued=draw(dates),
        format=draw(code_value(Format)),
        title_en=draw(optional(TEXT)),
        summary_en=draw(optional(TEXT)),
        source_system=draw(optional(st.sampled_from(["sys-001", "系统/2", "a b"]))),
        basic_database=draw(optional(code_value(BasicDatabase))),
        theme=draw(optional(code_value(Theme))),
        contributors=tuple(draw(st.lists(st.sampled_from(PROVIDERS), max_size=3))),
        share_condition=draw(optional(TEXT)),
        share_mode=draw(optional(code_value(ShareMode))),
        legal_basis=draw(optional(TEXT)),
        open_condition=draw(optional(TEXT)),
        use_requirement=draw(optional(TEXT)),
        modified=draw(optional(dates)),
        items=tuple(draw(st.lists(st.builds(DataItem, TEXT, code_value(ItemDataType), optional(TEXT)), max_size=4))),
        related=tuple(draw(st.lists(st.sampled_from(["301017/000011", "101001/1", "x y"]), max_size=3))),
        distributions=tuple(draw(st.lists(st.builds(
            Distribution, code_value(DistributionKind), TEXT, optional(code_value(Format)),
            optional(st.sampled_from(IRIS)), optional(st.sampled_from(IRIS))), max_size=2))),
        keywords=tuple(draw(st.lists(TEXT, max_size=4))),  # duplicates included: written once
        spatial=draw(optional(st.sampled_from(["520100", "520102"]))),
        temporal=draw(optional(st.builds(Period, optional(dates), optional(dates)))),
        license=draw(optional(st.sampled_from(IRIS))),
        languages=tuple(draw(st.lists(st.sampled_from(IRIS), max_size=3))),
        contact=draw(optional(contact)),
        internal_contact=draw(optional(contact)),
    )


@pytest.fixture(scope="module")
def shared_catalog() -> Iterator[Catalog]:
    with Catalog.open("memory", settings=SETTINGS) as catalog:
        yield catalog


def put_statements(catalog: Catalog, batch: list[Entry]) -> set[tuple[object, ...]]:
    """What ``Catalog.put`` writes for these (new) entries: the content of their graphs, and
    nothing anywhere else (the store grows by exactly that)."""
    before = len(catalog)
    catalog.put(*batch)
    written = {q for e in batch for q in catalog._store.quads(catalog.minter.entry(e.code))}  # noqa: SLF001
    assert len(catalog) - before == len(written)
    return written


def bulk_statements(batch: list[Entry]) -> set[tuple[object, ...]]:
    text = "".join(bulk_import.nquads(batch, Minter(SETTINGS.base_iri)))
    return set(store.parse(text.encode("utf-8"), "nquads", source="bulk"))


COUNTER = iter(range(10**9))


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.data())
def test_the_bulk_statements_are_those_put_writes(shared_catalog: Catalog, data: st.DataObject) -> None:
    # Codes are new to the shared store in every example (a counter; some need percent-encoding).
    batch = [data.draw(entries(f"3{next(COUNTER):05d}/{suffix}")) for suffix in data.draw(
        st.lists(st.sampled_from(["1", "00 2", "a%b", "规"]), min_size=1, max_size=3, unique=True))]
    assert bulk_statements(batch) == put_statements(shared_catalog, batch)


@pytest.mark.parametrize("enum", [Category, BasicDatabase, Theme, Format, ShareAttribute, ShareMode, OpenAttribute,
                                  UpdateCycle, Grade, ItemDataType, DistributionKind])
def test_every_member_of_every_code_list_is_written_as_put_writes_it(enum: type[CodeEnum]) -> None:
    base = sample(0)
    field = {Category: "category", BasicDatabase: "basic_database", Theme: "theme", Format: "format",
             ShareAttribute: "share", ShareMode: "share_mode", OpenAttribute: "open", UpdateCycle: "update_cycle",
             Grade: "grade"}.get(enum)
    batch = []
    for number, member in enumerate(enum):
        entry = sample(number + 1)
        if field is not None:
            entry = _replace(entry, **{field: member})
        elif enum is ItemDataType:
            entry = _replace(entry, items=(DataItem("项", member, "说明"),))
        else:
            entry = _replace(entry, distributions=(Distribution(member, "分发", Format.DATABASE, IRIS[2]),))
        batch.append(entry)
    with Catalog.open("memory", settings=SETTINGS) as catalog:
        assert bulk_statements([base, *batch]) == put_statements(catalog, [base, *batch])


def _replace(entry: Entry, **changes: object) -> Entry:
    from dataclasses import replace
    return replace(entry, **changes)  # type: ignore[arg-type]


def sample(number: int) -> Entry:
    """A departmental entry with every optional field a sheet can fill, and awkward texts."""
    return Entry(
        code=f"301017/{number:06d}", title_zh=f'许可"{number}"\\ 𠀀', summary_zh="第一行\n第二行\r\n😀",
        provider=PROVIDERS[number % 3], source_business="许可", category=Category.DEPARTMENTAL,
        grade=Grade.NON_SENSITIVE, share=ShareAttribute.CONDITIONAL, open=OpenAttribute.UNCONDITIONAL,
        update_cycle=UpdateCycle.MONTHLY, issued=date(2024, 3, 1), format=Format.DATABASE,
        title_en="Permits", summary_en='A "quoted" summary', source_system="gy-nrp", share_condition="仅限履职",
        share_mode=ShareMode.PLATFORM, legal_basis="《办法》", open_condition="申请", use_requirement="注明来源",
        modified=date(2026, 10, 30), related=("301017/000011",), contributors=(PROVIDERS[1],),
        items=(DataItem("编号", ItemDataType.CHARACTER, "证书\\编号"), DataItem("日期", ItemDataType.DATE)),
        keywords=("规划", "许可", "规划"), spatial="520100", temporal=Period(date(2020, 1, 1), date(2035, 12, 31)),
        license=IRIS[2], languages=(IRIS[0],), contact=ContactPoint("科", "permits@guiyang.example", "0851-1"),
        internal_contact=ContactPoint("内部", None, "110"),
    )


def sheet(tmp_path: Path, count: int, first: int = 0) -> Path:
    path = tmp_path / f"sheet-{first}-{count}.xlsx"
    write_entries([sample(n) for n in range(first, first + count)], path, format="xlsx", settings=SETTINGS)
    return path


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk path from 4 entries on, in batches of 3 (so an import has several batches)."""
    monkeypatch.setattr(bulk_import, "BULK_THRESHOLD", 3)
    monkeypatch.setattr(bulk_import, "BATCH_ENTRIES", 3)


def contents(catalog: Catalog) -> set[tuple[object, ...]]:
    vocabulary = catalog.minter.vocabulary_graph()
    return {q for q in catalog._store.quads() if q[3] != vocabulary}  # noqa: SLF001


def test_a_large_sheet_of_new_entries_takes_the_bulk_path_and_writes_what_put_writes(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sheet(tmp_path, 10)
    loads: list[int] = []
    original = store.EmbeddedStore._bulk_load_nquads
    monkeypatch.setattr(store.EmbeddedStore, "_bulk_load_nquads",
                        lambda self, data: (loads.append(len(data)), original(self, data))[1])
    with Catalog.open(tmp_path / "bulk", settings=SETTINGS) as bulk, Catalog.open("memory", settings=SETTINGS) as put:
        summary = import_sheets(bulk, path).summary
        expected = put.put(*read_sheets(path, settings=SETTINGS).entries)  # a sheet has no "\r\n"
        assert len(loads) == 4  # batches of 3, 3, 3 and 1
        assert summary == expected
        assert contents(bulk) == contents(put)
        assert bulk_import.imports_graph(bulk.minter) not in bulk._store.graph_names()  # noqa: SLF001
        assert bulk.entry("301017/000004") == put.entry("301017/000004")


def test_revisions_and_small_imports_go_through_put(tmp_path: Path, small_batches: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object, data: bytes) -> None:
        raise AssertionError("the bulk loader was used")

    with Catalog.open(tmp_path / "store", settings=SETTINGS) as catalog:
        catalog.put(sample(2))
        monkeypatch.setattr(store.EmbeddedStore, "_bulk_load_nquads", refuse)
        summary = import_sheets(catalog, sheet(tmp_path, 6)).summary  # one of the six is known
        assert summary is not None and summary.revised == ("301017/000002",) and len(summary.added) == 5
        summary = import_sheets(catalog, sheet(tmp_path, 3, first=20)).summary  # not more than the threshold
        assert summary is not None and len(summary.added) == 3


def test_a_failure_in_a_batch_rolls_the_import_back_at_once(tmp_path: Path, small_batches: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    original = store.EmbeddedStore._bulk_load_nquads
    calls = iter(range(100))

    def fail_third(self: store.EmbeddedStore, data: bytes) -> None:
        if next(calls) == 2:
            original(self, data[: len(data) // 2].rsplit(b"\n", 1)[0] + b"\n")  # part of the batch lands
            raise StoreError("bulk load failed, part of it may be written: disk full")
        original(self, data)

    with Catalog.open(tmp_path / "store", settings=SETTINGS) as catalog:
        catalog.put(sample(100))
        before = contents(catalog)
        monkeypatch.setattr(store.EmbeddedStore, "_bulk_load_nquads", fail_third)
        with pytest.raises(StoreError, match="disk full"):
            import_sheets(catalog, sheet(tmp_path, 10))
        assert contents(catalog) == before
        assert catalog.versions("301017/000100") == [1]


def test_an_entry_the_mapping_refuses_rolls_back_what_earlier_batches_wrote(tmp_path: Path, small_batches: None) -> None:
    batch = [sample(n) for n in range(9)] + [_replace(sample(9), license="javascript:alert(1)")]
    with Catalog.open(tmp_path / "store", settings=SETTINGS) as catalog:
        before = contents(catalog)
        with pytest.raises(InputError, match="scheme"):
            bulk_import.import_entries(catalog, batch)
        assert contents(catalog) == before


def test_an_unfinished_import_is_rolled_back_on_the_next_open(tmp_path: Path, small_batches: None,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    class Died(BaseException):
        """Stands for the process dying: no rollback runs."""

    original = store.EmbeddedStore._bulk_load_nquads
    calls = iter(range(100))

    def die_in_third(self: store.EmbeddedStore, data: bytes) -> None:
        if next(calls) == 2:
            raise Died
        original(self, data)

    location = tmp_path / "store"
    with Catalog.open(location, settings=SETTINGS) as catalog:
        catalog.put(sample(100))
        before = contents(catalog)
    catalog = Catalog.open(location, settings=SETTINGS)
    monkeypatch.setattr(store.EmbeddedStore, "_bulk_load_nquads", die_in_third)
    monkeypatch.setattr(bulk_import, "_roll_back", lambda *args: None)
    with pytest.raises(Died):
        import_sheets(catalog, sheet(tmp_path, 10))
    assert len(contents(catalog)) > len(before)  # two batches and the intent landed
    catalog.close()
    with caplog.at_level(logging.WARNING, logger="govdata_ld.bulk_import"):
        reopened = Catalog.open(location, settings=SETTINGS)
    with reopened:
        assert contents(reopened) == before
        assert "did not finish" in caplog.text and "10 entry graph(s)" in caplog.text


def test_the_imports_graph_is_under_the_base_iri() -> None:
    assert bulk_import.imports_graph(Minter(SETTINGS.base_iri)) == URIRef(f"{SETTINGS.base_iri}graph/imports")


def test_to_turtle_writes_the_triples_of_to_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_import, "BATCH_ENTRIES", 2)
    batch = [sample(n) for n in range(5)]
    written = Graph().parse(data=to_turtle(batch, settings=SETTINGS).decode("utf-8"), format="turtle")
    assert set(written) == set(to_graph(batch, settings=SETTINGS))
