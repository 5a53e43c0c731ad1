"""The role dashboards of the home page, each read from the domain apps' selectors (all through
the visibility policy) in a fixed number of queries: lists are cut to a few rows and counted
with one aggregate each.

- account manager: my accounts by tier, today's visits and my follow-ups, accounts overdue for
  contact, my open requests at risk or breached, my contracts expiring and installments overdue;
- customer service: the queues, at-risk and breached requests, callbacks due today;
- director: KPIs for the company or one team;
- finance: receivables aging and the late fees of the most overdue contracts.
"""

import datetime

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import Account
from contracts.models import Installment
from contracts.selectors import contracts_expiring
from service_requests.models import ServiceRequest
from service_requests.selectors import OPEN, queue_counts, request_list
from tiering.selectors import tier_summary
from users.roles import Role
from users.visibility import has_role, visible_to
from visits.selectors import callbacks_due, my_follow_ups, open_follow_up_counts, overdue_accounts, visits_between

from ..forms import ReportParams
from .churn import churn_warnings
from .common import (
    account_filter_q,
    month_to_date_last_year,
    percent,
    period_bounds,
    rollup_in_scope,
    scoped_accounts,
)
from .receivables import NOT_IN_FORCE, most_overdue, receivables_aging
from .service import requests_in_period

LIST_ROWS = 6
EXPIRING_DAYS = 60

# the dashboards a role gets, in the order they are offered (the first is the default)
ROLE_DASHBOARDS = [
    (Role.ADMIN, "director"),
    (Role.DIRECTOR, "director"),
    (Role.MANAGER, "manager"),
    (Role.SERVICE, "service"),
    (Role.FINANCE, "finance"),
]


def dashboards_for(user) -> list[str]:
    kinds = []
    for role, kind in ROLE_DASHBOARDS:
        if has_role(user, role) and kind not in kinds:
            kinds.append(kind)
    return kinds


def _count_and_first(qs, n: int = LIST_ROWS) -> tuple[int, list]:
    """A short list and how many there are in all: two queries, whatever the numbers."""
    return qs.count(), list(qs[:n])


def _installments_overdue(*, user, as_of: datetime.date):
    """Open installments past due on contracts in force (the contracts app's rule; its
    `installments_overdue` annotates `open_amount`, which the model already has as a property,
    so its rows cannot be read as instances)."""
    qs = Installment.objects.filter(paid_on__isnull=True, due_on__lt=as_of).exclude(contract__status__in=NOT_IN_FORCE)
    return visible_to(user, qs).select_related("contract__account").order_by("due_on", "pk")


def manager_dashboard(*, user, today: datetime.date | None = None, summary: dict | None = None) -> dict:
    """`summary`: the dashboard's figures of the same accounts and day (accounts.selectors.
    accounts_summary), whose pass counted the overdue ones: read instead of a second pass over a
    team leader's tens of thousands of accounts."""
    today = today or timezone.localdate()
    tiers, tier_totals = tier_summary(user=user)
    overdue_rows = overdue_accounts(user=user, today=today)
    # ("overdue" is missing from a summary kept before it counted it: count again then)
    overdue_count = summary["overdue"] if summary is not None and "overdue" in summary else overdue_rows.count()
    overdue = list(overdue_rows[:LIST_ROWS])  # the first rows in index order
    mine_q = Q(account__owner_id=user.pk)
    now = timezone.now()
    at_risk_count, at_risk = _count_and_first(
        request_list(user=user, queue="at_risk", filterset_qs=ServiceRequest.objects.filter(mine_q), sort="due")
    )
    breached_count, breached = _count_and_first(
        request_list(user=user, queue="breached", filterset_qs=ServiceRequest.objects.filter(mine_q), sort="due")
    )
    expiring_count, expiring = _count_and_first(
        contracts_expiring(as_of=today, within_days=EXPIRING_DAYS, user=user).order_by("end_on", "pk")
    )
    late_count, late = _count_and_first(_installments_overdue(user=user, as_of=today))
    follow_ups = open_follow_up_counts(user=user)
    return {
        "tiers": tiers,
        "tier_totals": tier_totals,
        "visits_today": list(
            visits_between(user=user, start=today, end=today + datetime.timedelta(days=1), person=user)[:10]
        ),
        "follow_ups": list(my_follow_ups(user=user)[:LIST_ROWS]),
        "follow_up_counts": follow_ups,
        "overdue_accounts": overdue,
        "overdue_count": overdue_count,
        "at_risk_requests": at_risk,
        "at_risk_count": at_risk_count,
        "breached_requests": breached,
        "breached_count": breached_count,
        "expiring_contracts": expiring,
        "expiring_count": expiring_count,
        "expiring_days": EXPIRING_DAYS,
        "late_installments": late,
        "late_count": late_count,
        "now": now,
    }


