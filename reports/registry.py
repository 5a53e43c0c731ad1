"""What a report is: a name, a title, the filters it takes and a `build` that returns tables and a
chart. The report page, its CSV/XLSX export and `/api/reports/<name>/` all render the same
`ReportResult`, so the figures on the page, in the file and in the JSON cannot differ.

Reports register in `reports.definitions` (called from `ReportsConfig.ready`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from core.registry import Registry

# the kinds of cell a column holds: how the page formats it and how the XLSX stores it
TEXT, INT, MONEY, PERCENT, DATE, DECIMAL = "text", "int", "money", "percent", "date", "decimal"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # a lazy translation
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind in {INT, MONEY, PERCENT, DECIMAL}


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    totals: dict | None = None  # a last row of totals, same keys as the columns
    link_column: str = ""  # the column whose cell links to the row's "url"

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns],
            "rows": [{c.key: _json(row.get(c.key)) for c in self.columns} for row in self.rows],
            "totals": {c.key: _json(self.totals.get(c.key)) for c in self.columns} if self.totals else None,
        }

    def export_rows(self):
        for row in self.rows:
            yield [_cell(row.get(c.key)) for c in self.columns]
        if self.totals:
            yield [_cell(self.totals.get(c.key)) for c in self.columns]


@dataclass
class Chart:
    """One chart drawn by static/js/charts.js from `data` (a json_script element): `kind` is one
    of its kinds ("bars", "lines", "doughnut", "pareto"); `label` is the chart's accessible name."""

    key: str
    kind: str
    label: str
    data: dict

    def as_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "label": str(self.label), "data": self.data}


@dataclass
class ReportResult:
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the figures are made, shown under the table
    scope: dict = field(default_factory=dict)  # the filters as applied (dates, team, owner)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    icon: str
    build: Callable[..., ReportResult]  # build(*, user, params: ReportParams) -> ReportResult
    filters: tuple[str, ...] = ("period", "team", "owner")  # which filter fields the form shows
    order: int = 100


REPORTS: Registry[Report] = Registry("report")


def register_report(report: Report) -> Report:
    return REPORTS.add(report.name, report)


def reports_in_order() -> list[Report]:
    return sorted(REPORTS, key=lambda r: r.order)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and not isinstance(value, int | float | str | bool | list | dict):
        return str(value)
    return value


def _cell(value):
    if value is None or isinstance(value, int | float | Decimal | str) or hasattr(value, "isoformat"):
        return value
    return str(value)
