"""Enums for the shipped code lists; each member's value is its concept IRI.

The code lists themselves are SKOS concept schemes in ``ontology/`` (data a deployment may
replace); these enums name the shipped concepts for integration scripts, and
``tests/test_codes.py`` checks that each enum lists exactly its scheme's concepts. Record fields
accept a member or any concept IRI, so a replaced scheme needs no code change.

Classification values written by people (a sheet's cell, a record's text, a DCAT-AP literal) are
canonicalised through one table, :data:`SYNONYMS`, with :func:`normalise` (NFKC, format characters
removed, blanks trimmed and collapsed, case folded): the zh and en labels, the notations and the
wordings of the national guide. A text that names no
concept, or names two, is unknown: refused or withheld, never defaulted (Measures Art. 9 para 2).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import lru_cache

from rdflib import URIRef

from .namespaces import code_namespace


class CodeEnum(Enum):
    """A code-list concept; ``.value`` is its IRI."""

    @classmethod
    def canonical(cls, text: str) -> CodeEnum | None:
        """The member a person's text names, through :data:`SYNONYMS` and the enum's own IRIs;
        None when it names none (or more than one).

        >>> ShareAttribute.canonical(" 无条件共享\u200b").name, OpenAttribute.canonical("不予開放")
        ('UNCONDITIONAL', None)
        """
        found = lookup_table(cls).get(normalise(text))
        return None if found is None else cls(found)

    @property
    def iri(self) -> URIRef:
        return URIRef(self.value)

    @classmethod
    def scheme(cls) -> URIRef:
        """The IRI of the concept scheme the enum mirrors."""
        return URIRef(str(code_namespace(SCHEMES[cls]))[:-1])


_G, _S, _O = code_namespace("grade"), code_namespace("share-attribute"), code_namespace("open-attribute")


class Grade(CodeEnum):
    """Data grades (Art. 8); the shipped three levels are replaceable."""

    NON_SENSITIVE = _G["non-sensitive"]
    SENSITIVE = _G["sensitive"]
    SECRET = _G["secret"]


class ShareAttribute(CodeEnum):
    """Share attributes (Art. 9): 无条件共享 / 有条件共享 / 不予共享."""

    UNCONDITIONAL = _S["unconditional"]
    CONDITIONAL = _S["conditional"]
    NOT_SHARED = _S["not-shared"]


class OpenAttribute(CodeEnum):
    """Open attributes (Art. 9), Guizhou scheme, plus the Guiyang 依申请开放 (on application)."""

    UNCONDITIONAL = _O["unconditional"]
    CONDITIONAL = _O["conditional"]
    NOT_OPEN = _O["not-open"]
    ON_APPLICATION = _O["on-application"]


class ShareMode(CodeEnum):
    """Share modes: platform, mail, media."""

    PLATFORM = code_namespace("share-mode")["platform"]
    MAIL = code_namespace("share-mode")["mail"]
    MEDIA = code_namespace("share-mode")["media"]


class Category(CodeEnum):
    """Resource categories (Art. 10): basic, thematic, departmental."""

    BASIC = code_namespace("category")["basic"]
    THEMATIC = code_namespace("category")["thematic"]
    DEPARTMENTAL = code_namespace("category")["departmental"]


class BasicDatabase(CodeEnum):
    """Guiyang's basic information resource databases (Art. 10 para 1)."""

    POPULATION = code_namespace("basic-database")["population"]
    LEGAL_ENTITY = code_namespace("basic-database")["legal-entity"]
    NATURAL_RESOURCES_GEOGRAPHY = code_namespace("basic-database")["natural-resources-geography"]
    E_LICENCE = code_namespace("basic-database")["e-licence"]
    MACRO_ECONOMY = code_namespace("basic-database")["macro-economy"]


class Theme(CodeEnum):
    """Thematic information resources (Art. 10 para 2)."""

    HEALTH = code_namespace("theme")["health"]
    SOCIAL_SECURITY = code_namespace("theme")["social-security"]
    FOOD_DRUG_SAFETY = code_namespace("theme")["food-drug-safety"]
    WORK_SAFETY = code_namespace("theme")["work-safety"]
    PRICE_REGULATION = code_namespace("theme")["price-regulation"]
    ENERGY_SECURITY = code_namespace("theme")["energy-security"]
    CREDIT_SYSTEM = code_namespace("theme")["credit-system"]
    URBAN_RURAL_CONSTRUCTION = code_namespace("theme")["urban-rural-construction"]
    COMMUNITY_GOVERNANCE = code_namespace("theme")["community-governance"]
    ECO_ENVIRONMENT = code_namespace("theme")["eco-environment"]
    EMERGENCY_STABILITY = code_namespace("theme")["emergency-stability"]
    PUBLIC_SERVICE = code_namespace("theme")["public-service"]


