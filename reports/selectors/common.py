"""Pieces every report shares: the accounts in scope (the visibility policy, then the team and
account-manager filters) and the period's bounds in local time."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Account, MonthlyRevenue, Transaction
from accounts.selectors import signed_amount_expr
from users.models import User
from users.visibility import sees_all, visible_to


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def period_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start 00:00, the day after end 00:00) in local time: `end` is inclusive."""
    return local_midnight(start), local_midnight(end + datetime.timedelta(days=1))


def team_q(team_id: int | None, *, prefix: str = "") -> Q:
    """Accounts of a team: assigned to it, or owned by one of its members."""
    if not team_id:
        return Q()
    members = User.objects.filter(teams__id=team_id).values("pk")
    return Q(**{f"{prefix}team_id": team_id}) | Q(**{f"{prefix}owner_id__in": members})


def account_filter_q(params, *, prefix: str = "") -> Q:
    """The team and account-manager filters on accounts, or on rows reaching them by `prefix`
    ("account__")."""
    q = team_q(params.team_id, prefix=prefix)
    if params.owner_id:
        q &= Q(**{f"{prefix}owner_id": params.owner_id})
    return q


def scoped_accounts(*, user, params, live: bool = True):
    """The accounts a report counts: those the user may see, narrowed by the filters."""
    qs = Account.objects.filter(is_archived=False) if live else Account.objects.all()
    return visible_to(user, qs).filter(account_filter_q(params))


def in_scope(qs, *, user, params):
    """Rows that name an account (`account_id`: rollup rows, transactions) of the accounts a report
    counts. A team's or a person's book, or a user who sees only some accounts: narrowed to those
    accounts first. The whole company: every row but the archived accounts' — their few ids come
    from a partial index, so no pass over every live account."""
    if params.team_id or params.owner_id or not sees_all(user, Account):
        return qs.filter(account_id__in=scoped_accounts(user=user, params=params).values("pk"))
    return qs.exclude(account_id__in=Account.objects.filter(is_archived=True).values("pk"))


def rollup_in_scope(*, user, params, months: Q):
    """The monthly revenue rollup's rows (`months`: a Q on `month`) of the accounts a report counts."""
    return in_scope(MonthlyRevenue.objects.filter(months), user=user, params=params)


def revenue_between(*, user, params, start: datetime.datetime, end: datetime.datetime) -> Decimal:
    """Net revenue (refunds subtract) of the accounts a report counts, from the raw transactions in
    [start, end)."""
    rows = in_scope(Transaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end), user=user, params=params)
    return rows.aggregate(total=Sum(signed_amount_expr()))["total"] or Decimal(0)


def month_to_date_last_year(*, user, params, today: datetime.date) -> Decimal:
    """Net revenue of the same days a year earlier: from the first of that month to the same day
    inclusive. Whichever part of that month is shorter is read from the raw transactions — the
    days so far, or the month's rollup total less the days after — so at most half a month of
    transactions is summed."""
    first = shift_year(today.replace(day=1))
    same_day = shift_year(today)
    month_end = (first + datetime.timedelta(days=32)).replace(day=1)
    after = local_midnight(same_day + datetime.timedelta(days=1))
    if same_day.day * 2 <= (month_end - first).days:
        return revenue_between(user=user, params=params, start=local_midnight(first), end=after)
    whole = rollup_in_scope(user=user, params=params, months=Q(month=first)).aggregate(total=Sum("revenue"))["total"]
    rest = revenue_between(user=user, params=params, start=after, end=local_midnight(month_end))
    return (whole or Decimal(0)) - rest


def percent(part, whole, places: str = "0.1") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def month_starts(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def shift_year(day: datetime.date, years: int = -1) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
