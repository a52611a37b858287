"""Commands of the Article 12 workflow, the city catalogs and the main job (``build``).

Registered on the ``govdata-ld`` group of :mod:`govdata_ld.cli`; kept apart so that each CLI
module stays small. Each command parses its options, calls one library function and prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.progress import Progress

from .assessment import assess as run_assessment
from .build import build as run_build
from .build import export_city_catalog, write_city_catalogs
from .cli import CommandError, cli, open_store, output_option, print_result
from .errors import GovDataError
from .iris import CITY_CATALOG_KINDS
from .namespaces import code_namespace
from .store import FORMATS
from .workflow import StepResult, Workflow

F = TypeVar("F", bound=Callable[..., Any])
FILTERS = {
    "organ": None,
    "level": "admin-level",
    "category": "category",
    "basic_database": "basic-database",
    "theme": "theme",
    "grade": "grade",
    "share": "share-attribute",
    "open": "open-attribute",
    "cycle": "update-cycle",
}
"""Filter options of ``catalog``: the code list a short value (``--theme health``) is read in."""
TABLE_COLUMNS = ("code", "title", "title_en", "provider", "version")


def actor_option(function: F) -> F:
    """``--as ORGAN``: the credit code of the organ taking the step."""
    return click.option("--as", "actor", required=True, metavar="USCC", help="Credit code of the organ taking the step.")(function)


def at_option(function: F) -> F:
    """``--at``: the time recorded for the step."""
    return click.option(
        "--at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]), default=None,
        help="Record this time (ISO, UTC) instead of now.",
    )(function)


def decision_options(function: F) -> F:
    """``CODE...``, ``--organ``, ``--return CODE`` and ``--reason`` of the deciding steps."""
    for decorator in (
        click.argument("codes", nargs=-1, metavar="[CODE]..."),
        click.option("--organ", default=None, metavar="USCC", help="Only entries of this compiling organ."),
        click.option("--return", "returns", multiple=True, metavar="CODE", help="Return this entry to its organ (repeatable); needs --reason."),
        click.option("--reason", default=None, help="Why entries are returned (required with --return)."),
    ):
        function = decorator(function)
    return function


def _step(ctx: click.Context, call: Callable[[Workflow], StepResult]) -> None:
    with open_store(ctx) as catalog:
        try:
            result = call(catalog.workflow)
        except GovDataError as exc:
            raise CommandError(str(exc)) from exc
    click.echo(f"{result.step} by {result.actor}: {len(result.accepted)} accepted, {len(result.returned)} returned")
    for code, reason in result.returned:
        click.echo(f"  returned {code}: {reason}")
    for code, why in result.skipped:
        click.echo(f"  skipped {code}: {why}")
    for kind, change in (result.changes or {}).items():
        click.echo(
            f"  {kind} catalog: {change.members} entries (+{len(change.added)} added, "
            f"{len(change.changed)} changed, {len(change.withdrawn)} withdrawn)"
        )


def _returns(returns: tuple[str, ...], reason: str | None) -> dict[str, str]:
    if returns and not reason:
        raise click.UsageError("--return needs --reason")
    return {code: reason or "" for code in returns}


def _codes(codes: tuple[str, ...]) -> list[str] | None:
    return list(codes) or None


@cli.command()
@actor_option
@click.argument("codes", nargs=-1, metavar="[CODE]...")
@at_option
@click.pass_context
def submit(ctx: click.Context, actor: str, codes: tuple[str, ...], at: datetime | None) -> None:
    """Submit an organ's catalogs (all its new or corrected entries, or only CODEs) to the
    big-data department its route names (Art. 12 para 1-2). Refused when an entry fails
    validation.

    Example:

        govdata-ld submit --as 11520102MB0000000X
    """
    _step(ctx, lambda wf: wf.submit(actor, codes=_codes(codes), at=at))


@cli.command()
@actor_option
@decision_options
@at_option
@click.pass_context
def audit(ctx: click.Context, actor: str, codes: tuple[str, ...], organ: str | None, returns: tuple[str, ...], reason: str | None, at: datetime | None) -> None:
    """A district big-data department audits and summarises what its district's organs
    submitted: accepts them, or returns some with a reason (Art. 5 item 3, Art. 12 para 1).

    Example:

        govdata-ld audit --as 11520102007401413M --return 302143/000001 --reason "数据项不完整"
    """
    back = _returns(returns, reason)
    _step(ctx, lambda wf: wf.audit(actor, organ=organ, codes=_codes(codes), returns=back, at=at))


@cli.command()
@actor_option
@decision_options
@at_option
@click.pass_context
def approve(ctx: click.Context, actor: str, codes: tuple[str, ...], organ: str | None, returns: tuple[str, ...], reason: str | None, at: datetime | None) -> None:
    """A district people's government approves its big-data department's summary, or returns
    entries with a reason (Art. 12 para 1).

    Example:

        govdata-ld approve --as 11520102000000000X
    """
    back = _returns(returns, reason)
    _step(ctx, lambda wf: wf.approve(actor, organ=organ, codes=_codes(codes), returns=back, at=at))


@cli.command()
@actor_option
@click.argument("codes", nargs=-1, metavar="[CODE]...")
@click.option("--organ", default=None, metavar="USCC", help="Only entries of this compiling organ.")
@at_option
@click.pass_context
def report(ctx: click.Context, actor: str, codes: tuple[str, ...], organ: str | None, at: datetime | None) -> None:
    """A district big-data department reports the approved district summary to the municipal
    big-data department (Art. 12 para 1).

    Example:

        govdata-ld report --as 11520102007401413M
    """
    _step(ctx, lambda wf: wf.report(actor, organ=organ, codes=_codes(codes), at=at))


@cli.command()
@actor_option
@decision_options
@at_option
@click.pass_context
def review(ctx: click.Context, actor: str, codes: tuple[str, ...], organ: str | None, returns: tuple[str, ...], reason: str | None, at: datetime | None) -> None:
    """The municipal big-data department reviews municipal organs' catalogs and reported
    district summaries, or returns entries with a reason (Art. 4 item 4, Art. 12 para 1-2).

    Example:

        govdata-ld review --as 115201000055566223 --organ 11520102007401413M
    """
    back = _returns(returns, reason)
    _step(ctx, lambda wf: wf.review(actor, organ=organ, codes=_codes(codes), returns=back, at=at))


@cli.command()
@actor_option
@at_option
@click.pass_context
def summarise(ctx: click.Context, actor: str, at: datetime | None) -> None:
    """The municipal big-data department summarises the reviewed municipal and district
    catalogs into the city's general, sharing and open catalogs (Art. 12 para 3).

    Example:

        govdata-ld summarise --as 115201000055566223
    """
    _step(ctx, lambda wf: wf.summarise(actor, at=at))


@cli.command()
@actor_option
@click.option("--return", "returns", multiple=True, metavar="CODE", help="Return this entry to summarisation (repeatable).")
@click.option("--return-all", is_flag=True, help="Return the whole summary.")
@click.option("--reason", default=None, help="Why (required with --return or --return-all).")
@at_option
@click.pass_context
def ratify(ctx: click.Context, actor: str, returns: tuple[str, ...], return_all: bool, reason: str | None, at: datetime | None) -> None:
    """The municipal people's government ratifies (审定) the summarised city catalogs: the
    Measures' "validation", a decision of government, not SHACL validation (Art. 12 para 3).

    Example:

        govdata-ld ratify --as 11520100000393844U
    """
    if return_all and not reason:
        raise click.UsageError("--return-all needs --reason")
    back = _returns(returns, reason)
    _step(ctx, lambda wf: wf.ratify(actor, returns=back, returned=reason if return_all else None, at=at))


@cli.command()
@actor_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Also write the three catalogs into this folder.")
@click.option("--rederive", is_flag=True, help="Re-derive every entry's membership (after the store was changed outside the workflow).")
@at_option
@click.pass_context
def publish(ctx: click.Context, actor: str, out: str | None, rederive: bool, at: datetime | None) -> None:
    """The municipal big-data department publishes the ratified catalogs: general and sharing
    on the sharing platform, open on the open platform, as named graphs (and files with --out),
    recording what each publication added, changed and withdrew (Art. 12 para 3).

    Example:

        govdata-ld publish --as 115201000055566223 --out published/
    """
    _step(ctx, lambda wf: wf.publish(actor, rederive=rederive, at=at))
    if out:
        with open_store(ctx) as catalog:
            written = write_city_catalogs(catalog, Path(out))
        click.echo(f"wrote {len(written)} catalogs into {out}")


@cli.command()
@actor_option
@click.argument("codes", nargs=-1, required=True, metavar="CODE...")
@click.option("--reason", required=True, help="Why the entries are withdrawn.")
@at_option
@click.pass_context
def withdraw(ctx: click.Context, actor: str, codes: tuple[str, ...], reason: str, at: datetime | None) -> None:
    """Ask to withdraw (撤销) published entries; the request follows the organ's route and the
    next publication removes them (Art. 12).

    Example:

        govdata-ld withdraw --as 11520102MB0000000X 302143/000001 --reason "业务已撤销"
    """
    _step(ctx, lambda wf: wf.withdraw(actor, list(codes), reason=reason, at=at))


@cli.command()
@actor_option
@output_option("table", "csv", "json")
@click.pass_context
def pending(ctx: click.Context, actor: str, output: str) -> None:
    """List what waits for an organ's step, oldest first (query ``pending_work``).

    Example:

        govdata-ld pending --as 115201000055566223
    """
    with open_store(ctx) as catalog:
        result = catalog.select("pending_work", organ=catalog.minter.organ(actor))
    print_result(result, output)


@cli.command()
@click.argument("code")
@output_option("table", "csv", "json")
@click.pass_context
def trail(ctx: click.Context, code: str, output: str) -> None:
    """Show who did what when to an entry, every version included (query ``entry_trail``).

    Example:

        govdata-ld trail 302143/000001
    """
    with open_store(ctx) as catalog:
        result = catalog.select("entry_trail", entry=catalog.minter.entry(code))
    print_result(result, output)


def _filter_options(function: F) -> F:
    for name, scheme in reversed(FILTERS.items()):
        hint = "credit code of an organ (its sub-organs included)" if scheme is None else f"a concept of {scheme} (slug, prefixed name or IRI)"
        function = click.option(f"--{name.replace('_', '-')}", name, default=None, help=f"Only entries with this {name.replace('_', ' ')}: {hint}.")(function)
    return click.option("--text", default=None, help="Only entries whose title contains this text.")(function)


@cli.command(name="catalog")
@click.argument("kind", type=click.Choice(CITY_CATALOG_KINDS))
@_filter_options
@output_option("table", "csv", "json", *sorted(FORMATS))
@click.pass_context
def city_catalog(ctx: click.Context, kind: str, output: str, text: str | None, **filters: str | None) -> None:
    """Print a published city catalog: its entries as a table (filtered, query
    ``catalog_entries``) or, with an RDF format, the whole catalog as DCAT (queries
    ``city_catalog`` and ``open_catalog``).

    Example:

        govdata-ld catalog open --theme health --level township -f csv
        govdata-ld catalog open -f turtle > open-catalog.ttl
    """
    chosen = {k: v for k, v in filters.items() if v is not None}
    with open_store(ctx) as catalog:
        if output in FORMATS:
            if chosen or text:
                raise click.UsageError("filters apply to the table output (table, csv, json), not to an RDF export")
            sys.stdout.buffer.write(export_city_catalog(catalog, kind, output))
            return
        params: dict[str, Any] = {"catalog": catalog.minter.city_catalog(kind)}
        for name, value in chosen.items():
            scheme = FILTERS[name]
            if scheme is None:
                params[name] = catalog.minter.organ(value)
            else:
                params[name] = value if ":" in value else code_namespace(scheme)[value]
        if text:
            params["text"] = text
        result = catalog.select("catalog_entries", **params)
    if output == "table":  # the filter columns echo the parameters; a table shows the entries
        result = result.project(TABLE_COLUMNS)
    print_result(result, output)


@cli.command()
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Judge on this day (default today).")
@output_option("table", "csv", "ttl")
@click.pass_context
def assess(ctx: click.Context, as_of: datetime | None, output: str) -> None:
    """Assess the organs' catalog work, per organ, per district and for the municipal level
    (Art. 4 item 5, Art. 5 item 4): entries compiled, share passing validation, share with
    mounted data, share and open ratios, overdue updates, days waiting at each step, and
    piveau's metadata-quality (MQA) points; as a table, CSV, or W3C DQV (Turtle).

    Example:

        govdata-ld assess --as-of 2026-11-01 -f csv > assessment.csv
    """
    day = as_of.date() if as_of else date.today()
    with open_store(ctx) as catalog:
        try:
            result = run_assessment(catalog, as_of=day)
        except GovDataError as exc:
            raise CommandError(str(exc)) from exc
    if output == "csv":
        click.echo(result.to_csv(), nl=False)
    elif output == "ttl":
        click.echo(result.graph().serialize(format="turtle"))
    else:
        click.echo(result.text(), nl=False)


@cli.command(name="build")
@click.argument("source", type=click.Path(file_okay=False, exists=True))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder (created).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Judge the update duty on this date (default today).")
@at_option
@click.pass_context
def build_command(ctx: click.Context, source: str, out: str, as_of: datetime | None, at: datetime | None) -> None:
    """The main job: load the organ tree and every organ's drafts from SOURCE, validate, take
    every Article 12 step with its rightful organ (decisions from SOURCE/decisions.toml, else
    "accepted", and the trail says so), publish, and write the city's three catalogs, the
    validation report, the steps and what was withheld into OUT. Entries that fail validation
    are withheld and listed.

    SOURCE layout: organs.ttl (the organ tree); drafts/<organ>/*.ttl (one folder per organ);
    decisions.toml (optional). See docs/workflow.md.

    Example:

        govdata-ld --store memory build examples/guiyang --out published/ --as-of 2026-11-01
    """
    with open_store(ctx) as catalog, Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("building", total=None)
        try:
            summary = run_build(
                catalog, source, out, as_of=as_of.date() if as_of else None, at=at,
                progress=lambda stage: bar.update(task, description=stage),
            )
        except GovDataError as exc:
            raise CommandError(str(exc)) from exc
    click.echo(summary.text(), nl=False)
