"""Records to RDF and back, driven by one mapping table per record type.

Each :class:`Field` says which predicate a record attribute becomes and how its value is written;
:func:`to_triples` and :func:`from_graph` read the same table, so the two directions cannot drift.

Records are API input, so every value passes the input gate on its way in: texts within the
literal limits and free of control characters, IRIs well formed and of an allowed scheme, and
code-list values given as text canonicalised through the one table of :mod:`govdata_ld.codes`
(a label, notation or known synonym names its concept); a share or open attribute or grade that
is unknown or missing is refused, never defaulted (Measures Art. 9 para 2). Errors name the
record's attribute as the parameter.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum, auto
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, SKOS, XSD
from rdflib.term import Node

from .codes import (
    AdminLevel,
    BasicDatabase,
    Category,
    CodeEnum,
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
from . import input_gate
from .errors import ClassificationError, InputError
from .iris import Minter, code_of_division, division_concept
from .namespaces import CSVW, GD, VCARD
from .records import (
    ContactPoint,
    DataItem,
    Distribution,
    Entry,
    InformationSystem,
    LeadAuthority,
    Organ,
    Period,
    Record,
    ThemeLead,
)

Triple = tuple[Node, Node, Node]


class Kind(Enum):
    """How a value is written."""

    TEXT = auto()  # plain string literal
    ZH = auto()  # literal tagged @zh
    EN = auto()  # literal tagged @en
    DATE = auto()  # xsd:date
    CONCEPT = auto()  # a code-list concept (enum member or IRI)
    ORGAN = auto()  # an organ, by unified social credit code
    ENTRY = auto()  # an entry, by resource code
    SYSTEM = auto()  # an information system, by code
    DIVISION = auto()  # a GB/T 2260 division, by code
    IRI = auto()  # any IRI, given as a string
    MAILTO = auto()  # an e-mail address, written as a mailto: IRI
    TEL = auto()  # a telephone number, written as a tel: IRI
    NESTED = auto()  # a record owned by this one, named under its IRI


@dataclass(frozen=True)
class Field:
    """One attribute of a record and the predicate it becomes."""

    attr: str
    predicate: URIRef
    kind: Kind
    enum: type[CodeEnum] | None = None
    many: bool = False
    record: type | None = None  # NESTED: the owned record's type
    segment: str = ""  # NESTED: the path segment of the owned node's IRI


@dataclass(frozen=True)
class Spec:
    """How one record type is written: its classes, its fields, and the field naming it.

    ``subject`` is set for records that describe an existing concept (lead assignments): that
    attribute is the subject itself rather than a value.
    """

    cls: type
    types: tuple[URIRef, ...]
    fields: tuple[Field, ...]
    subject: Field | None = None


def _f(attr: str, predicate: URIRef, kind: Kind, enum: type[CodeEnum] | None = None) -> Field:
    return Field(attr, predicate, kind, enum)


SPECS: dict[type, Spec] = {
    Organ: Spec(
        Organ,
        (GD.AdministrativeOrgan, ORG.FormalOrganization, FOAF.Agent),
        (
            _f("uscc", ORG.identifier, Kind.TEXT),
            _f("name_zh", SKOS.prefLabel, Kind.ZH),
            _f("name_en", SKOS.prefLabel, Kind.EN),
            _f("kind", GD.organKind, Kind.CONCEPT, OrganKind),
            _f("level", GD.adminLevel, Kind.CONCEPT, AdminLevel),
            _f("division", GD.division, Kind.DIVISION),
            _f("parent", ORG.subOrganizationOf, Kind.ORGAN),
        ),
    ),
    InformationSystem: Spec(
        InformationSystem,
        (GD.InformationSystem,),
        (
            _f("code", DCTERMS.identifier, Kind.TEXT),
            _f("title_zh", DCTERMS.title, Kind.ZH),
            _f("title_en", DCTERMS.title, Kind.EN),
            _f("owner", GD.owner, Kind.ORGAN),
            _f("funding", GD.fundingKind, Kind.CONCEPT, FundingKind),
            _f("business_zh", GD.supportsBusiness, Kind.ZH),
        ),
    ),
    LeadAuthority: Spec(
        LeadAuthority,
        (),
        (_f("organ", GD.leadConstructionAuthority, Kind.ORGAN),),
        subject=_f("database", GD.basicDatabase, Kind.CONCEPT, BasicDatabase),
    ),
    ThemeLead: Spec(
        ThemeLead,
        (),
        (_f("organ", GD.leadOrgan, Kind.ORGAN),),
        subject=_f("theme", GD.theme, Kind.CONCEPT, Theme),
    ),
    DataItem: Spec(
        DataItem,
        (GD.DataItem, CSVW.Column),
        (
            _f("name", CSVW.name, Kind.TEXT),
            _f("data_type", GD.itemDataType, Kind.CONCEPT, ItemDataType),
            _f("description", DCTERMS.description, Kind.ZH),
        ),
    ),
    Distribution: Spec(
        Distribution,
        (DCAT.Distribution,),
        (
            _f("kind", GD.distributionKind, Kind.CONCEPT, DistributionKind),
            _f("title_zh", DCTERMS.title, Kind.ZH),
            _f("file_type", DCTERMS.format, Kind.CONCEPT, Format),
            _f("access_url", DCAT.accessURL, Kind.IRI),
            _f("download_url", DCAT.downloadURL, Kind.IRI),
        ),
    ),
    ContactPoint: Spec(
        ContactPoint,
        (VCARD.Kind,),
        (
            _f("name", VCARD.fn, Kind.ZH),
            _f("email", VCARD.hasEmail, Kind.MAILTO),
            _f("phone", VCARD.hasTelephone, Kind.TEL),
        ),
    ),
    Period: Spec(
        Period,
        (DCTERMS.PeriodOfTime,),
        (_f("start", DCAT.startDate, Kind.DATE), _f("end", DCAT.endDate, Kind.DATE)),
    ),
    Entry: Spec(
        Entry,
        (GD.DataResource, DCAT.Dataset),
        (
            _f("code", DCTERMS.identifier, Kind.TEXT),
            _f("title_zh", DCTERMS.title, Kind.ZH),
            _f("title_en", DCTERMS.title, Kind.EN),
            _f("summary_zh", DCTERMS.description, Kind.ZH),
            _f("summary_en", DCTERMS.description, Kind.EN),
            _f("provider", DCTERMS.publisher, Kind.ORGAN),
            _f("source_business", GD.sourceBusiness, Kind.ZH),
            _f("source_system", GD.sourceSystem, Kind.SYSTEM),
            _f("category", GD.category, Kind.CONCEPT, Category),
            _f("basic_database", GD.basicDatabase, Kind.CONCEPT, BasicDatabase),
            _f("theme", GD.theme, Kind.CONCEPT, Theme),
            Field("contributors", DCTERMS.contributor, Kind.ORGAN, many=True),
            _f("grade", GD.grade, Kind.CONCEPT, Grade),
            _f("share", GD.shareAttribute, Kind.CONCEPT, ShareAttribute),
            _f("share_condition", GD.shareCondition, Kind.ZH),
            _f("share_mode", GD.shareMode, Kind.CONCEPT, ShareMode),
            _f("legal_basis", GD.legalBasis, Kind.ZH),
            _f("open", GD.openAttribute, Kind.CONCEPT, OpenAttribute),
            _f("open_condition", GD.openCondition, Kind.ZH),
            _f("use_requirement", GD.useRequirement, Kind.ZH),
            _f("update_cycle", DCTERMS.accrualPeriodicity, Kind.CONCEPT, UpdateCycle),
            _f("issued", DCTERMS.issued, Kind.DATE),
            _f("modified", DCTERMS.modified, Kind.DATE),
            _f("format", GD.resourceFormat, Kind.CONCEPT, Format),
            Field("items", GD.dataItem, Kind.NESTED, many=True, record=DataItem, segment="item"),
            Field("related", DCTERMS.relation, Kind.ENTRY, many=True),
            Field("distributions", DCAT.distribution, Kind.NESTED, many=True, record=Distribution, segment="distribution"),
            Field("keywords", DCAT.keyword, Kind.ZH, many=True),
            _f("spatial", DCTERMS.spatial, Kind.DIVISION),
            Field("temporal", DCTERMS.temporal, Kind.NESTED, record=Period, segment="temporal"),
            _f("license", DCTERMS.license, Kind.IRI),
            Field("languages", DCTERMS.language, Kind.IRI, many=True),
            Field("contact", DCAT.contactPoint, Kind.NESTED, record=ContactPoint, segment="contact"),
            Field("internal_contact", GD.internalContactPoint, Kind.NESTED, record=ContactPoint, segment="internal-contact"),
        ),
    ),
}

# Entries join their provider's sharing and open catalogs only with an attribute on these
# allow-lists (fail closed: an unknown or replaced value never makes an entry shared or open).
SHARED = frozenset({ShareAttribute.UNCONDITIONAL.iri, ShareAttribute.CONDITIONAL.iri})
OPENED = frozenset(
    {OpenAttribute.UNCONDITIONAL.iri, OpenAttribute.CONDITIONAL.iri, OpenAttribute.ON_APPLICATION.iri}
)
CATALOG_CLASSES = {
    "resource": GD.ResourceCatalog,
    "sharing": GD.SharingCatalog,
    "open": GD.OpenCatalog,
}
_CATALOG_TITLES = {
    "resource": ("政府数据资源目录", "resource catalog"),
    "sharing": ("共享目录", "sharing catalog"),
    "open": ("开放目录", "open catalog"),
}


def subject_of(record: Record, minter: Minter) -> URIRef:
    """The IRI a record describes."""
    if isinstance(record, Organ):
        return minter.organ(record.uscc)
    if isinstance(record, Entry):
        return minter.entry(record.code)
    if isinstance(record, InformationSystem):
        return minter.system(record.code)
    spec = SPECS.get(type(record))
    if spec is not None and spec.subject is not None:
        return _concept(getattr(record, spec.subject.attr), spec.subject)
    raise InputError(f"not a record: {type(record).__name__}; expected one of "
                     f"{', '.join(sorted(c.__name__ for c in SPECS))}", code="param.unknown-value", parameter="records")


def to_triples(record: Record, minter: Minter) -> list[Triple]:
    """Convert one record to the triples that describe it.

    >>> from govdata_ld.codes import OrganKind, AdminLevel
    >>> organ = Organ("11520100MB1234567P", "贵阳市人民政府", OrganKind.PEOPLES_GOVERNMENT,
    ...               AdminLevel.MUNICIPAL, "520100")
    >>> len(to_triples(organ, Minter("https://data.guiyang.example/")))
    20
    """
    subject = subject_of(record, minter)
    if isinstance(record, Entry):
        check_classified(record)
    triples = _describe(record, subject, minter)
    if isinstance(record, Organ):
        triples += _organ_catalogs(record, subject, minter)
    if isinstance(record, Entry):
        triples += _memberships(record, subject, minter)
    return triples


def check_classified(entry: Entry) -> None:
    """Refuse an entry without a share or open attribute or grade: never defaulted (Art. 9 para 2).

    Raises:
        ClassificationError: the first of :data:`CLASSIFIED` the entry lacks.
    """
    for attr in CLASSIFIED:
        if getattr(entry, attr) is None:
            raise ClassificationError(f"entry {entry.code}: no {attr} attribute; it is never defaulted (Art. 9 para 2)",
                                      code="input.missing-value", parameter=attr)


def term(field: Field, value: Any, minter: Minter) -> Node:
    """The RDF term one value of a field becomes, checked as :func:`to_triples` checks it.

    Raises:
        InputError: a value of the wrong type or form (a text past the literal limits or with a
            control character, an IRI refused by the input gate or naming an entry).
        ClassificationError: a code-list value that names no concept.
    """
    return _write(field, value, minter)


def memberships(entry: Entry, minter: Minter) -> list[URIRef]:
    """The catalogs an entry joins (its provider's resource catalog, and the sharing and open
    catalogs when its attributes are on the allow-lists)."""
    return [catalog for catalog, _, _ in _memberships(entry, minter.entry(entry.code), minter)]  # type: ignore[misc]


def from_graph(graph: Graph, subject: URIRef, cls: type[Record], minter: Minter) -> Any:
    """Read a record of type ``cls`` back from the triples about ``subject``.

    Raises:
        InputError: a required value is missing or a value has the wrong form.
    """
    return _read(graph, subject, cls, minter)


def _describe(record: Any, subject: URIRef, minter: Minter) -> list[Triple]:
    spec = SPECS[type(record)]
    triples: list[Triple] = [(subject, RDF.type, t) for t in spec.types]
    for field in spec.fields:
        value = getattr(record, field.attr)
        if value is None:
            continue
        values = value if field.many else (value,)
        for position, item in enumerate(values, start=1):
            if field.kind is Kind.NESTED:
                path = (field.segment, position) if field.many else (field.segment,)
                child = minter.child(subject, *path)
                triples.append((subject, field.predicate, child))
                triples += _describe(item, child, minter)
                if field.many:
                    triples.append((child, GD.order, Literal(position)))
            else:
                triples.append((subject, field.predicate, _write(field, item, minter)))
    return triples


def _write(field: Field, value: Any, minter: Minter) -> Node:
    written = _term(field, value, minter)
    if isinstance(written, URIRef):
        _check_iri(str(written), field.attr)
        if field.kind is not Kind.ENTRY:
            _check_not_an_entry(str(written), field.attr, minter)
    return written


def _term(field: Field, value: Any, minter: Minter) -> Node:
    kind = field.kind
    if kind is Kind.CONCEPT:
        return _concept(value, field)
    if kind is Kind.DATE:
        if not isinstance(value, date):
            raise InputError(f"expected a date, got {type(value).__name__} {value!r}", code="param.type",
                             parameter=field.attr)
        return Literal(value.isoformat(), datatype=XSD.date)
    if not isinstance(value, str):
        raise InputError(f"expected text, got {type(value).__name__} {value!r}", code="param.type", parameter=field.attr)
    if kind in (Kind.TEXT, Kind.ZH, Kind.EN):
        problem = input_gate.literal_problem(value, input_gate.limits())
        if problem is not None:
            raise InputError(problem[1], code=problem[0], parameter=field.attr)
        return Literal(value, lang={Kind.ZH: "zh", Kind.EN: "en"}.get(kind))
    writers: dict[Kind, Callable[[Any], Node]] = {
        Kind.ORGAN: minter.organ,
        Kind.ENTRY: minter.entry,
        Kind.SYSTEM: minter.system,
        Kind.DIVISION: division_concept,
        Kind.IRI: URIRef,
        Kind.MAILTO: lambda v: URIRef(f"mailto:{v}"),
        Kind.TEL: lambda v: URIRef(f"tel:{v}"),
    }
    return writers[kind](value)


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f]+")


def _check_iri(text: str, attr: str) -> None:
    if not _IRI.fullmatch(text):
        raise InputError(f"not an IRI: {text!r}", code="input.invalid-iri", parameter=attr)
    problem = input_gate.iri_problem(text, input_gate.limits())
    if problem is not None:
        raise InputError(problem[1], code=problem[0], parameter=attr)


def _check_not_an_entry(text: str, attr: str, minter: Minter) -> None:
    # Only dct:relation (``related``, written from resource codes) may name an entry: an IRI field
    # naming another entry or one of its nodes would carry it into the first entry's exports.
    if minter.entry_of(text) is not None:
        raise InputError(
            f"{text} is an IRI of the catalog's entries ({minter.entry_space}...): {attr} may not name an "
            f"entry or a node of one; relate entries through 'related' (dct:relation)",
            code="input.invalid-iri", parameter=attr,
        )


CLASSIFIED = ("share", "open", "grade")
"""Entry attributes that decide what may be shared and opened: required, never defaulted."""


def _concept(value: CodeEnum | URIRef | str, field: Field | None = None) -> URIRef:
    """A code-list value as its concept IRI: an enum member, an IRI, or a text that names one
    concept of the field's code list through :mod:`govdata_ld.codes` (label, notation, synonym)."""
    if isinstance(value, CodeEnum):
        return value.iri
    attr = field.attr if field is not None else "value"
    if not isinstance(value, str):
        raise InputError(f"expected a code-list value, got {type(value).__name__} {value!r}", code="param.type",
                         parameter=attr)
    if _IRI.fullmatch(value) and input_gate.iri_problem(value, input_gate.limits()) is None:
        return URIRef(value)
    member = field.enum.canonical(value) if field is not None and field.enum is not None else None
    if member is None:
        allowed = ", ".join(m.name for m in field.enum) if field is not None and field.enum is not None else "a concept IRI"
        raise ClassificationError(f"{value!r} names no value of the code list (nor one IRI); allowed: {allowed}",
                                  code="input.unknown-value", parameter=attr)
    return member.iri


