"""The spreadsheet template's columns and code lists: one table read by import, export and docs.

Each :class:`Column` names a header (zh, en and aliases), the :class:`~govdata_ld.records.Entry`
field it fills, how its cell is read, whether it is required, and the clause behind it. Code-list
columns take their allowed values from the SKOS schemes in ``ontology/`` (a deployment's
replacements included): a value may be given by its zh or en label or by its notation. Nothing
here imports openpyxl; :mod:`govdata_ld.tabular` reads and writes the files.

>>> COLUMNS[0].zh, COLUMNS[0].en
('信息资源分类', 'category')
>>> code_lists(Settings())["grade"].find("Non-sensitive data")
rdflib.term.URIRef('https://w3id.org/govdata-ld/code/grade/non-sensitive')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from functools import cache

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from . import resources
from .codes import SCHEMES, SYNONYMS, BasicDatabase, Category, CodeEnum, Format, Grade, ItemDataType, OpenAttribute
from .codes import build_index, normalise, synonym_pairs
from .codes import ShareAttribute, ShareMode, Theme, UpdateCycle
from .namespaces import code_namespace
from .settings import Settings

ENTRIES_SHEET = ("信息资源", "entries")
ITEMS_SHEET = ("信息项", "data items")
README_SHEET = ("说明", "README")
CODES_SHEET = ("代码表", "code lists")
IGNORED_SHEETS = frozenset(README_SHEET + CODES_SHEET)
LIST_SEPARATORS = (";", "；", "\n")
ITEM_FIELD_SEPARATOR = "|"
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters a spreadsheet runs as a formula (OWASP ASVS 1.2.10)."""
_GUIDE = "national catalog guide core metadata"


class Cell(Enum):
    """How a cell's text is read."""

    TEXT = auto()  # free text
    CONCEPT = auto()  # a code-list value: zh or en label, or notation
    DATE = auto()  # YYYY-MM-DD (also / or . as separator)
    RESOURCE_CODE = auto()  # matches the settings' resource-code pattern
    USCC = auto()  # a GB 32100-2015 unified social credit code
    CODES = auto()  # a list of resource codes
    USCCS = auto()  # a list of credit codes
    WORDS = auto()  # a list of free-text words
    IRI = auto()  # an http(s) IRI
    IRIS = auto()  # a list of IRIs
    EMAIL = auto()  # an e-mail address
    ITEMS = auto()  # data items: name|type|description, one per line or ; separated
    SYSTEM = auto()  # an information-system code
    NOTE = auto()  # for readers only: not imported (the provider's name)


