"""The service report: requests received in the period by category and channel, the share
dispatched, answered and resolved within their SLA deadlines, complaints, and the satisfaction
trend (customers' ratings of requests and of callbacks, per local month). Aggregates only."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth

from service_requests.models import ServiceRequest
from users.visibility import visible_to
from visits.models import Callback

from .common import account_filter_q, percent, period_bounds

SR = ServiceRequest


def requests_in_period(*, user, params):
    start, end = period_bounds(params.start, params.end)
    qs = SR.objects.filter(received_at__gte=start, received_at__lt=end).filter(
        account_filter_q(params, prefix="account__")
    )
    return visible_to(user, qs)


SLA_AGGREGATES = {
    "requests": Count("pk"),
    "dispatched": Count("pk", filter=Q(dispatched_at__isnull=False, dispatch_due_at__isnull=False)),
    "dispatched_in_time": Count("pk", filter=Q(dispatched_at__lte=F("dispatch_due_at"))),
    "responded": Count("pk", filter=Q(first_response_at__isnull=False, response_due_at__isnull=False)),
    "responded_in_time": Count("pk", filter=Q(first_response_at__lte=F("response_due_at"))),
    "resolved": Count("pk", filter=Q(resolved_at__isnull=False, resolution_due_at__isnull=False)),
    "resolved_in_time": Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
    "breached": Count("pk", filter=Q(breached=True)),
    "complaints": Count("pk", filter=Q(category=SR.Category.COMPLAINT)),
    "rated": Count("rating"),
    "rating": Avg("rating"),
}


def average(value) -> Decimal | None:
    """An average to two places (PostgreSQL's AVG of an integer column is a float or a numeric)."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _with_rates(row: dict) -> dict:
    row["dispatch_pct"] = percent(row["dispatched_in_time"], row["dispatched"])
    row["response_pct"] = percent(row["responded_in_time"], row["responded"])
    row["resolution_pct"] = percent(row["resolved_in_time"], row["resolved"])
    row["rating"] = average(row["rating"])
    return row


def service_by(*, user, params, field: str) -> list[dict]:
    """One row per category (or channel) in the order of its choices, with the SLA rates."""
    qs = requests_in_period(user=user, params=params).order_by()
    found = {r[field]: r for r in qs.values(field).annotate(**SLA_AGGREGATES)}
    rows = []
    for code, label in SR._meta.get_field(field).choices:
        row = found.get(code) or dict.fromkeys(SLA_AGGREGATES, 0) | {"rating": None}
        rows.append(_with_rates({**row, "key": code, "label": str(label)}))
    return rows


def service_totals(*, user, params) -> dict:
    return _with_rates(requests_in_period(user=user, params=params).order_by().aggregate(**SLA_AGGREGATES))


def satisfaction_trend(*, user, params) -> list[dict]:
    """Per local month of the period: requests received, complaints, the average rating of
    requests and of callbacks."""
    from .common import month_starts

    start, end = period_bounds(params.start, params.end)
    received = {
        r["m"].date() if hasattr(r["m"], "date") else r["m"]: r
        for r in requests_in_period(user=user, params=params)
        .order_by()
        .annotate(m=TruncMonth("received_at"))
        .values("m")
        .annotate(
            requests=Count("pk"), complaints=Count("pk", filter=Q(category=SR.Category.COMPLAINT)), rating=Avg("rating")
        )
    }
    callbacks_qs = visible_to(
        user,
        Callback.objects.filter(occurred_at__gte=start, occurred_at__lt=end).filter(
            account_filter_q(params, prefix="account__")
        ),
    )
    callbacks = {
        r["m"].date() if hasattr(r["m"], "date") else r["m"]: r
        for r in callbacks_qs.order_by()
        .annotate(m=TruncMonth("occurred_at"))
        .values("m")
        .annotate(callbacks=Count("pk"), satisfaction=Avg("satisfaction"))
    }
    rows = []
    for month in month_starts(params.start, params.end):
        r, c = received.get(month, {}), callbacks.get(month, {})
        rows.append(
            {
                "month": month.strftime("%Y-%m"),
                "requests": r.get("requests", 0),
                "complaints": r.get("complaints", 0),
                "rating": average(r.get("rating")),
                "callbacks": c.get("callbacks", 0),
                "callback_satisfaction": average(c.get("satisfaction")),
            }
        )
    return rows