class UpdateCycle(CodeEnum):
    """Update cycles (Art. 9), each mapped to the EU frequency table."""

    REALTIME = code_namespace("update-cycle")["realtime"]
    DAILY = code_namespace("update-cycle")["daily"]
    WEEKLY = code_namespace("update-cycle")["weekly"]
    MONTHLY = code_namespace("update-cycle")["monthly"]
    QUARTERLY = code_namespace("update-cycle")["quarterly"]
    SEMIANNUAL = code_namespace("update-cycle")["semiannual"]
    ANNUAL = code_namespace("update-cycle")["annual"]
    IRREGULAR = code_namespace("update-cycle")["irregular"]
    OTHER = code_namespace("update-cycle")["other"]


class OrganKind(CodeEnum):
    """Kinds of administrative organ (Art. 2, 4, 5)."""

    PEOPLES_GOVERNMENT = code_namespace("organ-kind")["peoples-government"]
    WORKING_DEPARTMENT = code_namespace("organ-kind")["working-department"]
    DISPATCHED_AGENCY = code_namespace("organ-kind")["dispatched-agency"]
    BIG_DATA_DEPARTMENT = code_namespace("organ-kind")["big-data-department"]
    DEVELOPMENT_ZONE_COMMITTEE = code_namespace("organ-kind")["development-zone-committee"]


class AdminLevel(CodeEnum):
    """Levels of government (Art. 2, 12)."""

    MUNICIPAL = code_namespace("admin-level")["municipal"]
    COUNTY = code_namespace("admin-level")["county"]
    TOWNSHIP = code_namespace("admin-level")["township"]


class Format(CodeEnum):
    """Resource format classes and, beneath them, file types."""

    ELECTRONIC_DOCUMENT = code_namespace("format")["electronic-document"]
    SPREADSHEET = code_namespace("format")["spreadsheet"]
    DATABASE = code_namespace("format")["database"]
    IMAGE = code_namespace("format")["image"]
    STREAMING_MEDIA = code_namespace("format")["streaming-media"]
    SELF_DESCRIBING = code_namespace("format")["self-describing"]
    OTHER = code_namespace("format")["other"]
    PDF = code_namespace("format")["pdf"]
    DOCX = code_namespace("format")["docx"]
    OFD = code_namespace("format")["ofd"]
    TXT = code_namespace("format")["txt"]
    XLSX = code_namespace("format")["xlsx"]
    XLS = code_namespace("format")["xls"]
    CSV = code_namespace("format")["csv"]
    RDB_TABLE = code_namespace("format")["rdb-table"]
    JPEG = code_namespace("format")["jpeg"]
    PNG = code_namespace("format")["png"]
    SHP = code_namespace("format")["shp"]
    MP4 = code_namespace("format")["mp4"]
    JSON = code_namespace("format")["json"]
    XML = code_namespace("format")["xml"]
    RDF_TURTLE = code_namespace("format")["rdf-turtle"]


class DistributionKind(CodeEnum):
    """How the real data is mounted: table, file, API."""

    TABLE = code_namespace("distribution-kind")["table"]
    FILE = code_namespace("distribution-kind")["file"]
    API = code_namespace("distribution-kind")["api"]
    OTHER = code_namespace("distribution-kind")["other"]


class ItemDataType(CodeEnum):
    """Data types of data items (信息项数据类型)."""

    CHARACTER = code_namespace("item-data-type")["character"]
    NUMERIC = code_namespace("item-data-type")["numeric"]
    CURRENCY = code_namespace("item-data-type")["currency"]
    DATE = code_namespace("item-data-type")["date"]
    DATETIME = code_namespace("item-data-type")["datetime"]
    LOGICAL = code_namespace("item-data-type")["logical"]
    MEMO = code_namespace("item-data-type")["memo"]
    GENERAL = code_namespace("item-data-type")["general"]
    DOUBLE = code_namespace("item-data-type")["double"]
    INTEGER = code_namespace("item-data-type")["integer"]
    FLOAT = code_namespace("item-data-type")["float"]


class FundingKind(CodeEnum):
    """How a government information system is funded (Art. 2 para 3)."""

    FISCAL_INVESTMENT = code_namespace("funding-kind")["fiscal-investment"]
    JOINT_FUNDING = code_namespace("funding-kind")["joint-funding"]
    PURCHASED_SERVICE = code_namespace("funding-kind")["purchased-service"]
    FISCAL_OPERATION = code_namespace("funding-kind")["fiscal-operation"]


class WorkflowState(CodeEnum):
    """States of a catalog version along the path of Article 12."""

    COMPILED = code_namespace("workflow-state")["compiled"]
    SUBMITTED = code_namespace("workflow-state")["submitted"]
    AUDITED = code_namespace("workflow-state")["audited"]
    RETURNED = code_namespace("workflow-state")["returned"]
    APPROVED = code_namespace("workflow-state")["approved"]
    REPORTED = code_namespace("workflow-state")["reported"]
    REVIEWED = code_namespace("workflow-state")["reviewed"]
    SUMMARISED = code_namespace("workflow-state")["summarised"]
    RATIFIED = code_namespace("workflow-state")["ratified"]
    PUBLISHED = code_namespace("workflow-state")["published"]
    WITHDRAWN = code_namespace("workflow-state")["withdrawn"]