def _organ_catalogs(organ: Organ, subject: URIRef, minter: Minter) -> list[Triple]:
    triples: list[Triple] = []
    for kind, cls in CATALOG_CLASSES.items():
        catalog = minter.catalog(organ.uscc, kind)
        zh, en = _CATALOG_TITLES[kind]
        triples += [
            (catalog, RDF.type, cls),
            (catalog, RDF.type, DCAT.Catalog),
            (catalog, DCTERMS.publisher, subject),
            (catalog, DCTERMS.title, Literal(f"{organ.name_zh}{zh}", lang="zh")),
        ]
        if organ.name_en:
            triples.append((catalog, DCTERMS.title, Literal(f"{organ.name_en}: {en}", lang="en")))
    return triples


def _memberships(entry: Entry, subject: URIRef, minter: Minter) -> list[Triple]:
    kinds = ["resource"]
    spec = {f.attr: f for f in SPECS[Entry].fields}
    if _concept(entry.share, spec["share"]) in SHARED:
        kinds.append("sharing")
    if _concept(entry.open, spec["open"]) in OPENED:
        kinds.append("open")
    return [(minter.catalog(entry.provider, k), DCAT.dataset, subject) for k in kinds]


def _read(graph: Graph, subject: URIRef, cls: type, minter: Minter) -> Any:
    values: dict[str, Any] = {}
    spec = SPECS[cls]
    if spec.subject is not None:
        values[spec.subject.attr] = _value(spec.subject, subject, minter, subject)
    for field in spec.fields:
        objects = [o for o in graph.objects(subject, field.predicate) if _matches(field.kind, o)]
        if field.kind is Kind.NESTED:
            if field.many:
                objects.sort(key=lambda o: int(graph.value(o, GD.order) or 0))
            read = [_read(graph, o, field.record, minter) for o in objects]  # type: ignore[arg-type]
        else:
            read = [_value(field, o, minter, subject) for o in objects]
            if field.many:
                read.sort()
        if field.many:
            values[field.attr] = tuple(read)
        elif len(read) > 1:
            raise InputError(f"{subject} has {len(read)} values of {field.predicate}, expected one")
        elif read:
            values[field.attr] = read[0]
    required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    missing = [name for name in required if name not in values]
    if missing:
        raise InputError(f"{subject} lacks {', '.join(missing)} to be read as {cls.__name__}")
    return cls(**values)


