"""Build the Guiyang example city's Turtle files from ``city_data.py`` through the record API.

    python examples/guiyang/build.py            # rewrite organs.ttl and drafts/*/catalog.ttl
    python examples/guiyang/build.py --check    # exit 1 if the files are not what the data gives

The data is synthetic: names of real divisions and typical departments, with made-up but valid
unified social credit codes (check characters computed) and resource codes.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

from rdflib import Graph

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import city_data  # noqa: E402

from govdata_ld import (  # noqa: E402
    AdminLevel,
    BasicDatabase,
    Category,
    ContactPoint,
    DataItem,
    Distribution,
    DistributionKind,
    Entry,
    Format,
    FundingKind,
    Grade,
    InformationSystem,
    ItemDataType,
    LeadAuthority,
    OpenAttribute,
    Organ,
    OrganKind,
    Period,
    ShareAttribute,
    ShareMode,
    Theme,
    ThemeLead,
    UpdateCycle,
)
from govdata_ld.codes import CodeEnum  # noqa: E402
from govdata_ld.iris import Minter  # noqa: E402
from govdata_ld.mapping import to_triples  # noqa: E402
from govdata_ld.namespaces import PREFIXES  # noqa: E402
from govdata_ld.settings import DEFAULT_BASE_IRI  # noqa: E402

CHINESE = "http://publications.europa.eu/resource/authority/language/ZHO"
ITEM_TYPES = {
    "C": ItemDataType.CHARACTER,
    "N": ItemDataType.NUMERIC,
    "Y": ItemDataType.CURRENCY,
    "D": ItemDataType.DATE,
    "T": ItemDataType.DATETIME,
    "L": ItemDataType.LOGICAL,
    "M": ItemDataType.MEMO,
    "G": ItemDataType.GENERAL,
    "B": ItemDataType.DOUBLE,
    "I": ItemDataType.INTEGER,
    "F": ItemDataType.FLOAT,
}


USCC = {o["key"]: o["uscc"] for o in city_data.ORGANS}
"""Each example organ's unified social credit code, by its key in city_data."""


def by_slug(enum: type[CodeEnum], slug: str | None) -> CodeEnum | None:
    """The member of ``enum`` whose concept IRI ends in ``/slug``."""
    if slug is None:
        return None
    for member in enum:
        if member.value.endswith(f"/{slug}"):
            return member
    raise ValueError(f"{slug!r} is not a {enum.__name__}")


def organs() -> list[Organ]:
    return [
        Organ(
            uscc=o["uscc"],
            name_zh=o["name_zh"],
            name_en=o["name_en"],
            kind=by_slug(OrganKind, o["kind"]),
            level=by_slug(AdminLevel, o["level"]),
            division=o["division"],
            parent=USCC[o["parent"]] if o["parent"] else None,
        )
        for o in city_data.ORGANS
    ]


def systems() -> list[InformationSystem]:
    return [
        InformationSystem(
            code=s["key"],
            title_zh=s["title_zh"],
            title_en=s["title_en"],
            owner=USCC[s["owner"]],
            funding=by_slug(FundingKind, s["funding"]),
            business_zh=s["business_zh"],
        )
        for s in city_data.SYSTEMS
    ]


def leads() -> list[LeadAuthority | ThemeLead]:
    return [
        LeadAuthority(by_slug(BasicDatabase, db), USCC[key])
        for db, key in city_data.LEAD_AUTHORITIES.items()
    ] + [ThemeLead(by_slug(Theme, theme), USCC[key]) for theme, key in city_data.THEME_LEADS.items()]


def contact(data: dict | None) -> ContactPoint | None:
    if not data:
        return None
    return ContactPoint(data["name_zh"], data.get("email"), data.get("phone"))


def entries() -> list[tuple[str, Entry]]:
    out = []
    for e in city_data.ENTRIES:
        temporal = e.get("temporal")
        out.append(
            (
                e["provider"],
                Entry(
                    code=e["code"],
                    title_zh=e["title_zh"],
                    title_en=e["title_en"],
                    summary_zh=e["summary_zh"],
                    summary_en=e.get("summary_en"),
                    provider=USCC[e["provider"]],
                    source_business=e["source_business_zh"],
                    source_system=e.get("source_system"),
                    category=by_slug(Category, e["category"]),
                    basic_database=by_slug(BasicDatabase, e.get("basic_database")),
                    theme=by_slug(Theme, e.get("theme")),
                    contributors=tuple(sorted(USCC[k] for k in e.get("contributors", ()))),
                    grade=by_slug(Grade, e["grade"]),
                    share=by_slug(ShareAttribute, e["share"]),
                    share_condition=e.get("share_condition_zh"),
                    share_mode=by_slug(ShareMode, e.get("share_mode")),
                    legal_basis=e.get("legal_basis_zh"),
                    open=by_slug(OpenAttribute, e["open"]),
                    open_condition=e.get("open_condition_zh"),
                    use_requirement=e.get("use_requirement_zh"),
                    update_cycle=by_slug(UpdateCycle, e["update_cycle"]),
                    issued=date.fromisoformat(e["issued"]),
                    modified=date.fromisoformat(e["modified"]) if e.get("modified") else None,
                    format=by_slug(Format, e["format"]),
                    items=tuple(
                        DataItem(name, ITEM_TYPES[letter], description)
                        for name, letter, description in e["items"]
                    ),
                    related=tuple(sorted(e.get("related", ()))),
                    distributions=tuple(
                        Distribution(
                            kind=by_slug(DistributionKind, kind),
                            title_zh=title,
                            file_type=by_slug(Format, file_type),
                            access_url=url,
                            download_url=url if kind == "file" else None,
                        )
                        for kind, title, file_type, url in e["distributions"]
                    ),
                    keywords=tuple(sorted(e.get("keywords_zh", ()))),
                    spatial=e.get("spatial"),
                    temporal=Period(
                        date.fromisoformat(temporal[0]) if temporal[0] else None,
                        date.fromisoformat(temporal[1]) if temporal[1] else None,
                    )
                    if temporal
                    else None,
                    license=e.get("license"),
                    languages=(CHINESE,),
                    contact=contact(e.get("contact")),
                    internal_contact=contact(e.get("internal_contact")),
                ),
            )
        )
    return out


def turtle(records: list, minter: Minter) -> str:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("res", f"{minter.base}resource/")
    graph.bind("organ", f"{minter.base}organ/")
    for record in records:
        for triple in to_triples(record, minter):
            graph.add(triple)
    header = "# Generated by examples/guiyang/build.py from city_data.py; synthetic data.\n"
    return header + graph.serialize(format="longturtle", canon=True)


def files() -> dict[Path, str]:
    """Every example file and the text the data gives it."""
    minter = Minter(DEFAULT_BASE_IRI)
    out = {HERE / "organs.ttl": turtle([*organs(), *systems(), *leads()], minter)}
    per_provider: dict[str, list[Entry]] = defaultdict(list)
    for provider, entry in entries():
        per_provider[provider].append(entry)
    for provider, items in sorted(per_provider.items()):
        out[HERE / "drafts" / provider / "catalog.ttl"] = turtle(items, minter)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    wanted = files()
    present = set((HERE / "drafts").glob("*/catalog.ttl")) | {HERE / "organs.ttl"}
    if args.check:
        stale = [p for p, text in wanted.items() if not p.is_file() or p.read_text("utf-8") != text]
        stale += sorted(present - set(wanted))
        for path in stale:
            print(f"out of date: {path.relative_to(HERE)}")
        return 1 if stale else 0
    for path in present - set(wanted):
        path.unlink(missing_ok=True)
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
