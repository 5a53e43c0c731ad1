"""Customer composition: revenue in the period by tier, by ABC class and by account, and the
Pareto curve (share of accounts, largest first, against share of revenue).

Revenue is net (purchases and recharges less refunds) from the monthly rollup
(`accounts.MonthlyRevenue`), for the whole local months the period touches. Four statements
whatever the number of accounts; the Pareto curve comes back as at most `PARETO_POINTS` points
(window sums in SQL), never one row per account."""

from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum

from accounts.models import Account, MonthlyRevenue

from .common import percent, scoped_accounts

PARETO_POINTS = 50
TOP_ACCOUNTS = 20
ZERO = Decimal("0")


def _period_revenue(*, user, params):
    first, last = params.months
    accounts = scoped_accounts(user=user, params=params)
    return MonthlyRevenue.objects.filter(month__gte=first, month__lte=last, account__in=accounts.values("pk"))


def _grouped(*, user, params, field: str, choices) -> dict:
    counts = dict(
        scoped_accounts(user=user, params=params)
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    revenue = dict(
        _period_revenue(user=user, params=params)
        .order_by()
        .values_list(f"account__{field}")
        .annotate(r=Sum("revenue"))
        .values_list(f"account__{field}", "r")
    )
    total = sum(revenue.values(), ZERO)
    rows = []
    for code, label in choices:
        rev = revenue.get(code) or ZERO
        rows.append(
            {
                "key": code,
                "label": str(label),
                "accounts": counts.get(code, 0),
                "revenue": rev,
                "share": percent(rev, total),
            }
        )
    other = sum((v for k, v in revenue.items() if k not in dict(choices)), ZERO)
    others = sum(v for k, v in counts.items() if k not in dict(choices))
    if other or others:
        rows.append({"key": "", "label": "—", "accounts": others, "revenue": other, "share": percent(other, total)})
    return {"rows": rows, "total": total, "accounts": sum(counts.values())}


def revenue_by_tier(*, user, params) -> dict:
    from accounts.models import TIER_ORDER

    return _grouped(user=user, params=params, field="tier", choices=[(t.value, t.label) for t in TIER_ORDER])


def revenue_by_abc(*, user, params) -> dict:
    from accounts.models import AbcClass

    return _grouped(user=user, params=params, field="abc_class", choices=list(AbcClass.choices))


def pareto(*, user, params, points: int = PARETO_POINTS) -> dict:
    """{"x": [% of accounts], "y": [% of revenue], "accounts": n, "total": revenue,
    "top_80": how many accounts make 80% of the revenue, "top": the largest accounts}.
    Only accounts with positive revenue in the period count."""
    per_account = (
        _period_revenue(user=user, params=params)
        .order_by()
        .values("account_id")
        .annotate(r=Sum("revenue"))
        .filter(r__gt=0)
    )
    inner, inner_params = per_account.query.sql_with_params()
    sql = f"""
        WITH ranked AS (
            SELECT s.account_id, s.r,
                SUM(s.r) OVER (ORDER BY s.r DESC, s.account_id ROWS UNBOUNDED PRECEDING) AS cum,
                ROW_NUMBER() OVER (ORDER BY s.r DESC, s.account_id) AS rn,
                COUNT(*) OVER () AS n,
                SUM(s.r) OVER () AS total
            FROM ({inner}) s
        )
        SELECT ((rn - 1) * %s) / n AS bucket, MAX(rn), MAX(cum), MAX(n), MAX(total),
            SUM(CASE WHEN cum - r < total * 0.8 THEN 1 ELSE 0 END)
        FROM ranked GROUP BY 1 ORDER BY 1
    """  # nosec B608 - the inner query is Django's own SQL; values are bound parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, points])
        buckets = cursor.fetchall()
    x, y, n, total, top_80 = [0.0], [0.0], 0, ZERO, 0
    for _bucket, rn, cum, count, tot, needed in buckets:
        n, total = count, Decimal(tot)
        top_80 += needed
        x.append(round(rn * 100 / count, 1))
        y.append(round(float(Decimal(cum) * 100 / total), 1))
    return {"x": x, "y": y, "accounts": n, "total": total, "top_80": top_80}


def top_accounts(*, user, params, limit: int = TOP_ACCOUNTS, total: Decimal | None = None) -> list[dict]:
    """The largest accounts by revenue in the period, with their share and the running share."""
    rows = list(
        _period_revenue(user=user, params=params)
        .order_by()
        .values("account_id")
        .annotate(revenue=Sum("revenue"))
        .filter(revenue__gt=0)
        .order_by("-revenue", "account_id")[:limit]
    )
    names = Account.objects.in_bulk([r["account_id"] for r in rows])
    running = ZERO
    for rank, row in enumerate(rows, start=1):
        account = names[row["account_id"]]
        running += row["revenue"]
        row.update(
            rank=rank,
            account=account.name,
            url=account.get_absolute_url(),
            tier=account.get_tier_display(),
            share=percent(row["revenue"], total),
            cumulative=percent(running, total),
        )
    return rows
