"""Spreadsheet rows to entries and back, by the column table of :mod:`govdata_ld.tabular_columns`.

Reading collects every problem of every cell (nothing stops at the first) and builds
:class:`~govdata_ld.records.Entry` records; writing turns entries into the template's cells.
Nothing here touches a file: :mod:`govdata_ld.tabular` reads and writes them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rdflib import URIRef

from . import input_gate
from .codes import CodeEnum
from .errors import CellProblem
from .identifiers import is_valid_uscc
from .records import ContactPoint, DataItem, Entry, Period
from .settings import Settings
from .tabular_columns import (
    COLUMNS,
    ITEM_COLUMNS,
    Cell,
    CodeList,
    Column,
    code_lists,
    escape,
    join_list,
    split_item,
    split_list,
)

_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_SYSTEM = re.compile(r"\S+")
_USCC_RULE = "an 18-character unified social credit code with a correct check character"
_GB32100 = "GB 32100-2015"


@dataclass(slots=True)
class Located:
    """A cell's text with where it sits."""

    column: Column
    letter: str
    header: str
    text: str


@dataclass(frozen=True, eq=False)
class Layout:
    """The recognised columns of one sheet, shared by its rows: (position in the row, column,
    letter, header) in sheet order, and the index of each field among them."""

    cells: tuple[tuple[int, Column, str, str], ...]
    by_field: dict[str, int]
    xml: bool = False
    """Whether the cells come from XML (a workbook), which cannot carry a control character."""

    @classmethod
    def of(cls, cells: Iterable[tuple[int, Column, str, str]], *, xml: bool = False) -> Layout:
        cells = tuple(cells)
        return cls(cells, {column.field: k for k, (_, column, _, _) in enumerate(cells)}, xml)


@dataclass(slots=True)
class SheetRow:
    """One data row of a sheet: its place, its layout and the text of every cell (by position).

    Only the cells of recognised columns are read; a cell is located (:class:`Located`) only
    when a problem names it (a sheet of 100,000 rows would otherwise build millions of them).
    """

    source: str
    sheet: str
    row: int
    layout: Layout
    texts: list[str]

    @property
    def cells(self) -> list[Located]:
        """The cells of the recognised columns, located, in sheet order."""
        return [self._located(k) for k in range(len(self.layout.cells))]

    def cell(self, field_name: str) -> Located | None:
        """The cell of a field, or None when the sheet has no column for it."""
        index = self.layout.by_field.get(field_name)
        return None if index is None else self._located(index)

    def _located(self, index: int) -> Located:
        position, column, letter, header = self.layout.cells[index]
        return Located(column, letter, header, self.texts[position] if position < len(self.texts) else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedRow:
    """A row left out by ``skip_bad_rows``, with why.

    Attributes:
        source, sheet, row: where the row is.
        code: the resource code the row names, when it could be read.
        problems: its cell problems (for an entry: its data items' problems too).
    """

    source: str
    sheet: str
    row: int
    code: str | None
    problems: tuple[CellProblem, ...]

    def __str__(self) -> str:
        what = f"entry {self.code}" if self.code else "row"
        return f"{self.source} [{self.sheet}] row {self.row}: {what} skipped ({len(self.problems)} problem(s))"


@dataclass
class Converted:
    """What a batch of rows became."""

    entries: list[tuple[SheetRow, Entry]] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)


