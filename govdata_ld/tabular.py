"""Spreadsheet import and export: the catalog template as XLSX or CSV (the only module with openpyxl).

An organ fills the template (``docs/spreadsheets.md``): one row per entry with the national
catalog guide's columns, headers in Chinese or English, code-list values by label or notation,
data items in a cell or in a second sheet. :func:`read_sheets` turns the rows into
:class:`~govdata_ld.records.Entry` records, reporting every bad cell at once
(:class:`~govdata_ld.errors.SheetError`); :func:`import_sheets` writes them to a store through
:meth:`Catalog.put` (the record mapping, nothing by hand); :func:`export_catalog` writes the
template back from a store, so a sheet round-trips.

>>> from govdata_ld.tabular_columns import COLUMNS
>>> sum(1 for c in COLUMNS if c.required)
14
"""

from __future__ import annotations

import csv
import gc
import io
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.comments import Comment  # type: ignore[import-untyped]
from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import IllegalCharacterError  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]
from rdflib import Graph

from . import bulk_import, input_gate, store
from .errors import CellProblem, InputError, SheetError
from .graphs import WriteSummary
from .iris import Minter
from .mapping import to_triples
from .namespaces import PREFIXES
from .records import Entry
from .settings import Settings
from . import tabular_xlsx
from .tabular_columns import (
    CODES_SHEET,
    COLUMNS,
    ENTRIES_SHEET,
    IGNORED_SHEETS,
    ITEM_COLUMNS,
    ITEMS_SHEET,
    README_SHEET,
    Cell,
    Column,
    code_lists,
    find_column,
    header_index,
    neutralise,
    restore,
)
from .tabular_rows import Layout, SheetRow, SkippedRow, convert, entry_cells, item_cells

if TYPE_CHECKING:
    from .catalog import Catalog

log = logging.getLogger(__name__)

