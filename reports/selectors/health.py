"""Account health: a churn-risk score (0–100) per live account, from five signals, each with
its reason, computed as of a date in one statement over all accounts in scope (grouped
derived tables joined to the accounts, no probe per account):

| signal | points |
|---|---|
| revenue of the last 3 complete months against the 3 before: down 20% or more / 10% or more | 25 / 15 |
| complaints received in the last 90 days | 10 each, at most 20 |
| requests that breached their SLA, received in the last 90 days | 10 each, at most 20 |
| an installment overdue: by more than 30 days / by 1–30 days | 20 / 10 |
| days since the last contact: more than 90 (or never) / more than 30 | 15 / 8 |

The report lists the riskiest accounts first and counts those at `AT_RISK_SCORE` or more."""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from accounts.models import Account, MonthlyRevenue
from contracts.models import Contract, Installment
from service_requests.models import ServiceRequest

from .churn import first_of_month
from .common import local_midnight, scoped_accounts

AT_RISK_SCORE = 40
LOOKBACK_DAYS = 90
TOP = 50
NOT_IN_FORCE = (Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED)


def _months_back(month: datetime.date, n: int) -> datetime.date:
    for _i in range(n):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


def health_scores(*, user, params, limit: int = TOP) -> dict:
    """{"rows": the `limit` riskiest accounts (score, figures, reasons), "scored": accounts in
    scope, "at_risk": how many score AT_RISK_SCORE or more, "as_of": the date}."""
    as_of = params.end
    this_month = first_of_month(as_of)
    recent_start, older_start = _months_back(this_month, 3), _months_back(this_month, 6)
    since = local_midnight(as_of - datetime.timedelta(days=LOOKBACK_DAYS))
    until = local_midnight(as_of + datetime.timedelta(days=1))
    contact_30 = local_midnight(as_of - datetime.timedelta(days=30))
    contact_90 = local_midnight(as_of - datetime.timedelta(days=90))
    accounts_sql, accounts_params = (
        scoped_accounts(user=user, params=params).order_by().values("id", "last_contact_at").query.sql_with_params()
    )
    sql = f"""
        WITH acc AS ({accounts_sql}),
        rev AS (
            SELECT m.account_id,
                SUM(CASE WHEN m.month >= %s THEN m.revenue ELSE 0 END) AS recent,
                SUM(CASE WHEN m.month < %s THEN m.revenue ELSE 0 END) AS older
            FROM {MonthlyRevenue._meta.db_table} m
            WHERE m.month >= %s AND m.month < %s
            GROUP BY m.account_id
        ),
        sr AS (
            SELECT r.account_id,
                SUM(CASE WHEN r.category = %s THEN 1 ELSE 0 END) AS complaints,
                SUM(CASE WHEN r.breached THEN 1 ELSE 0 END) AS breaches
            FROM {ServiceRequest._meta.db_table} r
            WHERE r.received_at >= %s AND r.received_at < %s
            GROUP BY r.account_id
        ),
        pay AS (
            SELECT c.account_id, MIN(i.due_on) AS oldest_due
            FROM {Installment._meta.db_table} i JOIN {Contract._meta.db_table} c ON c.id = i.contract_id
            WHERE i.paid_on IS NULL AND i.due_on < %s AND c.status NOT IN (%s, %s, %s)
            GROUP BY c.account_id
        ),
        scored AS (
            SELECT acc.id, COALESCE(rev.recent, 0) AS recent, COALESCE(rev.older, 0) AS older,
                COALESCE(sr.complaints, 0) AS complaints, COALESCE(sr.breaches, 0) AS breaches,
                pay.oldest_due, acc.last_contact_at,
                (CASE WHEN COALESCE(rev.older, 0) > 0 AND COALESCE(rev.recent, 0) <= rev.older * 0.8 THEN 25
                      WHEN COALESCE(rev.older, 0) > 0 AND COALESCE(rev.recent, 0) <= rev.older * 0.9 THEN 15 ELSE 0 END)
                + (CASE WHEN COALESCE(sr.complaints, 0) >= 2 THEN 20 ELSE COALESCE(sr.complaints, 0) * 10 END)
                + (CASE WHEN COALESCE(sr.breaches, 0) >= 2 THEN 20 ELSE COALESCE(sr.breaches, 0) * 10 END)
                + (CASE WHEN pay.oldest_due IS NULL THEN 0 WHEN pay.oldest_due < %s THEN 20 ELSE 10 END)
                + (CASE WHEN acc.last_contact_at IS NULL OR acc.last_contact_at < %s THEN 15
                        WHEN acc.last_contact_at < %s THEN 8 ELSE 0 END) AS score
            FROM acc
            LEFT JOIN rev ON rev.account_id = acc.id
            LEFT JOIN sr ON sr.account_id = acc.id
            LEFT JOIN pay ON pay.account_id = acc.id
        )
        SELECT id, recent, older, complaints, breaches, oldest_due, last_contact_at, score,
            COUNT(*) OVER (), SUM(CASE WHEN score >= %s THEN 1 ELSE 0 END) OVER ()
        FROM scored ORDER BY score DESC, id LIMIT %s
    """  # nosec B608 - table names from the models, the account query is Django's; values are bound
    values = [
        *accounts_params,
        recent_start,
        recent_start,
        older_start,
        this_month,
        ServiceRequest.Category.COMPLAINT,
        since,
        until,
        as_of,
        *NOT_IN_FORCE,
        as_of - datetime.timedelta(days=30),
        contact_90,
        contact_30,
        AT_RISK_SCORE,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        fetched = cursor.fetchall()
    accounts = Account.objects.select_related("owner").in_bulk([r[0] for r in fetched])
    rows, scored, at_risk = [], 0, 0
    for pk, recent, older, complaints, breaches, oldest_due, last_contact_at, score, count, risky in fetched:
        scored, at_risk = count, risky or 0
        account = accounts[pk]
        rows.append(
            {
                "account": account.name,
                "url": account.get_absolute_url(),
                "owner": (account.owner.full_name or account.owner.username) if account.owner else "",
                "tier": account.get_tier_display(),
                "score": int(score),
                "reasons": "; ".join(
                    _reasons(
                        recent=Decimal(recent),
                        older=Decimal(older),
                        complaints=complaints,
                        breaches=breaches,
                        oldest_due=oldest_due,
                        last_contact_at=last_contact_at,
                        as_of=as_of,
                    )
                ),
                "recent": Decimal(recent),
                "older": Decimal(older),
                "complaints": int(complaints),
                "breaches": int(breaches),
                "days_overdue": (as_of - oldest_due).days if oldest_due else None,
                "days_since_contact": (as_of - _local_date(last_contact_at)).days if last_contact_at else None,
            }
        )
    return {"rows": rows, "scored": scored, "at_risk": at_risk, "as_of": as_of}


def _local_date(moment: datetime.datetime) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate(moment)


def _reasons(*, recent, older, complaints, breaches, oldest_due, last_contact_at, as_of) -> list[str]:
    reasons = []
    if older > 0 and recent <= older * Decimal("0.9"):
        drop = ((older - recent) * 100 / older).quantize(Decimal("1"))
        reasons.append(_("revenue down %(drop)s%% on the previous 3 months") % {"drop": drop})
    if complaints:
        reasons.append(_("%(n)d complaint(s) in 90 days") % {"n": complaints})
    if breaches:
        reasons.append(_("%(n)d SLA breach(es) in 90 days") % {"n": breaches})
    if oldest_due:
        reasons.append(_("payment overdue %(days)d days") % {"days": (as_of - oldest_due).days})
    if last_contact_at is None:
        reasons.append(_("never contacted"))
    else:
        days = (as_of - _local_date(last_contact_at)).days
        if days > 30:
            reasons.append(_("no contact for %(days)d days") % {"days": days})
    return reasons
