"""Synthetic city catalogs for the benchmarks: the example city's organ tree and N entries.

Entries are departmental resources of the example city's working departments, agencies and
townships, shaped like real ones (zh/en title, summary, grade, share/open attributes, update
cycle, 2 data items, 1 distribution: about 30 triples each). Every ``violation_every``-th entry
is conditionally shared without a share condition or legal basis, so validations have something
to find.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef

import govdata_ld as gd
from govdata_ld.iris import Minter
from govdata_ld.mapping import to_triples
from govdata_ld.namespaces import GD
from govdata_ld.settings import DEFAULT_BASE_IRI

ROOT = Path(__file__).resolve().parent.parent
ORGANS_FILE = ROOT / "examples" / "guiyang" / "organs.ttl"


def providers() -> list[str]:
    """Credit codes of the example city's organs that are not people's governments."""
    graph = Graph().parse(ORGANS_FILE)
    government = gd.OrganKind.PEOPLES_GOVERNMENT.iri
    return sorted(
        str(graph.value(organ, URIRef("http://www.w3.org/ns/org#identifier")))
        for organ in graph.subjects(GD.organKind, None)
        if graph.value(organ, GD.organKind) != government
    )


def entries(count: int, violation_every: int = 500) -> list[gd.Entry]:
    """``count`` departmental entries spread over the example city's departments."""
    organs = providers()
    out = []
    for i in range(count):
        broken = violation_every and i % violation_every == violation_every - 1
        shared = gd.ShareAttribute.CONDITIONAL if i % 2 or broken else gd.ShareAttribute.UNCONDITIONAL
        out.append(
            gd.Entry(
                code=f"3{i % 3 + 1:02d}{i % 997:03d}/{i:07d}",
                title_zh=f"业务数据资源{i}",
                title_en=f"Business data resource {i}",
                summary_zh=f"第{i}项业务数据资源的摘要。",
                provider=organs[i % len(organs)],
                source_business="行政许可办理",
                category=gd.Category.DEPARTMENTAL,
                grade=gd.Grade.NON_SENSITIVE,
                share=shared,
                share_condition=None if broken or shared is gd.ShareAttribute.UNCONDITIONAL else "仅限履职使用",
                legal_basis=None if broken or shared is gd.ShareAttribute.UNCONDITIONAL else "《政务信息资源共享管理暂行办法》",
                open=gd.OpenAttribute.UNCONDITIONAL if i % 3 else gd.OpenAttribute.NOT_OPEN,
                use_requirement="注明来源",
                update_cycle=gd.UpdateCycle.ANNUAL,
                issued=date(2024, 1, 1),
                modified=date(2026, 6, 1),
                format=gd.Format.SPREADSHEET,
                items=(
                    gd.DataItem("名称", gd.ItemDataType.CHARACTER),
                    gd.DataItem("日期", gd.ItemDataType.DATE),
                ),
                distributions=(
                    gd.Distribution(gd.DistributionKind.TABLE, "库表", gd.Format.RDB_TABLE, f"https://share.guiyang.example/t/{i}"),
                ),
            )
        )
    return out


def write_city(count: int, path: Path, violation_every: int = 500) -> int:
    """Write the organs file's content and ``count`` entries as Turtle; return the entry triples."""
    return write_records(entries(count, violation_every), path, head=ORGANS_FILE.read_bytes())


def write_records(records: list, path: Path, head: bytes = b"") -> int:
    """Write records as Turtle (after ``head``) through pyoxigraph; return the triple count."""
    minter = Minter(DEFAULT_BASE_IRI)
    triples = [
        pyoxigraph.Triple(*(_ox(t) for t in triple))
        for record in records
        for triple in to_triples(record, minter)
    ]
    path.write_bytes(head + b"\n" + pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE))
    return len(triples)


def _ox(term):  # noqa: ANN001, ANN202 - benchmark-local conversion
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    if term.datatype:
        return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))
    return pyoxigraph.Literal(str(term))
