"""Customer composition: revenue in the period by tier, by ABC class and by account, and the
Pareto curve (share of accounts, largest first, against share of revenue).

Revenue is net (purchases and recharges less refunds) from the monthly rollup
(`accounts.MonthlyRevenue`), for the whole local months the period touches. One pass over the
period's rollup rows (plus two counts of accounts and the top accounts' names) whatever the
number of accounts; the Pareto curve comes back as at most `PARETO_POINTS` points (window sums
in SQL), never one row per account."""

from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum

from accounts.models import Account

from .common import percent, rollup_in_scope, scoped_accounts

PARETO_POINTS = 50
TOP_ACCOUNTS = 20
ZERO = Decimal("0")


def composition(*, user, params, points: int = PARETO_POINTS, top: int = TOP_ACCOUNTS) -> dict:
    """Everything the composition report shows, from ONE pass over the period's rollup rows
    (the per-account sums are a CTE read four ways) plus one count of accounts per tier and
    ABC class: {"tiers", "abc", "total", "pareto", "top"}."""
    from accounts.models import TIER_ORDER, AbcClass

    first, last = params.months
    # sum per account over the rollup alone (a narrow hash key), then join the accounts in scope
    rollup = rollup_in_scope(user=user, params=params, months=Q(month__gte=first, month__lte=last))
    rollup_sql, rollup_params = (
        rollup.order_by().values("account_id").annotate(r=Sum("revenue")).query.sql_with_params()
    )
    accounts_sql, accounts_params = (
        scoped_accounts(user=user, params=params).order_by().values("id", "tier", "abc_class").query.sql_with_params()
    )
    inner_params = [*rollup_params, *accounts_params]
    sql = f"""
        WITH per AS (
            SELECT s.account_id, s.r, a.tier AS tier_code, a.abc_class AS abc_code
            FROM ({rollup_sql}) s JOIN ({accounts_sql}) a ON a.id = s.account_id
        ),
        ranked AS (
            SELECT per.account_id, per.r,
                SUM(per.r) OVER (ORDER BY per.r DESC, per.account_id ROWS UNBOUNDED PRECEDING) AS cum,
                ROW_NUMBER() OVER (ORDER BY per.r DESC, per.account_id) AS rn,
                COUNT(*) OVER () AS n,
                SUM(per.r) OVER () AS total
            FROM per WHERE per.r > 0
        )
        SELECT 'tier', tier_code, CAST(NULL AS BIGINT), SUM(r),
            CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
        FROM per GROUP BY tier_code
        UNION ALL
        SELECT 'abc', abc_code, NULL, SUM(r), NULL, NULL, NULL FROM per GROUP BY abc_code
        UNION ALL
        SELECT 'bucket', CAST(NULL AS VARCHAR(20)), ((rn - 1) * %s) / n, MAX(cum), MAX(rn), MAX(n),
            SUM(CASE WHEN cum - r < total * 0.8 THEN 1 ELSE 0 END)
        FROM ranked GROUP BY ((rn - 1) * %s) / n
        UNION ALL
        SELECT 'top', NULL, account_id, r, rn, NULL, NULL FROM ranked WHERE rn <= %s
    """  # nosec B608 - the inner query is Django's own SQL; values are bound parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, points, points, top])
        fetched = cursor.fetchall()
    by_tier, by_abc, buckets, top_rows = {}, {}, [], []
    for kind, code, number, amount, rn, n, needed in fetched:
        if kind == "tier":
            by_tier[code] = Decimal(amount or 0)
        elif kind == "abc":
            by_abc[code] = Decimal(amount or 0)
        elif kind == "bucket":
            buckets.append((number, rn, Decimal(amount), n, needed))
        else:
            top_rows.append((rn, number, Decimal(amount)))
    accounts = scoped_accounts(user=user, params=params).order_by()
    tier_counts = dict(accounts.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    abc_counts = dict(accounts.values_list("abc_class").annotate(n=Count("pk")).values_list("abc_class", "n"))
    total = sum(by_tier.values(), ZERO)
    return {
        "tiers": _grouped(by_tier, tier_counts, [(t.value, t.label) for t in TIER_ORDER], total),
        "abc": _grouped(by_abc, abc_counts, list(AbcClass.choices), total),
        "total": total,
        "pareto": _pareto(sorted(buckets)),
        "top": _top(sorted(top_rows), total),
    }


def _grouped(revenue: dict, counts: dict, choices, total: Decimal) -> dict:
    rows = []
    known = dict(choices)
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
    other = sum((v for k, v in revenue.items() if k not in known), ZERO)
    others = sum(v for k, v in counts.items() if k not in known)
    if other or others:
        rows.append({"key": "", "label": "—", "accounts": others, "revenue": other, "share": percent(other, total)})
    return {"rows": rows, "total": total, "accounts": sum(counts.values())}


def _pareto(buckets) -> dict:
    """{"x": [% of accounts], "y": [% of revenue], "accounts": n, "total": revenue, "top_80": how
    many accounts make 80% of the revenue}; accounts with positive revenue only."""
    x, y, n, total, top_80 = [0.0], [0.0], 0, ZERO, 0
    for _bucket, rn, cum, count, needed in buckets:
        n = count
        top_80 += needed
        x.append(round(rn * 100 / count, 1))
        total = max(total, cum)
    for _bucket, _rn, cum, _count, _needed in buckets:
        y.append(round(float(cum * 100 / total), 1))
    return {"x": x, "y": y, "accounts": n, "total": total, "top_80": top_80}


def _top(rows, total: Decimal) -> list[dict]:
    """The largest accounts by revenue in the period, with their share and the running share."""
    names = Account.objects.in_bulk([account_id for _rn, account_id, _r in rows])
    out, running = [], ZERO
    for rank, account_id, revenue in rows:
        account = names[account_id]
        running += revenue
        out.append(
            {
                "rank": rank,
                "account_id": account_id,
                "account": account.name,
                "url": account.get_absolute_url(),
                "tier": account.get_tier_display(),
                "revenue": revenue,
                "share": percent(revenue, total),
                "cumulative": percent(running, total),
            }
        )
    return out
