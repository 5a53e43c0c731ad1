"""The churn warning (流失预警): the top accounts by revenue, their revenue in one month against
a baseline month (by default the same month a year earlier), flagged at −10% and −20%.

One SQL statement whatever the number of accounts: the top-N live accounts the reader may see
(the partial index `account_live_revenue_idx` on −revenue_12m, id), each with two indexed
look-ups in the monthly revenue rollup (`accounts.MonthlyRevenue`, unique on account and month)
and the flag decided in SQL by comparing amounts (no division: a baseline of zero is never
flagged). The reminders app builds its churn rule on `churn_warnings(user=None, ...)`.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, DecimalField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, MonthlyRevenue
from users.visibility import visible_to

TOP_N = 50
WARNING_RATIO = Decimal("0.90")  # revenue at or below 90% of the baseline: −10%
SEVERE_RATIO = Decimal("0.80")  # at or below 80%: −20%
FLAG_SEVERE = "drop_20"
FLAG_WARNING = "drop_10"
CHURN_FLAGS = {
    # xgettext:no-python-format
    FLAG_SEVERE: _("Down 20% or more"),
    # xgettext:no-python-format
    FLAG_WARNING: _("Down 10% or more"),
}
REVENUE_FIELD = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class ChurnRow:
    rank: int  # 1 = the largest account by 12-month revenue
    account: Account  # with owner and team loaded
    month_revenue: Decimal
    baseline_revenue: Decimal
    flag: str  # "", FLAG_WARNING or FLAG_SEVERE
    lost: bool  # revenue in the baseline month and none (or net refunds) in the month

    @property
    def change(self) -> Decimal:
        return self.month_revenue - self.baseline_revenue

    @property
    def change_pct(self) -> Decimal | None:
        """The change against the baseline in percent (one decimal); None without a baseline."""
        if self.baseline_revenue <= 0:
            return None
        return (self.change * 100 / self.baseline_revenue).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def flag_label(self) -> str:
        return str(CHURN_FLAGS.get(self.flag, ""))


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    return (first_of_month(month) - datetime.timedelta(days=1)).replace(day=1)


def same_month_last_year(month: datetime.date) -> datetime.date:
    return first_of_month(month).replace(year=month.year - 1)


def default_churn_month(today: datetime.date | None = None) -> datetime.date:
    """The last complete local calendar month (the current one is still filling up)."""
    return previous_month(today or timezone.localdate())


def _revenue_in(month: datetime.date):
    rollup = MonthlyRevenue.objects.filter(account_id=OuterRef("pk"), month=month).values("revenue")[:1]
    return Coalesce(Subquery(rollup, output_field=REVENUE_FIELD), Value(Decimal("0")), output_field=REVENUE_FIELD)


def churn_queryset(
    *,
    user=None,
    month: datetime.date | None = None,
    baseline: datetime.date | None = None,
    limit: int = TOP_N,
    owner_id: int | None = None,
    team_id: int | None = None,
):
    """The top `limit` live accounts by 12-month revenue (of those `user` may see; every account
    when `user` is None, for sweeps), annotated with `month_revenue`, `baseline_revenue` and
    `churn_flag`. `month` and `baseline` are any day of the month (default: the last complete
    month, against the same month a year earlier)."""
    month = first_of_month(month) if month else default_churn_month()
    baseline = first_of_month(baseline) if baseline else same_month_last_year(month)
    qs = Account.objects.filter(is_archived=False)
    if user is not None:
        qs = visible_to(user, qs)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if team_id:
        qs = qs.filter(team_id=team_id)
    return (
        qs.select_related("owner", "team")
        .annotate(month_revenue=_revenue_in(month), baseline_revenue=_revenue_in(baseline))
        .annotate(
            churn_flag=Case(
                When(
                    Q(baseline_revenue__gt=0, month_revenue__lte=F("baseline_revenue") * SEVERE_RATIO),
                    then=Value(FLAG_SEVERE),
                ),
                When(
                    Q(baseline_revenue__gt=0, month_revenue__lte=F("baseline_revenue") * WARNING_RATIO),
                    then=Value(FLAG_WARNING),
                ),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .order_by("-revenue_12m", "id")[:limit]
    )


def churn_warnings(
    *,
    user=None,
    month: datetime.date | None = None,
    baseline: datetime.date | None = None,
    limit: int = TOP_N,
    owner_id: int | None = None,
    team_id: int | None = None,
    flagged_only: bool = False,
) -> list[ChurnRow]:
    """The churn warning as rows, largest account first (one query). `flagged_only` keeps the
    accounts down 10% or more (what a reminder is sent about)."""
    rows = []
    qs = churn_queryset(user=user, month=month, baseline=baseline, limit=limit, owner_id=owner_id, team_id=team_id)
    for rank, account in enumerate(qs, start=1):
        if flagged_only and not account.churn_flag:
            continue
        rows.append(
            ChurnRow(
                rank=rank,
                account=account,
                month_revenue=account.month_revenue,
                baseline_revenue=account.baseline_revenue,
                flag=account.churn_flag,
                lost=account.baseline_revenue > 0 and account.month_revenue <= 0,
            )
        )
    return rows