@dataclass(frozen=True)
class Column:
    """One column of the entries sheet.

    Attributes:
        zh: the header in Chinese (written by the template).
        en: the header in English (accepted on import, shown in the header comment).
        field: the Entry attribute ("contact.name" for a nested record's attribute).
        cell: how the cell is read.
        required: whether every row must fill it.
        scheme: the code list (a key of :func:`code_lists`) of a CONCEPT column.
        provision: the clause of the Measures or standard the column carries.
        example: a value for the documentation and the template's instructions.
        aliases: other headers accepted on import (the guide's long names).
    """

    zh: str
    en: str
    field: str
    cell: Cell
    required: bool
    provision: str
    example: str
    scheme: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header this column is recognised by."""
        return (self.zh, self.en, *self.aliases)


def _c(zh: str, en: str, field: str, cell: Cell, required: bool, provision: str, example: str,
       scheme: str | None = None, aliases: tuple[str, ...] = ()) -> Column:
    return Column(zh, en, field, cell, required, provision, example, scheme, aliases)


COLUMNS: tuple[Column, ...] = (
    _c("信息资源分类", "category", "category", Cell.CONCEPT, True, f"Art. 10; {_GUIDE} 1", "部门信息资源",
       "category", ("资源分类",)),
    _c("基础信息资源库", "basic database", "basic_database", Cell.CONCEPT, False, "Art. 10 para 1", "",
       "basic_database"),
    _c("主题", "theme", "theme", Cell.CONCEPT, False, "Art. 10 para 2", "", "theme"),
    _c("名称", "title", "title_zh", Cell.TEXT, True, f"Art. 9 para 2; {_GUIDE} 2", "建设工程规划许可信息",
       aliases=("信息资源名称",)),
    _c("英文名称", "title (en)", "title_en", Cell.TEXT, False, "Art. 9 para 2", "Construction planning permits"),
    _c("代码", "resource code", "code", Cell.RESOURCE_CODE, True, f"Art. 9 para 2; {_GUIDE} 3 (§5.3)",
       "301017/000012", aliases=("信息资源代码",)),
    _c("提供方", "provider", "provider_name", Cell.NOTE, False, f"{_GUIDE} 4", "贵阳市自然资源和规划局",
       aliases=("信息资源提供方",)),
    _c("提供方代码", "provider code", "provider", Cell.USCC, True, f"{_GUIDE} 5; GB 32100-2015",
       "11520100MB1234567P", aliases=("信息资源提供方代码",)),
    _c("摘要", "summary", "summary_zh", Cell.TEXT, True, f"Art. 9 para 2; {_GUIDE} 6",
       "本市核发的建设工程规划许可证信息。", aliases=("信息资源摘要",)),
    _c("英文摘要", "summary (en)", "summary_en", Cell.TEXT, False, "Art. 9 para 2", ""),
    _c("格式", "format", "format", Cell.CONCEPT, True, f"Art. 9 para 2; {_GUIDE} 7", "数据库", "format",
       ("信息资源格式",)),
    _c("信息项", "data items", "items", Cell.ITEMS, True, f"Art. 9 para 2; {_GUIDE} 8",
       "许可证编号|字符型|证书编号\n发证日期|D", aliases=("信息项信息",)),
    _c("共享类型", "share type", "share", Cell.CONCEPT, True, f"Art. 9 para 2; {_GUIDE} 9", "有条件共享",
       "share", ("共享属性",)),
    _c("共享条件", "share condition", "share_condition", Cell.TEXT, False, f"Art. 9 para 2; {_GUIDE} 9",
       "仅限履行法定职责使用"),
    _c("共享方式", "share mode", "share_mode", Cell.CONCEPT, False, f"{_GUIDE} 9", "共享平台方式", "share_mode"),
    _c("共享依据", "legal basis", "legal_basis", Cell.TEXT, False, "Art. 9 para 2; Guofa [2016] No. 51",
       "《政务信息资源共享管理暂行办法》"),
    _c("开放类型", "open type", "open", Cell.CONCEPT, True, f"Art. 9 para 2; {_GUIDE} 10", "无条件开放",
       "open", ("开放属性",)),
    _c("开放条件", "open condition", "open_condition", Cell.TEXT, False, f"Art. 9 para 2; {_GUIDE} 10", ""),
    _c("更新周期", "update cycle", "update_cycle", Cell.CONCEPT, True, f"Art. 9 para 2; {_GUIDE} 11", "每月",
       "update_cycle"),
    _c("发布日期", "publication date", "issued", Cell.DATE, True, f"Art. 9 para 2; {_GUIDE} 12",
       "2024-03-01"),
    _c("更新日期", "modification date", "modified", Cell.DATE, False, "Art. 9 para 2", "2026-10-30"),
    _c("关联资源代码", "related resource codes", "related", Cell.CODES, False, f"{_GUIDE} 13",
       "301017/000011"),
    _c("分级", "grade", "grade", Cell.CONCEPT, True, "Art. 8; Art. 9 para 2", "非敏感数据", "grade",
       ("数据分级",)),
    _c("来源业务", "source business", "source_business", Cell.TEXT, True, "Art. 9 para 2", "建设工程规划许可"),
    _c("来源系统", "source system", "source_system", Cell.SYSTEM, False, "Art. 2 para 3; Art. 9 para 2",
       "gy-nrp-permits"),
    _c("使用要求", "use requirements", "use_requirement", Cell.TEXT, True, "Art. 9 para 2",
       "注明数据来源", aliases=("使用要求说明",)),
    _c("参与编制机关代码", "contributor codes", "contributors", Cell.USCCS, False, "Art. 10 para 2", ""),
    _c("关键词", "keywords", "keywords", Cell.WORDS, False, "GB/T 21063.3", "规划;许可"),
    _c("空间范围", "spatial coverage", "spatial", Cell.CONCEPT, False, "Art. 2; GB/T 2260", "520100",
       "division"),
    _c("时间范围起", "coverage start", "temporal.start", Cell.DATE, False, "DCAT dct:temporal", ""),
    _c("时间范围止", "coverage end", "temporal.end", Cell.DATE, False, "DCAT dct:temporal", ""),
    _c("许可协议", "licence", "license", Cell.IRI, False, "DCAT dct:license", ""),
    _c("语种", "languages", "languages", Cell.IRIS, False, "DCAT dct:language",
       "http://publications.europa.eu/resource/authority/language/ZHO"),
    _c("联系人", "contact name", "contact.name", Cell.TEXT, False, "DCAT dcat:contactPoint", "规划许可科"),
    _c("联系邮箱", "contact e-mail", "contact.email", Cell.EMAIL, False, "DCAT dcat:contactPoint",
       "permits@guiyang.example"),
    _c("联系电话", "contact telephone", "contact.phone", Cell.TEXT, False, "DCAT dcat:contactPoint",
       "0851-87987000"),
    _c("内部联系人", "internal contact name", "internal_contact.name", Cell.TEXT, False,
       "gd:internalContactPoint", ""),
    _c("内部联系邮箱", "internal contact e-mail", "internal_contact.email", Cell.EMAIL, False,
       "gd:internalContactPoint", ""),
    _c("内部联系电话", "internal contact telephone", "internal_contact.phone", Cell.TEXT, False,
       "gd:internalContactPoint", ""),
)
"""The entries sheet, one row per entry, in template order."""

ITEM_COLUMNS: tuple[Column, ...] = (
    _c("信息资源代码", "resource code", "code", Cell.RESOURCE_CODE, True, f"{_GUIDE} 8", "301017/000012",
       aliases=("代码",)),
    _c("信息项名称", "item name", "name", Cell.TEXT, True, f"{_GUIDE} 8", "许可证编号", aliases=("名称",)),
    _c("数据类型", "data type", "data_type", Cell.CONCEPT, True, f"{_GUIDE} 8", "字符型", "item_data_type",
       ("信息项数据类型",)),
    _c("描述", "description", "description", Cell.TEXT, False, f"{_GUIDE} 8", "证书编号",
       aliases=("信息项描述",)),
)
"""The data-items sheet: one row per data item, keyed by resource code, in item order."""

SCHEME_ENUMS: dict[str, type[CodeEnum]] = {
    "category": Category,
    "basic_database": BasicDatabase,
    "theme": Theme,
    "format": Format,
    "share": ShareAttribute,
    "share_mode": ShareMode,
    "open": OpenAttribute,
    "update_cycle": UpdateCycle,
    "grade": Grade,
    "item_data_type": ItemDataType,
}
"""The code lists a CONCEPT column reads, by key; the division scheme has no enum."""


@dataclass(frozen=True)
class Concept:
    """One allowed value of a code list."""

    iri: URIRef
    notation: str
    zh: str
    en: str

    def describe(self) -> str:
        """How the value is listed among allowed values: "zh (notation, en)"."""
        return f"{self.zh} ({self.notation}, {self.en})" if self.notation else f"{self.zh} ({self.en})"


@dataclass(frozen=True)
class CodeList:
    """The concepts of one scheme and a lookup by label or notation."""

    scheme: URIRef
    concepts: tuple[Concept, ...]
    enum: type[CodeEnum] | None
    index: Mapping[str, URIRef]
    by_iri: Mapping[URIRef, Concept]

    def find(self, text: str) -> URIRef | None:
        """The concept a cell names (zh label, en label in any case, or notation), or None.

        A notation given as a number (Excel drops leading zeros: 1 for "01") matches too.
        """
        key = _key(text)
        found = self.index.get(key)
        if found is None and key.isdigit():
            found = self.index.get(f"#{int(key)}")
        return found

    def value(self, iri: URIRef) -> CodeEnum | URIRef:
        """The enum member of an IRI when the code list has one, else the IRI."""
        if self.enum is not None:
            try:
                return self.enum(iri)
            except ValueError:
                pass
        return iri

    def label(self, iri: URIRef) -> str:
        """What the template writes for a concept: its zh label; the IRI if the list lacks it."""
        concept = self.by_iri.get(URIRef(iri))
        return str(iri) if concept is None else concept.zh

    def allowed(self) -> tuple[str, ...]:
        """The allowed values, as listed in error reports."""
        return tuple(c.describe() for c in self.concepts)


def code_lists(settings: Settings) -> dict[str, CodeList]:
    """The code lists of the template's CONCEPT columns, from the deployment's SKOS schemes.

    The open attributes come from the active scheme (``settings.open_attribute_scheme``).
    """
    overrides = tuple(sorted((k, str(v)) for k, v in settings.code_lists.items()))
    return _code_lists(overrides, settings.open_attribute_scheme)


@cache
def _code_lists(overrides: tuple[tuple[str, str], ...], open_scheme: str) -> dict[str, CodeList]:
    from pathlib import Path

    graph = resources.ontology(overrides={k: Path(v) for k, v in overrides})
    slugs = {key: SCHEMES[enum] for key, enum in SCHEME_ENUMS.items()}
    slugs["open"] = open_scheme
    slugs["division"] = "division"
    lists = {}
    for key, slug in slugs.items():
        scheme = URIRef(str(code_namespace(slug))[:-1])
        enum = SCHEME_ENUMS.get(key)
        concepts = []
        for iri in set(graph.subjects(SKOS.inScheme, scheme)):
            labels = {lit.language: str(lit) for lit in graph.objects(iri, SKOS.prefLabel) if isinstance(lit, Literal)}
            notation = graph.value(iri, SKOS.notation)
            concepts.append(Concept(URIRef(str(iri)), str(notation or ""), labels.get("zh", ""), labels.get("en", "")))
        order = {m.iri: i for i, m in enumerate(enum)} if enum else {}
        concepts.sort(key=lambda c: (order.get(c.iri, len(order)), c.notation, str(c.iri)))
        lists[key] = CodeList(scheme, tuple(concepts), enum, _index(concepts), {c.iri: c for c in concepts})
    return lists


def _index(concepts: list[Concept]) -> dict[str, URIRef]:
    """Labels, notations and the known synonyms of codes.SYNONYMS (of concepts in this list only),
    through the one table of govdata_ld.codes; a key naming two concepts names neither."""
    present = {c.iri for c in concepts}
    pairs = [(text, c.iri) for c in concepts for text in (c.zh, c.en, c.notation)]
    pairs += [(f"#{int(c.notation)}", c.iri) for c in concepts if c.notation.isdigit()]
    pairs += [(text, URIRef(iri)) for text, iri in synonym_pairs(SYNONYMS) if URIRef(iri) in present]
    return build_index(pairs)  # type: ignore[return-value]


def _key(text: str) -> str:
    return normalise(text)


def header_index(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Header (normalised) -> column, for every header a column is recognised by."""
    return {_key(h): c for c in columns for h in c.headers}


