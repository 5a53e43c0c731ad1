"""Exports of any list: streamed CSV (with BOM so Excel reads Chinese) and XLSX (write-only)."""

import csv
from collections.abc import Callable, Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone


class _Echo:
    def write(self, value):
        return value


def export_response(*, fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append([str(h) for h in headers])
        for row in rows:
            ws.append([_cell(v) for v in row])
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
        wb.save(response)
        return response
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff" + writer.writerow([str(h) for h in headers])
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str | int | float):
        return value
    if hasattr(value, "as_tuple"):  # Decimal
        return value
    if hasattr(value, "isoformat"):
        return value
    return str(value)


def rows_from(queryset, columns: Sequence[tuple[str, Callable]], chunk_size: int = 2000):
    for obj in queryset.iterator(chunk_size=chunk_size):
        yield [getter(obj) for _label, getter in columns]
