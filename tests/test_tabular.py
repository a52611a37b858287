"""Spreadsheets in and out (issue 5, part 1): the catalog template as XLSX and CSV.

Sheets are written by the tests themselves into tmp_path (openpyxl for the XLSX twins, the csv
module for CSV), so each test shows its input next to its assertions.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic

from govdata_ld import (
    Catalog,
    CellProblem,
    Entry,
    InputError,
    SheetError,
    Settings,
    export_catalog,
    import_sheets,
    read_sheets,
    write_template,
)
from govdata_ld.cli import cli
from govdata_ld.tabular import to_graph, write_entries
from govdata_ld.tabular_columns import COLUMNS, ITEM_COLUMNS, code_lists, neutralise, restore

from .conftest import CITY, city_files

SETTINGS = Settings()
NRP = "115201000025684682"  # 贵阳市自然资源和规划局 in the example city
NRP_NAME = "贵阳市自然资源和规划局"
PSB = "1152010000383916X0"
HEADERS = [c.zh for c in COLUMNS]
EN_HEADERS = [c.en for c in COLUMNS]


def sample_rows() -> list[dict[str, str]]:
    """Two entries as an organ fills them in: Chinese headers, zh labels, sorted lists."""
    first = {
        "信息资源分类": "部门信息资源", "名称": "建设工程规划许可信息", "英文名称": "Construction planning permits",
        "代码": "301017/000012", "提供方": NRP_NAME, "提供方代码": NRP,
        "摘要": "本市核发的建设工程规划许可证信息。", "格式": "数据库",
        "信息项": "许可证编号|字符型|证书编号\n发证日期|日期型", "共享类型": "有条件共享",
        "共享条件": "仅限履行法定职责使用", "共享方式": "共享平台方式", "共享依据": "《政务信息资源共享管理暂行办法》",
        "开放类型": "无条件开放", "更新周期": "每月", "发布日期": "2024-03-01", "更新日期": "2026-10-30",
        "关联资源代码": "301017/000011", "分级": "非敏感数据（一般数据）", "来源业务": "建设工程规划许可",
        "来源系统": "0012", "使用要求": "注明数据来源", "关键词": "建设;规划;许可", "空间范围": "520100",
        "语种": "http://publications.europa.eu/resource/authority/language/ZHO",
        "联系人": "规划许可科", "联系邮箱": "permits@guiyang.example", "联系电话": "0851-87987000",
    }
    second = {
        "信息资源分类": "主题信息资源", "主题": "城乡建设", "名称": "城市规划区范围", "代码": "201008/000001",
        "提供方": NRP_NAME, "提供方代码": NRP, "摘要": "城市规划区的边界。", "格式": "电子文件",
        "信息项": "范围名称|字符型\n面积|数值型|平方公里", "共享类型": "无条件共享", "开放类型": "不予开放",
        "更新周期": "每年", "发布日期": "2023-01-05", "分级": "非敏感数据（一般数据）", "来源业务": "国土空间规划",
        "使用要求": "不得用于商业目的", "参与编制机关代码": PSB, "时间范围起": "2020-01-01", "时间范围止": "2035-12-31",
    }
    grade = code_lists(SETTINGS)["grade"].concepts[0].zh  # the shipped label, whatever its wording
    for row in (first, second):
        row["分级"] = grade
    return [first, second]


def write_csv(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8",
              headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(h, "") for h in HEADERS])
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]], *, items: list[list[str]] | None = None,
               headers: list[str] = HEADERS) -> Path:
    """An XLSX twin written cell by cell (as a person's spreadsheet program would)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "信息资源"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") or None for h in HEADERS])
    if items is not None:
        extra = workbook.create_sheet("信息项")
        extra.append([c.zh for c in ITEM_COLUMNS])
        for line in items:
            extra.append(line)
    workbook.save(path)
    return path


def graph_of(*paths: Path, **options: object) -> Graph:
    return to_graph(read_sheets(*paths, settings=SETTINGS, **options).entries, settings=SETTINGS)


def assert_same_graph(expected: Graph, actual: Graph) -> None:
    if not isomorphic(expected, actual):
        both, first, second = graph_diff(expected, actual)
        raise AssertionError(
            f"only in expected:\n{first.serialize(format='nt')}\nonly in actual:\n{second.serialize(format='nt')}"
        )


def csv_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def xlsx_cells(path: Path, sheet: str) -> list[list[str]]:
    workbook = openpyxl.load_workbook(path)
    rows = [["" if v is None else v for v in row] for row in workbook[sheet].iter_rows(values_only=True)]
    return [row for row in rows if any(row)]


# -- reading ---------------------------------------------------------------------------------


def test_a_sheet_becomes_entries_with_every_field(tmp_path: Path) -> None:
    result = read_sheets(write_csv(tmp_path / "a.csv", sample_rows()), settings=SETTINGS)
    first, second = result.entries
    assert first.code == "301017/000012" and first.provider == NRP
    assert [i.name for i in first.items] == ["许可证编号", "发证日期"]
    assert first.items[0].description == "证书编号" and first.items[1].description is None
    assert first.related == ("301017/000011",) and first.keywords == ("建设", "规划", "许可")
    assert first.source_system == "0012"  # leading zeros kept: cells are read as text
    assert first.spatial == "520100" and first.contact is not None and first.contact.phone == "0851-87987000"
    assert first.issued == date(2024, 3, 1) and first.modified == date(2026, 10, 30)
    assert second.contributors == (PSB,) and second.temporal is not None
    assert second.temporal.end == date(2035, 12, 31)
    assert result.rows == 2 and result.skipped == ()


def test_gbk_utf8_bom_and_xlsx_twins_import_to_the_same_rdf(tmp_path: Path) -> None:
    rows = sample_rows()
    utf8 = graph_of(write_csv(tmp_path / "utf8.csv", rows))
    assert len(utf8) > 50
    for twin in (
        write_csv(tmp_path / "gbk.csv", rows, encoding="gbk"),
        write_csv(tmp_path / "bom.csv", rows, encoding="utf-8-sig"),
        write_csv(tmp_path / "gb18030.csv", rows, encoding="gb18030"),
        write_xlsx(tmp_path / "twin.xlsx", rows),
    ):
        assert_same_graph(utf8, graph_of(twin))


def test_gbk_bytes_are_not_read_as_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", sample_rows(), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert read_sheets(path, settings=SETTINGS).entries[0].title_zh == "建设工程规划许可信息"


def test_gb18030_only_characters_are_read(tmp_path: Path) -> None:
    rows = sample_rows()[:1]
    rows[0]["名称"] = "𠀀字资源"  # CJK Extension B: not in GBK
    path = write_csv(tmp_path / "gb18030.csv", rows, encoding="gb18030")
    assert read_sheets(path, settings=SETTINGS).entries[0].title_zh == "𠀀字资源"


def test_text_in_no_known_encoding_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(",".join(HEADERS).encode("utf-8") + b"\n\x81\x20\xff\xfe\n")
    with pytest.raises(InputError, match="utf-8-sig, utf-8, gb18030"):
        read_sheets(path, settings=SETTINGS)


def test_english_headers_give_the_same_rdf_as_chinese_headers(tmp_path: Path) -> None:
    rows = sample_rows()
    chinese = graph_of(write_csv(tmp_path / "zh.csv", rows))
    assert_same_graph(chinese, graph_of(write_csv(tmp_path / "en.csv", rows, headers=EN_HEADERS)))
    assert_same_graph(chinese, graph_of(write_xlsx(tmp_path / "en.xlsx", rows, headers=EN_HEADERS)))
    aliases = ["信息资源名称" if h == "名称" else "信息资源代码" if h == "代码" else h for h in HEADERS]
    assert_same_graph(chinese, graph_of(write_csv(tmp_path / "alias.csv", rows, headers=aliases)))


def test_code_list_values_by_zh_label_en_label_or_notation_agree(tmp_path: Path) -> None:
    lists = code_lists(SETTINGS)
    columns = {c.zh: c.scheme for c in COLUMNS if c.scheme and c.scheme != "division"}
    by_zh = sample_rows()
    variants = {"en": [dict(r) for r in by_zh], "notation": [dict(r) for r in by_zh]}
    for kind, rows in variants.items():
        for row in rows:
            for header, scheme in columns.items():
                if row.get(header):
                    concept = lists[scheme].by_iri[lists[scheme].find(row[header])]
                    row[header] = concept.en.upper() if kind == "en" else concept.notation
            types = lists["item_data_type"]
            row["信息项"] = row["信息项"].replace("字符型", types.find("字符型") and "C").replace(
                "日期型", "Date").replace("数值型", "n")
    expected = graph_of(write_csv(tmp_path / "zh.csv", by_zh))
    assert_same_graph(expected, graph_of(write_csv(tmp_path / "en.csv", variants["en"])))
    assert_same_graph(expected, graph_of(write_csv(tmp_path / "notation.csv", variants["notation"])))


def test_a_notation_that_lost_its_leading_zero_in_excel_still_matches(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[1]["主题"] = "8"  # 城乡建设 is "08"; a number cell drops the zero
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    workbook["信息资源"].cell(row=3, column=HEADERS.index("主题") + 1).value = 8
    workbook.save(path)
    assert read_sheets(path, settings=SETTINGS).entries[1].theme == code_lists(SETTINGS)["theme"].value(
        code_lists(SETTINGS)["theme"].find("城乡建设"))


def test_data_items_in_a_second_sheet_equal_data_items_in_a_cell(tmp_path: Path) -> None:
    rows = sample_rows()
    in_cell = graph_of(write_csv(tmp_path / "cell.csv", rows))
    items = [
        ["301017/000012", "许可证编号", "字符型", "证书编号"],
        ["201008/000001", "范围名称", "C", None],
        ["301017/000012", "发证日期", "D", None],
        ["201008/000001", "面积", "数值型", "平方公里"],
    ]
    for row in rows:
        row["信息项"] = ""
    assert_same_graph(in_cell, graph_of(write_xlsx(tmp_path / "sheet.xlsx", rows, items=items)))
    # As two CSV files: the data-items file is known by its headers.
    items_csv = tmp_path / "items.csv"
    with items_csv.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[c.zh for c in ITEM_COLUMNS], *items])
    assert_same_graph(in_cell, graph_of(write_csv(tmp_path / "entries.csv", rows), items_csv))


