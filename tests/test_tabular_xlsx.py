"""The XLSX reader's two paths (issue 5, performance): a plain sheet is read by regular
expressions after an expat pass, anything else by the pull parser, and both give the same rows
for the same part. Workbooks here are written by hand (a few parts in a zip), one point each.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from govdata_ld import Settings, read_sheets, tabular_xlsx
from govdata_ld.errors import InputError
from govdata_ld.tabular import write_template

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
STYLES = (  # cell format 1 shows a date (built-in number format 14)
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><cellXfs count="2">'
    '<xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
)
STRINGS = (
    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="3" uniqueCount="3">'
    '<si><t>信息资源分类</t></si><si><t xml:space="preserve"> a &amp; b </t></si><si><t>x&#13;y&#x4E2D;</t></si></sst>'
)
RICH_STRINGS = (
    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="3" uniqueCount="3">'
    '<si><t>信息资源分类</t></si><si><r><rPr><b/></rPr><t xml:space="preserve"> a &amp;</t></r><r><t> b </t></r>'
    '<rPh sb="0" eb="1"><t>ふりがな</t></rPh></si><si><t>x&#13;y&#x4E2D;</t></si></sst>'
)
PLAIN_ROWS = (
    '<row r="1" spans="1:4" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>45292</v></c>'
    '<c r="D1" t="inlineStr"><is><t>行&#10;一 &lt;二&gt;\r\n三</t></is></c></row>'
    "<row r='3'><c r=\"A3\" t=\"s\"><v>1</v></c><c r=\"B3\"><v>1.5</v></c><c r=\"C3\" t=\"b\"><v>1</v></c>"
    '<c r="E3" t="e"><v>#N/A</v></c><c r="F3" t="str"><v>text &amp; more</v></c><c r="G3" t="d"><v>2024-03-01T00:00:00</v></c>'
    '<c r="H3" t="s"><v>2</v></c><c r="I3" s="1"/><c r="J3" t="inlineStr" /><c r="K3" t="inlineStr"><is><t></t></is></c></row>'
    '<row r="4"/><row r="5"><c r="A5"><v>42</v></c></row>'
)


def sheet(rows: str, *, root: str = f'<worksheet xmlns="{MAIN}" xmlns:x14ac="urn:x14ac">', close: str = "</worksheet>",
          before: str = "", after: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}{before}<sheetData>{rows}</sheetData>{after}{close}'


def workbook(tmp_path: Path, body: str, *, strings: str = STRINGS, name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", RELS)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/sharedStrings.xml", strings)
        archive.writestr("xl/worksheets/sheet1.xml", body)
    return path


def both_paths(path: Path) -> tuple[bool, list[tuple[int, list[object]]], list[tuple[int, list[object]]]]:
    """(whether the plain path takes the part, rows as read, rows by the pull parser alone)."""
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        plain = tabular_xlsx._plain_cells(archive, path, part)
        strings = tabular_xlsx._shared_strings(archive, path)
        dates, epoch = tabular_xlsx._date_styles(archive, path), tabular_xlsx._epoch(archive, path)
        slow = list(tabular_xlsx._rows(archive, path, part, strings, dates, epoch))
    return plain, list(tabular_xlsx.rows(path, part)), slow


def test_a_plain_sheet_is_read_by_expressions_with_the_values_the_parser_gives(tmp_path: Path) -> None:
    plain, read, slow = both_paths(workbook(tmp_path, sheet(PLAIN_ROWS)))
    assert plain
    assert read == slow
    assert read[0] == (1, ["信息资源分类", date(2024, 1, 1), None, "行\n一 <二>\n三"])
    assert read[1][1][:8] == [" a & b ", 1.5, True, None, "#N/A", "text & more", "2024-03-01", "x\ryy中".replace("yy", "y")]
    assert read[2:] == [(4, []), (5, [42])]


@pytest.mark.parametrize("case", [
    "formula", "rich text", "prefixed main namespace", "comment hiding a row", "cdata", "other attribute order",
    "rows without numbers", "greater-than in an attribute",
])
def test_any_other_part_is_read_by_the_parser_with_the_same_values(tmp_path: Path, case: str) -> None:
    strings = STRINGS
    if case == "formula":
        body = sheet(PLAIN_ROWS.replace('<c r="A5"><v>42</v></c>', '<c r="A5"><f>SUM(1,41)</f><v>42</v></c>'))
    elif case == "rich text":
        body, strings = sheet(PLAIN_ROWS), RICH_STRINGS
    elif case == "prefixed main namespace":
        rows = PLAIN_ROWS.replace("<row", "<x:row").replace("</row>", "</x:row>").replace("<c ", "<x:c ").replace("</c>", "</x:c>")
        rows = rows.replace("<v>", "<x:v>").replace("</v>", "</x:v>").replace("<is>", "<x:is>").replace("</is>", "</x:is>")
        rows = rows.replace("<t>", "<x:t>").replace("</t>", "</x:t>").replace("<row r='3'>", "<x:row r='3'>")
        body = sheet(rows, root=f'<x:worksheet xmlns:x="{MAIN}" xmlns:x14ac="urn:x14ac">', close="</x:worksheet>")
        body = body.replace("<sheetData>", "<x:sheetData>").replace("</sheetData>", "</x:sheetData>")
    elif case == "comment hiding a row":
        body = sheet(PLAIN_ROWS.replace('<row r="4"/>', '<!-- <row r="4"><c r="A4"><v>7</v></c></row> --><row r="4"/>'))
    elif case == "cdata":
        body = sheet(PLAIN_ROWS.replace("<v>text &amp; more</v>", "<v><![CDATA[text & more]]></v>"))
    elif case == "other attribute order":
        body = sheet(PLAIN_ROWS.replace('<c r="B3"><v>1.5</v></c>', '<c s="0" r="B3"><v>1.5</v></c>'))
    elif case == "greater-than in an attribute":
        body = sheet(PLAIN_ROWS.replace('<row r="4"/>', '<row r="4" ht="a>b"/>'))
    else:
        body = sheet(PLAIN_ROWS.replace(' r="4"', "").replace(' r="A5"', "").replace(' r="5"', ""))
    path = workbook(tmp_path, body, strings=strings)
    plain, read, slow = both_paths(path)
    assert plain == (case == "rich text")  # there the cells are plain and the shared strings are not
    with zipfile.ZipFile(path) as archive:
        assert tabular_xlsx._plain_part(archive, path, "xl/sharedStrings.xml", tabular_xlsx._PLAIN_STRING_B,
                                        (b"<si>", b"<si "), b"</si>") == (case != "rich text")
    assert read == slow
    assert read[0][1][0] == "信息资源分类"


def test_a_malformed_plain_sheet_is_refused_before_any_row(tmp_path: Path) -> None:
    path = workbook(tmp_path, sheet(PLAIN_ROWS + '<row r="6"><c r="A6"><v>1</v></row>'))
    with pytest.raises(InputError, match="not a readable workbook"):
        list(tabular_xlsx.rows(path, "xl/worksheets/sheet1.xml"))
    undefined = workbook(tmp_path, sheet(PLAIN_ROWS.replace("&amp; more", "&nbsp; more")), name="entity.xlsx")
    with pytest.raises(InputError, match="not a readable workbook"):
        list(tabular_xlsx.rows(undefined, "xl/worksheets/sheet1.xml"))


def test_a_cell_beyond_column_xfd_is_refused_on_the_plain_path(tmp_path: Path) -> None:
    path = workbook(tmp_path, sheet('<row r="1"><c r="XFE1"><v>1</v></c></row>'))
    with pytest.raises(InputError, match="beyond column XFD"):
        list(tabular_xlsx.rows(path, "xl/worksheets/sheet1.xml"))


def test_the_template_openpyxl_writes_takes_the_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_template(tmp_path / "template.xlsx", settings=Settings())

    def refused(*args: object) -> None:
        raise AssertionError("the pull parser read a plain sheet")

    monkeypatch.setattr(tabular_xlsx, "_rows", refused)
    assert read_sheets(path, settings=Settings()).entries == ()
