"""Random small cities for the property tests of the Article 12 workflow (tests/test_invariants.py).

Hypothesis strategies build a city as govdata_ld records: the municipal people's government and
big-data department, a few municipal departments, one or two districts (each with its people's
government, big-data department and maybe a department and a township) and, for any organ, drafts
of catalog entries with random grade, share and open attributes. Most drafts are consistent; some
are not (the grade forbids an attribute, a condition or the use requirements are missing, the open
attribute is outside the active scheme), and validation must refuse exactly those.

Beside the strategies, this module states what the tests judge the library against, independently
of its code: each organ's route (Measures Art. 12), the grade matrix (ontology/grades.ttl) and the
allow-lists of the sharing and open catalogs.

Every text of a draft carries a marker ``<code>#v<version>`` and restricted texts carry a word of
their own (:data:`SECRET_WORDS`), so a test can tell where any literal of an export came from.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from hypothesis import strategies as st
from rdflib import URIRef

from govdata_ld import (
    AdminLevel,
    Category,
    ContactPoint,
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
    ShareAttribute,
    UpdateCycle,
    complete_uscc,
)

AS_OF = date(2026, 11, 1)
"""The day validations are judged on (the update duty only warns)."""

MUNICIPAL_DIVISION = "520100"
DISTRICT_DIVISIONS = ("520102", "520103", "520111")

U, C, N = ShareAttribute.UNCONDITIONAL, ShareAttribute.CONDITIONAL, ShareAttribute.NOT_SHARED
OU, OC, ON, OA = (
    OpenAttribute.UNCONDITIONAL,
    OpenAttribute.CONDITIONAL,
    OpenAttribute.NOT_OPEN,
    OpenAttribute.ON_APPLICATION,
)

PERMITS_SHARE: Mapping[Grade, frozenset[ShareAttribute]] = {
    Grade.NON_SENSITIVE: frozenset({U, C, N}),
    Grade.SENSITIVE: frozenset({C, N}),
    Grade.SECRET: frozenset({N}),
}
"""The share attributes each shipped grade permits (ontology/grades.ttl, gd:permitsShareAttribute)."""

_PERMITS_OPEN: Mapping[Grade, frozenset[OpenAttribute]] = {
    Grade.NON_SENSITIVE: frozenset({OU, OC, ON}),
    Grade.SENSITIVE: frozenset({OC, ON}),
    Grade.SECRET: frozenset({ON}),
}
"""The open attributes each shipped grade permits (ontology/grades.ttl, gd:permitsOpenAttribute)."""

SHARE_ALLOW = frozenset({U, C})
"""Share attributes that put an entry in the sharing catalog (Art. 9 para 2)."""
OPEN_ALLOW = frozenset({OU, OC, OA})
"""Open attributes that put an entry in the open catalog (Art. 9 para 2; 依申请开放 included)."""
NEEDS_SHARE_CONDITION = frozenset({C, N})
NEEDS_OPEN_CONDITION = frozenset({OC, OA})

SECRET_WORDS = ("共享条件", "共享依据", "内部联系人", "neibu")
"""Words only in texts the open platform must never receive: share conditions, legal bases,
internal contact points (name and e-mail address)."""


@dataclass(frozen=True)
class Scheme:
    """An open-attribute configuration of a deployment.

    Attributes:
        name: the settings' ``open_attribute_scheme``.
        values: the open attributes of the active scheme.
        permits_open: the open attributes each grade permits.
        grades_on_application: whether the deployment replaces grades.ttl with one that permits
            依申请开放 wherever 有条件开放 is permitted (as grades.ttl advises for this scheme).
    """

    name: str
    values: frozenset[OpenAttribute]
    permits_open: Mapping[Grade, frozenset[OpenAttribute]]
    grades_on_application: bool = False


GUIZHOU = Scheme("open-attribute", frozenset({OU, OC, ON}), _PERMITS_OPEN)
GUIYANG = Scheme(
    "open-attribute-guiyang",
    frozenset({OU, OA, ON}),
    {g: p | {OA} if OC in p else p for g, p in _PERMITS_OPEN.items()},
    grades_on_application=True,
)

VERBS = ("submit", "audit", "approve", "report", "review", "summarise", "ratify", "publish")
Leg = tuple[str, str]
"""One step of a route: (verb, credit code of the organ that takes it)."""


@dataclass(frozen=True)
class District:
    """A district: its GB/T 2260 code, people's government and big-data department."""

    division: str
    government: str
    bda: str


