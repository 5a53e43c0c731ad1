"""Imports of any model from CSV or XLSX: the generic part (apps declare the specifics).

An app registers an `Importer` (its columns and two methods: `check` the rows, `write` the
good ones through its services). This module reads the file (UTF-8 with or without BOM,
GBK/GB18030 as Chinese Excel saves CSV, UTF-16 "Unicode text", XLSX), maps its header row to
the importer's columns (by code or by the label in English or Chinese), parses each cell
(choices by code or label, dates, money, yes/no) and reports every error of every row with
the file's own line number, the column, the value and a message in the user's language.

The job around it (upload, dry run, confirm, background run, progress) is `core.models.ImportJob`
with `core.services.import_job_*` and the task `core.tasks.run_import_job`.
"""

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_STORED_ERRORS = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, header row)."""


@dataclass(frozen=True)
class Column:
    key: str  # the model field (or the importer's own name)
    label: object  # lazy translation: the header of the template
    required: bool = False  # required for a new record
    choices: Sequence[tuple[str, object]] | None = None  # (code, lazy label)
    kind: str = "text"  # text, int, decimal, date, datetime, bool, choice
    help: object = ""  # lazy translation shown on the import page and in the template
    aliases: Sequence[str] = ()  # other header names accepted (e.g. the old admin's field names)

    def allowed_values(self) -> list[str]:
        return [str(label) for _code, label in self.choices or ()]


@dataclass
class RowError:
    line: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Row:
    """One data row of the file: its line number there and its raw cells by column key."""

    line: int
    raw: dict
    values: dict = field(default_factory=dict)  # parsed, for the columns present and not blank
    errors: list = field(default_factory=list)
    plan: object = None  # what the importer's check built for this row (written if confirmed)

    def add_error(self, column: "Column | None", message, value=None) -> None:
        label = str(column.label) if column is not None else ""
        if value is None and column is not None:
            value = self.raw.get(column.key, "")
        self.errors.append(RowError(self.line, label, _display(value), str(message)))


@dataclass
class Table:
    columns: list  # the importer's columns present in the file, in file order
    rows: list
    ignored_headers: list  # headers of the file that are not imported


class Importer:
    """Subclass per model and register with `register_importer`. `check` and `write` get the
    whole list of rows (set-based: look up what they refer to in a few queries, not per row)."""

    key: str = ""  # "app_label.model"
    label = ""  # lazy: "Accounts"
    columns: Sequence[Column] = ()
    read_only: dict = {}  # header key -> lazy reason; such columns are accepted and ignored
    help = ""  # lazy: what a row does (new / update rule)
    done_url_name = ""  # where the result page links to

    def required_perms(self) -> list[str]:
        app_label, model = self.key.split(".")
        return [f"{app_label}.add_{model}", f"{app_label}.change_{model}"]

    def can_import(self, user) -> bool:
        """The model's add AND change permissions (the role groups hold them, users/roles.py)."""
        return bool(user and user.is_active) and user.has_perms(self.required_perms())

    def check(self, *, actor, rows: list[Row], present: set[str]) -> dict:
        """Validate every row (add errors to the rows); answer counts, e.g. {"new": 3, "update": 1}."""
        raise NotImplementedError

    def write(self, *, actor, rows: list[Row], present: set[str]) -> dict:
        """Write the rows (all valid) through the app's services, in the caller's transaction."""
        raise NotImplementedError


_IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    _IMPORTERS[importer.key] = importer


def get_importer(key: str) -> Importer | None:
    return _IMPORTERS.get(key)


def importers_for(user) -> list[Importer]:
    return [imp for imp in _IMPORTERS.values() if imp.can_import(user)]


# --- reading the file ---------------------------------------------------------------------------


