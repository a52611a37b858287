"""A lean, streaming reader of XLSX cell values, for importing large catalog sheets.

openpyxl's read-only mode parsed a 100,000-row template at under 1,000 rows/s on the project's
machine (it builds a cell object per cell); this reader walks the sheet XML with the C parser and
builds one list per row, ten times faster (``benchmarks/sheets.py``). It reads what an import
needs and nothing else: sheet names, shared and inline strings, numbers, booleans, dates (by the
cell's number format) and formulas (given back as ``"=" + formula`` so the importer can refuse
them). A part whose prolog declares a DTD (hence entities) is refused before parsing, and parts that inflate beyond
:data:`MAX_PART_BYTES` or :data:`MAX_RATIO` are refused (zip bombs, reliability notes §1.6).
Writing stays with openpyxl in :mod:`govdata_ld.tabular`.

Rows come with their own numbers (a workbook omits empty rows) and hidden rows and sheets are
read like visible ones.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

from xml.etree.ElementTree import ParseError, XMLPullParser

from . import input_gate
from .errors import InputError

MAX_PART_BYTES = 1 << 30
MAX_RATIO = 500
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Built-in number formats that show dates (ECMA-376 §18.8.30, with the CJK ids 27-36, 50-58).
_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, *range(27, 37), *range(50, 59)})
_DATE_CODE = re.compile(r"[dmyhs]", re.I)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_CELL_REF = re.compile(r"([A-Z]+)(\d*)")
_PROLOG_BYTES = 65536
_MAX_COLUMNS = 16384  # XFD, the last column a workbook can have
_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_ROW_TAGS = frozenset(f"{{{ns}}}row" for ns in _NAMESPACES)
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def sheets(path: Path) -> list[tuple[str, str]]:
    """The workbook's sheets in order: (name, part path inside the archive).

    Raises:
        InputError: not a readable workbook.
    """
    with _open(path) as archive:
        return _sheets(archive, path)


def rows(path: Path, part: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows of one sheet part: (1-based row number, cell values by column; None for empty).

    Raises:
        InputError: the part is malformed, too large, or uses a DTD or entities.
    """
    with _open(path) as archive:
        strings = _shared_strings(archive, path)
        dates, epoch = _date_styles(archive, path), _epoch(archive, path)
        try:
            yield from _rows(archive, path, part, strings, dates, epoch)
        except (ValueError, IndexError, AttributeError) as exc:  # a malformed number, index or reference
            if isinstance(exc, InputError):
                raise
            raise InputError(f"not a readable workbook: {part}: {exc}", source=str(path), sheet=part,
                             code="input.syntax") from exc


def _open(path: Path) -> zipfile.ZipFile:
    try:
        input_gate.check_size(path.stat().st_size, source=str(path))
        return zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=str(path)) from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable workbook: {exc}", source=str(path), code="input.format-mismatch") from exc


def _part(archive: zipfile.ZipFile, path: Path, name: str) -> IO[bytes] | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES or info.file_size > MAX_RATIO * max(info.compress_size, 1) > 10_000_000:
        raise InputError(f"not a readable workbook: part {name} inflates to {info.file_size:,} bytes", source=str(path),
                         code="input.too-large", sheet=name)
    return archive.open(info)


def _parse(archive: zipfile.ZipFile, path: Path, name: str, events: tuple[Literal["start", "end"], ...] = ("end",)) -> Iterator[Any]:
    """Events of one XML part, through the C parser once the prolog is known to hold no DTD.

    A DTD (the door to entity expansion) can only stand before the root element, so the prolog
    is checked first; then the stdlib pull parser runs at C speed (defusedxml's parser runs its
    handlers in Python, several times slower).
    """
    stream = _part(archive, path, name)
    if stream is None:
        return
    try:
        with stream:
            head = stream.read(_PROLOG_BYTES)
            if not _plain_prolog(head):
                raise InputError(f"not a readable workbook: {name} declares a DTD (or its prolog is too long)",
                                 source=str(path), code="input.dtd-refused", sheet=name)
            parser: XMLPullParser[Any] = XMLPullParser(events=events)
            chunk = head
            while chunk:
                parser.feed(chunk)
                yield from parser.read_events()
                chunk = stream.read(1 << 20)
            parser.close()
            yield from parser.read_events()
    except (ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"not a readable workbook: {name}: {exc}", source=str(path), code="input.syntax",
                         sheet=name) from exc


