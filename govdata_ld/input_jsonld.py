"""JSON-LD through the input gate: what :func:`govdata_ld.input_gate.screen` checks in a JSON-LD
document before the parser sees it.

Read with the standard library's JSON parser into a tree that remembers duplicate keys, then
walked without recursion: nesting within ``max_depth``, strings within ``max_literal_chars`` and
free of control characters, no key given twice, every ``@context`` inline (a reference to the
shipped context is replaced by the shipped copy; any other URL or path, and ``@import``, is
refused: nothing is fetched or read), and every key mapped by a context (a JSON-LD processor
drops unmapped keys silently). Errors carry the JSON Pointer (RFC 6901) of the offending value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import InputError, InputLimitError, UnsafeInputError
from .input_gate import FORBIDDEN_CHAR, SHIPPED_CONTEXT_URL, Limits, line_column

_KEYWORDS = frozenset({
    "@base", "@container", "@context", "@direction", "@graph", "@id", "@import", "@included", "@index",
    "@json", "@language", "@list", "@nest", "@none", "@prefix", "@propagate", "@protected", "@reverse",
    "@set", "@type", "@value", "@version", "@vocab",
})
_MAPS = frozenset({"@language", "@index", "@id", "@type", "@graph"})


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object that remembers a key it was given twice."""

    duplicate: str | None = None


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    for key, value in pairs:
        if key in result and result.duplicate is None:
            result.duplicate = key
        result[key] = value
    return result