def _matches(kind: Kind, term: Node) -> bool:
    if kind is Kind.ZH:
        return isinstance(term, Literal) and term.language == "zh"
    if kind is Kind.EN:
        return isinstance(term, Literal) and term.language == "en"
    return True


def _value(field: Field, term: Node, minter: Minter, subject: URIRef) -> Any:
    text = str(term)
    kind = field.kind
    if kind is Kind.DATE:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"{subject} {field.predicate}: not a date: {text!r}") from exc
    if kind is Kind.CONCEPT:
        if field.enum is not None:
            try:
                return field.enum(URIRef(text))
            except ValueError:
                pass
        return URIRef(text)
    readers: dict[Kind, Callable[[str], str | None]] = {
        Kind.ORGAN: minter.code_of_organ,
        Kind.ENTRY: minter.code_of_entry,
        Kind.SYSTEM: minter.code_of_system,
        Kind.DIVISION: code_of_division,
        Kind.MAILTO: lambda t: t.removeprefix("mailto:") if t.startswith("mailto:") else None,
        Kind.TEL: lambda t: t.removeprefix("tel:") if t.startswith("tel:") else None,
    }
    if kind in readers:
        code = readers[kind](text)
        if code is None:
            raise InputError(f"{subject} {field.predicate}: {text} is not a {kind.name.lower()} IRI")
        return code
    return text
