"""Exports of any list: streamed CSV (with BOM so Excel reads Chinese) and XLSX (write-only).

Headers may be lazy translations: they and every cell are rendered in the reader's language
(the one active when the export was asked for, also while a CSV streams after the view returned).
Datetimes are written in local time to the minute (2026-09-04 08:10), never with microseconds.
"""

import csv
import datetime
from collections.abc import Callable, Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_DATE_FORMAT = "yyyy-mm-dd"


class _Echo:
    def write(self, value):
        return value


def export_response(*, fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    language = translation.get_language()
    header_row = [str(h) for h in headers]  # lazy labels, in the reader's language now
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(header_row)
        for row in rows:
            cells = []
            for value in row:
                value = _cell(value)
                if isinstance(value, datetime.date):
                    cell = WriteOnlyCell(ws, value=value)
                    is_datetime = isinstance(value, datetime.datetime)
                    cell.number_format = XLSX_DATETIME_FORMAT if is_datetime else XLSX_DATE_FORMAT
                    value = cell
                cells.append(value)
            ws.append(cells)
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
        wb.save(response)
        return response
    writer = csv.writer(_Echo())

    def stream():
        with translation.override(language):
            yield "\ufeff" + writer.writerow(header_row)
            for row in rows:
                yield writer.writerow([_text(_cell(v)) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def _cell(value):
    """A value a spreadsheet understands: local naive datetimes to the minute, numbers, text."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str | int | float | datetime.date):
        return value
    if hasattr(value, "as_tuple"):  # Decimal
        return value
    return str(value)  # lazy translations, model instances


def _text(value):
    """How a cell reads in CSV."""
    if isinstance(value, datetime.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    return value


def rows_from(queryset, columns: Sequence[tuple[str, Callable]], chunk_size: int = 2000):
    for obj in queryset.iterator(chunk_size=chunk_size):
        yield [getter(obj) for _label, getter in columns]
