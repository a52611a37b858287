"""The ``export`` command: the published city catalogs as DCAT-AP 3, or the store as the sheet.

Registered on the ``govdata-ld`` group of :mod:`govdata_ld.cli`. The command parses its options,
calls one library function (:func:`govdata_ld.dcat_ap.write_dcat_ap`, or
:func:`govdata_ld.tabular.export_catalog` for ``--profile sheet``) and prints the files written.
"""

from __future__ import annotations

from pathlib import Path

import click

from .cli import CommandError, cli, open_store
from .dcat_ap import ExportFormat, Profile, write_dcat_ap
from .errors import GovDataError

PROFILES = (*(p.value for p in Profile), "sheet")
RDF_FORMATS = tuple(f.label for f in ExportFormat)
SHEET_FORMATS = ("xlsx", "csv")


@cli.command(name="export")
@click.option("--profile", type=click.Choice(PROFILES), default=Profile.OPEN.value, show_default=True,
              help="dcat-ap: the open catalog for the open platform (public fields only); sharing: the general "
                   "and sharing catalogs for the sharing platform (with share conditions and modes); sheet: "
                   "every current entry as the spreadsheet template.")
@click.option("--format", "fmt", type=click.Choice((*RDF_FORMATS, *SHEET_FORMATS)), default="turtle",
              show_default=True, help="turtle, jsonld, rdfxml or ntriples (DCAT-AP); xlsx or csv (sheet).")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False),
              help="File to write (replaced whole or not at all); with --page-size, page 1.")
@click.option("--page-size", type=click.IntRange(min=1), default=None,
              help="Write hydra:PagedCollection pages of this many datasets (needs --base-url).")
@click.option("--base-url", default=None, metavar="URL", help="URL the pages are published under.")
@click.option("--context-url", default=None, metavar="URL",
              help="JSON-LD: refer to the shipped context at this URL (publish it there) instead of inlining it.")
@click.option("--inline-context", is_flag=True, help="JSON-LD: inline the shipped context (the default).")
@click.option("--no-check", is_flag=True, help="Skip the re-parse and DCAT-AP re-check before writing.")
@click.pass_context
def export_command(
    ctx: click.Context, profile: str, fmt: str, out: str, page_size: int | None, base_url: str | None,
    context_url: str | None, inline_context: bool, no_check: bool,
) -> None:
    """Export the published city catalogs as DCAT-AP 3 (Art. 12 para 3), or the store as the sheet.

    Each DCAT-AP file is re-parsed and checked against the official DCAT-AP 3.0.1 shapes (and, for
    the open platform, for restricted fields and entries) before it is written; a failed check
    writes nothing and exits 2.

    Example:

        govdata-ld export --profile dcat-ap --format turtle -o open-catalog.ttl

        govdata-ld export --format jsonld --context-url https://data.example/dcat-ap.jsonld -o open.jsonld

        govdata-ld export --page-size 1000 --base-url https://data.example/dcat/ -o catalog.ttl

        govdata-ld export --profile sheet --format xlsx -o entries.xlsx
    """
    if context_url and inline_context:
        raise click.UsageError("give --context-url or --inline-context, not both")
    sheet = profile == "sheet"
    if sheet != (fmt in SHEET_FORMATS):
        wanted = "xlsx or csv" if sheet else "turtle, jsonld, rdfxml or ntriples"
        raise click.UsageError(f"--profile {profile} writes {wanted}, not {fmt}")
    if page_size is not None and (sheet or not base_url):
        raise click.UsageError("--page-size needs --base-url (and a DCAT-AP profile)")
    with open_store(ctx) as catalog:
        try:
            if sheet:
                from .tabular import export_catalog  # openpyxl is imported only when a sheet is asked for

                written = [export_catalog(catalog, Path(out), fmt)]
            else:
                written = write_dcat_ap(
                    catalog, out, profile=profile, format=fmt, page_size=page_size, base_url=base_url,
                    context_url=context_url, check=not no_check,
                )
        except GovDataError as exc:
            raise CommandError(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {path}")
