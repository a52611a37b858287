"""The input gate: the limits and refusals every RDF document passes before and while it is parsed.

Every RDF input of the library (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML) goes through
:func:`govdata_ld.store.read_source` and :func:`govdata_ld.store.parse`, which call this module:

- before parsing, :func:`screen` checks the size, refuses XML DTDs and entity declarations,
  truncated RDF/XML, and JSON-LD that names a context to fetch or read (unless it is the context
  the library ships), duplicate or unmapped JSON keys and JSON nested too deep;
- while parsing, the store counts statements and checks each distinct term with
  :func:`literal_problem` and :func:`iri_problem`; after parsing, :func:`check_depth` bounds
  chains of blank nodes (what breaks recursive serializers);
- every refusal is an :class:`~govdata_ld.errors.InputError` with a stable code and a location
  (:func:`located`).

Limits are a :class:`Limits`; the defaults can be changed for the process (:func:`set_limits`,
or the ``GOVDATA_MAX_*`` environment variables) or for a block of code (:func:`limited`). See
``docs/security.md``.

Nothing here imports a parser engine; JSON is read with the standard library.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ConfigurationError, InputError, InputLimitError, UnsafeInputError

DEFAULT_IRI_SCHEMES = frozenset({"http", "https", "urn", "mailto", "tel", "ftp", "ftps", "sftp"})
"""IRI schemes an input may use; ``file:``, ``javascript:``, ``data:`` and the rest are refused."""
SHIPPED_CONTEXT_URL = "https://w3id.org/govdata-ld/context/dcat-ap.jsonld"
"""The one JSON-LD context a document may refer to by URL: it is replaced by the shipped copy
(``ontology/context/dcat_ap.jsonld``), never fetched."""
ENVIRONMENT = {
    "max_bytes": "GOVDATA_MAX_BYTES",
    "max_statements": "GOVDATA_MAX_STATEMENTS",
    "max_literal_chars": "GOVDATA_MAX_LITERAL_CHARS",
    "max_iri_chars": "GOVDATA_MAX_IRI_CHARS",
    "max_depth": "GOVDATA_MAX_DEPTH",
}
"""The environment variable that sets each numeric limit for the process."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What the input gate lets through.

    Attributes:
        max_bytes: size of one document, sheet file or query text (1 GiB: a city of 100,000
            entries in one Turtle file is about 370 MB).
        max_statements: statements in one document (20,000,000; 100,000 entries are about 4 million).
        max_literal_chars: characters of one literal, JSON string or sheet cell (1,000,000).
        max_iri_chars: characters of one IRI (8,192).
        max_depth: nesting: chained blank nodes in RDF, nested objects and arrays in JSON (100).
        iri_schemes: the IRI schemes allowed (:data:`DEFAULT_IRI_SCHEMES`).

    >>> Limits(max_depth=20).max_depth, Limits().max_bytes
    (20, 1073741824)
    """

    max_bytes: int = 1024 * 1024 * 1024
    max_statements: int = 20_000_000
    max_literal_chars: int = 1_000_000
    max_iri_chars: int = 8192
    max_depth: int = 100
    iri_schemes: frozenset[str] = field(default=DEFAULT_IRI_SCHEMES)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, with each ``GOVDATA_MAX_*`` variable that is set replacing its limit.

        Raises:
            ConfigurationError: a variable is not a positive integer.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for name, variable in ENVIRONMENT.items():
            text = environ.get(variable)
            if text is None:
                continue
            try:
                values[name] = int(text.replace("_", ""))
            except ValueError:
                values[name] = 0
            if values[name] <= 0:
                raise ConfigurationError(f"{variable} must be a positive integer, got {text!r}")
        return cls(**values)  # type: ignore[arg-type]


_process_limits: Limits | None = None
_process_lock = threading.Lock()
_block_limits: ContextVar[Limits | None] = ContextVar("govdata_ld_limits", default=None)


def limits() -> Limits:
    """The limits in force: those of the enclosing :func:`limited` block, else the process's.

    Raises:
        ConfigurationError: a ``GOVDATA_MAX_*`` variable is invalid.
    """
    global _process_limits
    block = _block_limits.get()
    if block is not None:
        return block
    if _process_limits is None:
        with _process_lock:
            if _process_limits is None:
                _process_limits = Limits.from_environment()
    return _process_limits


def set_limits(new: Limits | None) -> None:
    """Set the limits of the whole process (None: back to the defaults and the environment)."""
    global _process_limits
    with _process_lock:
        _process_limits = new


@contextmanager
def limited(new: Limits) -> Iterator[Limits]:
    """Apply other limits inside a ``with`` block (this thread or task only).

    >>> with limited(Limits(max_statements=10)):
    ...     limits().max_statements
    10
    """
    token = _block_limits.set(new)
    try:
        yield new
    finally:
        _block_limits.reset(token)


# -- before parsing --------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_XML_DECL = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
FORBIDDEN_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def check_size(size: int, *, source: str, active: Limits | None = None) -> None:
    """Refuse a document larger than ``max_bytes``.

    Raises:
        InputLimitError: ``input.too-large``.
    """
    active = active or limits()
    if size > active.max_bytes:
        raise InputLimitError(
            f"the input has more than {active.max_bytes:,} bytes (limit max_bytes; see docs/security.md)",
            limit=active.max_bytes, code="input.too-large", source=source,
        )


def refuse_dtd(data: bytes, *, source: str) -> None:
    """Refuse a document that declares a DTD, entities or other markup declarations, before any
    XML parser sees it (an entity can expand to gigabytes or name a local file).

    Raises:
        UnsafeInputError: ``input.dtd-refused``, with line and column.
    """
    match = _DTD.search(data)
    if match is not None:
        line, column = line_column(data, match.start())
        raise UnsafeInputError(
            f"XML with a DTD or <!{match.group(1).decode().upper()}> declaration is refused (no entity is "
            "expanded, nothing is fetched); remove the declaration",
            code="input.dtd-refused", source=source, line=line, column=column,
        )


def looks_like_xml(data: bytes) -> bool:
    """Whether a document opens with an XML prolog (a declaration, comment or DTD), where a DTD
    may stand; the check does not trust the format the caller names."""
    head = data[3:] if data.startswith(_BOM) else data
    return head.lstrip(b" \t\r\n").startswith((b"<?", b"<!"))


def screen(data: bytes, format: str, *, source: str, active: Limits | None = None) -> bytes:
    """Check a document before it is parsed; return the bytes to parse.

    A leading UTF-8 byte-order mark is dropped; a JSON-LD reference to the shipped context is
    replaced by the shipped context itself.

    Args:
        data: the document.
        format: a format name of :data:`govdata_ld.store.FORMATS`.
        source: the document's name in errors.
        active: the limits (:func:`limits` when None).

    Raises:
        InputLimitError: too large, or JSON nested too deep or with too long a string.
        UnsafeInputError: a DTD, or a JSON-LD context to fetch or read.
        InputError: bad encoding, truncated RDF/XML, duplicate or unmapped JSON-LD keys.
    """
    active = active or limits()
    check_size(len(data), source=source, active=active)
    if data.startswith(_BOM):
        data = data[3:]
    if format == "xml" or looks_like_xml(data):
        _check_utf8(data, source)
        refuse_dtd(data, source=source)
    if format == "xml":
        _check_xml(data, source)
    elif format == "json-ld":
        from .input_jsonld import screen_json

        data = screen_json(data, source, active)
    return data


def _check_utf8(data: bytes, source: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_column(data, exc.start)
        raise InputError(f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                         code="input.encoding", source=source, line=line, column=column) from exc


def _check_xml(data: bytes, source: str) -> None:
    declared = _XML_DECL.match(data.lstrip())
    if declared and declared.group(1).decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise InputError(f"XML declared as {declared.group(1).decode('ascii', 'replace')}: only UTF-8 is read",
                         code="input.encoding", source=source, line=1, column=1)
    position = 0
    while (item := _PROLOG_ITEM.match(data, position)) is not None and item.end() > position:
        position = item.end()
    start = _XML_ROOT.match(data, position)
    if start is None:
        return  # no root element: the parser says what is wrong
    root = start.group(1)
    tail = data.rstrip()
    closing = re.search(rb"</\s*" + re.escape(root) + rb"\s*>$", tail)
    self_closed = re.search(rb"<" + re.escape(root) + rb"\b[^>]*/>$", tail)
    if closing is None and self_closed is None:
        line, column = line_column(data, len(tail))
        raise InputError(f"truncated RDF/XML: the document does not end with </{root.decode()}>",
                         code="input.truncated", source=source, line=line, column=column)


# -- while and after parsing -----------------------------------------------------------------


def literal_problem(value: str, active: Limits) -> tuple[str, str] | None:
    """(code, message) when a literal's text is refused, else None."""
    if len(value) > active.max_literal_chars:
        return "input.literal-too-long", (f"a literal of {len(value):,} characters (limit max_literal_chars "
                                          f"{active.max_literal_chars:,})")
    bad = FORBIDDEN_CHAR.search(value)
    if bad is not None:
        return "input.control-character", (f"a literal with the control character U+{ord(bad.group()):04X} (not "
                                            "allowed in XML 1.0, so no export could carry it)")
    return None