def read_table(content: bytes, filename: str, importer: Importer) -> Table:
    """The file's rows mapped to the importer's columns, each with its line number in the file."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)})
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        lines = _xlsx_lines(content)
    elif filename.lower().endswith(".xls"):
        raise ImportFileError(_("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."))
    else:
        lines = _csv_lines(content)
    try:
        header_line, header = next(lines)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    columns, ignored, positions = _map_header(header, importer)
    missing = [c for c in importer.columns if c.required and c.key not in {col.key for col in columns}]
    if missing:
        raise ImportFileError(
            _("Line %(line)s: the column %(columns)s is missing.")
            % {"line": header_line, "columns": ", ".join(f"“{c.label}”" for c in missing)}
        )
    rows = []
    for line, cells in lines:
        if not any(_is_filled(c) for c in cells):
            continue  # blank lines are skipped (their numbers still count)
        raw = {col.key: (cells[pos] if pos < len(cells) else None) for col, pos in zip(columns, positions, strict=True)}
        rows.append(Row(line=line, raw=raw))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(_("The file has more than %(n)s rows: split it.") % {"n": f"{MAX_ROWS:,}"})
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return Table(columns=columns, rows=rows, ignored_headers=ignored)


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file's characters cannot be read: save it as CSV UTF-8, CSV (GBK) or Excel (.xlsx).")
        ) from None


def _csv_lines(content: bytes):
    text = decode(content)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1  # a quoted cell may span lines: the next row starts after it
    except csv.Error as exc:
        message = _("Line %(line)s: the file is not valid CSV (%(error)s).") % {"line": start, "error": exc}
        raise ImportFileError(message) from None


def _xlsx_lines(content: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # zipfile / XML errors: not a workbook
        raise ImportFileError(_("The file is not a readable Excel workbook (.xlsx).")) from exc
    sheet = book.worksheets[0]
    for index, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield index, list(cells)
    book.close()


def _norm(text) -> str:
    return re.sub(r"[\s*＊]+", " ", str(text or "")).strip().casefold()


def _names(*texts) -> set[str]:
    return {_norm(t) for t in texts if t}


def _labels_everywhere(label) -> set[str]:
    """A lazy label in every language we speak (a Chinese user's file has Chinese headers)."""
    from django.conf import settings

    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(_norm(label))
    return names


def _map_header(header: list, importer: Importer):
    by_name = {}
    for column in importer.columns:
        for name in _labels_everywhere(column.label) | _names(column.key, *column.aliases):
            by_name.setdefault(name, column)
    read_only = set()
    for key, _reason in importer.read_only.items():
        read_only |= _names(key)
    columns, positions, ignored, seen = [], [], [], set()
    for pos, cell in enumerate(header):
        name = _norm(cell)
        if not name:
            continue
        column = by_name.get(name)
        if column is None or column.key in seen:
            ignored.append(str(cell).strip())
            continue
        seen.add(column.key)
        columns.append(column)
        positions.append(pos)
    return columns, ignored, positions


def _is_filled(value) -> bool:
    return value is not None and str(value).strip() != ""


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


# --- parsing cells ------------------------------------------------------------------------------

TRUE = {"1", "true", "yes", "y", "x", "✓", "是", "真", "对"}
FALSE = {"0", "false", "no", "n", "否", "假", "不"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_rows(table: Table) -> None:
    """Parse every present cell of every row into `row.values`; errors go on the row."""
    choice_maps = {c.key: _choice_map(c) for c in table.columns if c.kind == "choice"}
    for row in table.rows:
        for column in table.columns:
            raw = row.raw.get(column.key)
            if not _is_filled(raw):
                continue
            try:
                row.values[column.key] = parse_cell(column, raw, choice_maps.get(column.key))
            except ValidationError as exc:
                for message in exc.messages:
                    row.add_error(column, message)


def _choice_map(column: Column) -> dict:
    mapping = {}
    for code, label in column.choices or ():
        for name in _labels_everywhere(label) | _names(code):
            mapping.setdefault(name, code)
    return mapping


def parse_cell(column: Column, raw, choice_map=None):
    kind = column.kind
    if kind == "choice":
        code = (choice_map or _choice_map(column)).get(_norm(_display(raw)))
        if code is None:
            raise ValidationError(
                _("Not one of the allowed values: %(values)s.") % {"values": ", ".join(column.allowed_values())}
            )
        return code
    if kind == "int":
        text = _display(raw).replace(",", "")
        if not re.fullmatch(r"-?\d+", text):
            raise ValidationError(_("Enter a whole number."))
        return int(text)
    if kind == "decimal":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = repr(raw)
        text = re.sub(r"[\s,¥￥]", "", str(raw)).removeprefix("CNY")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Enter a number, e.g. 1234.50.")) from None
        if not value.is_finite():
            raise ValidationError(_("Enter a number, e.g. 1234.50."))
        return value
    if kind == "bool":
        text = _norm(raw)
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ValidationError(_("Enter yes or no (是 / 否)."))
    if kind == "date":
        if isinstance(raw, datetime.datetime):
            return raw.date()
        if isinstance(raw, datetime.date):
            return raw
        return _parse_formats(str(raw).strip(), DATE_FORMATS, lambda d: d.date(), _("Enter a date as 2026-09-04."))
    if kind == "datetime":
        if isinstance(raw, datetime.datetime):
            value = raw
        elif isinstance(raw, datetime.date):
            value = datetime.datetime.combine(raw, datetime.time(12))
        else:
            text = str(raw).strip()
            value = _parse_formats(
                text, DATETIME_FORMATS + DATE_FORMATS, lambda d: d, _("Enter a date and time as 2026-09-04 14:30.")
            )
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    return _display(raw)


def _parse_formats(text: str, formats: Iterable[str], convert: Callable, message):
    for fmt in formats:
        try:
            return convert(datetime.datetime.strptime(text, fmt))
        except ValueError:
            continue
    raise ValidationError(message)


def field_errors_to_row(row: Row, error: ValidationError, columns_by_key: dict) -> None:
    """A model's ValidationError as row errors, each under the column of its field."""
    if hasattr(error, "error_dict"):
        for field_name, errors in error.message_dict.items():
            column = columns_by_key.get(field_name)
            for message in errors:
                row.add_error(column, message, value=None if column else "")
    else:
        for message in error.messages:
            row.add_error(None, message, value="")


# --- the template file --------------------------------------------------------------------------


def template_headers(importer: Importer) -> list[str]:
    return [str(c.label) for c in importer.columns]


def template_help_rows(importer: Importer) -> list[list[str]]:
    yes, no = _("required for a new record"), ""
    return [
        [str(c.label), yes if c.required else no, ", ".join(c.allowed_values()), str(c.help)] for c in importer.columns
    ]


HELP_HEADERS = [
    gettext_lazy("Column"),
    gettext_lazy("Required"),
    gettext_lazy("Allowed values"),
    gettext_lazy("Notes"),
]


# --- exporting in the importer's columns (a file that can be imported again) --------------------


def export_value(obj, column: Column):
    """A record's value under an import column: choice labels, yes/no, a reference's number or
    user name (what the importer reads back)."""
    if column.kind == "choice":
        return getattr(obj, f"get_{column.key}_display")()
    value = getattr(obj, column.key, None)
    if column.kind == "bool":
        return _("yes") if value else _("no")
    if hasattr(value, "_meta"):  # a reference: its number (accounts) or user name (users)
        return getattr(value, "number", None) or getattr(value, "username", None) or str(value)
    return value


def export_rows(importer: Importer, objects: Iterable):
    for obj in objects:
        yield [export_value(obj, column) for column in importer.columns]
