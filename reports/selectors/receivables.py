"""Receivables aging (finance): the open balance of installments on contracts in force, by how
long past due as of a date — current (not yet due), 1–30, 31–60, 61–90 and over 90 days — per
currency, in one aggregate; and the late fees of the most overdue contracts (late fees are
computed, never stored: `contracts.money`)."""

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Installment
from contracts.selectors import receivables, with_late_fees
from users.visibility import visible_to

from .common import account_filter_q

NOT_IN_FORCE = (Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED)
MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Decimal("0")


def aging_buckets(as_of: datetime.date) -> list[tuple[str, str, Q]]:
    day = datetime.timedelta
    return [
        ("current", _("Current"), Q(due_on__gte=as_of)),
        ("d1_30", _("1–30 days"), Q(due_on__lt=as_of, due_on__gte=as_of - day(30))),
        ("d31_60", _("31–60 days"), Q(due_on__lt=as_of - day(30), due_on__gte=as_of - day(60))),
        ("d61_90", _("61–90 days"), Q(due_on__lt=as_of - day(60), due_on__gte=as_of - day(90))),
        ("d90", _("Over 90 days"), Q(due_on__lt=as_of - day(90))),
    ]


def open_installments(*, user, params):
    qs = Installment.objects.filter(paid_on__isnull=True).exclude(contract__status__in=NOT_IN_FORCE)
    return visible_to(user, qs.filter(account_filter_q(params, prefix="contract__account__")))


def receivables_aging(*, user, params) -> dict:
    """{"buckets": [(key, label)], "rows": [{"currency", <key>: amount, "<key>_n": count, "total"}]}"""
    as_of = params.end
    buckets = aging_buckets(as_of)
    open_amount = F("amount") - F("paid_amount")
    aggregates = {}
    for key, _label, q in buckets:
        aggregates[key] = Sum(open_amount, filter=q, output_field=MONEY, default=ZERO)
        aggregates[f"{key}_n"] = Count("pk", filter=q)
    rows = list(
        open_installments(user=user, params=params)
        .order_by()
        .values(currency=F("contract__currency"))
        .annotate(**aggregates)
        .order_by("currency")
    )
    for row in rows:
        row["total"] = sum((row[key] for key, _l, _q in buckets), ZERO)
        row["overdue"] = row["total"] - row["current"]
    return {"buckets": [(k, label) for k, label, _q in buckets], "rows": rows, "as_of": as_of}


def most_overdue(*, user, params, limit: int = 10) -> list:
    """The contracts with the largest overdue balance as of the date, with their late fees."""
    qs = receivables(
        user=user, as_of=params.end, qs=Contract.objects.filter(account_filter_q(params, prefix="account__"))
    )
    return with_late_fees(qs.filter(overdue_amount__gt=0).order_by("-overdue_amount", "pk")[:limit], as_of=params.end)