class RowReader:
    """Reads cells by the column table, with one deployment's code lists and code pattern."""

    def __init__(self, settings: Settings) -> None:
        self.lists = code_lists(settings)
        self.pattern = re.compile(settings.resource_code_pattern)
        self.pattern_text = settings.resource_code_pattern
        self.limits = input_gate.limits()
        # Code-list values and credit codes repeat down a sheet: each distinct one is read once.
        self._read_before: dict[tuple[str | None, str], tuple[Any, str | None, tuple[str, ...]]] = {}

    def value(self, cell: Located) -> tuple[Any, str | None, tuple[str, ...]]:
        """Read one non-empty cell: (value, problem message or None, allowed values)."""
        return self.value_of(cell.column, cell.text)

    def clean(self, texts: list[str], *, xml: bool = False) -> bool:
        """Whether no text of a row is too long or holds a control character (then its cells
        need not be checked one by one). Text read from XML holds none: XML 1.0 refuses them raw
        and as references (§2.2 Char, §4.1 WFC: Legal Character), and the workbook reader's
        parser refuses the part."""
        if texts and len(max(texts, key=len)) > self.limits.max_literal_chars:
            return False
        return xml or input_gate.FORBIDDEN_CHAR.search("\n".join(texts)) is None

    def value_of(self, column: Column, text: str, *, checked: bool = False) -> tuple[Any, str | None, tuple[str, ...]]:
        """Read one non-empty cell of a column (``checked``: its row is :meth:`clean`)."""
        kind = column.cell
        if not checked:
            refused = input_gate.literal_problem(text, self.limits)  # too long, or a control character
            if refused is not None:
                return None, refused[1], ()
        if kind in (Cell.TEXT, Cell.NOTE):
            return text, None, ()
        if kind is Cell.CONCEPT or kind is Cell.USCC:
            key = (column.scheme, text)
            found = self._read_before.get(key)
            if found is None:
                found = self._read_before[key] = (
                    self._concept(column, text) if kind is Cell.CONCEPT
                    else (text, None, ()) if is_valid_uscc(text) else (None, f"not {_USCC_RULE}", ())
                )
            return found
        if kind is Cell.DATE:
            parsed = _date(text)
            return (parsed, None, ()) if parsed else (None, "not a date (YYYY-MM-DD)", ())
        if kind is Cell.RESOURCE_CODE:
            if self.pattern.search(text):
                return text, None, ()
            return None, f"not a resource code of the form {self.pattern_text}", ()
        if kind is Cell.SYSTEM:
            return (text, None, ()) if _SYSTEM.fullmatch(text) else (None, "a system code has no blanks", ())
        if kind is Cell.EMAIL:
            return (text, None, ()) if _EMAIL.fullmatch(text) else (None, "not an e-mail address", ())
        if kind is Cell.IRI:
            return (text, None, ()) if _IRI.fullmatch(text) else (None, "not an http(s) IRI", ())
        if kind is Cell.ITEMS:
            return self._items(text)
        parts = split_list(text)
        checks: dict[Cell, tuple[Callable[[str], bool], str]] = {
            Cell.CODES: (lambda v: bool(self.pattern.search(v)), f"not a resource code of the form {self.pattern_text}"),
            Cell.USCCS: (is_valid_uscc, f"not {_USCC_RULE}"),
            Cell.IRIS: (lambda v: bool(_IRI.fullmatch(v)), "not an http(s) IRI"),
            Cell.WORDS: (lambda v: True, ""),
        }
        check, message = checks[kind]
        bad = [p for p in parts if not check(p)]
        if bad:
            return None, f"{message}: {', '.join(bad)}", ()
        return tuple(sorted(set(parts))), None, ()

    def _concept(self, column: Column, text: str) -> tuple[Any, str | None, tuple[str, ...]]:
        codes = self.lists[column.scheme or ""]
        iri = codes.find(text)
        if iri is None:
            return None, "not a value of its code list (zh or en label, or notation)", codes.allowed()
        if column.scheme == "division":
            return codes.by_iri[iri].notation, None, ()  # Entry.spatial holds the GB/T 2260 code
        return codes.value(iri), None, ()

    def _items(self, text: str) -> tuple[Any, str | None, tuple[str, ...]]:
        types = self.lists["item_data_type"]
        items, bad = [], []
        for part in _split_items(text):
            fields = split_item(part)
            name = fields[0] if fields else ""
            kind = types.find(fields[1]) if len(fields) > 1 else None
            if not name or kind is None or len(fields) > 3:
                bad.append(part)
                continue
            data_type: Any = types.value(kind)  # an ItemDataType member, or a replaced scheme's IRI
            items.append(DataItem(name, data_type, (fields[2] or None) if len(fields) > 2 else None))
        if bad:
            message = "data items are name|data type|description, one per line or ; separated; bad: " + ", ".join(bad)
            return None, message, types.allowed()
        return tuple(items), None, ()