def test_blanks_around_values_and_empty_rows_are_ignored(tmp_path: Path) -> None:
    rows = sample_rows()
    padded = [{k: f" {v}\u3000" if v and k not in ("信息项",) else v for k, v in r.items()} for r in rows]
    path = tmp_path / "padded.csv"
    write_csv(path, [padded[0], {}, padded[1]])
    assert_same_graph(graph_of(write_csv(tmp_path / "a.csv", rows)), graph_of(path))


# -- bad cells -------------------------------------------------------------------------------


def problems_of(*paths: Path, **options: object) -> list[CellProblem]:
    with pytest.raises(SheetError) as caught:
        read_sheets(*paths, settings=SETTINGS, **options)
    return list(caught.value.problems)


def only(problems: list[CellProblem], header: str) -> CellProblem:
    found = [p for p in problems if p.header == header]
    assert len(found) == 1, problems
    return found[0]


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("分级", "很敏感", "not a value of its code list"),
        ("开放类型", "不予開放", "not a value of its code list"),  # traditional characters: fail closed
        ("发布日期", "2024-13-01", "not a date"),
        ("更新日期", "yesterday", "not a date"),
        ("代码", "ABC-1", "not a resource code"),
        ("关联资源代码", "301017/000011;bad code", "not a resource code"),
        ("提供方代码", "11520100002568468X", "unified social credit code"),
        ("参与编制机关代码", "123", "unified social credit code"),
        ("信息项", "只有名称", "data items are name|data type|description"),
        ("信息项", "名称|不存在的类型", "data items are name|data type|description"),
        ("联系邮箱", "not-an-address", "not an e-mail address"),
        ("语种", "ZHO", "not an http(s) IRI"),
        ("空间范围", "999999", "not a value of its code list"),
        ("名称", "", "required cell is empty"),
        ("提供方代码", "", "required cell is empty"),
        ("使用要求", "", "required cell is empty"),
        ("分级", "", "required cell is empty"),
    ],
)
def test_each_bad_cell_is_located_with_its_value(tmp_path: Path, header: str, value: str, message: str) -> None:
    rows = sample_rows()
    rows[1][header] = value
    problem = only(problems_of(write_csv(tmp_path / "bad.csv", rows)), header)
    assert message in problem.message
    assert (problem.sheet, problem.row, problem.column) == ("bad.csv", 3, openpyxl.utils.get_column_letter(HEADERS.index(header) + 1))
    assert problem.value == value and problem.source.endswith("bad.csv")
    assert problem.provision  # every rule names its clause


