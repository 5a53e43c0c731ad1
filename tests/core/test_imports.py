"""core.imports: reading files (encodings, XLSX, line numbers), header mapping, cell parsing."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from core.imports import Column, Importer, ImportFileError, parse_rows, read_table

COLUMNS = [
    Column("number", gettext_lazy("Account no.")),
    Column("name", "Name", required=True),
    Column("status", "Status", kind="choice", choices=[("active", "Active"), ("prospect", "Prospect")]),
    Column("amount", "Amount", kind="decimal"),
    Column("on", "Date", kind="date"),
    Column("primary", "Primary", kind="bool"),
]


class Plain(Importer):
    key = "tests.plain"
    columns = COLUMNS


def table(content: bytes, name="f.csv"):
    t = read_table(content, name, Plain())
    parse_rows(t)
    return t


def test_utf8_with_bom_and_gbk_and_gb18030_are_read():
    text = "Name,Status\n华信科技,Active\n"
    for encoded in (text.encode("utf-8-sig"), text.encode("gbk"), text.encode("gb18030"), text.encode("utf-8")):
        rows = table(encoded).rows
        assert rows[0].values == {"name": "华信科技", "status": "active"}


def test_utf16_tab_separated_unicode_text_is_read():
    rows = table("Name\tStatus\r\n华信\tProspect\r\n".encode("utf-16")).rows
    assert rows[0].values == {"name": "华信", "status": "prospect"}


def test_line_numbers_are_the_files_own_lines_even_after_blank_lines_and_multiline_cells():
    content = b'Name,Status\n"A\nsecond line",Active\n\nB,Nope\n'
    rows = table(content).rows
    assert [r.line for r in rows] == [2, 5]
    assert rows[0].values["name"] == "A\nsecond line"
    error = rows[1].errors[0]
    assert (error.line, error.column, error.value) == (5, "Status", "Nope")
    assert "Active, Prospect" in error.message


def test_every_error_of_a_row_is_reported():
    rows = table(b"Name,Amount,Date,Primary\nX,12x,2026-13-01,maybe\n").rows
    assert [e.column for e in rows[0].errors] == ["Amount", "Date", "Primary"]


def test_headers_match_by_code_and_by_label_in_chinese():
    with translation.override("zh-hans"):
        label = str(translation.gettext("Account no."))
    assert label != "Account no."
    content = f"{label},name,状态-unknown\nKA1,X,whatever\n".encode()
    t = read_table(content, "f.csv", Plain())
    assert [c.key for c in t.columns] == ["number", "name"]
    assert t.ignored_headers == ["状态-unknown"]


def test_a_missing_required_column_names_it():
    with pytest.raises(ImportFileError, match="Line 1: the column “Name” is missing"):
        read_table(b"Status\nActive\n", "f.csv", Plain())


def test_empty_and_unreadable_files_are_refused_clearly():
    with pytest.raises(ImportFileError, match="empty"):
        read_table(b"", "f.csv", Plain())
    with pytest.raises(ImportFileError, match="no data rows"):
        read_table(b"Name\n", "f.csv", Plain())
    with pytest.raises(ImportFileError, match="not a readable Excel"):
        read_table(b"PK\x03\x04garbage", "f.xlsx", Plain())
    with pytest.raises(ImportFileError, match=".xls"):
        read_table(b"\xd0\xcf\x11\xe0", "old.xls", Plain())


def test_xlsx_cells_keep_their_types_and_row_numbers():
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Amount", "Date", "Primary", "Status"])
    sheet.append(["A", 1234.5, datetime.datetime(2026, 9, 4), "是", "active"])
    sheet.append([None, None, None, None, None])
    sheet.append(["B", "1,000.00", "2026/09/05", "否", "Prospect"])
    out = io.BytesIO()
    book.save(out)
    rows = table(out.getvalue(), "f.xlsx").rows
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].values == {
        "name": "A",
        "amount": Decimal("1234.5"),
        "on": datetime.date(2026, 9, 4),
        "primary": True,
        "status": "active",
    }
    assert rows[1].values["amount"] == Decimal("1000.00") and rows[1].values["primary"] is False