def _split_items(text: str) -> list[str]:
    # Items are split like list cells, but each keeps its escapes for the split on "|".
    from .tabular_columns import LIST_SEPARATORS, _split

    return [p for p in _split(text, LIST_SEPARATORS) if p.strip()]


def _date(text: str) -> date | None:
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def convert(
    entry_rows: Iterable[SheetRow],
    item_rows: Iterable[SheetRow],
    settings: Settings,
    *,
    skip_bad_rows: bool,
) -> Converted:
    """Turn entry rows (and data-item rows keyed by resource code) into entries.

    Every problem is collected. Without ``skip_bad_rows`` the caller raises them all; with it,
    rows with problems are left out and listed in ``skipped`` (an entry whose data-item rows
    have problems is left out too).
    """
    reader = RowReader(settings)
    out = Converted()
    parsed: list[tuple[SheetRow, dict[str, Any], list[CellProblem]]] = []
    first_row: dict[str, SheetRow] = {}
    for row in entry_rows:
        values, problems = _read_row(reader, row, COLUMNS)
        code = values.get("code")
        if code is not None:
            if code in first_row:
                seen = first_row[code]
                cell = _cell(row, "code")
                problems.append(_problem(row, cell, f"duplicate resource code (also {seen.source} [{seen.sheet}] row {seen.row})",
                                         provision="Art. 9 para 2; national catalog guide §5.3"))
            else:
                first_row[code] = row
        parsed.append((row, values, problems))
    items: dict[str, list[DataItem]] = {}
    item_problems: dict[str, list[CellProblem]] = {}
    for row in item_rows:
        values, problems = _read_row(reader, row, ITEM_COLUMNS)
        code = values.get("code")
        if code is not None and code not in first_row:
            problems.append(_problem(row, _cell(row, "code"), "data item of an entry the sheets do not have",
                                     provision="national catalog guide core metadata 8"))
            out.problems += problems
            out.skipped.append(SkippedRow(source=row.source, sheet=row.sheet, row=row.row, code=code, problems=tuple(problems)))
            continue
        if problems:
            if code is None:
                out.skipped.append(SkippedRow(source=row.source, sheet=row.sheet, row=row.row, code=None, problems=tuple(problems)))
            else:
                item_problems.setdefault(code, []).extend(problems)
            out.problems += problems
            continue
        items.setdefault(str(code), []).append(DataItem(values["name"], values["data_type"], values.get("description")))
    for row, values, problems in parsed:
        code = values.get("code")
        sheet_items = items.get(code, []) if code is not None and first_row.get(code) is row else []
        _assemble(row, values, problems, sheet_items)
        extra = item_problems.get(code, []) if code is not None and first_row.get(code) is row else []
        out.problems += problems
        # A required field with no column at all is a header problem, reported once by the caller.
        if problems or extra or not _REQUIRED <= values.keys():
            out.skipped.append(SkippedRow(source=row.source, sheet=row.sheet, row=row.row, code=code,
                                          problems=tuple(problems + extra)))
            continue
        out.entries.append((row, _entry(values)))
    out.problems.sort(key=lambda p: (p.source, p.sheet, p.row, p.column))
    out.skipped.sort(key=lambda s: (s.source, s.sheet, s.row))
    return out


def _read_row(reader: RowReader, row: SheetRow, columns: tuple[Column, ...]) -> tuple[dict[str, Any], list[CellProblem]]:
    values: dict[str, Any] = {}
    problems: list[CellProblem] = []
    texts = row.texts
    size = len(texts)
    checked = reader.clean(texts, xml=row.layout.xml)
    empty: set[str] = set()
    for position, column, letter, header in row.layout.cells:
        text = texts[position] if position < size else ""
        if not text:
            if column.required:
                empty.add(column.field)
            continue
        value, message, allowed = reader.value_of(column, text, checked=checked)
        if message is not None:
            problems.append(_problem(row, Located(column, letter, header, text), message, allowed=allowed))
        elif column.cell is not Cell.NOTE:
            values[column.field] = value
    for column in columns if empty else ():
        # A required column missing from the header is reported once, for the sheet.
        if column.field in empty and column.cell is not Cell.ITEMS:
            problems.append(_problem(row, row.cell(column.field), "required cell is empty"))  # type: ignore[arg-type]
    return values, problems


