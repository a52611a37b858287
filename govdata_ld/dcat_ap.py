"""DCAT-AP 3 export of the published city catalogs (Measures Art. 11, Art. 12 para 3).

The mapping is two CONSTRUCT queries, ``queries/dcat_ap_open.rq`` (the open platform: allow-listed
public fields of the open catalog) and ``queries/dcat_ap_sharing.rq`` (the sharing platform: the
general and sharing catalogs with share conditions and modes); the EU mappings they apply are data
in ``ontology/`` (see ``docs/dcat-ap.md``). This module runs them, serializes (pyoxigraph for
Turtle, N-Triples and RDF/XML; :mod:`govdata_ld.dcat_ap_jsonld` for compact JSON-LD), and before
anything is written re-parses the serialized bytes and re-checks them: the same statements came
back, the official DCAT-AP 3.0.1 shapes (``shapes.ttl``, ``range.ttl``) find no violation, and an
open export holds no restricted field and no entry that is not a member of the published open
catalog. Files are written whole or not at all (a temporary file renamed over the target).

On the embedded store the queries run and the statements are written inside pyoxigraph
(:mod:`govdata_ld.dcat_ap_engine`); on a remote store they come back as rdflib terms
(:func:`dcat_ap_graph`). Both give the same statements and the same documents. The allow-list of
an open export is checked on either path, also when the full re-check is skipped. An unpaged open
export in Turtle, JSON-LD or N-Triples on the embedded store is joined from its members'
renderings, each made once per published version (:mod:`govdata_ld.dcat_ap_view`).

>>> ExportFormat.from_name("jsonld").extension
'.jsonld'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, XSD
from rdflib.term import Node

from . import city_catalogs, dcat_ap_engine, dcat_ap_view, resources, store
from .dcat_ap_engine import EXPORT_PREFIXES, RESTRICTED
from .dcat_ap_jsonld import to_jsonld, with_inline_context
from .errors import ExportError, InputError
from .files import write_atomically
from .validation import ValidationReport, ValidationResult, validate_document

if TYPE_CHECKING:
    from .catalog import Catalog

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
Triple = tuple[Node, Node, Node]


class Profile(Enum):
    """What an export carries, and for which platform (Art. 12 para 3)."""

    OPEN = "dcat-ap"
    """The open catalog for the open platform: allow-listed public fields only."""
    SHARING = "sharing"
    """The general and sharing catalogs for the sharing platform, with share conditions and modes."""

    @classmethod
    def from_name(cls, name: str | Profile) -> Profile:
        """The profile named ``name``.

        Raises:
            InputError: an unknown name; the message lists the profiles.
        """
        if isinstance(name, Profile):
            return name
        for member in cls:
            if member.value == name:
                return member
        raise InputError(f"unknown profile {name!r}; profiles: {', '.join(m.value for m in cls)}", source="profile")


class ExportFormat(Enum):
    """Serializations of the export: (name, store format, file extension, media type)."""

    TURTLE = ("turtle", "turtle", ".ttl", "text/turtle")
    JSONLD = ("jsonld", "json-ld", ".jsonld", "application/ld+json")
    RDFXML = ("rdfxml", "xml", ".rdf", "application/rdf+xml")
    NTRIPLES = ("ntriples", "nt", ".nt", "application/n-triples")

    @property
    def label(self) -> str:
        """The name used on the command line."""
        return self.value[0]

    @property
    def store_format(self) -> str:
        """The format's name in :data:`govdata_ld.store.FORMATS`."""
        return self.value[1]

    @property
    def extension(self) -> str:
        """The file extension, with its dot."""
        return self.value[2]

    @classmethod
    def from_name(cls, name: str | ExportFormat) -> ExportFormat:
        """The format named ``name``.

        Raises:
            InputError: an unknown name; the message lists the formats.
        """
        if isinstance(name, ExportFormat):
            return name
        for member in cls:
            if member.label == name:
                return member
        raise InputError(f"unknown format {name!r}; formats: {', '.join(m.label for m in cls)}", source="format")


