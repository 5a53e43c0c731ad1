"""Visits and callbacks per person, and the scorecard (考核) per person and per department:
visits done, callbacks logged, requests resolved, SLA breaches on the requests assigned to
them, revenue of the accounts they own and its growth on the same months a year earlier, and
accounts lost (revenue a year earlier, none now). One grouped statement per figure."""

from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, Q, Sum
from django.utils.translation import gettext as _

from service_requests.models import ServiceRequest
from users.models import User
from users.visibility import visible_to
from visits.models import Callback, Visit

from .common import account_filter_q, percent, period_bounds, rollup_in_scope, scoped_accounts, shift_year

ZERO = Decimal("0")


def _grouped_counts(qs, field: str) -> dict[int, int]:
    return dict(qs.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def visits_per_person(*, user, params) -> dict[int, int]:
    start, end = period_bounds(params.start, params.end)
    qs = Visit.objects.filter(status=Visit.Status.DONE, happened_at__gte=start, happened_at__lt=end)
    return _grouped_counts(visible_to(user, qs.filter(account_filter_q(params, prefix="account__"))), "owner_id")


def callbacks_per_person(*, user, params) -> dict[int, int]:
    start, end = period_bounds(params.start, params.end)
    qs = Callback.objects.filter(occurred_at__gte=start, occurred_at__lt=end, created_by__isnull=False)
    return _grouped_counts(visible_to(user, qs.filter(account_filter_q(params, prefix="account__"))), "created_by_id")


def requests_per_person(*, user, params) -> tuple[dict[int, int], dict[int, int]]:
    """(resolved in the period, by assignee), (received in the period and breached, by assignee)."""
    start, end = period_bounds(params.start, params.end)
    base = visible_to(user, ServiceRequest.objects.filter(account_filter_q(params, prefix="account__")))
    resolved = _grouped_counts(
        base.filter(resolved_at__gte=start, resolved_at__lt=end, assignee__isnull=False), "assignee_id"
    )
    breached = _grouped_counts(
        base.filter(received_at__gte=start, received_at__lt=end, breached=True, assignee__isnull=False), "assignee_id"
    )
    return resolved, breached


def revenue_per_owner(*, user, params) -> dict[int, dict]:
    """{owner_id: {"revenue", "previous", "lost"}}: net revenue of the live accounts each person owns
    in the period's months and in the same months a year earlier, and how many of those
    accounts had revenue then and none now."""
    first, last = params.months
    prev_first, prev_last = shift_year(first), shift_year(last)
    money = DecimalField(max_digits=20, decimal_places=2)
    now_q, then_q = Q(month__gte=first, month__lte=last), Q(month__gte=prev_first, month__lte=prev_last)
    rollup = rollup_in_scope(user=user, params=params, months=now_q | then_q)
    # per account over the rollup alone (a narrow hash key), then the accounts in scope joined
    rollup_sql, rollup_params = (
        rollup.order_by()
        .values("account_id")
        .annotate(
            cur=Sum("revenue", filter=Q(month__gte=first, month__lte=last), output_field=money, default=ZERO),
            prev=Sum(
                "revenue", filter=Q(month__gte=prev_first, month__lte=prev_last), output_field=money, default=ZERO
            ),
        )
        .query.sql_with_params()
    )
    accounts_sql, accounts_params = (
        scoped_accounts(user=user, params=params).order_by().values("id", "owner_id").query.sql_with_params()
    )
    sql = f"""
        SELECT a.owner_id, SUM(s.cur), SUM(s.prev), SUM(CASE WHEN s.prev > 0 AND s.cur <= 0 THEN 1 ELSE 0 END)
        FROM ({rollup_sql}) s JOIN ({accounts_sql}) a ON a.id = s.account_id
        GROUP BY a.owner_id
    """  # nosec B608 - the inner queries are Django's own SQL; values are bound parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rollup_params, *accounts_params])
        return {
            owner: {"revenue": Decimal(cur or 0), "previous": Decimal(prev or 0), "lost": int(lost or 0)}
            for owner, cur, prev, lost in cursor.fetchall()
        }


def _people(ids) -> dict[int, User]:
    return User.objects.select_related("department").in_bulk([i for i in ids if i is not None])


def person_scorecard(*, user, params) -> list[dict]:
    """One row per person with any figure in the period (in the user's scope), by name."""
    visits = visits_per_person(user=user, params=params)
    callbacks = callbacks_per_person(user=user, params=params)
    resolved, breached = requests_per_person(user=user, params=params)
    revenue = revenue_per_owner(user=user, params=params)
    ids = set(visits) | set(callbacks) | set(resolved) | set(breached) | set(revenue)
    people = _people(ids)
    rows = []
    for pk in ids:
        person = people.get(pk)
        money = revenue.get(pk, {})
        cur, prev = money.get("revenue", ZERO), money.get("previous", ZERO)
        rows.append(
            {
                "person_id": pk,
                "person": (person.full_name or person.username) if person else _("Unassigned"),
                "department_id": person.department_id if person else None,
                "department": person.department.name if person and person.department else _("No department"),
                "visits": visits.get(pk, 0),
                "callbacks": callbacks.get(pk, 0),
                "resolved": resolved.get(pk, 0),
                "breached": breached.get(pk, 0),
                "revenue": cur,
                "previous": prev,
                "growth": percent(cur - prev, prev) if prev > 0 else None,
                "lost": money.get("lost", 0),
            }
        )
    rows.sort(key=lambda r: (r["person"] or "").lower())
    return rows


def visits_and_callbacks(*, user, params) -> list[dict]:
    """Visits done and callbacks logged per person in the period (two grouped queries)."""
    visits = visits_per_person(user=user, params=params)
    callbacks = callbacks_per_person(user=user, params=params)
    people = _people(set(visits) | set(callbacks))
    rows = []
    for pk in set(visits) | set(callbacks):
        person = people.get(pk)
        rows.append(
            {
                "person_id": pk,
                "person": (person.full_name or person.username) if person else _("Unassigned"),
                "department": person.department.name if person and person.department else _("No department"),
                "visits": visits.get(pk, 0),
                "callbacks": callbacks.get(pk, 0),
            }
        )
    rows.sort(key=lambda r: (r["person"] or "").lower())
    return rows


SUMMED = ("visits", "callbacks", "resolved", "breached", "revenue", "previous", "lost")


def department_scorecard(rows: list[dict]) -> list[dict]:
    """The person rows added up per department (no query)."""
    departments: dict = defaultdict(lambda: dict.fromkeys(SUMMED, 0) | {"people": 0})
    for row in rows:
        d = departments[(row["department_id"], row["department"])]
        d["people"] += 1
        for k in SUMMED:
            d[k] += row[k]
    out = []
    for (dep_id, name), d in departments.items():
        prev = Decimal(d["previous"])
        d.update(department_id=dep_id, department=name, growth=percent(d["revenue"] - prev, prev) if prev > 0 else None)
        out.append(d)
    out.sort(key=lambda r: str(r["department"]).lower())
    return out


def scorecard_totals(rows: list[dict]) -> dict:
    totals = {k: sum((r[k] for r in rows), 0) for k in SUMMED}
    prev = Decimal(totals["previous"])
    totals["growth"] = percent(totals["revenue"] - prev, prev) if prev > 0 else None
    return totals
