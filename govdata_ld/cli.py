"""The ``govdata-ld`` command line: a thin layer over the library (the only module with click).

Exit codes: 0 success (or the catalog conforms), 1 the catalog does not conform, 2 usage or
input error.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rdflib import Graph
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from . import __version__, input_gate, queries, resources
from .catalog import Catalog, Stats
from .errors import GovDataError
from .namespaces import PREFIXES, curie
from .results import SelectResult
from .settings import Settings
from .store import FORMATS, read_source
from .validation import ENGINES
from .validation import validate as run_validation

DEFAULT_STORE = ".govdata"
EXIT_NONCONFORMANT = 1
EXIT_INPUT = 2
HELP_OPTIONS = ["-h", "--help"]
F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A library error reported by a command: its message, exit code 2."""

    exit_code = EXIT_INPUT


@click.group(context_settings={"help_option_names": HELP_OPTIONS})
@click.version_option(__version__, prog_name="govdata-ld")
@click.option(
    "--store",
    envvar="GOVDATA_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    help="Store directory, 'memory' for a one-shot store, or a SPARQL server's query URL "
    "(http://…; the [store] table of the settings file gives its other URLs and names the "
    "environment variables holding the credentials, see docs/stores.md); when not given, the "
    "[store] url of the settings file, else the default (env GOVDATA_STORE).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (TOML); default $GOVDATA_CONFIG or ./govdata-ld.toml.",
)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, store: str, config: str | None, verbose: int) -> None:
    """Compile, check, query and publish government data catalogs as linked data.

    Example:

        govdata-ld load examples/guiyang/organs.ttl examples/guiyang/drafts/*/catalog.ttl && govdata-ld stats
    """
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    _check_store(store)
    given = ctx.get_parameter_source("store") is not click.core.ParameterSource.DEFAULT
    ctx.obj = {"store": store, "config": config, "store_given": given}


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:/")  # two letters at least: C:/ is a Windows path


def _check_store(value: str) -> None:
    """``--store``: a directory, ``memory`` or an http(s) query URL; a value with another URL
    scheme would have been taken for a directory name (and created)."""
    if _URL.match(value) and not value.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"{value!r}: a store is a directory, 'memory' or an http(s):// query URL",
                                 param_hint="--store")
    if not value or input_gate.FORBIDDEN_CHAR.search(value):
        raise click.BadParameter("an empty value or a control character", param_hint="--store")


def data_option(function: F) -> F:
    """``-d/--data FILE``: files loaded into the store first (handy with ``--store memory``)."""
    return click.option(
        "-d",
        "--data",
        "data",
        multiple=True,
        type=click.Path(dir_okay=False, allow_dash=True),
        help="Load this RDF file first (repeatable).",
    )(function)


def output_option(*choices: str) -> Callable[[F], F]:
    """``-f/--format``: how results are printed."""
    return click.option(
        "-f",
        "--format",
        "output",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


@contextmanager
def open_store(ctx: click.Context, data: tuple[str, ...] = ()) -> Iterator[Catalog]:
    """The store the group options name (loading ``data`` first); library errors exit 2."""
    try:
        settings = Settings.load(ctx.obj["config"])
        location = ctx.obj["store"]
        if not ctx.obj.get("store_given") and settings.store is not None and settings.store.url:
            location = settings.store.url
        with Catalog.open(location, settings=settings) as catalog:
            if data:
                catalog.load(*data)
            yield catalog
    except GovDataError as exc:
        raise CommandError(str(exc)) from exc


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "rdf_format",
    type=click.Choice(sorted(FORMATS)),
    default=None,
    help="Format of the files; by extension when omitted ('-' reads Turtle).",
)
@click.option(
    "--restore",
    is_flag=True,
    help="Write the named graphs of TriG/N-Quads/JSON-LD files as given: restoring a trusted dump "
    "(its workflow trail, published catalogs and code lists replace the store's).",
)
@click.pass_context
def load(ctx: click.Context, files: tuple[str, ...], rdf_format: str | None, restore: bool) -> None:
    """Load RDF files into the store, all or nothing.

    Entries are upserted by resource code: a known code gets a new version, an unchanged one
    stays as it is. A malformed file stops the load with its name and line, and the store is
    left unchanged. Named graphs are refused unless --restore is given.

    Example:

        govdata-ld load examples/guiyang/organs.ttl examples/guiyang/drafts/*/catalog.ttl

        govdata-ld --store ./restored load --restore backup.trig
    """
    with open_store(ctx) as catalog, Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("parsing", total=len(files))
        summary = catalog.load(*files, format=rdf_format, progress=lambda _: bar.advance(task), restore=restore)
    click.echo(
        f"loaded {len(files)} file(s): {len(summary.added)} entries added, "
        f"{len(summary.revised)} revised, {len(summary.unchanged)} unchanged; "
        f"{summary.registry_subjects} organs, catalogs and other subjects described; "
        f"{summary.triples} statements written"
    )


