"""The exception hierarchy: every error the library raises derives from :class:`GovDataError`.

Non-conformance of a catalog is a result, not an exception; exceptions are for failures: input
that cannot be read, a name that does not exist, a store that cannot be opened or written, a
workflow step the Measures do not allow.

    GovDataError
    ├── ConfigurationError
    ├── ResourceNotFoundError (LookupError)
    ├── InputError (ValueError): input refused, with a stable code and a location
    │   ├── InputLimitError: a limit of the input gate exceeded (bytes, statements, ...)
    │   ├── UnsafeInputError: something that would reach the network or the disk (DTD, remote context)
    │   ├── ClassificationError: a share/open attribute (or grade) unknown, missing or conflicting
    │   └── SheetError: every bad cell of a spreadsheet, each located (CellProblem)
    ├── QueryError
    │   └── ParameterError
    ├── StoreError
    │   ├── StoreInUseError
    │   ├── StoreUnavailableError
    │   │   └── StoreTimeoutError
    │   ├── TruncatedResultError
    │   ├── WriteConflictError
    │   └── WriteNotAppliedError
    ├── WorkflowError
    ├── ExportError
    └── NonConformantError
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class GovDataError(Exception):
    """Root of every error raised by govdata-ld.

    Attributes:
        code: a stable, dotted code for programs and the docs (``docs/security.md`` lists them);
            subclasses set their own, and a raise may name a more precise one.
    """

    code: str = "error"


class ConfigurationError(GovDataError):
    """A configuration file or setting is invalid.

    Attributes:
        source: the configuration file, when there is one.
    """

    def __init__(self, message: str, *, source: Path | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


_SINGULAR = {"queries": "query", "shapes": "shapes file", "ontology": "ontology file"}


class ResourceNotFoundError(GovDataError, LookupError):
    """A named ontology, shapes or query file does not exist.

    Attributes:
        kind: "ontology", "shapes", "queries" or "vendored file".
        name: the name asked for.
        available: the names that exist.
    """

    def __init__(self, kind: str, name: str, *, available: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        super().__init__(
            f"no {_SINGULAR.get(kind, kind)} named {name!r}; available: {', '.join(self.available) or '(none)'}"
        )


class InputError(GovDataError, ValueError):
    """Input that cannot be read or is refused: a missing file, an unknown format, a syntax error,
    a limit exceeded, a bad value. Nothing is written when it is raised.

    Located as a person finds the place: line and column in RDF text, a JSON Pointer in JSON-LD,
    sheet, row and column letter in a spreadsheet, the parameter's name for an API or CLI value.

    Attributes:
        code: the stable code (``input.syntax``, ``input.too-large``, ``param.unknown-value`` ...).
        source: the file (or "-" for standard input) the input came from.
        line: 1-based line of the error, when known.
        column: 1-based column of the error in text (an int), or a spreadsheet column letter.
        pointer: the JSON Pointer (RFC 6901) of the offending value in a JSON-LD document.
        sheet: the spreadsheet's sheet (or an XLSX part) the error is in.
        row: the 1-based spreadsheet row.
        parameter: the name of the API or CLI parameter whose value is refused.
        detail: the message without the location.
    """

    code = "input.invalid"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | str | None = None,
        code: str | None = None,
        pointer: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        parameter: str | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.source = source
        self.line = line
        self.column = column
        self.pointer = pointer
        self.sheet = sheet
        self.row = row
        self.parameter = parameter
        self.detail = message
        where = self.location
        super().__init__(f"{where}: {message}" if where else message)

    @property
    def location(self) -> str:
        """Where the error is, as one string ("" when nothing is known).

        >>> InputError("bad", source="a.ttl", line=3, column=7).location
        'a.ttl:3:7'
        >>> InputError("bad", source="a.jsonld", pointer="/@graph/0").location
        'a.jsonld#/@graph/0'
        >>> InputError("bad", parameter="format").location
        'parameter format'
        """
        where = self.source or ""
        if self.sheet is not None:
            where += f" [{self.sheet}]"
            if self.row is not None:
                where += f" row {self.row}" + (f", column {self.column}" if self.column else "")
        elif self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.pointer is not None:
            where += f"#{self.pointer}"
        if self.parameter is not None:
            where += (" " if where else "") + f"parameter {self.parameter}"
        return where


class InputLimitError(InputError):
    """Input beyond a limit of the input gate (bytes, statements, literal length, nesting depth),
    refused before or while parsing; ``docs/security.md`` says how to raise a limit.

    Attributes:
        limit: the limit in force.
    """

    code = "input.too-large"

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        code: str | None = None,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
        parameter: str | None = None,
    ) -> None:
        self.limit = limit
        super().__init__(message, code=code, source=source, line=line, column=column, pointer=pointer,
                         parameter=parameter)


class UnsafeInputError(InputError):
    """Input refused because reading it would give the parser ambient authority: an XML DTD or
    entity declaration, a JSON-LD context to fetch or read, an IRI scheme that names a local
    resource."""

    code = "input.refused"


class ClassificationError(InputError):
    """A share or open attribute (or grade) that is unknown, missing, given twice or in conflict:
    refused, never defaulted (fail closed, Measures Art. 9 para 2)."""

    code = "input.unknown-value"


@dataclass(frozen=True, slots=True, kw_only=True)
class CellProblem:
    """One bad cell of a spreadsheet, located as a person finds it in the file.

    Attributes:
        source: the file.
        sheet: the sheet (a CSV file's name for CSV).
        row: the 1-based row as the spreadsheet numbers it (the header is row 1).
        column: the column letter ("" when the problem is the whole row or sheet).
        header: the column's header as written in the file ("" when there is none).
        value: the cell's text as read.
        message: what is wrong.
        allowed: the values the cell may take, when they form a list.
        provision: the clause of the Measures or standard the rule comes from.
    """

    source: str
    sheet: str
    row: int
    column: str
    header: str
    value: str
    message: str
    allowed: tuple[str, ...] = ()
    provision: str = ""

    def __str__(self) -> str:
        where = f"{self.source} [{self.sheet}] row {self.row}"
        if self.column:
            where += f", column {self.column}" + (f" ({self.header})" if self.header else "")
        text = f"{where}: {self.message}"
        if self.value:
            text += f": {self.value!r}"
        if self.allowed:
            text += f"; allowed: {', '.join(self.allowed)}"
        return text + (f" [{self.provision}]" if self.provision else "")


class SheetError(InputError):
    """A spreadsheet that cannot be imported: every bad cell of every sheet, reported at once.

    Nothing is written when it is raised.

    Attributes:
        problems: the located cell problems, in file, sheet and row order.
    """

    code = "input.sheet"

    def __init__(self, problems: Iterable[CellProblem]) -> None:
        self.problems = tuple(problems)
        sources = sorted({p.source for p in self.problems})
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in {', '.join(sources) or 'the sheets'}; nothing was imported\n{lines}"
        )
        if self.problems:  # located at the first problem (all of them are in ``problems``)
            first = self.problems[0]
            self.source, self.sheet, self.row, self.column = first.source, first.sheet, first.row, first.column or None

    @property
    def location(self) -> str:
        return ""  # the message lists every problem with its place


class ExportError(GovDataError):
    """An export that failed its check before writing (it did not parse back, the official
    DCAT-AP shapes found a violation, or an open export held a restricted field or entry); nothing
    was written.

    Attributes:
        problems: what failed, one line each.
    """

    def __init__(self, message: str, *, problems: tuple[str, ...] = ()) -> None:
        self.problems = problems
        shown = "".join(f"\n  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(message + shown + more)


class QueryError(GovDataError):
    """A SPARQL query that is refused (an update, SERVICE, LOAD) or fails to parse or run.

    Attributes:
        name: the named query or file the text came from, when known.
        code: ``query.invalid`` unless a raise names a more precise one (``query.refused``).
    """

    code = "query.invalid"

    def __init__(self, message: str, *, name: str | None = None, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.name = name
        super().__init__(f"{name}: {message}" if name else message)


class ParameterError(QueryError):
    """A query parameter that is unknown, missing or of the wrong type.

    Attributes:
        parameter: the parameter's name, when one parameter is at fault.
    """

    code = "param.invalid"

    def __init__(
        self, message: str, *, name: str | None = None, code: str | None = None, parameter: str | None = None
    ) -> None:
        self.parameter = parameter
        super().__init__(message, name=name, code=code)


class StoreError(GovDataError):
    """A store that cannot be opened, read or written; the store is left as it was."""


class StoreInUseError(StoreError):
    """The store directory is held by another process."""


class StoreUnavailableError(StoreError):
    """A remote store cannot be reached, refuses the credentials or answers with a server error
    (after the retries a read is allowed). Messages name the endpoint, never the credentials.

    Attributes:
        status: the HTTP status the server answered, when it answered.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StoreTimeoutError(StoreUnavailableError):
    """A remote store did not answer within the configured timeout."""


class TruncatedResultError(StoreError):
    """A remote store cut a result short (HTTP 206, ``X-SQL-State``, or rows missing against
    ``COUNT(*)``) and paging could not read it whole.

    Attributes:
        name: the query, when known.
    """

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(f"{name}: {message}" if name else message)
        self.name = name


class WriteConflictError(StoreError):
    """Another writer changed a remote store between this writer's read and its write (the
    optimistic check failed). Nothing was written; read again and retry."""


class WriteNotAppliedError(StoreError):
    """A write was refused, cut off or timed out, and reading back showed that nothing of it
    was written (the pending write was fenced so that it cannot land later)."""


class NonConformantError(GovDataError):
    """Raised by ``ValidationReport.raise_for_violations()`` when violations were found; the one
    place non-conformance becomes an exception.

    Attributes:
        report: the :class:`~govdata_ld.validation.ValidationReport`.
    """

    def __init__(self, message: str, *, report: object) -> None:
        super().__init__(message)
        self.report = report


class WorkflowError(GovDataError):
    """A workflow step that is refused: the wrong organ, nothing awaiting it, a missing reason, a
    catalog that fails validation. A refused step changes nothing.

    Attributes:
        step: the step asked for ("submit", "audit", "approve", ...).
        actor: the credit code of the organ that asked.
        provision: the clause of the Measures the refusal rests on (as "Art. 12 para 1").
        problems: one line per refused entry or violation, when there are several.
    """

    def __init__(
        self,
        message: str,
        *,
        step: str,
        actor: str | None = None,
        provision: str | None = None,
        problems: Iterable[str] = (),
    ) -> None:
        self.step = step
        self.actor = actor
        self.provision = provision
        self.problems = tuple(problems)
        self.detail = message
        text = f"{step} refused: {message}" + (f" ({provision})" if provision else "")
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)