@dataclass(frozen=True)
class City:
    """A city's organs, with who is who."""

    organs: tuple[Organ, ...]
    government: str
    bda: str
    districts: tuple[District, ...]
    by_code: Mapping[str, Organ] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {o.uscc: o for o in self.organs})

    def route(self, uscc: str) -> tuple[Leg, ...]:
        """The legs an organ's catalog versions go through (Measures Art. 12 para 1-3; the
        district route for a district government's or big-data department's own catalogs)."""
        organ = self.by_code[uscc]
        city = (("summarise", self.bda), ("ratify", self.government), ("publish", self.bda))
        if organ.level is AdminLevel.MUNICIPAL:
            return (("submit", uscc), ("review", self.bda), *city)
        district = next(d for d in self.districts if d.division == organ.division)
        return (
            ("submit", uscc),
            ("audit", district.bda),
            ("approve", district.government),
            ("report", district.bda),
            ("review", self.bda),
            *city,
        )

    def may_ever(self, uscc: str, verb: str) -> bool:
        """Whether an organ of this kind and level takes ``verb`` on some route."""
        organ = self.by_code[uscc]
        bda, gov = OrganKind.BIG_DATA_DEPARTMENT, OrganKind.PEOPLES_GOVERNMENT
        county, municipal = AdminLevel.COUNTY, AdminLevel.MUNICIPAL
        takers = {
            "audit": (bda, county), "approve": (gov, county), "report": (bda, county),
            "review": (bda, municipal), "summarise": (bda, municipal),
            "ratify": (gov, municipal), "publish": (bda, municipal),
        }
        return verb not in takers or (organ.kind, organ.level) == takers[verb]


def build_city(departments: list[OrganKind], districts: list[tuple[str, OrganKind | None, bool]]) -> City:
    """A city: the municipal government and big-data department, municipal ``departments``, and
    for each district (division, the kind of its department or None, whether it has a township)
    its government, big-data department and those organs."""
    serial = itertools.count(1)

    def organ(division: str, name: str, kind: OrganKind, level: AdminLevel, parent: str | None) -> Organ:
        return Organ(complete_uscc(f"11{division}{next(serial):09d}"), name, kind, level, division, parent=parent)

    m = MUNICIPAL_DIVISION
    government = organ(m, "市人民政府", OrganKind.PEOPLES_GOVERNMENT, AdminLevel.MUNICIPAL, None)
    bda = organ(m, "市大数据局", OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.MUNICIPAL, government.uscc)
    organs = [government, bda]
    organs += [organ(m, f"市部门{i}", k, AdminLevel.MUNICIPAL, government.uscc) for i, k in enumerate(departments)]
    built = []
    for d, department, township in districts:
        gov = organ(d, f"{d}区人民政府", OrganKind.PEOPLES_GOVERNMENT, AdminLevel.COUNTY, government.uscc)
        dbda = organ(d, f"{d}区大数据局", OrganKind.BIG_DATA_DEPARTMENT, AdminLevel.COUNTY, gov.uscc)
        organs += [gov, dbda]
        if department is not None:
            organs.append(organ(d, f"{d}区部门", department, AdminLevel.COUNTY, gov.uscc))
        if township:
            organs.append(organ(d, f"{d}区乡镇", OrganKind.PEOPLES_GOVERNMENT, AdminLevel.TOWNSHIP, gov.uscc))
        built.append(District(d, gov.uscc, dbda.uscc))
    return City(tuple(organs), government.uscc, bda.uscc, tuple(built))


_AGENCY = st.sampled_from([OrganKind.WORKING_DEPARTMENT, OrganKind.DISPATCHED_AGENCY])