QUERIES: dict[Profile, tuple[str, tuple[str, ...]]] = {
    Profile.OPEN: ("dcat_ap_open", ("open",)),
    Profile.SHARING: ("dcat_ap_sharing", ("general", "sharing")),
}
"""The query of each profile and the city catalogs it is run on."""

_SHOWN = 20
"""How many entries a failed allow-list check names."""

CHECK_SHAPES = ("shapes", "range")
"""The official DCAT-AP 3.0.1 shapes files every export must pass with no violation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One file of a paged export: its name, its URL and its bytes."""

    name: str
    url: str
    data: bytes


def dcat_ap_graph(catalog: Catalog, profile: str | Profile) -> Graph:
    """Run the profile's mapping over the published city catalogs into an rdflib graph (no
    serialization, no check): the generic path, on any store.

    Raises:
        InputError: an unknown profile.
    """
    profile = Profile.from_name(profile)
    name, kinds = QUERIES[profile]
    graph = Graph()
    for kind in kinds:
        result = catalog.run(name, catalog=catalog.minter.city_catalog(kind), vocabulary=catalog.minter.vocabulary_graph())
        graph += result  # type: ignore[arg-type]
    return graph


@dataclass
class _Statements:
    """The statements of one export: in a memory store of the engine (embedded store) or in an
    rdflib graph (a remote store)."""

    profile: Profile
    scratch: store.EmbeddedStore | None = None
    graph: Graph | None = None
    ntriples: bytes | None = None
    """The engine's N-Triples of the statements, once read (the allow-list and the writer share it)."""

    def __len__(self) -> int:
        return len(self.scratch) if self.scratch is not None else len(self.graph or ())

    def triples(self) -> list[Triple]:
        if self.scratch is not None:
            return [q[:3] for q in self.scratch.quads_default()]
        return list(self.graph or ())

    def write(self, fmt: ExportFormat, context_url: str | None) -> bytes:
        if self.scratch is not None:
            return dcat_ap_engine.write(self.scratch, fmt.store_format, prefixes=EXPORT_PREFIXES,
                                        context_ref=context_url, ntriples=self.ntriples)
        return serialize(self.graph or (), fmt, context_url=context_url)

    def check_allow_list(self, catalog: Catalog) -> None:
        """An open export is refused when it holds a restricted field, an internal contact point,
        a non-member or any IRI of one, whether or not the full check runs (queries and the
        N-Triples text on the engine path)."""
        if self.profile is not Profile.OPEN or not len(self):
            return
        if self.scratch is not None:
            self.ntriples = self.ntriples if self.ntriples is not None else self.scratch.dump_default("nt")
            problems = dcat_ap_engine.leaks(catalog, self.scratch, restricted=RESTRICTED,
                                            members_of=catalog.minter.city_catalog("open"), ntriples=self.ntriples)
        else:
            problems = _leaks(catalog, set(self.triples()))
        if problems:
            raise ExportError(f"the export failed its allow-list check ({len(problems)} problem(s)); nothing was written",
                              problems=tuple(problems))


def _statements(catalog: Catalog, profile: str | Profile) -> _Statements:
    """The export's statements: by the engine on the embedded store, else through rdflib."""
    profile = Profile.from_name(profile)
    name, kinds = QUERIES[profile]
    scratch = dcat_ap_engine.run(catalog, name, [catalog.minter.city_catalog(kind) for kind in kinds])
    if scratch is not None:
        return _Statements(profile, scratch=scratch)
    return _Statements(profile, graph=dcat_ap_graph(catalog, profile))


def serialize(
    triples: Iterable[Triple], format: str | ExportFormat, *, context_url: str | None = None
) -> bytes:
    """Serialize export statements: Turtle, N-Triples and RDF/XML by pyoxigraph; JSON-LD compacted
    against the shipped context, referenced by ``context_url`` or inlined when it is None.

    Raises:
        InputError: an unknown format.
    """
    fmt = ExportFormat.from_name(format)
    if fmt is ExportFormat.JSONLD:
        return to_jsonld(triples, context_ref=context_url)
    return store.serialize(((s, p, o, None) for s, p, o in triples), fmt.store_format, EXPORT_PREFIXES)