def test_an_unknown_code_list_value_lists_the_allowed_values(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0]["共享类型"] = "部分共享"
    problem = only(problems_of(write_csv(tmp_path / "bad.csv", rows)), "共享类型")
    assert [a.split(" ")[0] for a in problem.allowed] == ["无条件共享", "有条件共享", "不予共享"]
    assert "Art. 9 para 2" in problem.provision
    assert "allowed: 无条件共享" in str(problem)


def test_every_problem_of_every_file_comes_in_one_error(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0]["分级"] = "很敏感"
    rows[0]["发布日期"] = "2024/02/30"
    rows[1]["代码"] = rows[0]["代码"]  # duplicate
    rows[1]["名称"] = ""
    other = sample_rows()[:1]
    other[0]["代码"] = "301017/000099"
    other[0]["更新周期"] = "hourly"
    problems = problems_of(write_csv(tmp_path / "a.csv", rows), write_xlsx(tmp_path / "b.xlsx", other))
    located = {(Path(p.source).name, p.row, p.header) for p in problems}
    assert located == {
        ("a.csv", 2, "分级"), ("a.csv", 2, "发布日期"), ("a.csv", 3, "代码"), ("a.csv", 3, "名称"),
        ("b.xlsx", 2, "更新周期"),
    }
    duplicate = only(problems, "代码")
    assert "duplicate resource code" in duplicate.message and "row 2" in duplicate.message