def service_dashboard(*, user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    due_count, due = _count_and_first(callbacks_due(user=user, today=today), n=8)
    return {
        "queues": queue_counts(user=user),
        "at_risk_requests": list(request_list(user=user, queue="at_risk", sort="due")[:8]),
        "breached_requests": list(request_list(user=user, queue="breached", sort="due")[:8]),
        "callbacks_due": due,
        "callbacks_due_count": due_count,
    }


def director_kpis(
    *, user, team_id: int | None = None, today: datetime.date | None = None, summary: dict | None = None
) -> dict:
    """The company's (or one team's) figures: accounts, 12-month revenue, this month's revenue
    so far against the same days a year earlier, churn warnings, open and breached requests,
    the SLA rate of the month's resolved requests, contact coverage of the month, receivables
    overdue.

    `summary`: the dashboard's figures of the same accounts (accounts.selectors.accounts_summary
    with `contacted_since` the month's start), read instead of a second pass over every account;
    used only for the whole company (a team's figures count that team's accounts)."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    params = ReportParams(start=month, end=today, team_id=team_id)
    accounts = scoped_accounts(user=user, params=params)
    contacted_since, _end = period_bounds(month, today)
    # ("contacted" is missing from a summary kept before it counted it: count again then)
    if summary is not None and team_id is None and "contacted" in summary:
        figures = {
            "accounts": summary["accounts"],
            "vip": summary["vip"],
            "revenue_12m": summary["revenue"],
            "contacted": summary["contacted"],
            "churned": summary["churned"],
        }
    else:
        figures = accounts.aggregate(
            accounts=Count("pk"),
            vip=Count("pk", filter=Q(tier="vip")),
            revenue_12m=Sum("revenue_12m"),
            contacted=Count("pk", filter=Q(last_contact_at__gte=contacted_since)),
            churned=Count("pk", filter=Q(status=Account.Status.CHURNED)),
        )
    # this month so far against the same days a year earlier (not last year's whole month)
    revenue = {
        "this_month": rollup_in_scope(user=user, params=params, months=Q(month=month)).aggregate(t=Sum("revenue"))["t"],
        "last_year": month_to_date_last_year(user=user, params=params, today=today),
    }
    requests = requests_in_period(user=user, params=params).aggregate(
        received=Count("pk"),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False, resolution_due_at__isnull=False)),
        resolved_in_time=Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
    )
    open_requests = visible_to(
        user, ServiceRequest.objects.filter(OPEN).filter(account_filter_q(params, prefix="account__"))
    ).aggregate(open=Count("pk"), breached=Count("pk", filter=Q(breached=True)))
    churn = churn_warnings(user=user, team_id=team_id, flagged_only=True)
    aging = receivables_aging(user=user, params=params)
    return {
        **{k: v or 0 for k, v in figures.items()},
        "revenue_month": revenue["this_month"] or 0,
        "revenue_month_last_year": revenue["last_year"] or 0,
        "revenue_growth": percent(
            (revenue["this_month"] or 0) - (revenue["last_year"] or 0), revenue["last_year"] or 0
        ),
        "coverage": percent(figures["contacted"] or 0, figures["accounts"] or 0),
        "received": requests["received"],
        "sla_pct": percent(requests["resolved_in_time"], requests["resolved"]),
        "open_requests": open_requests["open"],
        "breached_requests": open_requests["breached"],
        "churn_flagged": len(churn),
        "churn_rows": churn[:LIST_ROWS],
        "aging": aging,
        "team_id": team_id,
    }


def finance_dashboard(*, user, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    params = ReportParams(start=today, end=today)
    return {
        "aging": receivables_aging(user=user, params=params),
        "most_overdue": most_overdue(user=user, params=params),
    }