def check_export(
    catalog: Catalog, data: bytes, format: str | ExportFormat, *, profile: str | Profile,
    expected: Iterable[Triple] | None = None, source: str = "export",
) -> ValidationReport:
    """Re-parse a serialized export and check it before it is written.

    Checks: the statements parse back (JSON-LD with the shipped context, no network) and, when
    ``expected`` is given, equal it; the official DCAT-AP 3.0.1 ``shapes.ttl`` and ``range.ttl``
    find no violation; an open export holds no restricted field (:data:`RESTRICTED`), no internal
    contact point and no dataset that is not a member of the published open catalog.

    Returns:
        The DCAT-AP report (no violations; warnings, if any).

    Raises:
        ExportError: a check failed; nothing should be written.
    """
    fmt, profile = ExportFormat.from_name(format), Profile.from_name(profile)
    readable = with_inline_context(data) if fmt is ExportFormat.JSONLD else data
    try:
        parsed = {q[:3] for q in store.parse(readable, fmt.store_format, source=source)}
    except InputError as exc:
        raise ExportError(f"the serialized export does not parse back: {exc}", problems=(str(exc),)) from exc
    problems: list[str] = []
    if expected is not None:
        wanted = set(expected)
        if parsed != wanted:
            problems.append(f"{len(wanted - parsed)} statement(s) lost and {len(parsed - wanted)} added by serialization")
    if profile is Profile.OPEN:
        problems += _leaks(catalog, parsed)
    results: list[ValidationResult] = []
    for name in CHECK_SHAPES:
        report = validate_document(readable, fmt.store_format, resources.dcat_ap_shapes(name), source=source)
        problems += [f"DCAT-AP {name}.ttl: {r.focus} {r.path}: {r.message('en')}" for r in report.violations]
        results += report.results
    if problems:
        raise ExportError(f"the export failed its check ({len(problems)} problem(s)); nothing was written", problems=tuple(problems))
    return ValidationReport(True, tuple(results), "dcat-ap", Graph())


def export_dcat_ap(
    catalog: Catalog, profile: str | Profile, format: str | ExportFormat, *,
    context_url: str | None = None, check: bool = True,
) -> bytes:
    """Export the published city catalogs as DCAT-AP 3 in one document.

    Args:
        catalog: the store, with published city catalogs.
        profile: "dcat-ap" (open platform) or "sharing" (sharing platform).
        format: "turtle", "jsonld", "rdfxml" or "ntriples".
        context_url: JSON-LD only: refer to the context at this URL instead of inlining it.
        check: re-parse and re-check before returning (see :func:`check_export`). An open
            export's allow-list (no restricted field, internal contact point or non-member) is
            checked either way.

    Raises:
        InputError: an unknown profile or format.
        ExportError: the export failed its check or its allow-list.

    >>> from govdata_ld import Catalog
    >>> with Catalog.open("memory") as catalog:
    ...     export_dcat_ap(catalog, "dcat-ap", "ntriples")
    b''
    """
    fmt = ExportFormat.from_name(format)
    rendered = _from_renderings(catalog, profile, fmt, context_url=context_url, check=check)
    if rendered is not None:
        return rendered
    statements = _statements(catalog, profile)
    statements.check_allow_list(catalog)
    data = statements.write(fmt, context_url)
    if check and len(statements):
        check_export(catalog, data, fmt, profile=profile, expected=statements.triples())
    return data


def _from_renderings(
    catalog: Catalog, profile: str | Profile, fmt: ExportFormat, *, context_url: str | None, check: bool, source: str = "export",
) -> bytes | None:
    """An open export on the embedded store, joined from its members' renderings
    (:mod:`govdata_ld.dcat_ap_view`); checked against the same renderings' N-Triples when
    ``check``. None where the view does not serve: another profile, store or format."""
    if Profile.from_name(profile) is not Profile.OPEN:
        return None
    data = dcat_ap_view.export(catalog, fmt.store_format, context_ref=context_url)
    if data is None or not check:
        return data
    expected = None
    if fmt is not ExportFormat.NTRIPLES:
        ntriples = dcat_ap_view.export(catalog, "nt") or b""
        expected = [q[:3] for q in store.parse(ntriples, "nt", source=source)]
    check_export(catalog, data, fmt, profile=Profile.OPEN, expected=expected, source=source)
    return data