def iri_problem(value: str, active: Limits) -> tuple[str, str] | None:
    """(code, message) when an IRI is refused, else None."""
    if len(value) > active.max_iri_chars:
        return "input.iri-too-long", f"an IRI of {len(value):,} characters (limit max_iri_chars {active.max_iri_chars:,})"
    scheme = value.partition(":")[0].lower()
    if scheme not in active.iri_schemes:
        return "input.iri-scheme", (f"the IRI scheme {scheme + ':'!r} is refused (it may name a local resource or "
                                    f"run code); allowed: {', '.join(sorted(active.iri_schemes))}")
    return None


def unsupported(what: str, *, source: str, data: bytes = b"", markers: tuple[bytes, ...] = ()) -> InputError:
    """An input the model cannot hold without changing it (triple terms, text direction), located
    at the first of ``markers`` found in the text."""
    found = [i for i in (data.find(m) for m in markers) if i >= 0]
    line, column = line_column(data, min(found)) if found else (None, None)
    return InputError(f"{what} cannot be stored without changing the data; refused", code="input.unsupported",
                      source=source, line=line, column=column)


def too_many_statements(active: Limits, *, source: str) -> InputLimitError:
    """The error for a document past ``max_statements``."""
    return InputLimitError(f"more than {active.max_statements:,} statements (limit max_statements)",
                           limit=active.max_statements, code="input.too-many-statements", source=source)