class WorkflowDecision(CodeEnum):
    """Decisions of the deciding steps: accepted or returned."""

    ACCEPTED = code_namespace("workflow-decision")["accepted"]
    RETURNED = code_namespace("workflow-decision")["returned"]


class Platform(CodeEnum):
    """Where catalogs are published (Art. 12 para 3)."""

    SHARING_PLATFORM = code_namespace("platform")["sharing-platform"]
    OPEN_PLATFORM = code_namespace("platform")["open-platform"]


SCHEMES: dict[type[CodeEnum], str] = {
    Grade: "grade",
    ShareAttribute: "share-attribute",
    OpenAttribute: "open-attribute",
    ShareMode: "share-mode",
    Category: "category",
    BasicDatabase: "basic-database",
    Theme: "theme",
    UpdateCycle: "update-cycle",
    OrganKind: "organ-kind",
    AdminLevel: "admin-level",
    Format: "format",
    DistributionKind: "distribution-kind",
    ItemDataType: "item-data-type",
    FundingKind: "funding-kind",
    WorkflowState: "workflow-state",
    WorkflowDecision: "workflow-decision",
    Platform: "platform",
}
"""Each enum and the slug of the scheme whose concepts it names."""


@lru_cache(maxsize=8192)  # a sheet repeats a few labels thousands of times
def normalise(text: str) -> str:
    """The key a classification text is looked up by: NFKC (full-width forms and the ideographic
    space become ASCII), format characters (zero-width spaces, BOM, joiners) removed, blanks
    trimmed and collapsed, case folded.

    >>> normalise("\ufeff  Not\u3000\u3000SHARED\u200b "), normalise("ＮＯＴ－ＯＰＥＮ")
    ('not shared', 'not-open')
    """
    folded = unicodedata.normalize("NFKC", text)
    kept = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return " ".join(kept.split()).casefold()


SYNONYMS: Mapping[CodeEnum, tuple[str, ...]] = {
    # Art. 9 para 2; 国发〔2016〕51号 art. 5 (无条件共享类、有条件共享类、不予共享类); notations 1-3.
    ShareAttribute.UNCONDITIONAL: ("无条件共享", "无条件共享类", "1", "unconditional", "shared unconditionally"),
    ShareAttribute.CONDITIONAL: ("有条件共享", "有条件共享类", "2", "conditional", "shared conditionally"),
    ShareAttribute.NOT_SHARED: ("不予共享", "不予共享类", "不共享", "3", "not shared", "not-shared"),
    # Art. 9 para 2; the Guizhou scheme (notations 1-3) and Guiyang's 依申请开放 (4).
    OpenAttribute.UNCONDITIONAL: ("无条件开放", "无条件开放类", "1", "unconditional", "opened unconditionally"),
    OpenAttribute.CONDITIONAL: ("有条件开放", "有条件开放类", "2", "conditional", "opened conditionally"),
    OpenAttribute.NOT_OPEN: ("不予开放", "不予开放类", "不开放", "3", "not open", "not-open", "not opened"),
    OpenAttribute.ON_APPLICATION: ("依申请开放", "4", "on application", "opened on application", "on-application"),
}
"""Every text known to name a share or open attribute, by concept (compared after
:func:`normalise`). A deployment's own labels and notations (from its SKOS schemes) are added by
the code lists that use the table; a text that then names two concepts names neither.
Traditional-character spellings (不予開放) are deliberately absent: they are refused, so a
person writes the value the catalog standard uses."""


def build_index(entries: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Normalised text -> concept IRI from (text, IRI) pairs; a text naming two concepts is
    dropped (ambiguous, fail closed), and so is an empty text.

    >>> build_index([("A", "x"), ("a ", "y"), ("b", "x")])
    {'b': 'x'}
    """
    found: dict[str, set[str]] = {}
    for text, iri in entries:
        key = normalise(text)
        if key:
            found.setdefault(key, set()).add(iri)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def synonym_pairs(members: Iterable[CodeEnum]) -> list[tuple[str, str]]:
    """The (text, IRI) pairs :data:`SYNONYMS` gives for some members (for a code list's index)."""
    return [(text, member.value) for member in members for text in SYNONYMS.get(member, ())]


_TABLES: dict[type[CodeEnum], dict[str, str]] = {}


def lookup_table(enum: type[CodeEnum]) -> dict[str, str]:
    """The shipped lookup of one enum: its synonyms and its members' IRIs and slugs."""
    table = _TABLES.get(enum)
    if table is None:
        pairs = synonym_pairs(enum)
        pairs += [(m.value, m.value) for m in enum]
        pairs += [(m.value.rsplit("/", 1)[-1], m.value) for m in enum]
        table = _TABLES[enum] = build_index(pairs)
    return table
