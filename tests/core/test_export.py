"""core.export: the one export module (CSV and XLSX) — hostile cells, finished-looking sheets."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.export import csv_lines, export_response, neutralise, sheet_title, write_xlsx

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _xlsx(headers, rows, sheet="Accounts"):
    out = io.BytesIO()
    write_xlsx(out, headers=headers, rows=rows, sheet=sheet)
    out.seek(0)
    return load_workbook(out)


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_prefixes_every_formula_start_with_an_apostrophe(value):
    """A text starting with = + - @ tab or CR would run in Excel: CSV writes it with a leading '."""
    body = "".join(csv_lines(["Name"], [[value]]))
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1] == ["'" + value]


def test_csv_leaves_harmless_text_and_numbers_alone():
    body = "".join(csv_lines(["Name", "Amount", "Phone"], [["华信科技", Decimal("-12.50"), "010-1234"]]))
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1] == ["华信科技", "-12.50", "010-1234"]
    assert neutralise(-5) == -5


def test_xlsx_writes_hostile_text_as_strings_never_formulas():
    """XLSX text cells are strings: a name like =HYPERLINK(...) is not a live formula."""
    book = _xlsx(["Name"], [[v] for v in HOSTILE] + [["#N/A"]])
    sheet = book.active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # (XML reads a carriage return back as a line feed)
    assert [c.value.replace("\n", "\r") for c in cells] == [*HOSTILE, "#N/A"]
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells[: len(HOSTILE)])


def test_xlsx_looks_finished_named_sheet_frozen_filtered_widths_and_formats():
    book = _xlsx(
        ["Account no.", "Name", "12-month revenue", "Last contact", "Since"],
        [
            ["KA00000001", "中国招商银行深圳分行", Decimal("1234567.50"), datetime.datetime(2026, 9, 4, 8, 10), None],
            ["KA00000002", "B", Decimal("0"), None, datetime.date(2026, 1, 2)],
        ],
        sheet="Accounts: all/[x]",
    )
    sheet = book.active
    assert sheet.title == "Accounts  all  x"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E3"
    assert sheet["A1"].font.b
    assert sheet["C2"].number_format == "#,##0.00" and sheet["C2"].value == Decimal("1234567.5")
    assert sheet["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["E3"].number_format == "yyyy-mm-dd"
    # the Chinese name counts two widths per character; short columns get a small width
    assert sheet.column_dimensions["B"].width >= 20 > sheet.column_dimensions["A"].width >= 10


def test_sheet_titles_are_valid():
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("?") == "Sheet"


def test_export_response_streams_csv_with_bom(rf):
    response = export_response(fmt="csv", filename="t", headers=["A"], rows=[["=1+1"]])
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "'=1+1" in body
    assert 'filename="t-' in response["Content-Disposition"]
