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

Sheets written the plain way (what Excel, WPS, LibreOffice and openpyxl write for values: cells
``<c r=".." s=".." t="..">`` holding a ``<v>`` or an inline ``<is><t>``, no prefixed element, no
comment, CDATA or processing instruction in the body) are read faster: a first pass checks the
part with expat (well-formed, nothing but plain cells) without building elements, a second reads
rows and cells with regular expressions, three to four times faster than the pull parser. Any
other part (a formula, rich text, another attribute order) is read by the pull parser, with the
same values.
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
from xml.parsers import expat

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
            if _plain_cells(archive, path, part):
                yield from _plain_rows(archive, path, part, strings, dates, epoch)
            else:
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
    if _plain_part(archive, path, "xl/sharedStrings.xml", _PLAIN_STRING_B, (b"<si>", b"<si "), b"</si>"):
        return [_xml_text(text) for chunk in _chunks(archive, path, "xl/sharedStrings.xml", b"</si>")
                for text in _PLAIN_STRING.findall(chunk.decode("utf-8"))]
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



# -- the plain path ----------------------------------------------------------------------------

_CHUNK_BYTES = 4 << 20
_PLAIN_CELL_TEXT = (
    r'<c r="([A-Z]{1,3})[0-9]*"(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?\s*'
    r'(?:/>|>(?:(<v>)([^<]*)</v>|(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
)
_PLAIN_CELL = re.compile(_PLAIN_CELL_TEXT)
# The first pass only counts matches: the same expressions without groups (no tuple per cell).
_PLAIN_CELL_B = re.compile(re.sub(r"\((?!\?)", "(?:", _PLAIN_CELL_TEXT).encode())
_PLAIN_STRING_TEXT = r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>'
_PLAIN_STRING = re.compile(_PLAIN_STRING_TEXT)
_PLAIN_STRING_B = re.compile(re.sub(r"\((?!\?)", "(?:", _PLAIN_STRING_TEXT).encode())
_ROW_START = re.compile(r"<row\b([^>]*?)(/?)>")
# A ">" inside an attribute value would end a row's start tag early for the expressions.
_QUOTED_GT = re.compile(rb"""=\s*(?:"[^"<]*>|'[^'<]*>)""")
_ROW_NUMBER_FIRST = re.compile(r'\s+r="([0-9]*)"')
_ATTRIBUTE = re.compile(r"""([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# A comment, CDATA or processing instruction could hide or fake a row; a prefixed element named
# like a cell part could be one the expressions do not see. Other prefixed elements (extLst) are fine.
_NOT_PLAIN = re.compile(rb"<!|<\?|</?[A-Za-z_][\w.-]*:(?:sheetData|row|c|f|v|is|t|r|si|AlternateContent)\b")
_ROOT = re.compile(rb"<[A-Za-z_][\w.-]*\b[^>]*>")
_DEFAULT_NS = re.compile(rb"""\sxmlns\s*=\s*["']([^"']*)["']""")
_COLUMNS: dict[str, int] = {}


def _chunks(archive: zipfile.ZipFile, path: Path, name: str, boundary: bytes) -> Iterator[bytes]:
    """A part's bytes in pieces that end just after ``boundary`` (a closing tag), prolog checked."""
    stream = _part(archive, path, name)
    if stream is None:
        return
    try:
        with stream:
            pending = stream.read(_PROLOG_BYTES)
            if not _plain_prolog(pending):
                raise InputError(f"not a readable workbook: {name} declares a DTD (or its prolog is too long)",
                                 source=str(path), code="input.dtd-refused", sheet=name)
            while True:
                block = stream.read(_CHUNK_BYTES)
                if not block:
                    if pending:
                        yield pending
                    return
                pending += block
                cut = pending.rfind(boundary)
                if cut >= 0:
                    cut += len(boundary)
                    yield pending[:cut]
                    pending = pending[cut:]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"not a readable workbook: {name}: {exc}", source=str(path), code="input.syntax",
                         sheet=name) from exc