@cli.command()
@click.argument("query_name", metavar="NAME|FILE.rq")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a declared parameter (repeatable); IRIs may be prefixed names (gd:grade).",
)
@data_option
@output_option("table", "csv", "json")
@click.pass_context
def query(
    ctx: click.Context, query_name: str, params: tuple[str, ...], data: tuple[str, ...], output: str
) -> None:
    """Run a named query or a read-only .rq file (updates, SERVICE and LOAD are refused).

    SELECT prints a table, CSV or SPARQL JSON results; CONSTRUCT prints Turtle; ASK true/false.

    Named queries: see `govdata-ld queries`. A file's parameters are declared in its header
    (`#+ param: ?name iri  description`).

    Example:

        govdata-ld query count_entries_by -p dimension=gd:grade -f csv
    """
    bindings = dict(_split_param(p) for p in params)
    is_file = query_name == "-" or query_name.endswith(".rq") or Path(query_name).is_file()
    text = _read_text(query_name) if is_file else None
    with open_store(ctx, data) as catalog:
        if text is not None:
            result = catalog.query(text, bindings, name=query_name)
        else:
            result = catalog.run(query_name, **bindings)
    print_result(result, output)


@cli.command(name="queries")
def list_queries() -> None:
    """List the named queries with their summaries and parameters.

    Example:

        govdata-ld queries
    """
    for name in resources.names("queries"):
        named = queries.named(name)
        click.echo(f"{name}: {named.summary}")
        for p in named.parameters.values():
            flag = " (optional)" if p.optional else ""
            click.echo(f"    ?{p.name} {p.type}{flag}: {p.description}")


@cli.command()
@data_option
@output_option("table", "json")
@click.pass_context
def stats(ctx: click.Context, data: tuple[str, ...], output: str) -> None:
    """Count organs, systems and entries, and entries by provider, category, attributes, grade.

    Example:

        govdata-ld --store memory stats -d examples/guiyang/organs.ttl -d examples/guiyang/drafts/gy-psb/catalog.ttl
    """
    with open_store(ctx, data) as catalog:
        result = catalog.stats()
    if output == "json":
        click.echo(json.dumps(_stats_json(result), ensure_ascii=False, indent=1))
        return
    console = Console()
    totals = Table(title="Totals")
    for key in result.totals:
        totals.add_column(key.replace("_", " "), justify="right")
    totals.add_row(*(str(v) for v in result.totals.values()))
    console.print(totals)
    for dimension, rows in result.by.items():
        table = Table(title=f"Entries by {dimension}")
        table.add_column("value")
        table.add_column("zh")
        table.add_column("en")
        table.add_column("entries", justify="right")
        for row in rows:
            table.add_row(curie(row.value), row.label_zh or "", row.label_en or "", str(row.entries))
        console.print(table)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the messages.")