def check_depth(edges: Mapping[str, list[str]], data: bytes, format: str, *, source: str,
                active: Limits | None = None) -> None:
    """Refuse chains of blank nodes longer than ``max_depth`` (a blank node that is the object of
    a statement whose subject is a blank node nests in it), the shape that makes recursive
    serializers fail; cycles do not count.

    Raises:
        InputLimitError: ``input.too-deep``, located at the deepest nesting of the text.
    """
    active = active or limits()
    if not edges:
        return
    depth: dict[str, int] = {}
    on_path: set[str] = set()
    deepest, deepest_node = 0, ""
    for start in edges:
        if start in depth:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            children = edges.get(node, [])
            if index == 0:
                on_path.add(node)
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if child not in depth and child not in on_path:
                    stack.append((child, 0))
                continue
            on_path.discard(node)
            depth[node] = 1 + max((depth.get(c, 0) for c in children if c not in on_path), default=0)
            if depth[node] > deepest:
                deepest, deepest_node = depth[node], node
    if deepest > active.max_depth:
        line = column = None
        located_at = _deepest_offset(data, format, deepest_node)
        if located_at is not None:
            line, column = line_column(data, located_at)
        raise InputLimitError(f"blank nodes nested {deepest} deep (limit max_depth {active.max_depth})",
                              limit=active.max_depth, code="input.too-deep", source=source, line=line, column=column)


