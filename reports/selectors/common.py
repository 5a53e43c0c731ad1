"""Pieces every report shares: the accounts in scope (the visibility policy, then the team and
account-manager filters) and the period's bounds in local time."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from users.models import User
from users.visibility import visible_to


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
