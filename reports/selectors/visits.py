"""Contact coverage for the visits report: visits' own coverage selectors (by tier and by
category, against the configured targets), as report tables."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from visits.selectors import coverage_by, coverage_total

from ..registry import INT, PERCENT, Column, Table
from .common import account_filter_q

COLUMNS = [
    Column("label", pgettext_lazy("report breakdown", "Group")),
    Column("accounts", gettext_lazy("Accounts"), INT),
    Column("contacted", gettext_lazy("Contacted"), INT),
    Column("percent", gettext_lazy("Coverage (%)"), PERCENT),
    Column("target", gettext_lazy("Target (%)"), PERCENT),
    Column("needed", gettext_lazy("Still to contact"), INT),
]


def _row(r) -> dict:
    return {
        "key": r.key,
        "label": r.label,
        "accounts": r.accounts,
        "contacted": r.contacted,
        "percent": r.percent,
        "target": r.target,
        "needed": r.needed,
    }


def coverage_tables(*, user, params) -> list[Table]:
    """Coverage in the period's last month, of the accounts the report's filters keep."""
    month = params.end.replace(day=1)
    tables = []
    by_dimension = coverage_by(
        user=user, month=month, dimensions=("tier", "category"), accounts=account_filter_q(params)
    )
    for by, title in (("tier", _("Coverage by tier, %(month)s")), ("category", _("Coverage by category, %(month)s"))):
        rows = by_dimension[by]
        total = _row(coverage_total(rows))
        total["target"] = None
        tables.append(
            Table(
                f"coverage_{by}",
                title % {"month": month.strftime("%Y-%m")},
                COLUMNS,
                [_row(r) for r in rows],
                totals=total,
            )
        )
    return tables