def cities() -> st.SearchStrategy[City]:
    """A small city whose organ tree passes validation: 0-2 municipal departments, 1-2 districts
    each with maybe a department and maybe a township."""
    extras = st.tuples(st.none() | _AGENCY, st.booleans())
    districts = st.permutations(DISTRICT_DIVISIONS).flatmap(
        lambda divisions: st.lists(extras, min_size=1, max_size=2).map(
            lambda chosen: [(d, *e) for d, e in zip(divisions, chosen, strict=False)]
        )
    )
    return st.builds(build_city, st.lists(_AGENCY, max_size=2), districts)


def entry_codes(city: City, uscc: str, count: int) -> list[str]:
    """``count`` resource codes of a departmental provider: 3 + its level + its number / sequence."""
    organ = city.by_code[uscc]
    level = {AdminLevel.MUNICIPAL: 1, AdminLevel.COUNTY: 2, AdminLevel.TOWNSHIP: 3}[organ.level]  # type: ignore[index]
    number = [o.uscc for o in city.organs].index(uscc) + 1
    return [f"3{level:02d}{number:03d}/{n:06d}" for n in range(1, count + 1)]


DEFECTS = ("share_condition", "legal_basis", "open_condition", "use_requirement", "items")
"""Fields a defective draft leaves out (each needed by some rule of shapes/)."""


@st.composite
def drafts(draw: st.DrawFn, code: str, provider: str, version: int, scheme: Scheme) -> Entry:
    """Version ``version`` of entry ``code``: consistent attributes most of the time; otherwise
    any grade, share and open attribute (shipped concepts, in the active scheme or not), or a
    consistent one with a required field left out."""
    mode = draw(st.sampled_from(["consistent", "consistent", "any", "defective"]))
    grade = draw(st.sampled_from(list(Grade)))
    if mode == "any":
        share = draw(st.sampled_from(list(ShareAttribute)))
        open_ = draw(st.sampled_from(list(OpenAttribute)))
    else:
        share = draw(st.sampled_from(sorted(PERMITS_SHARE[grade], key=lambda a: a.value)))
        open_ = draw(st.sampled_from(sorted(scheme.permits_open[grade] & scheme.values, key=lambda a: a.value)))
    left_out = draw(st.sampled_from(DEFECTS)) if mode == "defective" else None
    mark = f"{code}#v{version}"
    slug = code.replace("/", "-")

    def text(name: str, value: str, needed: bool) -> str | None:
        optional = draw(st.booleans()) if not needed else True
        return value if optional and left_out != name else None

    items = tuple(
        DataItem(f"字段{i} {mark}", draw(st.sampled_from([ItemDataType.CHARACTER, ItemDataType.DATE])), f"说明{i} {mark}")
        for i in range(1, draw(st.integers(1, 2)) + 1)
    )
    distributions = (
        (Distribution(DistributionKind.API, f"接口 {mark}", Format.JSON, f"https://share.example/{slug}/v{version}"),)
        if draw(st.booleans()) else ()
    )
    return Entry(
        code=code,
        title_zh=f"数据资源 {mark}",
        summary_zh=f"摘要 {mark}",
        provider=provider,
        source_business=f"来源业务 {mark}",
        category=Category.DEPARTMENTAL,
        grade=grade,
        share=share,
        open=open_,
        update_cycle=draw(st.sampled_from([UpdateCycle.ANNUAL, UpdateCycle.IRREGULAR])),
        issued=date(2024, 1, 1),
        modified=date(2026, 6, version),
        format=Format.SPREADSHEET,
        share_condition=text("share_condition", f"共享条件 {mark}", share in NEEDS_SHARE_CONDITION),
        legal_basis=text("legal_basis", f"共享依据 {mark}", share in NEEDS_SHARE_CONDITION),
        open_condition=text("open_condition", f"开放条件 {mark}", open_ in NEEDS_OPEN_CONDITION),
        use_requirement=None if left_out == "use_requirement" else f"使用要求 {mark}",
        items=() if left_out == "items" else items,
        distributions=distributions,
        contact=ContactPoint(f"公开联系 {mark}", email=f"gongkai-{slug}@gov.example") if draw(st.booleans()) else None,
        internal_contact=ContactPoint(f"内部联系人 {mark}", email=f"neibu-{slug}-v{version}@gov.example"),
    )


