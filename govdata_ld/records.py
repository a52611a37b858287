"""Typed input records: the doors in and out of the graph for integration scripts.

Records are converted to RDF in one place (:mod:`govdata_ld.mapping`) and read back by the same
table. Organs, the provider and contributors are referred to by unified social credit code,
information systems by their code, related entries by resource code, divisions by GB/T 2260
code; code-list values are enum members (:mod:`govdata_ld.codes`) or any concept IRI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rdflib import URIRef

from .codes import (
    AdminLevel,
    BasicDatabase,
    Category,
    DistributionKind,
    Format,
    FundingKind,
    Grade,
    ItemDataType,
    OpenAttribute,
    OrganKind,
    ShareAttribute,
    ShareMode,
    Theme,
    UpdateCycle,
)


@dataclass(frozen=True)
class Organ:
    """An administrative organ (Art. 2).

    Attributes:
        uscc: its 18-character unified social credit code; names the organ.
        parent: the code of the people's government it belongs to (for a district government the
            municipal government, for a township government its district's); None at the top.
        division: the GB/T 2260 code of the division it serves (a township: its district).
    """

    uscc: str
    name_zh: str
    kind: OrganKind | URIRef
    level: AdminLevel | URIRef
    division: str
    parent: str | None = None
    name_en: str | None = None


@dataclass(frozen=True)
class InformationSystem:
    """A government information system (Art. 2 para 3)."""

    code: str
    title_zh: str
    owner: str
    funding: FundingKind | URIRef
    business_zh: str | None = None
    title_en: str | None = None


@dataclass(frozen=True)
class LeadAuthority:
    """The lead construction authority of a basic database (Art. 10 para 1)."""

    database: BasicDatabase | URIRef
    organ: str


@dataclass(frozen=True)
class ThemeLead:
    """The lead organ of a thematic information resource (Art. 10 para 2)."""

    theme: Theme | URIRef
    organ: str


@dataclass(frozen=True)
class DataItem:
    """A data item (信息项) of an entry: name, data type, description."""

    name: str
    data_type: ItemDataType | URIRef
    description: str | None = None


@dataclass(frozen=True)
class Distribution:
    """Where the real data of an entry is mounted: a table, a file or an API."""

    kind: DistributionKind | URIRef
    title_zh: str
    file_type: Format | URIRef | None = None
    access_url: str | None = None
    download_url: str | None = None


@dataclass(frozen=True)
class ContactPoint:
    """A contact point: a name with an e-mail address and a telephone number."""

    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Period:
    """A temporal coverage: start and end dates, either open."""

    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Entry:
    """A catalog entry: one government data resource with what Art. 9 asks an organ to state.

    Unordered fields (contributors, related, keywords, languages) come back from RDF sorted; items
    and distributions keep their order. Languages are IRIs, such as the EU language table's
    ``http://publications.europa.eu/resource/authority/language/ZHO``.
    """

    code: str
    title_zh: str
    summary_zh: str
    provider: str
    source_business: str
    category: Category | URIRef
    grade: Grade | URIRef
    share: ShareAttribute | URIRef
    open: OpenAttribute | URIRef
    update_cycle: UpdateCycle | URIRef
    issued: date
    format: Format | URIRef
    title_en: str | None = None
    summary_en: str | None = None
    source_system: str | None = None
    basic_database: BasicDatabase | URIRef | None = None
    theme: Theme | URIRef | None = None
    contributors: tuple[str, ...] = ()
    share_condition: str | None = None
    share_mode: ShareMode | URIRef | None = None
    legal_basis: str | None = None
    open_condition: str | None = None
    use_requirement: str | None = None
    modified: date | None = None
    items: tuple[DataItem, ...] = ()
    related: tuple[str, ...] = ()
    distributions: tuple[Distribution, ...] = ()
    keywords: tuple[str, ...] = ()
    spatial: str | None = None
    temporal: Period | None = None
    license: str | None = None
    languages: tuple[str, ...] = ()
    contact: ContactPoint | None = None
    internal_contact: ContactPoint | None = None


Record = Organ | InformationSystem | LeadAuthority | ThemeLead | Entry
"""Any record that can be written to a catalog."""