_TURTLE_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"'
    rb"|'(?:[^'\\\n]|\\.)*'|<[^>\s]*>|#[^\n]*|[\[\]()]"
)
_XML_TAGS = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(/?)[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*?(/?)>",
                       re.S)


def _deepest_offset(data: bytes, format: str, node: str) -> int | None:
    """Where the text nests deepest (Turtle brackets, XML elements), or where a labelled blank
    node stands."""
    best, best_at, level = 0, None, 0
    if format in ("turtle", "trig"):
        for match in _TURTLE_TOKENS.finditer(data):
            token = match.group()
            if token in (b"[", b"("):
                level += 1
                if level > best:
                    best, best_at = level, match.start()
            elif token in (b"]", b")"):
                level -= 1
        if best_at is not None:
            return best_at
    if format == "xml":
        for match in _XML_TAGS.finditer(data):
            closing, empty = match.group(1), match.group(2)
            if closing is None:
                continue
            if closing:
                level -= 1
            elif not empty:
                level += 1
                if level > best:
                    best, best_at = level, match.start()
        return best_at
    position = data.find(f"_:{node}".encode())
    return None if position < 0 else position


_ESCAPED_CONTROL = re.compile(
    rb"\\u00(?:0[0-8bce-f]|1[0-9a-f])|\\U0000(?:0[0-8bce-f]|1[0-9a-f])"
    rb"|&#(?:x0*(?:[0-8bce-f]|1[0-9a-f])|0*(?:[0-8]|11|12|1[4-9]|2[0-9]|3[01]));", re.I)


def locate_term(data: bytes, value: str, code: str, active: Limits) -> int | None:
    """The byte offset of a refused literal or IRI in a document's text, when it can be found."""
    if code in ("input.literal-too-long", "input.iri-too-long"):
        limit = active.max_literal_chars if code == "input.literal-too-long" else active.max_iri_chars
        previous = 0
        for match in re.finditer(rb"[\"'<>]", data):
            if match.start() - previous > limit:
                return previous
            previous = match.start()
        return previous if len(data) - previous > limit else None
    if code == "input.control-character":
        raw = re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", data)
        if raw is not None:
            return raw.start()
        escaped = _ESCAPED_CONTROL.search(data)
        return None if escaped is None else escaped.start()
    for needle in (value, re.split(r"[/#:]", value)[-1]):  # the whole term, else its local name
        position = data.find(needle.encode("utf-8")) if needle else -1
        if position >= 0:
            return position
    return None


def located(code: str, message: str, data: bytes, format: str, value: str, *, source: str,
            active: Limits) -> InputError:
    """A refusal of one term, with the line and column (or JSON Pointer) where it stands."""
    offset = locate_term(data, value, code, active)
    line, column = line_column(data, offset) if offset is not None else (None, None)
    if format == "json-ld":
        from .input_jsonld import pointer_of

        pointer = pointer_of(data, value)
    else:
        pointer = None
    if code in ("input.literal-too-long", "input.iri-too-long"):
        limit = active.max_literal_chars if code == "input.literal-too-long" else active.max_iri_chars
        return InputLimitError(message, limit=limit, code=code, source=source, line=line, column=column,
                               pointer=pointer)
    kind = UnsafeInputError if code == "input.iri-scheme" else InputError
    return kind(message, code=code, source=source, line=line, column=column, pointer=pointer)


# -- query text -------------------------------------------------------------------------------

_QUERY_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'|<[^<>\"{}|^`\\\s]*>|#[^\n]*|[(){}\[\]]"
)
_UNICODE_ESCAPE = re.compile(r"\\[uU]")


