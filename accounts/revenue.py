"""The monthly revenue rollup: one row per account and local calendar month (`MonthlyRevenue`).

Every code path that writes, changes or removes a `Transaction` calls `monthly_revenue_apply`
in the same database transaction (the push and single-record services, imports, corrections):
that is the whole contract. Imports and the bulk push pass the rows they stored; a correction
passes the old values with `sign=-1` and the new ones with `sign=+1`.

`monthly_revenue_check` compares the rollup with the raw transactions (the recompute runs it on
the accounts with transactions recorded since its last check) and `monthly_revenue_rebuild`
writes it again from the raw transactions (after a bulk load that bypassed the services, and
in the migration that creates the table).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .models import MonthlyRevenue, Transaction

REFUND = Transaction.Kind.REFUND


def month_of(moment: datetime.datetime) -> datetime.date:
    """The first day of the local (TIME_ZONE) calendar month of an aware moment."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return local.date().replace(day=1)


def _value(row, name):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def monthly_revenue_apply(*, rows: Iterable, sign: int = 1) -> int:
    """Add (sign=+1) or take away (sign=-1) transactions from the rollup: one upsert per
    account and month touched. `rows` are Transaction instances or dicts with account (or
    account_id), kind, amount and occurred_at. Call it inside the transaction that writes them.
    Returns the number of (account, month) rows touched."""
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    deltas: dict[tuple[int, datetime.date], list] = {}
    for row in rows:
        account_id = _value(row, "account_id") if not isinstance(row, dict) or "account_id" in row else None
        if account_id is None:
            account = _value(row, "account")
            account_id = getattr(account, "pk", account)
        kind, amount, occurred_at = _value(row, "kind"), Decimal(_value(row, "amount")), _value(row, "occurred_at")
        key = (account_id, month_of(occurred_at))
        delta = deltas.setdefault(key, [Decimal(0), 0, None])
        if kind == REFUND:
            delta[0] -= amount * sign
        else:
            delta[0] += amount * sign
            delta[1] += sign
            if sign > 0 and (delta[2] is None or occurred_at > delta[2]):
                delta[2] = occurred_at
    if not deltas:
        return 0
    with transaction.atomic():
        keys = sorted(deltas)  # a fixed order: two concurrent pushes cannot deadlock on these rows
        if connection.vendor == "postgresql":
            _upsert_postgresql([(k, deltas[k]) for k in keys])
        else:
            _upsert_portable([(k, deltas[k]) for k in keys])
        if sign < 0:  # a removed purchase may have been the month's last: read it again
            _refresh_last_purchase([k for k in keys if deltas[k][1]])
    return len(deltas)