def refusals(entry: Entry, scheme: Scheme) -> list[str]:
    """Why validation must refuse a draft (empty: it must pass), by the rules of shapes/."""
    why = []
    if entry.share not in PERMITS_SHARE[entry.grade]:  # type: ignore[index]
        why.append("the grade does not permit the share attribute")
    if entry.open not in scheme.permits_open[entry.grade]:  # type: ignore[index]
        why.append("the grade does not permit the open attribute")
    if entry.open not in scheme.values:
        why.append("the open attribute is not in the active scheme")
    if entry.share in NEEDS_SHARE_CONDITION and not entry.share_condition:
        why.append("no share condition")
    if entry.share in NEEDS_SHARE_CONDITION and not entry.legal_basis:
        why.append("no legal basis")
    if entry.open in NEEDS_OPEN_CONDITION and not entry.open_condition:
        why.append("no open condition")
    if not entry.use_requirement:
        why.append("no use requirements")
    if not entry.items:
        why.append("no data items")
    return why


def shared(entry: Entry, scheme: Scheme) -> bool:
    """Whether an approved version belongs in the sharing catalog (allow-list, grade permitting)."""
    return entry.share in SHARE_ALLOW and entry.share in PERMITS_SHARE[entry.grade]  # type: ignore[index]


def opened(entry: Entry, scheme: Scheme) -> bool:
    """Whether an approved version belongs in the open catalog (allow-list, active scheme, grade
    permitting)."""
    return (
        entry.open in OPEN_ALLOW
        and entry.open in scheme.values
        and entry.open in scheme.permits_open[entry.grade]  # type: ignore[index]
    )


def carrier(city: City, code: str = "301999/999999", provider: str | None = None, open_: OpenAttribute = OU) -> Entry:
    """A valid, shared and opened entry (of the municipal big-data department unless told): a
    scenario holds it back to carry a publication after the test has done something to the store."""
    mark = f"{code}#v1"
    return Entry(
        code=code,
        title_zh=f"数据资源 {mark}",
        summary_zh=f"摘要 {mark}",
        provider=provider or city.bda,
        source_business=f"来源业务 {mark}",
        category=Category.DEPARTMENTAL,
        grade=Grade.NON_SENSITIVE,
        share=U,
        open=open_,
        open_condition=f"开放条件 {mark}" if open_ in NEEDS_OPEN_CONDITION else None,
        update_cycle=UpdateCycle.ANNUAL,
        issued=date(2024, 1, 1),
        format=Format.SPREADSHEET,
        use_requirement=f"使用要求 {mark}",
        items=(DataItem(f"字段1 {mark}", ItemDataType.CHARACTER),),
        internal_contact=ContactPoint(f"内部联系人 {mark}", email=f"neibu-{code.replace('/', '-')}@gov.example"),
    )


# -- as organs write them: noisy values, alias IRIs, cycles, downgrades (tests/test_leakage.py) ---

WRITTEN_AS: Mapping[ShareAttribute | OpenAttribute, tuple[str, ...]] = {
    U: ("无条件共享", "无条件共享类", "shared unconditionally", "1"),
    C: ("有条件共享", "有条件共享类", "shared conditionally", "2"),
    N: ("不予共享", "不予共享类", "not shared", "3"),
    OU: ("无条件开放", "无条件开放类", "opened unconditionally", "1"),
    OC: ("有条件开放", "有条件开放类", "opened conditionally", "2"),
    ON: ("不予开放", "不予开放类", "not open", "3"),
    OA: ("依申请开放", "opened on application", "4"),
}
"""How people write each share and open attribute, which the library must read as that value: the
Measures' wording (Art. 9 para 2), the national guide's wording with 类 (国发〔2016〕51号), the
English labels and the notations."""