@output_option("text", "json", "ttl")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Judge the update duty on this date (default today).")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True, help="The fast path (sparql) or the reference (pyshacl).")
@click.option("--changed-only", is_flag=True, help="With no PATH: validate only entries changed since the last --changed-only run of this store, and merge.")
@click.pass_context
def validate(
    ctx: click.Context, paths: tuple[str, ...], lang: str, output: str, as_of: Any, engine: str, changed_only: bool
) -> None:
    """Check catalog files (or, with no PATH, the store) against the compilation rules.

    Every result names the entry (resource code), the field, the rule and the article it
    enforces. Exit 0 when the catalog conforms (warnings allowed), 1 when it has violations,
    2 when the input cannot be read.

    Example:

        govdata-ld validate --lang en examples/guiyang/organs.ttl examples/guiyang/drafts/*/catalog.ttl
    """
    day = as_of.date() if as_of else None
    try:
        settings = Settings.load(ctx.obj["config"])
        if paths and changed_only:
            raise click.UsageError("--changed-only works on the store: give no PATH")
        if paths:
            with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
                bar.add_task("validating", total=None)
                report = run_validation(*paths, settings=settings, as_of=day, engine=engine)
        else:
            with open_store(ctx) as catalog:
                if changed_only:
                    report = catalog.validate_changed(as_of=day, engine=engine)
                else:
                    report = catalog.validate(as_of=day, engine=engine)
    except GovDataError as exc:
        raise CommandError(str(exc)) from exc
    if output == "json":
        click.echo(report.to_json(lang))
    elif output == "ttl":
        click.echo(report.graph.serialize(format="turtle"))
    else:
        click.echo(report.text(lang), nl=False)
    ctx.exit(0 if report.conforms else EXIT_NONCONFORMANT)


def _stats_json(result: Stats) -> dict[str, Any]:
    return {
        "totals": result.totals,
        "by": {
            dimension: [
                {"value": str(r.value), "zh": r.label_zh, "en": r.label_en, "entries": r.entries}
                for r in rows
            ]
            for dimension, rows in result.by.items()
        },
    }


def print_result(result: SelectResult | Graph | bool, output: str) -> None:
    """Print a query result: a table, CSV or JSON for SELECT, Turtle for a graph, true/false."""
    if isinstance(result, bool):
        click.echo("true" if result else "false")
    elif isinstance(result, Graph):
        for prefix, namespace in PREFIXES.items():
            result.bind(prefix, namespace)
        click.echo(result.serialize(format="turtle"))
    elif output == "csv":
        click.echo(result.to_csv(), nl=False)
    elif output == "json":
        click.echo(result.to_json())
    else:
        table = Table(*result.variables)
        for row in result.rows:
            table.add_row(*("" if t is None else curie(t) for t in row))
        Console().print(table)
        click.echo(f"{len(result)} row(s)", err=True)


def _split_param(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` of ``--param``: a variable name and a value the input gate lets through."""
    name, sep, value = text.partition("=")
    name = name.lstrip("?")
    if not sep or not name:
        raise click.BadParameter(f"expected NAME=VALUE, got {text!r}", param_hint="--param")
    if not name.isidentifier():
        raise click.BadParameter(f"{name!r} is not a variable name (letters, digits, _)", param_hint="--param")
    problem = input_gate.literal_problem(value, input_gate.limits())
    if problem is not None:
        raise click.BadParameter(f"{name}: {problem[1]} [{problem[0]}]", param_hint="--param")
    return name, value


def _read_text(path: str) -> str:
    """A query file's text (or standard input's), through the input gate: bounded, UTF-8, no
    ``\\u`` escapes, brackets nested no deeper than the limit."""
    try:
        text = read_source(path).decode("utf-8")
        input_gate.check_query(text, name=path)
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: cannot read query: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except GovDataError as exc:
        raise CommandError(f"cannot read query [{exc.code}]: {exc}") from exc
    return text


def help_pages() -> dict[str, str]:
    """The ``--help`` text of the group and of every command, for the generated CLI page."""
    pages = {}
    settings = {"terminal_width": 100, "help_option_names": HELP_OPTIONS}
    with click.Context(cli, info_name="govdata-ld", **settings) as ctx:
        pages["govdata-ld"] = cli.get_help(ctx)
        for name in sorted(cli.commands):
            command = cli.commands[name]
            with click.Context(command, parent=ctx, info_name=name, **settings) as sub:
                pages[f"govdata-ld {name}"] = command.get_help(sub)
    return pages


def main() -> None:
    """Entry point of the ``govdata-ld`` command."""
    cli(prog_name="govdata-ld")


from . import cli_workflow  # noqa: E402, F401  (registers the workflow, catalog and build commands)
from . import cli_tabular  # noqa: E402, F401  (registers the template and import commands)
from . import cli_export  # noqa: E402, F401  (registers the export command)