def test_unknown_and_missing_headers_are_reported_with_the_cells(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0]["分级"] = "很敏感"
    headers = ["资源名字" if h == "名称" else h for h in HEADERS]
    problems = problems_of(write_csv(tmp_path / "a.csv", rows, headers=headers))
    unknown = next(p for p in problems if p.message == "unknown header")
    assert (unknown.row, unknown.column, unknown.value) == (1, "D", "资源名字")
    assert "名称" in unknown.allowed
    assert any("required column 名称 (title) is missing" in p.message for p in problems)
    assert any(p.header == "分级" for p in problems)


def test_unknown_headers_fail_even_when_skipping_bad_rows(tmp_path: Path) -> None:
    headers = [*HEADERS[:-1], "备注"]
    problems = problems_of(write_csv(tmp_path / "a.csv", sample_rows(), headers=headers), skip_bad_rows=True)
    assert [p.message for p in problems] == ["unknown header"]


def test_a_data_item_of_an_unknown_entry_is_reported(tmp_path: Path) -> None:
    rows = sample_rows()
    items = [["301017/000012", "许可证编号", "C", None], ["399999/000001", "孤儿", "C", None]]
    rows[0]["信息项"] = ""
    problem = only(problems_of(write_xlsx(tmp_path / "a.xlsx", rows, items=items)), "信息资源代码")
    assert (problem.sheet, problem.row, problem.value) == ("信息项", 3, "399999/000001")
    assert "entry the sheets do not have" in problem.message