def _assemble(row: SheetRow, values: dict[str, Any], problems: list[CellProblem], sheet_items: list[DataItem]) -> None:
    """Data items from the cell or the items sheet; nested contact points and coverage."""
    items_cell = row.cell("items") or Located(next(c for c in COLUMNS if c.field == "items"), "", "信息项", "")
    if "items" in values and sheet_items:
        problems.append(_problem(row, items_cell, "data items given both in this cell and in the data-items sheet"))
    elif "items" not in values and not sheet_items and not any(p.column == items_cell.letter and items_cell.letter for p in problems):
        problems.append(_problem(row, items_cell, "required: at least one data item, in this cell or the data-items sheet"))
    elif sheet_items:
        values["items"] = tuple(sheet_items)
    if not any("." in k for k in values):
        return
    for prefix, cls in (("contact", ContactPoint), ("internal_contact", ContactPoint), ("temporal", Period)):
        parts = {k.split(".", 1)[1]: values.pop(k) for k in list(values) if k.startswith(prefix + ".")}
        if not parts:
            continue
        if cls is ContactPoint and "name" not in parts:
            cell = row.cell(f"{prefix}.name") or Located(next(c for c in COLUMNS if c.field == f"{prefix}.name"), "", "", "")
            problems.append(_problem(row, cell, "a contact e-mail or telephone needs the contact's name"))
            continue
        values[prefix] = cls(**parts)


_REQUIRED = frozenset(f.name for f in dataclasses.fields(Entry) if f.default is dataclasses.MISSING)


def _entry(values: dict[str, Any]) -> Entry:
    return Entry(**values)


def _cell(row: SheetRow, field_name: str) -> Located:
    return row.cell(field_name)  # type: ignore[return-value]


def _problem(row: SheetRow, cell: Located, message: str, *, allowed: tuple[str, ...] = (), provision: str = "") -> CellProblem:
    return CellProblem(
        source=row.source, sheet=row.sheet, row=row.row, column=cell.letter, header=cell.header,
        value=cell.text, message=message, allowed=allowed, provision=provision or cell.column.provision,
    )


# -- writing ---------------------------------------------------------------------------------


def entry_cells(
    entry: Entry,
    lists: Mapping[str, CodeList],
    provider_names: Mapping[str, str],
    *,
    items_in_cell: bool,
) -> list[str]:
    """The template cells of one entry, in :data:`COLUMNS` order (formulas not yet neutralised)."""
    cells = []
    for column in COLUMNS:
        if column.field == "provider_name":
            cells.append(provider_names.get(entry.provider, ""))
            continue
        if column.field == "items":
            cells.append(_items_text(entry.items, lists) if items_in_cell else "")
            continue
        head, _, tail = column.field.partition(".")
        value = getattr(entry, head)
        if tail and value is not None:
            value = getattr(value, tail)
        cells.append(_text(column, value, lists))
    return cells


def item_cells(entry: Entry, lists: Mapping[str, CodeList]) -> list[list[str]]:
    """The data-items sheet rows of one entry, in :data:`ITEM_COLUMNS` order."""
    types = lists["item_data_type"]
    return [[entry.code, i.name, types.label(_iri(i.data_type)), i.description or ""] for i in entry.items]


def _items_text(items: tuple[DataItem, ...], lists: Mapping[str, CodeList]) -> str:
    types = lists["item_data_type"]
    lines = []
    for item in items:
        parts = [escape(item.name), escape(types.label(_iri(item.data_type)))]
        if item.description:
            parts.append(escape(item.description))
        lines.append("|".join(parts))
    return "\n".join(lines)


def _text(column: Column, value: Any, lists: Mapping[str, CodeList]) -> str:
    if value is None or value == ():
        return ""
    if column.cell is Cell.CONCEPT and column.scheme == "division":
        return str(value)
    if column.cell is Cell.CONCEPT:
        return lists[column.scheme or ""].label(_iri(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return join_list(sorted(str(v) for v in value))
    return str(value)


def _iri(value: CodeEnum | URIRef | str) -> URIRef:
    return value.iri if isinstance(value, CodeEnum) else URIRef(value)
