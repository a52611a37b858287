"""What a workbook's layout does to an import (issue 7, part 7): the stated policies of
docs/spreadsheets.md for merged cells, hidden rows, a declared dimension that lies and codes with
leading zeros, each shown on a sheet the test writes itself.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl

from govdata_ld import read_sheets

from .test_tabular import HEADERS, SETTINGS, only, problems_of, sample_rows, write_xlsx


def test_a_merged_cell_gives_its_value_to_its_first_cell_only(tmp_path: Path) -> None:
    """Two entries share one merged 更新周期 cell: the second row reads it as empty and is refused
    (located), never silently given the first row's value."""
    path = write_xlsx(tmp_path / "merged.xlsx", sample_rows())
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["信息资源"]
    column = HEADERS.index("更新周期") + 1
    letter = openpyxl.utils.get_column_letter(column)
    sheet.merge_cells(f"{letter}2:{letter}3")
    workbook.save(path)
    problem = only(problems_of(path), "更新周期")
    assert (problem.row, problem.column) == (3, letter)


def test_hidden_rows_are_read_like_visible_ones(tmp_path: Path) -> None:
    """A hidden row is still part of what the organ submits: it is read (and checked), not
    dropped; the import result lists it like any other row."""
    path = write_xlsx(tmp_path / "hidden.xlsx", sample_rows())
    workbook = openpyxl.load_workbook(path)
    workbook["信息资源"].row_dimensions[3].hidden = True
    workbook.save(path)
    entries = read_sheets(path, settings=SETTINGS).entries
    assert [e.code for e in entries] == ["301017/000012", "201008/000001"]


def test_a_declared_dimension_that_lies_does_not_hide_rows(tmp_path: Path) -> None:
    """The sheet says it spans A1:B2; every row is read anyway."""
    path = write_xlsx(tmp_path / "dimension.xlsx", sample_rows())
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(lying, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:B2"/>', data)
                assert count == 1
            new.writestr(item, data)
    entries = read_sheets(lying, settings=SETTINGS).entries
    assert len(entries) == 2


def test_codes_keep_their_leading_zeros(tmp_path: Path) -> None:
    """Text cells keep their zeros: a source-system code 0012 and a resource code 000012."""
    rows = sample_rows()
    rows[0]["来源系统"] = "0012"
    path = write_xlsx(tmp_path / "zeros.xlsx", rows)
    first = read_sheets(path, settings=SETTINGS).entries[0]
    assert (first.source_system, first.code) == ("0012", "301017/000012")
