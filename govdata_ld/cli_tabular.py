"""Commands for spreadsheets: ``template`` writes the catalog template, ``import`` reads filled
sheets (or DCAT-AP files from another portal) into Turtle or the store.

Registered on the ``govdata-ld`` group of :mod:`govdata_ld.cli`. Each command parses its options,
calls one library function and prints.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rdflib import Graph

from . import bulk_import
from .catalog import Catalog
from .cli import CommandError, cli, open_store
from .errors import GovDataError
from .graphs import WriteSummary
from .namespaces import PREFIXES
from .settings import Settings
from .tabular import SHEET_FORMATS, SheetImport, read_sheets, to_graph, to_turtle, write_template

RDF_SUFFIXES = (".ttl", ".jsonld", ".rdf", ".xml", ".nt", ".trig")
"""Inputs of ``import`` read as DCAT-AP (by :func:`govdata_ld.dcat_ap_import.import_dcat_ap`)."""


@cli.command()
@click.option(
    "--format", "sheet_format", type=click.Choice(SHEET_FORMATS), default=None,
    help="xlsx (drop-down lists, instructions sheet) or csv; by the file's suffix when omitted.",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.pass_context
def template(ctx: click.Context, sheet_format: str | None, output: str) -> None:
    """Write an empty catalog template for organs to fill, one row per entry.

    The XLSX template has the entries sheet (headers in Chinese, each with a comment giving the
    English header, whether it is required and the clause behind it; drop-down lists on the
    code-list columns), a 信息项 (data items) sheet, and a 说明 (instructions) sheet listing every
    column and its allowed values. The CSV template is the header row, UTF-8 with a BOM. See
    docs/spreadsheets.md.

    Example:

        govdata-ld template -o catalog-template.xlsx
    """
    fmt = sheet_format or ("csv" if output.lower().endswith(".csv") else "xlsx")
    try:
        settings = Settings.load(ctx.obj["config"])
        path = write_template(Path(output), format=fmt, settings=settings)
    except GovDataError as exc:
        raise CommandError(str(exc)) from exc
    click.echo(f"wrote the {fmt} template to {path}")


@cli.command(name="import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", default=None, type=click.Path(dir_okay=False, allow_dash=True),
    help="Write Turtle to this file ('-' for standard output) instead of loading the store.",
)
@click.option("--skip-bad-rows", is_flag=True, help="Leave out rows with bad cells (listed) instead of importing nothing.")
@click.pass_context
def import_command(ctx: click.Context, sheets: tuple[str, ...], output: str | None, skip_bad_rows: bool) -> None:
    """Import filled catalog sheets (.xlsx, .csv) or DCAT-AP files (.ttl .jsonld .rdf .xml .nt .trig).

    Every bad cell of every sheet is reported at once, with file, sheet, row, column, the value
    and the allowed values, and nothing is written (exit 2), unless --skip-bad-rows is given:
    then the good rows are imported and the rows left out are listed. A CSV file is read as
    UTF-8 (with or without BOM) or GB18030/GBK. DCAT-AP files from another portal are mapped to
    our model; what does not map is reported. With -o the result is written as Turtle,
    otherwise it is loaded into the store (entries upserted by resource code).

    Example:

        govdata-ld import gy-nrp-catalog.xlsx -o gy-nrp.ttl

        govdata-ld import --skip-bad-rows entries.csv items.csv
    """
    paths = [Path(s) for s in sheets]
    rdf = [p for p in paths if p.suffix.lower() in RDF_SUFFIXES]
    tables = [p for p in paths if p not in rdf]
    try:
        settings = Settings.load(ctx.obj["config"])
        result = read_sheets(*tables, settings=settings, skip_bad_rows=skip_bad_rows) if tables else None
        graphs = [_dcat_ap(path, settings) for path in rdf]
    except GovDataError as exc:
        raise CommandError(str(exc)) from exc
    if result is not None:
        _report(result)
    if output is not None:
        entries = result.entries if result else ()
        if graphs:  # DCAT-AP files: one rdflib graph with the sheets' entries
            graph = to_graph(entries, settings=settings)
            for other in graphs:
                graph += other
            for prefix, namespace in PREFIXES.items():
                graph.bind(prefix, namespace)
            text = graph.serialize(format="turtle")
        else:  # sheets alone: written by the engine (rdflib's Turtle writer slows down with the entries' count)
            text = to_turtle(entries, settings=settings).decode("utf-8")
        if output == "-":
            click.echo(text)
        else:
            _write_text(Path(output), text)
            click.echo(f"wrote {len(entries)} entries to {output}", err=True)
        return
    with open_store(ctx) as catalog:
        try:
            if graphs:
                summary = _load_graphs(catalog, result, graphs, settings)
            else:
                assert result is not None
                summary = bulk_import.import_entries(catalog, result.entries)  # many new entries: in batches
        except GovDataError as exc:
            raise CommandError(str(exc)) from exc
    click.echo(
        f"imported {len(result.entries) if result else 0} entries from sheets and {len(graphs)} DCAT-AP file(s): "
        f"{len(summary.added)} added, {len(summary.revised)} revised, {len(summary.unchanged)} unchanged"
    )


def _dcat_ap(path: Path, settings: Settings) -> Graph:
    try:
        from .dcat_ap_import import import_dcat_ap
    except ImportError as exc:  # the DCAT-AP reader ships with the DCAT-AP export work (issue 5)
        raise CommandError(f"{path}: DCAT-AP import is not available in this version") from exc
    imported = import_dcat_ap(path, settings)
    if imported.unmapped:
        click.echo(f"{path}: {len(imported.unmapped)} statement(s) not mapped to our model:", err=True)
        for line in imported.unmapped:
            click.echo(f"  - {line}", err=True)
    graph: Graph = imported.graph
    return graph


def _load_graphs(catalog: Catalog, result: SheetImport | None, graphs: list[Graph], settings: Settings) -> WriteSummary:
    """Sheets and DCAT-AP graphs in one all-or-nothing load (sheet entries still go through the
    record mapping: :func:`to_graph`)."""
    union = to_graph(result.entries if result else (), settings=settings)
    for graph in graphs:
        union += graph
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "import.nt"
        path.write_bytes(union.serialize(format="nt", encoding="utf-8"))
        return catalog.load(path, format="nt")


def _report(result: SheetImport) -> None:
    for skipped in result.skipped:
        click.echo(f"skipped: {skipped}", err=True)
        for problem in skipped.problems:
            click.echo(f"  - {problem}", err=True)


def _write_text(path: Path, text: str) -> None:
    try:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise CommandError(f"{path}: cannot write: {exc.strerror}") from exc