def test_data_items_in_both_places_or_nowhere_are_reported(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[1]["信息项"] = ""
    items = [["301017/000012", "许可证编号", "C", None]]
    problems = problems_of(write_xlsx(tmp_path / "a.xlsx", rows, items=items))
    messages = {p.row: p.message for p in problems}
    assert "both in this cell and in the data-items sheet" in messages[2]
    assert "at least one data item" in messages[3]


def test_a_formula_cell_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", sample_rows())
    workbook = openpyxl.load_workbook(path)
    workbook["信息资源"].cell(row=2, column=HEADERS.index("开放类型") + 1).value = '=IF(1=1,"不予开放","无条件开放")'
    workbook.save(path)
    problem = next(p for p in problems_of(path) if "formula" in p.message)
    assert (problem.row, problem.header) == (2, "开放类型")


def test_a_contact_detail_without_a_name_is_reported(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0]["联系人"] = ""
    assert "needs the contact's name" in only(problems_of(write_csv(tmp_path / "a.csv", rows)), "联系人").message


def test_a_value_under_no_header_is_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", sample_rows(), headers=[*HEADERS, ""])
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([*(sample_rows()[0].get(h, "") for h in HEADERS[:5]), *[""] * (len(HEADERS) - 5), "x"])
    assert any(p.message == "a value under no header" for p in problems_of(path))


def test_skip_bad_rows_imports_the_good_rows_and_lists_the_others(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[1]["分级"] = "很敏感"
    result = read_sheets(write_csv(tmp_path / "a.csv", rows), settings=SETTINGS, skip_bad_rows=True)
    assert [e.code for e in result.entries] == ["301017/000012"]
    (skipped,) = result.skipped
    assert (skipped.row, skipped.code) == (3, "201008/000001")
    assert [p.header for p in skipped.problems] == ["分级"]


def test_skipping_leaves_out_an_entry_whose_data_item_rows_are_bad(tmp_path: Path) -> None:
    rows = sample_rows()
    for row in rows:
        row["信息项"] = ""
    items = [["301017/000012", "许可证编号", "C", None], ["201008/000001", "面积", "X?", None],
             ["201008/000001", "范围名称", "C", None]]
    result = read_sheets(write_xlsx(tmp_path / "a.xlsx", rows, items=items), settings=SETTINGS, skip_bad_rows=True)
    assert [e.code for e in result.entries] == ["301017/000012"]
    assert [(s.sheet, s.row, s.code) for s in result.skipped] == [("信息资源", 3, "201008/000001")]
    assert result.skipped[0].problems[0].sheet == "信息项"


# -- the store and the command line ------------------------------------------------------------


def test_import_into_a_store_and_nothing_on_failure(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", sample_rows())
    bad_rows = sample_rows()
    bad_rows[1]["发布日期"] = "soon"
    bad = write_csv(tmp_path / "bad.csv", [{**r, "代码": r["代码"].replace("/0", "/9")} for r in bad_rows])
    with Catalog.open(tmp_path / "store", settings=SETTINGS) as catalog:
        with pytest.raises(SheetError):
            import_sheets(catalog, good, bad)
        assert len(catalog.select("entry_graphs").rows) == 0
        result = import_sheets(catalog, good)
        assert result.summary is not None and sorted(result.summary.added) == ["201008/000001", "301017/000012"]
        assert catalog.entry("301017/000012") == result.entries[0]


def test_cli_import_reports_every_cell_and_writes_nothing(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[0]["分级"] = "很敏感"
    rows[1]["代码"] = "x"
    sheet = write_xlsx(tmp_path / "a.xlsx", rows)
    out = tmp_path / "out.ttl"
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(tmp_path / "store"), "import", str(sheet), "-o", str(out)])
    assert result.exit_code == 2
    assert "a.xlsx [信息资源] row 2, column W (分级)" in result.output
    assert "a.xlsx [信息资源] row 3, column F (代码)" in result.output
    assert not out.exists()
    result = runner.invoke(cli, ["--store", str(tmp_path / "store"), "import", str(sheet)])
    assert result.exit_code == 2
    with Catalog.open(tmp_path / "store", settings=SETTINGS) as catalog:
        assert len(catalog.select("entry_graphs").rows) == 0


def test_cli_import_writes_turtle_or_loads_the_store(tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "a.csv", sample_rows(), encoding="gbk")
    out = tmp_path / "out.ttl"
    runner = CliRunner()
    store = str(tmp_path / "store")
    result = runner.invoke(cli, ["--store", store, "import", str(sheet), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert_same_graph(graph_of(sheet), Graph().parse(out))
    result = runner.invoke(cli, ["--store", store, "import", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output


def test_cli_skip_bad_rows_lists_what_it_skipped(tmp_path: Path) -> None:
    rows = sample_rows()
    rows[1]["更新周期"] = "hourly"
    sheet = write_csv(tmp_path / "a.csv", rows)
    result = CliRunner().invoke(cli, ["--store", "memory", "import", "--skip-bad-rows", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "row 3: entry 201008/000001 skipped" in result.output
    column = openpyxl.utils.get_column_letter(HEADERS.index("更新周期") + 1)
    assert f"column {column} (更新周期): not a value of its code list (zh or en label, or notation): 'hourly'" in result.output
    assert "imported 1 entries" in result.output


def test_cli_import_of_rdf_goes_to_the_dcat_ap_reader(tmp_path: Path) -> None:
    pytest.importorskip("govdata_ld.dcat_ap_import")
    source = tmp_path / "portal.ttl"
    source.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        "<http://portal.example/ds/1> a dcat:Dataset ; dct:title \"示例\"@zh ; dct:identifier \"301017/000077\" .\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.ttl"
    result = CliRunner().invoke(cli, ["--store", "memory", "import", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "not mapped to our model" in result.output and "never defaulted" in result.output
    codes = {str(o) for o in Graph().parse(out).objects(None, URIRef("http://purl.org/dc/terms/identifier"))}
    assert codes == {"301017/000077"}
    store = tmp_path / "store"
    result = CliRunner().invoke(cli, ["--store", str(store), "import", str(source), str(write_csv(tmp_path / "a.csv", sample_rows()))])
    assert result.exit_code == 0, result.output
    assert "imported 2 entries from sheets and 1 DCAT-AP file(s): 3 added" in result.output


def test_cli_template_writes_xlsx_and_csv(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["template", "-o", str(tmp_path / "t.xlsx")]).exit_code == 0
    assert runner.invoke(cli, ["template", "-o", str(tmp_path / "t.csv")]).exit_code == 0
    assert csv_cells(tmp_path / "t.csv") == [HEADERS]
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_sheets(tmp_path / "t.xlsx", settings=SETTINGS).entries == ()


def test_the_xlsx_template_has_instructions_comments_and_drop_down_lists(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx", settings=SETTINGS)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["信息资源", "信息项", "说明", "代码表"]
    assert workbook["代码表"].sheet_state == "hidden"
    entries = workbook["信息资源"]
    assert [c.value for c in entries[1]] == HEADERS
    assert entries["W1"].comment.text.startswith("grade\nrequired")
    lists = {str(v.sqref): v.formula1 for v in entries.data_validations.dataValidation}
    concept_columns = [i for i, c in enumerate(COLUMNS, start=1) if c.scheme]
    assert len(lists) == len(concept_columns)
    share = openpyxl.utils.get_column_letter(HEADERS.index("共享类型") + 1)
    formula = lists[f"{share}2:{share}1048576"]
    sheet, cells = formula.split("!")
    column = cells.split(":")[0].strip("$").rstrip("0123456789").strip("$")
    values = [workbook["代码表"][f"{column}{r}"].value for r in range(2, 5)]
    assert values == ["无条件共享", "有条件共享", "不予共享"]
    readme = [row[0] for row in workbook["说明"].iter_rows(values_only=True) if row and row[0]]
    assert all(c.zh in readme for c in COLUMNS)


# -- round trips and neutralisation ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sheet_to_rdf_to_sheet_gives_the_same_cells(tmp_path: Path, fmt: str) -> None:
    rows = sorted(sample_rows(), key=lambda r: r["代码"])
    source = write_csv(tmp_path / "in.csv", rows)
    with Catalog.open("memory", settings=SETTINGS) as catalog:
        catalog.load(CITY / "organs.ttl")
        import_sheets(catalog, source)
        out = export_catalog(catalog, tmp_path / f"out.{fmt}", fmt)
    if fmt == "csv":
        assert csv_cells(out) == csv_cells(source)
    else:
        assert xlsx_cells(out, "信息资源") == [HEADERS] + [
            [r.get(h, "") if h != "信息项" else "" for h in HEADERS] for r in rows
        ]
        items = xlsx_cells(out, "信息项")[1:]
        assert items[:2] == [["201008/000001", "范围名称", "字符型", ""], ["201008/000001", "面积", "数值型", "平方公里"]]
    assert_same_graph(graph_of(source), graph_of(out))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_example_city_round_trips_and_its_import_validates(tmp_path: Path, city_catalog: Catalog, fmt: str) -> None:
    first = export_catalog(city_catalog, tmp_path / f"city.{fmt}", fmt)
    with Catalog.open("memory", settings=SETTINGS) as catalog:
        catalog.load(city_files()[0])
        result = import_sheets(catalog, first)
        assert len(result.entries) == len(city_catalog.select("entry_graphs").rows) > 50
        report = catalog.validate(as_of=date(2026, 11, 1))
        assert report.conforms, report.text("en")
        second = export_catalog(catalog, tmp_path / f"again.{fmt}", fmt)
    if fmt == "csv":
        assert csv_cells(second) == csv_cells(first)
    else:
        for sheet in ("信息资源", "信息项"):
            assert xlsx_cells(second, sheet) == xlsx_cells(first, sheet)
    original = {e.code: e for e in (city_catalog.entry(c) for c in (r.code for r in result.entries))}
    for entry in result.entries:  # all the template carries comes back; mounted data is not in it
        assert entry == _without_distributions(original[entry.code])


def _without_distributions(entry: Entry) -> Entry:
    from dataclasses import replace

    return replace(entry, distributions=())


def test_formula_cells_are_neutralised_on_export_and_restored_on_import(tmp_path: Path) -> None:
    rows = sample_rows()[:1]
    rows[0].update({"名称": "=HYPERLINK(\"http://evil.example\")", "来源业务": "-2+3", "使用要求": "@SUM(A1)",
                    "联系电话": "+86 851 8798 7000", "共享条件": "'=typed with Excel's text prefix",
                    "开放条件": "'quoted by hand"})
    source = write_csv(tmp_path / "in.csv", rows)
    entry = read_sheets(source, settings=SETTINGS).entries[0]
    assert entry.title_zh == rows[0]["名称"] and entry.use_requirement == "@SUM(A1)"
    assert entry.share_condition == "=typed with Excel's text prefix"  # the value Excel shows
    assert entry.open_condition == "'quoted by hand"  # a quote before ordinary text is the user's
    for fmt in ("csv", "xlsx"):
        out = write_entries([entry], tmp_path / f"out.{fmt}", format=fmt, settings=SETTINGS)
        if fmt == "csv":
            cells = dict(zip(HEADERS, csv_cells(out)[1]))
        else:
            sheet = openpyxl.load_workbook(out)["信息资源"]
            assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
            cells = dict(zip(HEADERS, ["" if c.value is None else c.value for c in sheet[2]]))
        assert cells["名称"] == "'=HYPERLINK(\"http://evil.example\")"
        assert cells["来源业务"] == "'-2+3" and cells["使用要求"] == "'@SUM(A1)"
        assert cells["联系电话"] == "'+86 851 8798 7000" and cells["共享条件"] == "'=typed with Excel's text prefix"
        assert cells["开放条件"] == "''quoted by hand"
        assert read_sheets(out, settings=SETTINGS).entries == (entry,)


@pytest.mark.parametrize("text", ["=1", "+1", "-1", "@a", "\tx", "\rx", "'", "''", "'=", "plain", "a=b", ""])
def test_restore_undoes_neutralise(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert not neutralise(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_is_atomic_and_refuses_unknown_formats(tmp_path: Path, city_catalog: Catalog) -> None:
    target = tmp_path / "city.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(InputError, match="unknown sheet format 'ods'; known: xlsx, csv"):
        export_catalog(city_catalog, target, "ods")
    assert target.read_text(encoding="utf-8") == "old"
    assert export_catalog(city_catalog, target, "csv") == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.csv"]


def test_a_non_spreadsheet_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a spreadsheet"):
        read_sheets(path, settings=SETTINGS)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable workbook"):
        read_sheets(broken, settings=SETTINGS)


# -- the XLSX reader ---------------------------------------------------------------------------


def test_date_cells_numbers_and_row_gaps_in_xlsx_are_read_as_a_person_sees_them(tmp_path: Path) -> None:
    rows = sample_rows()
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["信息资源"]
    sheet.cell(row=2, column=HEADERS.index("发布日期") + 1).value = date(2024, 3, 1)  # a date cell
    sheet.cell(row=3, column=HEADERS.index("关键词") + 1).value = 7  # a number cell
    sheet.move_range("A3:AM3", rows=3)  # the second entry on row 6: rows 3-5 are empty
    sheet.cell(row=6, column=HEADERS.index("分级") + 1).value = "很敏感"
    workbook.save(path)
    problem = only(problems_of(path), "分级")
    assert problem.row == 6
    sheet.cell(row=6, column=HEADERS.index("分级") + 1).value = rows[1]["分级"]
    workbook.save(path)
    first, second = read_sheets(path, settings=SETTINGS).entries
    assert first.issued == date(2024, 3, 1) and second.keywords == ("7",)


def test_a_workbook_part_declaring_a_dtd_is_refused(tmp_path: Path) -> None:
    import zipfile

    source = write_xlsx(tmp_path / "a.xlsx", sample_rows())
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(bomb, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!-- <x --><!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet', 1)
            new.writestr(item, data)
    with pytest.raises(InputError, match="declares a DTD"):
        read_sheets(bomb, settings=SETTINGS)


def test_the_spreadsheets_page_documents_every_column() -> None:
    page = (CITY.parent.parent / "docs" / "spreadsheets.md").read_text("utf-8")
    for column in (*COLUMNS, *ITEM_COLUMNS):
        assert f"| {column.zh}" in page and f"| {column.en} | `{column.field}` |" in page, column.zh