def _plain_part(archive: zipfile.ZipFile, path: Path, name: str, pattern: re.Pattern[bytes],
                opening: tuple[bytes, ...], boundary: bytes) -> bool:
    """Whether a part is well-formed SpreadsheetML whose every ``opening`` element is one that
    ``pattern`` reads (a first pass: expat with no handler, and counts)."""
    if name not in archive.NameToInfo:
        return False
    parser = expat.ParserCreate()
    root_seen = False
    try:
        for chunk in _chunks(archive, path, name, boundary):
            parser.Parse(chunk, False)
            body = chunk
            if not root_seen:
                root = _ROOT.search(chunk, len(chunk) - len(chunk.lstrip(b"\xef\xbb\xbf \t\r\n")))
                while root is not None and chunk[root.start() + 1:root.start() + 2] in (b"?", b"!"):
                    root = _ROOT.search(chunk, root.end())
                if root is None:
                    return False
                namespace = _DEFAULT_NS.search(root.group(0))
                if namespace is None or namespace.group(1).decode("utf-8", "replace") not in _NAMESPACES:
                    return False
                root_seen, body = True, chunk[root.start():]
            if _NOT_PLAIN.search(body) or _QUOTED_GT.search(body) or sum(map(body.count, opening)) != len(pattern.findall(body)):
                return False
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise InputError(f"not a readable workbook: {name}: {exc}", source=str(path), code="input.syntax",
                         sheet=name) from exc
    return root_seen


def _plain_cells(archive: zipfile.ZipFile, path: Path, part: str) -> bool:
    return _plain_part(archive, path, part, _PLAIN_CELL_B, (b"<c ", b"<c>", b"<c/"), b"</row>")


def _plain_rows(archive: zipfile.ZipFile, path: Path, part: str, strings: list[str], dates: frozenset[int],
                epoch: datetime) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a part :func:`_plain_cells` accepted, read by regular expressions."""
    last = 0
    for chunk in _chunks(archive, path, part, b"</row>"):
        text = chunk.decode("utf-8")
        for start in _ROW_START.finditer(text):
            attributes, closed = start.groups()
            body = "" if closed else text[start.end():text.find("</row>", start.end())]
            first = _ROW_NUMBER_FIRST.match(attributes)  # where Excel, WPS and openpyxl write it
            given = first.group(1) if first else next(
                (a[1] or a[2] for a in _ATTRIBUTE.findall(attributes) if a[0] == "r"), "")
            number = int(given or last + 1)
            last = number
            values: list[Any] = []
            for letters, style, kind, v_open, v, is_open, inline in _PLAIN_CELL.findall(body):
                position = _COLUMNS.get(letters)
                if position is None:
                    position = _COLUMNS.setdefault(letters, _column(letters))
                if position >= _MAX_COLUMNS:
                    raise InputError(f"not a readable workbook: cell {letters}{number} is beyond column XFD",
                                     source=str(path), code="input.too-large", sheet=part, row=number)
                while len(values) < position:
                    values.append(None)
                if kind == "s" and v_open:
                    index = int(v)
                    values.append(strings[index] if 0 <= index < len(strings) else None)
                elif kind == "inlineStr":
                    values.append(_xml_text(inline) if is_open else None)
                elif not v_open:
                    values.append(None)
                elif kind == "s":
                    index = int(v)
                    values.append(strings[index] if 0 <= index < len(strings) else None)
                elif kind == "b":
                    values.append(v == "1")
                elif kind in ("str", "e"):
                    values.append(_xml_text(v))
                elif kind == "d":
                    values.append(v[:10])
                else:
                    number_value = float(v)
                    if int(style or "0") in dates:
                        moment = epoch + timedelta(days=number_value)
                        values.append(moment.date() if moment.time() == datetime.min.time() else moment)
                    else:
                        values.append(int(number_value) if number_value.is_integer() else number_value)
            yield number, values


def _xml_text(raw: str) -> str:
    """Character data as a parser gives it: line ends normalised, then references resolved
    (expat has refused any entity XML does not predefine, and any reference to a character XML
    does not allow).

    >>> _xml_text("a &amp; b&#x80;&#13;\\r\\nc&lt;")
    'a & b\\x80\\r\\nc<'
    """
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _REFERENCE.sub(_resolve, raw) if "&" in raw else raw


_REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _resolve(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _PREDEFINED[name]
    return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
