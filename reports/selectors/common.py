"""Pieces every report shares: the accounts in scope (the visibility policy, then the team and
account-manager filters) and the period's bounds in local time."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, MonthlyRevenue
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


def rollup_in_scope(*, user, params, months: Q):
    """The monthly revenue rollup's rows (`months`: a Q on `month`) of the accounts a report counts.

    A team's or a person's book, or a user who sees only some accounts: narrowed to those accounts
    first. The whole company: every row of those months but the archived accounts' — their few ids
    come from a partial index, so no pass over every live account."""
    rollup = MonthlyRevenue.objects.filter(months)
    if params.team_id or params.owner_id or not sees_all(user, Account):
        return rollup.filter(account_id__in=scoped_accounts(user=user, params=params).values("pk"))
    return rollup.exclude(account_id__in=Account.objects.filter(is_archived=True).values("pk"))


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