def check_query(text: str, *, name: str, active: Limits | None = None) -> None:
    """Screen a user's SPARQL text before any parser sees it (the read-only check then parses it).

    Refused: text beyond ``max_bytes``; ``\\u``/``\\U`` escapes, which rdflib (that runs the
    read-only check) expands before parsing and pyoxigraph (that runs the query) does not, so
    the two could read different queries and a SERVICE could pass the check; brackets nested
    deeper than ``max_depth`` (rdflib's parser recurses, and pyoxigraph crashes the process on a
    few thousand).

    Raises:
        QueryError: ``query.too-large``, ``query.escape-refused`` or ``query.too-deep``, with the
            line and column.
    """
    from .errors import QueryError

    active = active or limits()
    if len(text.encode("utf-8", "surrogatepass")) > active.max_bytes:
        raise QueryError(f"the query has more than {active.max_bytes:,} bytes (limit max_bytes)", name=name,
                         code="query.too-large")
    escape = _UNICODE_ESCAPE.search(text)
    if escape is not None:
        line, column = line_column(text, escape.start())
        raise QueryError(f"line {line}, column {column}: \\u and \\U escapes are refused in query text (the "
                         "read-only check and the engine would read them differently); write the character itself",
                         name=name, code="query.escape-refused")
    level = 0
    for match in _QUERY_TOKENS.finditer(text):
        token = match.group()
        if token in ("(", "{", "["):
            level += 1
            if level > active.max_depth:
                line, column = line_column(text, match.start())
                raise QueryError(f"line {line}, column {column}: brackets nested deeper than {active.max_depth} "
                                 "(limit max_depth)", name=name, code="query.too-deep")
        elif token in (")", "}", "]"):
            level -= 1


# -- errors of the parser --------------------------------------------------------------------


def parser_error(message: str, data: bytes, format: str, *, source: str, line: int | None,
                 column: int | None) -> InputError:
    """A parser's refusal as a located error with a code: ``input.syntax``, or
    ``input.encoding``, ``input.format-mismatch``, ``input.remote-context``, ``input.too-deep``
    when its message or the text says so."""
    lowered = message.lower()
    if "utf-8" in lowered or "utf8" in lowered:
        return InputError(message, code="input.encoding", source=source, line=line, column=column)
    if "loaddocumentcallback" in lowered or "remote context" in lowered:
        return UnsafeInputError(message, code="input.remote-context", source=source, line=line, column=column)
    if "max stack size" in lowered:
        active = limits()
        return InputLimitError(message, limit=active.max_depth, code="input.too-deep", source=source, line=line,
                               column=column)
    looks = _sniff(data)
    if looks is not None and looks != format and (line is None or line <= 2):
        return InputError(f"{message} (the content looks like {looks}, not {format}; name the right format)",
                          code="input.format-mismatch", source=source, line=line, column=column)
    return InputError(message, code="input.syntax", source=source, line=line, column=column)


def _sniff(data: bytes) -> str | None:
    head = (data[3:] if data.startswith(_BOM) else data)[:512].lstrip()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith((b"<?xml", b"<rdf:RDF", b"<RDF")):
        return "xml"
    if head.startswith((b"@prefix", b"PREFIX", b"@base", b"BASE")):
        return "turtle"
    return None


def line_column(text: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset into bytes or text.

    >>> line_column(b"ab\\n\\xe4\\xb8\\xadx", 6)
    (2, 2)
    """
    newline: Any = b"\n" if isinstance(text, bytes) else "\n"
    line = text.count(newline, 0, offset) + 1
    start = text.rfind(newline, 0, offset) + 1
    segment = text[start:offset]
    width = len(segment.decode("utf-8", "replace")) if isinstance(segment, bytes) else len(segment)
    return line, width + 1


def limit_names() -> tuple[str, ...]:
    """The names of the limits, in the order :class:`Limits` lists them."""
    return tuple(f.name for f in fields(Limits))