def _upsert_postgresql(items) -> None:
    sql = """
        INSERT INTO accounts_monthlyrevenue (account_id, month, revenue, purchases, last_purchase_at)
        SELECT * FROM unnest(%s::bigint[], %s::date[], %s::numeric[], %s::int[], %s::timestamptz[])
        ON CONFLICT (account_id, month) DO UPDATE SET
            revenue = accounts_monthlyrevenue.revenue + excluded.revenue,
            purchases = accounts_monthlyrevenue.purchases + excluded.purchases,
            last_purchase_at = GREATEST(accounts_monthlyrevenue.last_purchase_at, excluded.last_purchase_at)
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [k[0] for k, _d in items],
                [k[1] for k, _d in items],
                [d[0] for _k, d in items],
                [d[1] for _k, d in items],
                [d[2] for _k, d in items],
            ],
        )


def _upsert_portable(items) -> None:
    for (account_id, month), (revenue, purchases, last_at) in items:
        row, created = MonthlyRevenue.objects.select_for_update().get_or_create(
            account_id=account_id,
            month=month,
            defaults={"revenue": revenue, "purchases": purchases, "last_purchase_at": last_at},
        )
        if not created:
            row.revenue += revenue
            row.purchases += purchases
            if last_at and (row.last_purchase_at is None or last_at > row.last_purchase_at):
                row.last_purchase_at = last_at
            row.save(update_fields=["revenue", "purchases", "last_purchase_at"])


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(month, datetime.time.min))
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return start, timezone.make_aware(datetime.datetime.combine(following, datetime.time.min))


def _refresh_last_purchase(keys) -> None:
    for account_id, month in keys:
        start, end = _month_bounds(month)
        last = (
            Transaction.objects.filter(account_id=account_id, occurred_at__gte=start, occurred_at__lt=end)
            .exclude(kind=REFUND)
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        MonthlyRevenue.objects.filter(account_id=account_id, month=month).update(last_purchase_at=last)


def _raw_sql(where: str = "") -> str:
    """Per account and local month, from the raw transactions (PostgreSQL)."""
    return f"""
        SELECT t.account_id,
            CAST(date_trunc('month', t.occurred_at AT TIME ZONE %s) AS date) AS month,
            SUM(CASE WHEN t.kind = 'refund' THEN -t.amount ELSE t.amount END) AS revenue,
            SUM(CASE WHEN t.kind = 'refund' THEN 0 ELSE 1 END) AS purchases,
            MAX(CASE WHEN t.kind = 'refund' THEN NULL ELSE t.occurred_at END) AS last_purchase_at
        FROM accounts_transaction t {where}
        GROUP BY 1, 2
    """  # nosec B608 - built from this module's constants; values are bound parameters


def _transactions_of(account_ids):
    qs = Transaction.objects.all() if account_ids is None else Transaction.objects.filter(account_id__in=account_ids)
    return qs.only("account_id", "kind", "amount", "occurred_at")


def monthly_revenue_rebuild(*, account_ids: list[int] | None = None) -> int:
    """Write the rollup again from the raw transactions (all accounts, or these)."""
    with transaction.atomic():
        kept = MonthlyRevenue.objects.all()
        if account_ids is not None:
            kept = kept.filter(account_id__in=account_ids)
        kept.delete()
        if connection.vendor != "postgresql":
            return monthly_revenue_apply(rows=_transactions_of(account_ids).iterator())
        where, params = "", [str(timezone.get_default_timezone())]
        if account_ids is not None:
            where = "WHERE t.account_id = ANY(%s)"
            params.append(list(account_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_monthlyrevenue (account_id, month, revenue, purchases, last_purchase_at) "
                + _raw_sql(where),
                params,
            )
            return cursor.rowcount


def monthly_revenue_check(*, account_ids: list[int] | None = None) -> list[int]:
    """The accounts whose rollup differs from their raw transactions (all, or these)."""
    ids = None if account_ids is None else sorted(set(account_ids))
    if ids == []:
        return []
    if connection.vendor != "postgresql":
        expected: dict = {}
        for t in _transactions_of(ids):
            e = expected.setdefault((t.account_id, month_of(t.occurred_at)), [Decimal(0), 0, None])
            e[0] += t.signed_amount
            if t.kind != REFUND:
                e[1] += 1
                e[2] = max(e[2], t.occurred_at) if e[2] else t.occurred_at
        kept_rows = MonthlyRevenue.objects.all() if ids is None else MonthlyRevenue.objects.filter(account_id__in=ids)
        kept = {
            (r.account_id, r.month): [r.revenue, r.purchases, r.last_purchase_at]
            for r in kept_rows
            if r.revenue or r.purchases
        }
        return sorted({key[0] for key in set(expected) | set(kept) if expected.get(key) != kept.get(key)})
    where = "" if ids is None else "WHERE t.account_id = ANY(%s)"
    kept_where = "" if ids is None else "WHERE m.account_id = ANY(%s)"
    sql = f"""
        WITH raw AS ({_raw_sql(where)}),
        kept AS (SELECT account_id, month, revenue, purchases, last_purchase_at
                 FROM accounts_monthlyrevenue m {kept_where})
        SELECT DISTINCT COALESCE(raw.account_id, kept.account_id)
        FROM raw FULL OUTER JOIN kept ON kept.account_id = raw.account_id AND kept.month = raw.month
        WHERE (raw.account_id IS NULL AND (kept.revenue <> 0 OR kept.purchases <> 0))
           OR kept.account_id IS NULL
           OR raw.revenue <> kept.revenue OR raw.purchases <> kept.purchases
           OR raw.last_purchase_at IS DISTINCT FROM kept.last_purchase_at
        ORDER BY 1
    """  # nosec B608 - built from this module's constants; values are bound parameters
    params = [str(timezone.get_default_timezone())]
    if ids is not None:
        params += [ids, ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