def paginate(
    triples: Iterable[Triple], *, page_size: int, base_url: str, names: Sequence[str] | None = None, stem: str = "catalog",
    extension: str = ".ttl",
) -> list[tuple[str, str, set[Triple]]]:
    """Split an export into pages of ``page_size`` datasets, as ``hydra:PagedCollection`` pages
    (the paging ckanext-dcat and piveau harvesters follow).

    Each page holds the catalog's description, the ``dcat:dataset`` links of its datasets and
    everything those datasets own (IRIs below ``{dataset}/``); statements about shared nodes
    (agents, concepts, EU authority-table IRIs) are repeated on every page. The union of the pages
    minus the ``hydra:`` statements is the unpaged export.

    Returns:
        (file name, page URL, statements) per page; page 1 is ``{stem}{extension}``, page n is
        ``{stem}-page-{n}{extension}``.

    Raises:
        InputError: a page size below 1.
    """
    if page_size < 1:
        raise InputError(f"the page size must be at least 1, got {page_size}", source="page_size")
    statements = list(triples)
    datasets = sorted({s for s, p, o in statements if p == RDF.type and o == DCAT.Dataset}, key=str)
    count = max(1, -(-len(datasets) // page_size))
    page_of = {d: i // page_size for i, d in enumerate(datasets)}
    file_names = list(names) if names is not None else [
        f"{stem}{extension}" if n == 1 else f"{stem}-page-{n}{extension}" for n in range(1, count + 1)
    ]
    pages: list[set[Triple]] = [set() for _ in range(count)]
    shared: list[Triple] = []
    owners: dict[Node, int | None] = {}

    def owner(term: Node) -> int | None:
        if term not in owners:
            found = page_of.get(term)
            text = str(term)
            cut = text.rfind("/")
            while found is None and cut > 0:
                found = page_of.get(URIRef(text[:cut]))
                cut = text.rfind("/", 0, cut)
            owners[term] = found
        return owners[term]

    for s, p, o in statements:
        home = owner(o) if p in (DCAT.dataset, DCAT.service) else owner(s)
        if home is None:
            shared.append((s, p, o))
        else:
            pages[home].add((s, p, o))
    result = []
    urls = [base_url + name for name in file_names]
    for n, page in enumerate(pages):
        page.update(shared)
        url = URIRef(urls[n])
        page.update({
            (url, RDF.type, HYDRA.PagedCollection),
            (url, HYDRA.totalItems, Literal(len(datasets), datatype=XSD.integer)),
            (url, HYDRA.itemsPerPage, Literal(page_size, datatype=XSD.integer)),
            (url, HYDRA.firstPage, Literal(urls[0])),
            (url, HYDRA.lastPage, Literal(urls[-1])),
        })
        if n + 1 < count:
            page.add((url, HYDRA.nextPage, Literal(urls[n + 1])))
        if n > 0:
            page.add((url, HYDRA.previousPage, Literal(urls[n - 1])))
        result.append((file_names[n], urls[n], page))
    return result


def write_dcat_ap(
    catalog: Catalog, path: str | Path, *, profile: str | Profile, format: str | ExportFormat,
    page_size: int | None = None, base_url: str | None = None, context_url: str | None = None, check: bool = True,
) -> list[Path]:
    """Export and write DCAT-AP 3 file(s), each checked (unless ``check`` is False) and written
    whole or not at all; when paging, every page is checked before the first is written.

    Args:
        catalog: the store, with published city catalogs.
        path: the file (page 1 when paging; further pages beside it, ``{stem}-page-{n}{ext}``).
        profile: "dcat-ap" or "sharing".
        format: "turtle", "jsonld", "rdfxml" or "ntriples".
        page_size: datasets per page; one file when None.
        base_url: the URL the files are published under (a trailing "/" is added); paging only.
        context_url: JSON-LD only: refer to the context at this URL instead of inlining it.
        check: re-parse and re-check each file before writing; an open export's allow-list is
            checked either way.

    Returns:
        The files written.

    Raises:
        InputError: an unknown profile or format, paging without a base URL, a bad page size.
        ExportError: a file failed its check or the allow-list; nothing was written.
    """
    path, fmt = Path(path), ExportFormat.from_name(format)
    if page_size is not None and not base_url:
        raise InputError("paging needs the base URL the pages are published under", source="base_url")
    if page_size is None:
        rendered = _from_renderings(catalog, profile, fmt, context_url=context_url, check=check, source=str(path))
        if rendered is not None:
            return [write_atomically(path, rendered)]
    statements = _statements(catalog, profile)
    statements.check_allow_list(catalog)
    if page_size is None:
        data = statements.write(fmt, context_url)
        if check and len(statements):
            check_export(catalog, data, fmt, profile=profile, expected=statements.triples(), source=str(path))
        return [write_atomically(path, data)]
    base = str(base_url) if str(base_url).endswith("/") else f"{base_url}/"
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    ready = []
    pages = paginate(statements.triples(), page_size=page_size, base_url=base, stem=stem, extension=path.suffix or fmt.extension)
    for name, _, page in pages:
        data = serialize(page, fmt, context_url=context_url)
        if check:
            check_export(catalog, data, fmt, profile=profile, expected=page, source=name)
        ready.append((path.parent / name, data))
    return [write_atomically(target, data) for target, data in ready]


def _leaks(catalog: Catalog, statements: set[Triple]) -> list[str]:
    """What an open export must not hold: restricted fields, internal contact points, non-members,
    and any IRI of an entry that is not a member (the entry itself or a node under its IRI)."""
    members = set(city_catalogs.published_versions(catalog, catalog.minter.city_catalog("open")))
    problems = [f"restricted field {p} of {s}" for s, p, _ in statements if p in RESTRICTED]
    problems += [f"internal contact point {t}" for s, _, o in statements for t in (s, o) if str(t).endswith("/internal-contact")]
    problems += [
        f"dataset {s} is not in the published open catalog"
        for s, p, o in statements if p == RDF.type and o == DCAT.Dataset and s not in members
    ]
    named = {catalog.minter.entry_of(t) for s, _, o in statements for t in (s, o) if isinstance(t, URIRef)}
    strangers = sorted((e for e in named if e is not None and e not in members), key=str)
    problems += [f"an IRI of entry {e}, which is not in the published open catalog" for e in strangers[:_SHOWN]]
    return problems




OPEN_PLATFORM_FILES = {"open-catalog.dcat-ap.ttl": ExportFormat.TURTLE, "open-catalog.dcat-ap.jsonld": ExportFormat.JSONLD}
"""The open platform's DCAT-AP files a build writes (JSON-LD with the context inlined)."""


def write_open_platform(catalog: Catalog, out: Path) -> list[Path]:
    """Write the open platform's DCAT-AP files (:data:`OPEN_PLATFORM_FILES`) into ``out`` from one
    run of the mapping; both are checked before either is written.

    Raises:
        ExportError: a file failed its check; nothing was written.
    """
    rendered = {name: _from_renderings(catalog, Profile.OPEN, fmt, context_url=None, check=True, source=name)
                for name, fmt in OPEN_PLATFORM_FILES.items()}
    if all(data is not None for data in rendered.values()):
        return [write_atomically(out / name, data) for name, data in rendered.items() if data is not None]
    statements = _statements(catalog, Profile.OPEN)
    statements.check_allow_list(catalog)
    expected = statements.triples() if len(statements) else []
    ready = []
    for name, fmt in OPEN_PLATFORM_FILES.items():
        data = statements.write(fmt, None)
        if expected:
            check_export(catalog, data, fmt, profile=Profile.OPEN, expected=expected, source=name)
        ready.append((out / name, data))
    return [write_atomically(path, data) for path, data in ready]