UNKNOWN_WRITINGS: Mapping[str, tuple[str, ...]] = {
    "share": ("", " ", "\u3000", "N/A", "unknown", "shared", "共享", "公开", "是", "否", "0", "4", "无条件",
              "無條件共享", "有條件共享", "不予共亯", "无条件 共享", "无条件共享。", "无条件开放", "不予开放",
              "yes", "null", "shared sometimes"),
    "open": ("", " ", "\u3000", "N/A", "unknown", "open", "opened", "开放", "公开", "是", "否", "0", "5",
             "无条件", "不予開放", "無條件開放", "有條件開放", "依申請開放", "无条件 开放", "无条件开放。",
             "无条件共享", "不予共享", "yes", "null", "on request"),
    "grade": ("", "N/A", "unknown", "top-secret", "4", "公开", "非敏感级"),
}
"""Texts that name no value of the attribute's code list (traditional spellings, another list's
labels, blanks inside a label, made-up words): refused, never defaulted (Art. 9 para 2)."""

BLANKS = (" ", "\u3000", "\u00a0", "\t")
"""Blanks people put around a value (ASCII, ideographic, no-break space, tab)."""
INVISIBLE = ("\u200b", "\u200d", "\u2060", "\ufeff")
"""Format characters that copying from documents leaves inside a value (zero-width space and
joiner, word joiner, byte-order mark)."""

ALIAS_HOST = "https://alias.example/"
"""Where made-up alias IRIs live (declared owl:sameAs the concept or organ they imitate)."""