def _plain_prolog(head: bytes) -> bool:
    """Whether the prolog (declaration, processing instructions, comments) reaches the root
    element without a DTD, within the bytes read."""
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        match = _PROLOG_ITEM.match(head, position)
        if match is None:
            break
        position = match.end()
    return head[position : position + 1] == b"<" and head[position + 1 : position + 2] not in (b"!", b"?", b"")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheets(archive: zipfile.ZipFile, path: Path) -> list[tuple[str, str]]:
    targets = {}
    for _, element in _parse(archive, path, "xl/_rels/workbook.xml.rels"):
        if element.tag == _PKG_REL or _local(element.tag) == "Relationship":
            target = element.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[element.get("Id")] = target
    found = []
    for _, element in _parse(archive, path, "xl/workbook.xml"):
        if _local(element.tag) == "sheet":
            rel = element.get(_REL) or element.get(_REL_STRICT)
            if rel in targets:
                found.append((element.get("name", ""), targets[rel]))
    if not found:
        raise InputError("not a readable workbook: it lists no sheets", source=str(path), code="input.syntax")
    return found


def _shared_strings(archive: zipfile.ZipFile, path: Path) -> list[str]:
    strings: list[str] = []
    for _, element in _parse(archive, path, "xl/sharedStrings.xml"):
        if _local(element.tag) == "si":
            strings.append(_string(element))
            element.clear()
    return strings


def _string(element: Any) -> str:
    """The text of a string item: its <t>, or its runs' <t>, never the phonetic guide (<rPh>)."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _date_styles(archive: zipfile.ZipFile, path: Path) -> frozenset[int]:
    """Indexes of the cell formats (cellXfs) that show a date."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    in_cell_xfs = False
    for event, element in _parse(archive, path, "xl/styles.xml", ("start", "end")):
        name = _local(element.tag)
        if name == "cellXfs":
            in_cell_xfs = event == "start"
        elif event == "end" and name == "numFmt":
            custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
        elif event == "start" and name == "xf" and in_cell_xfs:
            formats.append(int(element.get("numFmtId", "0")))
    return frozenset(
        i for i, fmt in enumerate(formats)
        if fmt in _DATE_FORMATS or (fmt in custom and _DATE_CODE.search(_QUOTED.sub("", custom[fmt])))
    )


def _epoch(archive: zipfile.ZipFile, path: Path) -> datetime:
    for _, element in _parse(archive, path, "xl/workbook.xml"):
        if _local(element.tag) == "workbookPr" and element.get("date1904") in ("1", "true"):
            return datetime(1904, 1, 1)
    return datetime(1899, 12, 30)


def _column(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number - 1


def _rows(archive: zipfile.ZipFile, path: Path, part: str, strings: list[str], dates: frozenset[int],
          epoch: datetime) -> Iterator[tuple[int, list[Any]]]:
    last = 0
    for _, element in _parse(archive, path, part):
        tag = element.tag
        if tag not in _ROW_TAGS:
            continue
        ns = tag[:-3]
        number = int(element.get("r") or last + 1)
        last = number
        values: list[Any] = []
        for cell in element:
            ref = cell.get("r")
            if ref:
                match = _CELL_REF.match(ref)
                position = _column(match.group(1)) if match else len(values)
                if position >= _MAX_COLUMNS:
                    raise InputError(f"not a readable workbook: cell {ref} is beyond column XFD", source=str(path),
                                     code="input.too-large", sheet=part, row=number)
            else:
                position = len(values)
            while len(values) < position:
                values.append(None)
            values.append(_value(cell, ns, strings, dates, epoch))
        element.clear()
        yield number, values


def _value(cell: Any, ns: str, strings: list[str], dates: frozenset[int], epoch: datetime) -> Any:
    kind = cell.get("t", "n")
    formula = cell.find(f"{ns}f")
    if formula is not None:
        return "=" + (formula.text or "")
    if kind == "inlineStr":
        inline = cell.find(f"{ns}is")
        return _string(inline) if inline is not None else None
    raw = cell.find(f"{ns}v")
    text = None if raw is None else raw.text
    if text is None:
        return None
    if kind == "s":
        index = int(text)
        return strings[index] if 0 <= index < len(strings) else None
    if kind == "b":
        return text == "1"
    if kind in ("str", "e"):
        return text
    if kind == "d":
        return text[:10]
    number = float(text)
    if int(cell.get("s", "0")) in dates:
        moment = epoch + timedelta(days=number)
        return moment.date() if moment.time() == datetime.min.time() else moment
    return int(number) if number.is_integer() else number