SHEET_FORMATS = ("xlsx", "csv")
"""Formats of :func:`write_template`, :func:`export_catalog` and :func:`read_sheets`."""
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
"""Encodings a CSV file is tried in, in order, each on the whole file (GB18030 covers GBK)."""
_BOM = b"\xef\xbb\xbf"
_MAX_ROW = 1048576
_ENTRY_HEADERS = header_index(COLUMNS)
_ITEM_HEADERS = header_index(ITEM_COLUMNS)
_BLANKS = " \t\r\n\u3000\u200b\ufeff"
"""Blanks dropped at the ends of a cell (ideographic space, zero-width space and BOM included)."""
_ITEM_MARKERS = {h for c in ITEM_COLUMNS if c.field in ("name", "data_type") for h in (c.zh, c.en)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetImport:
    """What an import read, left out and wrote.

    Attributes:
        entries: the entries read, in file and row order.
        skipped: rows left out by ``skip_bad_rows`` (empty otherwise), each with its problems.
        rows: data rows read (entries and data items).
        summary: what the store write did (:func:`import_sheets` only).
    """

    entries: tuple[Entry, ...]
    skipped: tuple[SkippedRow, ...] = ()
    rows: int = 0
    summary: WriteSummary | None = None


def read_sheets(
    *paths: str | Path, settings: Settings | None = None, skip_bad_rows: bool = False
) -> SheetImport:
    """Read filled templates (XLSX or CSV) into entries, checking every cell.

    Args:
        paths: .xlsx or .csv files; a CSV file is an entries sheet, or a data-items sheet when
            its headers are the data-item columns.
        settings: the deployment's code lists and resource-code pattern; defaults when None.
        skip_bad_rows: leave out rows with problems (listed in ``skipped``) instead of failing.

    Returns:
        The entries and, with ``skip_bad_rows``, the rows left out.

    Raises:
        SheetError: cells that cannot be read (every one, each with file, sheet, row, column,
            value and allowed values); also, whatever ``skip_bad_rows`` says, headers that are
            unknown or missing.
        InputError: a file that is missing, of an unknown kind or not a readable workbook/CSV.

    >>> read_sheets("missing.csv")
    Traceback (most recent call last):
    ...
    govdata_ld.errors.InputError: missing.csv: cannot read the file: No such file or directory
    """
    settings = settings or Settings.load()
    with _collector_paused():
        return _read_sheets(paths, settings, skip_bad_rows)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a sheet is read: the reader builds millions
    of objects that form no cycles, and the collector walked them again and again (a fifth of
    the time of a 100,000-row read, ``benchmarks/sheets.py``). Reference counting still frees
    them; the collector runs again afterwards."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _read_sheets(paths: tuple[str | Path, ...], settings: Settings, skip_bad_rows: bool) -> SheetImport:
    entry_rows: list[SheetRow] = []
    item_rows: list[SheetRow] = []
    fatal: list[CellProblem] = []
    for path in paths:
        for sheet in _sheets(Path(path)):
            rows, problems = _rows(sheet)
            fatal += problems
            (item_rows if sheet.items else entry_rows).extend(rows)
    if not any(True for _ in entry_rows) and not fatal:
        log.info("no entry rows in %s", ", ".join(map(str, paths)))
    converted = convert(entry_rows, item_rows, settings, skip_bad_rows=skip_bad_rows)
    if fatal or (converted.problems and not skip_bad_rows):
        raise SheetError(sorted(fatal + converted.problems, key=lambda p: (p.source, p.sheet, p.row, p.column)))
    return SheetImport(
        entries=tuple(e for _, e in converted.entries),
        skipped=tuple(converted.skipped),
        rows=len(entry_rows) + len(item_rows),
    )


def import_sheets(catalog: Catalog, *paths: str | Path, skip_bad_rows: bool = False) -> SheetImport:
    """Read filled templates and write their entries to a store, all or nothing.

    Entries go through the record mapping (:meth:`Catalog.put`): a known resource code gets a
    new version. Nothing is written when a cell cannot be read (unless ``skip_bad_rows``). More
    than :data:`~govdata_ld.bulk_import.BULK_THRESHOLD` entries all new to an embedded store
    are written by the bulk path (:mod:`govdata_ld.bulk_import`: the same statements, in
    batches, rolled back on failure or on the next open after a crash).

    Raises:
        SheetError: see :func:`read_sheets`; the store is unchanged.
        InputError: see :func:`read_sheets`; also two files describing the same entry.
    """
    result = read_sheets(*paths, settings=catalog.settings, skip_bad_rows=skip_bad_rows)
    summary = bulk_import.import_entries(catalog, result.entries)
    return replace(result, summary=summary)


def to_graph(entries: Iterable[Entry], *, settings: Settings | None = None) -> Graph:
    """The RDF of entries, through the record mapping (what :meth:`Catalog.put` would write).

    >>> len(to_graph([]))
    0
    """
    minter = Minter((settings or Settings.load()).base_iri)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for entry in entries:
        for triple in to_triples(entry, minter):
            graph.add(triple)
    return graph


def to_turtle(entries: Sequence[Entry], *, settings: Settings | None = None) -> bytes:
    """The triples of :func:`to_graph` as Turtle, written by the embedded engine from N-Triples
    (:func:`govdata_ld.bulk_import.ntriples`), in batches: rdflib's Turtle serializer takes time
    quadratic in the entries (it looks up a prefix for each new IRI among all it has seen:
    ``benchmarks/sheets.py``).

    >>> to_turtle([])
    b''
    """
    minter = Minter((settings or Settings.load()).base_iri)
    scratch = store.EmbeddedStore()
    for start in range(0, len(entries), bulk_import.BATCH_ENTRIES):
        text = "".join(bulk_import.ntriples(entries[start:start + bulk_import.BATCH_ENTRIES], minter))
        scratch.load_default(text.encode("utf-8"), "nt", source="entries")
    return scratch.dump_default("turtle", prefixes=PREFIXES)


def write_template(path: str | Path, *, format: str = "xlsx", settings: Settings | None = None) -> Path:
    """Write an empty template: XLSX with instructions, header comments and drop-down lists, or CSV.

    Raises:
        InputError: an unknown format, or a file that cannot be written.
    """
    return write_entries([], path, format=format, settings=settings)


def export_catalog(catalog: Catalog, path: Path, format: str) -> Path:
    """Write the current entries of a store as the template (XLSX or CSV), atomically.

    Code-list values are written as their zh labels, dates as YYYY-MM-DD, the provider's name
    from the organ registry; cells a spreadsheet would run as formulas are neutralised.

    Args:
        catalog: the store.
        path: the file to write (replaced atomically: a temporary file in the same folder, then
            renamed).
        format: "xlsx" or "csv".

    Returns:
        The path written.

    Raises:
        InputError: an unknown format, an entry that cannot be read back, or a file that cannot
            be written.
    """
    codes = sorted(
        code for e, _ in catalog.select("entry_graphs").rows
        if (code := catalog.minter.code_of_entry(str(e))) is not None
    )
    entries = [catalog.entry(code) for code in codes]
    names = {str(row["uscc"]): str(row["name"]) for row in catalog.select("organs").dicts()}
    return write_entries(entries, path, format=format, settings=catalog.settings, provider_names=names)


def write_entries(
    entries: Sequence[Entry],
    path: str | Path,
    *,
    format: str,
    settings: Settings | None = None,
    provider_names: Mapping[str, str] | None = None,
) -> Path:
    """Write entries as the template (XLSX or CSV), atomically.

    Args:
        entries: the entries, one row each, in this order.
        path: the file to write.
        format: "xlsx" or "csv".
        settings: the deployment's code lists; defaults when None.
        provider_names: credit code -> organ name, for the 提供方 column.

    Raises:
        InputError: an unknown format, or a file that cannot be written.
    """
    if format not in SHEET_FORMATS:
        raise InputError(f"unknown sheet format {format!r}; known: {', '.join(SHEET_FORMATS)}", source="format",
                         code="param.unknown-value")
    settings = settings or Settings.load()
    lists = code_lists(settings)
    names = provider_names or {}
    target = Path(path)
    xlsx = format == "xlsx"
    rows = ([neutralise(c) for c in entry_cells(e, lists, names, items_in_cell=not xlsx)] for e in entries)
    if xlsx:
        items = ([neutralise(c) for c in cells] for e in entries for cells in item_cells(e, lists))
        return _atomic(target, lambda tmp: _write_xlsx(tmp, rows, items, settings))
    return _atomic(target, lambda tmp: _write_csv(tmp, rows))


# -- reading ---------------------------------------------------------------------------------


@dataclass
class _Sheet:
    source: str
    name: str
    items: bool
    rows: Iterator[tuple[int, Sequence[Any]]]
    xlsx: bool


def _sheets(path: Path) -> Iterator[_Sheet]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InputError(f"not a spreadsheet: expected .xlsx or .csv, got {suffix or 'no suffix'!r}", source=str(path),
                         code="input.unknown-format")
    if suffix == ".csv":
        reader = csv.reader(io.StringIO(_decode(path), newline=""))
        try:
            rows = list(reader)
        except csv.Error as exc:  # a field beyond csv.field_size_limit(), a NUL, a broken quote
            raise InputError(f"not a readable CSV file: {exc}", source=str(path), sheet=path.name, row=reader.line_num,
                             code="input.literal-too-long" if "field limit" in str(exc) else "input.syntax") from exc
        headers = {str(h).strip() for h in (rows[0] if rows else [])}
        yield _Sheet(str(path), path.name, bool(headers & _ITEM_MARKERS), enumerate(rows, start=1), False)
        return
    names = [(name, part) for name, part in tabular_xlsx.sheets(path) if name not in IGNORED_SHEETS]
    if not names:
        raise InputError("the workbook has no entries sheet", source=str(path))
    entries_name = next((n for n, _ in names if n in ENTRIES_SHEET), None) or next(
        (n for n, _ in names if n not in ITEMS_SHEET), None)
    if entries_name is None:
        raise InputError(f"the workbook has no entries sheet ({ENTRIES_SHEET[0]})", source=str(path))
    for name, part in names:
        if name != entries_name and name not in ITEMS_SHEET:
            log.info("%s: sheet %r is not read (not the entries or data-items sheet)", path, name)
            continue
        yield _Sheet(str(path), name, name in ITEMS_SHEET, tabular_xlsx.rows(path, part), True)


def _decode(path: Path) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK),
    decided on the whole file; never Latin-1, which would turn GBK into mojibake silently."""
    try:
        with path.open("rb") as handle:
            data = handle.read(input_gate.limits().max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=str(path), code="input.unreadable") from exc
    input_gate.check_size(len(data), source=str(path))
    for encoding in CSV_ENCODINGS:
        if encoding == "utf-8" and data.startswith(_BOM):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"not text in any of {', '.join(CSV_ENCODINGS)}", source=str(path), code="input.encoding")


def _rows(sheet: _Sheet) -> tuple[list[SheetRow], list[CellProblem]]:
    """The data rows of a sheet, each cell located; header problems (fatal) apart."""
    columns = ITEM_COLUMNS if sheet.items else COLUMNS
    index = _ITEM_HEADERS if sheet.items else _ENTRY_HEADERS
    problems: list[CellProblem] = []

    def problem(row: int, letter: str, header: str, value: str, message: str, **kw: Any) -> None:
        problems.append(CellProblem(source=sheet.source, sheet=sheet.name, row=row, column=letter,
                                    header=header, value=value, message=message, **kw))

    try:
        first = next(sheet.rows, None)
    except csv.Error as exc:
        raise InputError(f"not a CSV file: {exc}", source=sheet.source) from exc
    if first is None:
        problem(1, "", "", "", "the sheet is empty: its first row must hold the headers")
        return [], problems
    header_row, header = first
    mapped: list[tuple[int, Column, str, str]] = []
    seen: dict[str, str] = {}
    blank_headers: list[int] = []
    for position, raw in enumerate(header):
        text = _text(raw)
        letter = get_column_letter(position + 1)
        if not text:
            blank_headers.append(position)
            continue
        column = find_column(text, index)
        if column is None:
            problem(header_row, letter, text, text, "unknown header", allowed=tuple(c.zh for c in columns),
                    provision="docs/spreadsheets.md")
        elif column.field in seen:
            problem(header_row, letter, text, text, f"a second column for {column.zh} (also column {seen[column.field]})")
        else:
            seen[column.field] = letter
            mapped.append((position, column, letter, text))
    for column in columns:
        if column.required and column.field not in seen and not (column.cell is Cell.ITEMS):
            problem(header_row, "", "", column.zh, f"required column {column.zh} ({column.en}) is missing",
                    provision=column.provision)
    rows: list[SheetRow] = []
    layout = Layout.of(mapped, xml=sheet.xlsx)
    warned: set[int] = set()
    try:
        for number, values in sheet.rows:
            texts = [v.strip(_BLANKS) if v.__class__ is str and v[:1] != "'" else _text(v) for v in values]
            if not any(texts):
                continue
            for position in blank_headers:
                if position < len(texts) and texts[position] and position not in warned:
                    warned.add(position)
                    problem(number, get_column_letter(position + 1), "", texts[position], "a value under no header")
            rows.append(SheetRow(sheet.source, sheet.name, number, layout, texts))
            if not sheet.xlsx or not any(v.__class__ is str and v[:1] == "=" for v in values):
                continue
            for pos, _, letter, head in mapped:
                if pos < len(values) and isinstance(values[pos], str) and values[pos].startswith("="):
                    # A formula: its text is not the value a person sees (reliability notes §1.6).
                    cell_problem = CellProblem(source=sheet.source, sheet=sheet.name, row=number, column=letter,
                                               header=head, value=texts[pos], message="a formula: type the value itself")
                    problems.append(cell_problem)
    except csv.Error as exc:
        raise InputError(f"not a CSV file: {exc}", source=sheet.source) from exc
    return rows, problems


def _text(value: Any) -> str:
    """A cell as text: codes keep their leading zeros, dates are YYYY-MM-DD, one neutralising
    quote is removed, blanks at the ends are dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return restore(value).strip(_BLANKS)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- writing ---------------------------------------------------------------------------------