def full_width(text: str) -> str:
    """ASCII letters, digits and signs as their full-width forms, spaces as ideographic spaces."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@st.composite
def noisy(draw: st.DrawFn, text: str) -> str:
    """``text`` as a person may write it: full-width, in any case, with format characters inside
    and blanks around (and between words)."""
    if draw(st.booleans()):
        text = full_width(text)
    text = draw(st.sampled_from([text, text.upper(), text.title(), text.swapcase()]))
    if " " in text or "\u3000" in text:
        text = "".join(draw(st.sampled_from(["  ", " \u3000", "\t "])) if ch in " \u3000" else ch for ch in text)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(INVISIBLE)) + text[at:]
    left = "".join(draw(st.lists(st.sampled_from(BLANKS), max_size=2)))
    right = "".join(draw(st.lists(st.sampled_from(BLANKS), max_size=2)))
    return left + text + right


def aliases(iri: str) -> tuple[str, ...]:
    """Other IRIs for the same concept or organ, none of which is it: the http variant, a trailing
    slash, an upper-case host, a fragment for the last segment, a percent-encoded letter, and a
    made-up IRI (which the file door declares owl:sameAs it)."""
    scheme, rest = iri.split("://", 1)
    host, path = rest.split("/", 1)
    head, last = path.rsplit("/", 1)
    return (
        f"http://{rest}",
        f"{iri}/",
        f"{scheme}://{host.upper()}/{path}",
        f"{scheme}://{host}/{head}#{last}",
        f"{scheme}://{host}/{head}/%{ord(last[0]):02X}{last[1:]}",
        f"{ALIAS_HOST}{head.rsplit('/', 1)[-1]}/{last}",
    )


@dataclass(frozen=True)
class Written:
    """A draft as an organ writes it, and what the library must make of it.

    Attributes:
        drafted: the draft, with code-list members.
        entry: the record as written: grade, share and open attributes may be texts (noisy or
            unknown) or IRIs (the concept's, or an alias).
        meant: the same record with each value the library must read: the member the writing
            names, or the alias IRI (which names no concept, so the entry is withheld).
        refused: attributes whose writing names nothing: the record must be refused.
        aliased: attributes written as an alias IRI: accepted, never counted as the concept.
    """

    drafted: Entry
    entry: Entry
    meant: Entry
    refused: tuple[str, ...] = ()
    aliased: tuple[str, ...] = ()


CLASSIFIED = {"grade": Grade, "share": ShareAttribute, "open": OpenAttribute}
"""The attributes that decide sharing and opening, and their code lists."""


@st.composite
def writing(draw: st.DrawFn, attr: str, member: Grade | ShareAttribute | OpenAttribute) -> tuple[object, str]:
    """One way to write ``member`` for ``attr``, and its outcome: "known" (read as the member),
    "alias" (an IRI that is not the concept's) or "refused" (names no concept)."""
    how = draw(st.sampled_from(["member", "member", "member", "iri", "text", "text", "text", "alias", "unknown"]))
    if how == "member":
        return member, "known"
    if how == "iri":
        return str(member.value), "known"
    if how == "text":
        labels = WRITTEN_AS.get(member, ()) or (str(member.value).rsplit("/", 1)[-1],)  # type: ignore[call-overload]
        return draw(noisy(draw(st.sampled_from(labels)))), "known"
    if how == "alias":
        return draw(st.sampled_from(aliases(str(member.value)))), "alias"
    return draw(st.sampled_from(UNKNOWN_WRITINGS[attr])), "refused"


@st.composite
def written_drafts(
    draw: st.DrawFn, code: str, provider: str, version: int, scheme: Scheme, *, related: tuple[str, ...] = (),
    base: Entry | None = None,
) -> Written:
    """Version ``version`` of entry ``code`` as written (see :class:`Written`): a draft of
    :func:`drafts` (or ``base``), related to some of ``related`` (itself included: cycles), with its
    grade, share and open attributes each written as the member, its IRI, a noisy label, an alias
    IRI or an unknown text."""
    entry = base or draw(drafts(code, provider, version, scheme))
    links = tuple(sorted(draw(st.sets(st.sampled_from(related), max_size=3)))) if related else ()
    entry = replace(entry, related=links)
    written: dict[str, object] = {}
    meant: dict[str, object] = {}
    refused, aliased = [], []
    for attr in CLASSIFIED:
        value, outcome = draw(writing(attr, getattr(entry, attr)))
        written[attr] = value
        if outcome == "alias":
            aliased.append(attr)
            meant[attr] = URIRef(value)  # type: ignore[arg-type]
        elif outcome == "refused":
            refused.append(attr)
    return Written(entry, replace(entry, **written), replace(entry, **meant), tuple(refused), tuple(aliased))


GRADES_UP = (Grade.NON_SENSITIVE, Grade.SENSITIVE, Grade.SECRET)
RESTRICTIONS = ("not open", "not shared", "grade up", "all")


@st.composite
def downgraded(draw: st.DrawFn, previous: Entry, version: int, scheme: Scheme) -> Entry:
    """A later version of ``previous`` that restricts it: open attribute 不予开放, share attribute
    不予共享, a higher grade (the attributes kept, so the grade may now forbid them), or all three;
    new texts (marked with the new version)."""
    fresh = draw(drafts(previous.code, previous.provider, version, scheme))
    how = draw(st.sampled_from(RESTRICTIONS))
    grade = previous.grade if isinstance(previous.grade, Grade) else fresh.grade
    share = previous.share if isinstance(previous.share, ShareAttribute) else fresh.share
    open_ = previous.open if isinstance(previous.open, OpenAttribute) else fresh.open
    if how in ("grade up", "all"):
        grade = GRADES_UP[min(GRADES_UP.index(grade) + 1, len(GRADES_UP) - 1)]  # type: ignore[arg-type]
    if how in ("not open", "all"):
        open_ = ON
    if how in ("not shared", "all"):
        share = N
    mark = f"{previous.code}#v{version}"
    return replace(
        fresh, grade=grade, share=share, open=open_,
        share_condition=f"共享条件 {mark}" if share in NEEDS_SHARE_CONDITION else None,
        legal_basis=f"共享依据 {mark}" if share in NEEDS_SHARE_CONDITION else None,
        open_condition=f"开放条件 {mark}" if open_ in NEEDS_OPEN_CONDITION else None,
    )


def withheld(entry: Entry, scheme: Scheme) -> bool:
    """Whether an approved version is kept out of the sharing and open catalogs (and reported): a
    value that names no concept of its list (an alias IRI), or an open attribute outside the
    active scheme (Art. 9 para 2: never defaulted)."""
    known = all(isinstance(getattr(entry, attr), enum) for attr, enum in CLASSIFIED.items())
    return not known or entry.open not in scheme.values


def shares(entry: Entry, scheme: Scheme) -> bool:
    """The sharing allow-list for any approved version (withheld ones included)."""
    return not withheld(entry, scheme) and shared(entry, scheme)


def opens(entry: Entry, scheme: Scheme) -> bool:
    """The open allow-list for any approved version (withheld ones included)."""
    return not withheld(entry, scheme) and opened(entry, scheme)
