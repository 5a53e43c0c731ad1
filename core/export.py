"""Exports of any list: streamed CSV (with BOM so Excel reads Chinese) and XLSX (write-only).

The one export module: pages, admin actions and import templates all write files here.

Headers may be lazy translations: they and every cell are rendered in the reader's language
(the one active when the export was asked for, also while a CSV streams after the view returned).
Datetimes are written in local time to the minute (2026-09-04 08:10), never with microseconds.

Hostile cells: a text that starts with = + - @, a tab or a carriage return would run as a
formula in a spreadsheet (formula injection). In CSV such a cell is prefixed with an apostrophe;
in XLSX every text cell is stored as a string (never a formula), and those cells carry Excel's
"quote prefix" so that editing them keeps them text.

An XLSX file looks finished: a named sheet, the header row frozen and filtered, column widths
from the content, money as #,##0.00 and dates as yyyy-mm-dd (hh:mm).
"""

import csv
import datetime
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_MONEY_FORMAT = "#,##0.00"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WIDTH_SAMPLE_ROWS = 200  # column widths are measured on the header and the first rows
MIN_WIDTH, MAX_WIDTH = 6, 60
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Echo:
    def write(self, value):
        return value


def is_hostile(value) -> bool:
    """Whether a text cell would be read as a formula by a spreadsheet."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value):
    """The CSV form of a cell: a text that would run as a formula gets a leading apostrophe."""
    if is_hostile(value):
        return "'" + value
    return value


def export_response(
    *,
    fmt: str,
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    sheet: str | None = None,
) -> HttpResponse:
    """A download of `rows` under `headers` as CSV or XLSX (`fmt`), named `filename-<stamp>`."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
        write_xlsx(response, headers=headers, rows=rows, sheet=sheet or filename)
        return response
    language = translation.get_language()
    header_row = [str(h) for h in headers]  # lazy labels, in the reader's language now

    def stream():
        with translation.override(language):
            yield from csv_lines(header_row, rows)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence]):
    """The lines of a CSV file (the first with Excel's UTF-8 BOM), hostile cells neutralised."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(str(h)) for h in headers])
    for row in rows:
        yield writer.writerow([neutralise(_text(_cell(v))) for v in row])


def write_xlsx(out, *, headers: Sequence[str], rows: Iterable[Sequence], sheet: str = "Sheet") -> None:
    """Write one finished-looking sheet to the file-like `out` (write-only: rows stream)."""
    write_xlsx_sheets(out, [(sheet, headers, rows)])


def write_xlsx_sheets(out, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> None:
    """Several sheets (title, headers, rows) in one workbook, each looking finished."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        _write_sheet(wb, title=title, headers=headers, rows=rows)
    wb.save(out)


def _write_sheet(wb, *, title, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    header_row = [str(h) for h in headers]
    rows = iter(rows)
    sample = [[_cell(v) for v in row] for row in itertools.islice(rows, WIDTH_SAMPLE_ROWS)]

    ws = wb.create_sheet(title=sheet_title(title))
    ws.freeze_panes = "A2"
    for index, header in enumerate(header_row):
        width = max([_width(header)] + [_width(_text(row[index])) for row in sample if index < len(row)])
        ws.column_dimensions[get_column_letter(index + 1)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)

    bold = Font(bold=True)
    cells = []
    for header in header_row:
        cell = _text_cell(ws, header, WriteOnlyCell)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    count = 0
    for row in itertools.chain(sample, ([_cell(v) for v in row] for row in rows)):
        ws.append([_xlsx_value(ws, value, WriteOnlyCell) for value in row])
        count += 1
    if header_row:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header_row))}{count + 1}"


def sheet_title(title) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    title = _SHEET_TITLE_FORBIDDEN.sub(" ", str(title)).strip() or "Sheet"
    return title[:31]


def _text_cell(ws, value: str, cell_class):
    cell = cell_class(ws, value=None)
    cell.value = value
    cell.data_type = "s"  # text, never a formula or an error code
    if is_hostile(value):
        cell.quotePrefix = True
    return cell


def _xlsx_value(ws, value, cell_class):
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS) or value.startswith("#"):
            return _text_cell(ws, value, cell_class)
        return value  # openpyxl stores any other text as a string
    if isinstance(value, datetime.date):
        cell = cell_class(ws, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT if isinstance(value, datetime.datetime) else XLSX_DATE_FORMAT
        return cell
    if isinstance(value, Decimal):
        cell = cell_class(ws, value=value)
        cell.number_format = XLSX_MONEY_FORMAT
        return cell
    return value


def _width(text) -> int:
    """How many character widths a text takes in a spreadsheet (Chinese characters take two)."""
    if text is None:
        return 0
    text = str(text)
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in longest)


def _cell(value):
    """A value a spreadsheet understands: local naive datetimes to the minute, numbers, text."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str | int | float | datetime.date | Decimal):
        return value
    return str(value)  # lazy translations, model instances


def _text(value):
    """How a cell reads in CSV."""
    if isinstance(value, datetime.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    return value


def columns_export(*, fmt: str, filename: str, columns: Sequence[tuple[str, Callable]], objects, sheet=None):
    """A list's download: `objects` (a queryset, streamed in chunks, or any iterable) with one
    column per (label, getter) of `columns`, as XLSX when `fmt` is "xlsx" and CSV otherwise."""
    return export_response(
        fmt="xlsx" if fmt == "xlsx" else "csv",
        filename=filename,
        sheet=sheet,
        headers=[label for label, _getter in columns],
        rows=rows_from(objects, columns),
    )


def rows_from(objects, columns: Sequence[tuple[str, Callable]], chunk_size: int = 2000):
    """One row of values per object: a queryset is streamed in chunks, any other iterable as it comes."""
    source = objects.iterator(chunk_size=chunk_size) if hasattr(objects, "iterator") else objects
    for obj in source:
        yield [getter(obj) for _label, getter in columns]