def _atomic(target: Path, write: Any) -> Path:
    """Write through a temporary file in the target's folder, then rename over the target."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write the file: {exc.strerror}", source=str(target)) from exc
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    except (OSError, IllegalCharacterError) as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write the file: {exc}", source=str(target)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _write_csv(path: Path, rows: Iterable[list[str]]) -> None:
    # UTF-8 with a BOM: the encoding Excel opens Chinese CSV in without asking.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.zh for c in COLUMNS])
        writer.writerows(rows)


_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")


def _write_xlsx(path: Path, rows: Iterable[list[str]], items: Iterable[list[str]], settings: Settings) -> None:
    lists = code_lists(settings)
    workbook = openpyxl.Workbook(write_only=True)
    entries_ws = workbook.create_sheet(ENTRIES_SHEET[0])
    items_ws = workbook.create_sheet(ITEMS_SHEET[0])
    readme_ws = workbook.create_sheet(README_SHEET[0])
    codes_ws = workbook.create_sheet(CODES_SHEET[0])
    code_columns = {}
    scheme_keys = sorted({c.scheme for c in (*COLUMNS, *ITEM_COLUMNS) if c.scheme})
    for position, key in enumerate(scheme_keys, start=1):
        code_columns[key] = get_column_letter(position)
    for ws, columns in ((entries_ws, COLUMNS), (items_ws, ITEM_COLUMNS)):
        ws.freeze_panes = "A2"
        for position, column in enumerate(columns, start=1):
            letter = get_column_letter(position)
            ws.column_dimensions[letter].width = 28 if column.cell in (Cell.TEXT, Cell.ITEMS) else 18
            if column.scheme:
                values = lists[column.scheme].concepts
                last = len(values) + 1
                source = f"'{CODES_SHEET[0]}'!${code_columns[column.scheme]}$2:${code_columns[column.scheme]}${last}"
                validation = DataValidation(type="list", formula1=source, allow_blank=True,
                                            showErrorMessage=True, errorStyle="warning",
                                            error="不在代码表中 / not a value of the code list")
                validation.add(f"{letter}2:{letter}{_MAX_ROW}")
                ws.data_validations.dataValidation.append(validation)
        ws.append([_header_cell(ws, c) for c in columns])
    for row in rows:
        entries_ws.append(row)
    for row in items:
        items_ws.append(row)
    for line in _readme(settings):
        readme_ws.append(line)
    readme_ws.column_dimensions["A"].width = 22
    readme_ws.column_dimensions["E"].width = 60
    codes_ws.sheet_state = "hidden"
    by_scheme = [lists[k].concepts for k in scheme_keys]
    codes_ws.append([next(c.zh for c in COLUMNS + ITEM_COLUMNS if c.scheme == k) for k in scheme_keys])
    for i in range(max(len(v) for v in by_scheme)):
        codes_ws.append([(v[i].notation if k == "division" else v[i].zh) if i < len(v) else None
                         for k, v in zip(scheme_keys, by_scheme)])
    workbook.save(path)


def _header_cell(ws: Any, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=column.zh)
    cell.font = _HEADER_FONT
    cell.fill = _REQUIRED_FILL if column.required or column.cell is Cell.ITEMS else _OPTIONAL_FILL
    need = "required / 必填" if column.required else "optional / 选填"
    cell.comment = Comment(f"{column.en}\n{need}\n{column.provision}", "govdata-ld", width=260, height=90)
    return cell


def _readme(settings: Settings) -> list[list[str]]:
    lists = code_lists(settings)
    lines = [
        ["govdata-ld 政府数据资源目录模板 / catalog template"],
        ["每行一个目录条目；表头可用中文或英文；代码表取值可填中文名称、英文名称或编码。"],
        ["One row per entry; headers in Chinese or English; code-list values by zh or en label or notation."],
        ["信息项可填在“信息项”列（每行一项：名称|数据类型|描述），或填在“信息项”工作表（按信息资源代码）。"],
        ["Data items go in the 信息项 column (one per line: name|data type|description) or the 信息项 sheet."],
        ["黄色表头为必填列 / yellow headers are required. See docs/spreadsheets.md."],
        [],
        ["表头 (zh)", "header (en)", "必填 required", "依据 provision", "取值 allowed values / 示例 example"],
    ]
    for column in (*COLUMNS, *ITEM_COLUMNS):
        allowed = "; ".join(c.describe() for c in lists[column.scheme].concepts) if column.scheme else column.example
        lines.append([column.zh, column.en, "是 yes" if column.required else "否 no", column.provision, allowed])
    return lines