def screen_json(data: bytes, source: str, active: Limits) -> bytes:
    """Check a JSON-LD document; return it, with the shipped context in place of its URL.

    Raises:
        InputError: ``input.encoding``, ``input.syntax``, ``input.duplicate-key``,
            ``input.unmapped-key``, ``input.control-character``.
        InputLimitError: ``input.too-deep``, ``input.literal-too-long``.
        UnsafeInputError: ``input.remote-context``.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_column(data, exc.start)
        raise InputError("not UTF-8; save the file as UTF-8", code="input.encoding", source=source,
                         line=line, column=column) from exc
    try:
        document = json.loads(text, object_pairs_hook=_pairs)
    except RecursionError as exc:
        pointer, offset = _json_depth_scan(text, active.max_depth)
        line, column = line_column(text, offset)
        raise InputLimitError(f"JSON nested deeper than {active.max_depth} (limit max_depth)", limit=active.max_depth,
                              code="input.too-deep", source=source, line=line, column=column,
                              pointer=pointer) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", code="input.syntax", source=source, line=exc.lineno,
                         column=exc.colno) from exc
    terms, vocab, replaced = _walk_contexts(document, source, active)
    _walk_nodes(document, terms, vocab, source)
    if not replaced:
        return data
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _children(node: Any, pointer: str) -> Iterator[tuple[str, Any, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value, f"{pointer}/{_escape(key)}"
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield str(index), value, f"{pointer}/{index}"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _walk_contexts(document: Any, source: str, active: Limits) -> tuple[dict[str, Any], bool, bool]:
    """Depth, duplicate keys, string lengths, forbidden characters and contexts, iteratively;
    returns the terms the inline contexts define, whether one sets @vocab, and whether the
    shipped context was put in place of its URL."""
    terms: dict[str, Any] = {}
    vocab = replaced = False
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth >= active.max_depth:
                raise InputLimitError(f"JSON nested deeper than {active.max_depth} (limit max_depth)",
                                      limit=active.max_depth, code="input.too-deep", source=source,
                                      pointer=pointer)
            if isinstance(node, _Object) and node.duplicate is not None:
                raise InputError(f"the key {node.duplicate!r} is given twice in one object (a parser would keep "
                                 "one of the values silently)", code="input.duplicate-key", source=source,
                                 pointer=f"{pointer}/{_escape(node.duplicate)}")
            if isinstance(node, dict) and "@context" in node:
                contexts = node["@context"] if isinstance(node["@context"], list) else [node["@context"]]
                for position, context in enumerate(contexts):
                    where = f"{pointer}/@context" + (f"/{position}" if isinstance(node["@context"], list) else "")
                    if isinstance(context, str):
                        if context != SHIPPED_CONTEXT_URL:
                            raise UnsafeInputError(
                                f"a JSON-LD @context that refers to another document ({context!r}) is refused: "
                                f"nothing is fetched or read; inline the context, or refer to {SHIPPED_CONTEXT_URL}",
                                code="input.remote-context", source=source, pointer=where)
                        context = contexts[position] = _shipped_context()
                        replaced = True
                    elif context is not None and not isinstance(context, dict):
                        raise InputError("a @context must be null, a string or an object", code="input.syntax",
                                         source=source, pointer=where)
                    if isinstance(context, dict):
                        if "@import" in context:
                            raise UnsafeInputError("a JSON-LD @import is refused: nothing is fetched or read",
                                                   code="input.remote-context", source=source,
                                                   pointer=f"{where}/@import")
                        vocab = vocab or "@vocab" in context
                        terms.update({k: v for k, v in context.items() if not k.startswith("@")})
                if isinstance(node["@context"], str):  # the shipped context's URL, replaced above
                    node["@context"] = contexts[0]
            for key, child, child_pointer in _children(node, pointer):
                if isinstance(node, dict):
                    _check_string(key, child_pointer, source, active)
                stack.append((child, child_pointer, depth + 1))
        elif isinstance(node, str):
            _check_string(node, pointer, source, active)
    return terms, vocab, replaced


def _check_string(text: str, pointer: str, source: str, active: Limits) -> None:
    if len(text) > active.max_literal_chars:
        raise InputLimitError(f"a string of {len(text):,} characters (limit max_literal_chars {active.max_literal_chars:,})",
                              limit=active.max_literal_chars, code="input.literal-too-long", source=source,
                              pointer=pointer)
    bad = FORBIDDEN_CHAR.search(text)
    if bad is not None:
        raise InputError(f"a control character U+{ord(bad.group()):04X} (not allowed in XML 1.0, so no export "
                         "could carry it)", code="input.control-character", source=source, pointer=pointer)


def _walk_nodes(document: Any, terms: Mapping[str, Any], vocab: bool, source: str) -> None:
    """Refuse keys that no context maps (a JSON-LD processor drops them silently)."""
    stack: list[tuple[Any, str, bool]] = [(document, "", False)]
    while stack:
        node, pointer, is_map = stack.pop()
        if isinstance(node, dict):
            for key, child, child_pointer in _children(node, pointer):
                if key == "@context":
                    continue
                if not is_map and not _mapped(key, terms, vocab):
                    raise InputError(f"the key {key!r} is not mapped by any @context, so it would be dropped "
                                     "silently; define it or use a full IRI", code="input.unmapped-key",
                                     source=source, pointer=child_pointer)
                definition = terms.get(key)
                container = definition.get("@container") if isinstance(definition, dict) else None
                containers = container if isinstance(container, list) else [container]
                if key in ("@value", "@language", "@type", "@id", "@direction", "@index"):
                    continue
                stack.append((child, child_pointer, any(c in _MAPS for c in containers)))
        elif isinstance(node, list):
            for _, child, child_pointer in _children(node, pointer):
                stack.append((child, child_pointer, False))


def _mapped(key: str, terms: Mapping[str, Any], vocab: bool) -> bool:
    if key.startswith("@"):
        return key in _KEYWORDS
    return key in terms or ":" in key or vocab


def _json_depth_scan(text: str, max_depth: int) -> tuple[str, int]:
    """Where JSON first nests deeper than allowed, found without recursion: (pointer, offset)."""
    path: list[Any] = []
    expecting_key = False
    key = ""
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]', text):
        token = match.group()
        if token in "{[":
            if len(path) >= max_depth:
                return _pointer(path), match.start()
            path.append({"key": None} if token == "{" else [0])
            expecting_key = token == "{"
        elif token in "}]":
            if path:
                path.pop()
            expecting_key = False
        elif token == ",":
            if path and isinstance(path[-1], list):
                path[-1][0] += 1
            expecting_key = bool(path) and isinstance(path[-1], dict)
        elif token == ":":
            expecting_key = False
        elif expecting_key and path and isinstance(path[-1], dict):
            try:
                key = json.loads(token)
            except ValueError:
                key = token.strip('"')
            path[-1]["key"] = key
    return _pointer(path), len(text)


def _pointer(path: list[Any]) -> str:
    parts = []
    for level in path:
        if isinstance(level, list):
            parts.append(str(level[0]))
        elif level["key"] is not None:
            parts.append(_escape(level["key"]))
    return "".join(f"/{p}" for p in parts)


_shipped: dict[str, Any] = {}


def _shipped_context() -> Any:
    if "context" not in _shipped:
        from . import resources

        _shipped["context"] = json.loads(resources.jsonld_context("dcat_ap"))["@context"]
    return json.loads(json.dumps(_shipped["context"]))


def pointer_of(data: bytes, value: str) -> str | None:
    """The JSON Pointer of the first string that is (or abbreviates) ``value``, if any."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, str) and (node == value or (":" in node and value.endswith(node.partition(":")[2]))):
            return pointer
        for _, child, child_pointer in reversed(list(_children(node, pointer))):
            stack.append((child, child_pointer))
    return None