def find_column(header: str, index: Mapping[str, Column]) -> Column | None:
    """The column a header names (zh, en or alias; case and surrounding blanks ignored)."""
    return index.get(_key(header))


def neutralise(text: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (OWASP ASVS 1.2.10).

    A value already starting with ``'`` is prefixed too, so :func:`restore` gives it back exactly.

    >>> neutralise("=1+1"), neutralise("-5"), neutralise("'=x"), neutralise("a-b")
    ("'=1+1", "'-5", "''=x", 'a-b')
    """
    return "'" + text if text.startswith((*FORMULA_LEADS, "'")) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise`: drop one ``'`` before a formula character or another ``'``.

    >>> restore("'=1+1"), restore("''=x"), restore("'abc")
    ('=1+1', "'=x", "'abc")
    """
    if len(text) > 1 and text[0] == "'" and text[1] in "".join(FORMULA_LEADS) + "'":
        return text[1:]
    return text


def split_list(text: str) -> list[str]:
    """Split a list cell on ``;``, ``；`` or new lines; ``\\`` escapes a separator or ``|``.

    >>> split_list("a;b；c\\nd"), split_list("x\\\\;y")
    (['a', 'b', 'c', 'd'], ['x;y'])
    """
    return [_unescape(part).strip() for part in _split(text, LIST_SEPARATORS) if part.strip()]


def split_item(text: str) -> list[str]:
    """Split one data item ``name|type|description`` into its parts (``\\|`` keeps a bar)."""
    return [_unescape(part).strip() for part in _split(text, (ITEM_FIELD_SEPARATOR,))]


def join_list(values: list[str], separator: str = ";") -> str:
    """Join list values, escaping separators inside them."""
    return separator.join(escape(v) for v in values)


def escape(text: str) -> str:
    """Escape the list and item separators inside one value."""
    out = text.replace("\\", "\\\\")
    for sep in (*LIST_SEPARATORS[:2], ITEM_FIELD_SEPARATOR):
        out = out.replace(sep, "\\" + sep)
    return out.replace("\n", "\\n")


def _split(text: str, separators: tuple[str, ...]) -> list[str]:
    if "\\" not in text:
        return re.split("|".join(map(re.escape, separators)), text)
    parts, current, chars = [], [], iter(text)
    for ch in chars:
        if ch == "\\":
            current.append(ch + next(chars, ""))
        elif ch in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, chars = [], iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append("\n" if nxt == "n" else nxt)
        else:
            out.append(ch)
    return "".join(out)
