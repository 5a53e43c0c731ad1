"""Read queries of visits, callbacks and follow-ups, always scoped by the visibility policy.

Cadence: each tier's callback cadence (tiering's TierBenefit.callback_cadence_days) is how often
someone must be in touch with its accounts; `Account.last_contact_at` (kept by the services of
visits, callbacks and contact-channel feedback) is the last time someone was. Days are local
dates in TIME_ZONE: an account last contacted on day D with a cadence of N days is due on D + N
and overdue from D + N + 1. An account never contacted is overdue.
"""

import calendar as pycalendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from accounts.models import TIER_ORDER, TIER_RANK, Account, Contact
from accounts.search import phone_digits
from core.cache import cached_figures
from tiering.models import TierBenefit
from users.models import Team, User
from users.roles import Role
from users.visibility import figures_audience, get_visible_or_404, has_role, visible_to

from .models import MAX_VISIT_LENGTH, Callback, CoverageTarget, FollowUp, Note, Visit

# --- one access function per object ---------------------------------------------------------


def visit_get_for_user(*, user, pk) -> Visit:
    return get_visible_or_404(
        user, Visit.objects.select_related("account", "owner", "recorded_by", "created_by"), pk=pk
    )


def callback_get_for_user(*, user, pk) -> Callback:
    return get_visible_or_404(user, Callback.objects.select_related("account", "contact", "created_by"), pk=pk)


def follow_up_get_for_user(*, user, pk) -> FollowUp:
    return get_visible_or_404(
        user, FollowUp.objects.select_related("account", "assignee", "visit", "callback", "done_by"), pk=pk
    )


def note_get_for_user(*, user, pk) -> Note:
    return get_visible_or_404(user, Note.objects.select_related("account", "created_by"), pk=pk)


# --- lists ----------------------------------------------------------------------------------

VISIT_SORTS = {
    "start": ("planned_start", "id"),
    "-start": ("-planned_start", "-id"),
    "account": ("account__name", "id"),
    "-account": ("-account__name", "-id"),
    "status": ("status", "-planned_start"),
    "-status": ("-status", "-planned_start"),
    "owner": ("owner__full_name", "-planned_start"),
    "-owner": ("-owner__full_name", "-planned_start"),
}
CALLBACK_SORTS = {
    "when": ("occurred_at", "id"),
    "-when": ("-occurred_at", "-id"),
    "account": ("account__name", "-occurred_at"),
    "-account": ("-account__name", "-occurred_at"),
    "satisfaction": ("satisfaction", "-occurred_at"),
    "-satisfaction": ("-satisfaction", "-occurred_at"),
}
FOLLOW_UP_SORTS = {
    "due": ("due_on", "id"),
    "-due": ("-due_on", "-id"),
    "account": ("account__name", "due_on"),
    "-account": ("-account__name", "due_on"),
}


def visit_list(*, user, qs=None, sort: str = "-start"):
    qs = Visit.objects.all() if qs is None else qs
    return (
        visible_to(user, qs).select_related("account", "owner").order_by(*VISIT_SORTS.get(sort, VISIT_SORTS["-start"]))
    )


def callback_list(*, user, qs=None, sort: str = "-when"):
    qs = Callback.objects.all() if qs is None else qs
    return (
        visible_to(user, qs)
        .select_related("account", "contact", "created_by")
        .order_by(*CALLBACK_SORTS.get(sort, CALLBACK_SORTS["-when"]))
    )


def follow_up_list(*, user, qs=None, sort: str = "due"):
    qs = FollowUp.objects.all() if qs is None else qs
    return (
        visible_to(user, qs)
        .select_related("account", "assignee", "done_by")
        .order_by(*FOLLOW_UP_SORTS.get(sort, FOLLOW_UP_SORTS["due"]))
    )


def my_follow_ups(*, user):
    """The user's open follow-ups, overdue first (oldest due date first)."""
    return follow_up_list(user=user, qs=FollowUp.objects.filter(assignee=user, done_at__isnull=True))


def open_follow_up_counts(*, user) -> dict:
    today = timezone.localdate()
    qs = FollowUp.objects.filter(assignee=user, done_at__isnull=True)
    return qs.aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))


# --- cadence --------------------------------------------------------------------------------


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def cadences() -> dict[str, dict[str, int]]:
    """{tier: {"callback": days, "visit": days}} from tiering's benefits table (one query)."""
    return {
        row["tier"]: {"callback": row["callback_cadence_days"], "visit": row["visit_cadence_days"]}
        for row in TierBenefit.objects.values("tier", "callback_cadence_days", "visit_cadence_days")
    }


def _due_q(*, today: datetime.date, cadence: dict, extra_days: int) -> Q:
    """Accounts whose contact is due on or before `today` (extra_days=1) or overdue (extra_days=0)."""
    q = Q(pk__in=[])
    for tier, days in cadence.items():
        boundary = local_midnight(today - datetime.timedelta(days=days["callback"] - extra_days))
        q |= Q(tier=tier) & (Q(last_contact_at__lt=boundary) | Q(last_contact_at__isnull=True))
    return q


def contact_due_date(*, account: Account, cadence: dict | None = None) -> datetime.date | None:
    """The local date on which the account's next contact is due (None: no cadence for its tier)."""
    cadence = cadences() if cadence is None else cadence
    days = cadence.get(account.tier, {}).get("callback")
    if days is None:
        return None
    if account.last_contact_at is None:
        return timezone.localdate()
    return timezone.localdate(account.last_contact_at) + datetime.timedelta(days=days)


def overdue_q(*, today: datetime.date | None = None, cadence: dict | None = None) -> Q:
    """Accounts whose last contact is older than their tier's cadence (the overdue rule, as a
    condition a pass over accounts can count: the dashboard's summary does)."""
    today = today or timezone.localdate()
    return _due_q(today=today, cadence=cadences() if cadence is None else cadence, extra_days=0)


def accounts_overdue_for_contact(*, today: datetime.date | None = None, qs=None, cadence: dict | None = None):
    """Live accounts whose last contact is older than their tier's cadence, NOT scoped to a user:
    for set-based jobs (reminders' sweep). Pages and the API use `overdue_accounts`."""
    qs = Account.objects.filter(is_archived=False) if qs is None else qs
    return qs.filter(overdue_q(today=today, cadence=cadence))


def overdue_accounts(*, user, today: datetime.date | None = None, qs=None, tiers=()):
    """Live accounts the user may see whose last contact is older than their tier's cadence: key
    accounts first (a tier shares one cadence, so in each tier the most overdue come first), and
    in each tier the never-contacted, then the longest silent — the callback worklist's order.

    `tiers`: the tiers `qs` is filtered to. Their ranks are stated as a condition on the tier
    rank too, so PostgreSQL starts the tier-first index at those tiers instead of skipping every
    higher tier's overdue accounts (a director's small accounts at 1,000,000: 460 ms → a few)."""
    rows = visible_to(user, accounts_overdue_for_contact(today=today, qs=qs))
    ranks = sorted({TIER_ORDER.index(tier) for tier in tiers if tier in TIER_ORDER})
    if ranks:
        rows = rows.alias(tier_rank=TIER_RANK).filter(tier_rank__in=ranks)
    return rows.select_related("owner").order_by(TIER_RANK, _nulls_first("last_contact_at"), "-revenue_12m", "id")


def _nulls_first(field):
    from django.db.models import F

    return F(field).asc(nulls_first=True)


def callbacks_due(*, user, today: datetime.date | None = None, qs=None):
    """Customer service's worklist: accounts whose callback is due today or overdue by their tier's
    cadence (000 §5): key accounts first, and in each tier the never-called and longest-silent
    (the overdue) before those due today."""
    today = today or timezone.localdate()
    qs = Account.objects.filter(is_archived=False) if qs is None else qs
    return (
        visible_to(user, qs)
        .filter(_due_q(today=today, cadence=cadences(), extra_days=1))
        .select_related("owner")
        .order_by(TIER_RANK, _nulls_first("last_contact_at"), "-revenue_12m", "id")
    )


def with_due_dates(accounts, *, cadence: dict | None = None, today: datetime.date | None = None) -> list:
    """Give each account of a page `due_on` and `days_overdue` (no query)."""
    cadence = cadences() if cadence is None else cadence
    today = today or timezone.localdate()
    rows = []
    for account in accounts:
        account.due_on = contact_due_date(account=account, cadence=cadence)
        account.days_overdue = (today - account.due_on).days if account.due_on else None
        account.never_contacted = account.last_contact_at is None
        rows.append(account)
    return rows


# --- coverage -------------------------------------------------------------------------------


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return local_midnight(first), local_midnight(following)


def contacted_in(start: datetime.datetime, end: datetime.datetime) -> Q:
    """Accounts with a visit done or a callback logged in [start, end): two hashed semi-joins over
    the month's rows (read from their time indexes), not a probe per account."""
    visits = Visit.objects.filter(status=Visit.Status.DONE, happened_at__gte=start, happened_at__lt=end)
    callbacks = Callback.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    return Q(pk__in=visits.values("account_id")) | Q(pk__in=callbacks.values("account_id"))


@dataclass
class CoverageRow:
    key: str
    label: str
    accounts: int
    contacted: int
    target: Decimal | None

    @property
    def percent(self) -> Decimal:
        if not self.accounts:
            return Decimal("0")
        return (Decimal(self.contacted) * 100 / self.accounts).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.percent >= self.target

    @property
    def needed(self) -> int:
        """How many more accounts must be contacted to meet the target."""
        if self.target is None:
            return 0
        wanted = (self.target * self.accounts / 100).to_integral_value(rounding="ROUND_CEILING")
        return max(0, int(wanted) - self.contacted)


COVERAGE_DIMENSIONS = {"tier": "tier", "category": "category", "owner": "owner"}


def coverage(*, user, month: datetime.date, by: str, accounts: Q | None = None) -> list[CoverageRow]:
    """The share of live accounts contacted (a visit done or a callback) in the local month,
    grouped by tier, category or account manager, with the configured target. `accounts`
    narrows the accounts counted further (a report's team and account-manager filters)."""
    return coverage_by(user=user, month=month, dimensions=(by,), accounts=accounts)[by]


def coverage_by(
    *,
    user,
    month: datetime.date,
    dimensions=tuple(COVERAGE_DIMENSIONS),
    accounts: Q | None = None,
    groups: list[dict] | None = None,
) -> dict[str, list[CoverageRow]]:
    """`coverage` for several groupings at once from one pass over the accounts: counted by
    every combination of the groupings asked for (a few dozen groups), then added up per grouping.
    `groups`: those counts already made (`coverage_groups`, e.g. kept by the page a minute)."""
    if groups is None:
        groups = coverage_groups(user=user, month=month, dimensions=dimensions, accounts=accounts)
    targets = {}
    for target in CoverageTarget.objects.filter(dimension__in=dimensions):
        targets.setdefault(target.dimension, {})[target.value] = target.percent
    owners = {}  # id -> (full name, username) of the owners found
    if "owner" in dimensions:
        owner_ids = {g["owner_id"] for g in groups} - {None}
        owners = {
            pk: (full, name)
            for pk, full, name in User.objects.filter(pk__in=owner_ids).values_list("pk", "full_name", "username")
        }
    return {by: _coverage_rows(by, groups, targets.get(by, {}), owners) for by in dimensions}


def coverage_page(*, user, month: datetime.date, refresh: bool = False, keep_for: float = 1):
    """The coverage page's three groupings, the pass over every account kept a minute per month
    and user (one entry for all who see every account) as the dashboard's figures are (`refresh`
    counts again): `(by_dimension, as_of)`. Targets and labels are applied on every view."""
    groups, as_of = cached_figures(
        f"coverage:{figures_audience(user, Account)}:{month:%Y-%m}",
        lambda: coverage_groups(user=user, month=month),
        refresh=refresh,
        keep_for=keep_for,
    )
    return coverage_by(user=user, month=month, groups=groups), as_of


def coverage_groups(
    *, user, month: datetime.date, dimensions=tuple(COVERAGE_DIMENSIONS), accounts: Q | None = None
) -> list[dict]:
    """The live accounts the user sees, and how many of them were contacted in the local month,
    per combination of the groupings' columns (plain values: they can be kept in the cache). The
    owner is grouped by id alone, its name read afterwards for the few owners found: one join and
    two text columns fewer in a pass over every account."""
    start, end = month_bounds(month)
    qs = visible_to(user, Account.objects.filter(is_archived=False))
    if accounts is not None:
        qs = qs.filter(accounts)
    columns = ["owner_id" if by == "owner" else COVERAGE_DIMENSIONS[by] for by in dimensions]
    return list(qs.values(*columns).annotate(accounts=Count("id"), hit=Count("id", filter=contacted_in(start, end))))


def _coverage_rows(by: str, groups: list[dict], targets: dict, owners: dict) -> list[CoverageRow]:
    default = targets.get("")
    field = "owner_id" if by == "owner" else COVERAGE_DIMENSIONS[by]
    totals: dict = {}
    for group in groups:
        key = group[field]
        accounts, hit = totals.get(key, (0, 0))
        totals[key] = (accounts + group["accounts"], hit + group["hit"])
    result = []
    if by == "owner":
        for owner_id, (accounts, hit) in totals.items():
            full_name, username = owners.get(owner_id, ("", ""))
            label = full_name or username or "—"
            result.append(CoverageRow(str(owner_id or ""), label, accounts, hit, targets.get(username, default)))
        result.sort(key=lambda row: (row.label is None, row.label))
    else:
        choices = dict(Account._meta.get_field(field).choices)
        order = list(choices)
        for code, (accounts, hit) in totals.items():
            result.append(CoverageRow(code, str(choices.get(code, code)), accounts, hit, targets.get(code, default)))
        result.sort(key=lambda row: order.index(row.key) if row.key in order else len(order))
    return result


def coverage_total(rows: list[CoverageRow]) -> CoverageRow:
    from django.utils.translation import gettext as _

    return CoverageRow("", _("All"), sum(r.accounts for r in rows), sum(r.contacted for r in rows), None)


# --- calendar -------------------------------------------------------------------------------


def calendar_people(*, user):
    """Whose calendar the user may open: themself; team leaders their members; directors and
    administrators every account manager; customer service every account manager too (read-only)."""
    managers = User.objects.filter(groups__name=Role.MANAGER.value, is_active=True)
    if has_role(user, Role.ADMIN, Role.DIRECTOR, Role.SERVICE):
        return managers.distinct().order_by("full_name", "username")
    members = User.objects.filter(teams__leader_id=user.pk).values("pk")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=members)).distinct().order_by("full_name", "username")


def calendar_teams(*, user):
    if has_role(user, Role.ADMIN, Role.DIRECTOR, Role.SERVICE):
        return Team.objects.order_by("name")
    return Team.objects.filter(leader_id=user.pk).order_by("name")


def _calendar_visits(*, user, start: datetime.date, end: datetime.date, person=None, team=None):
    """Visits (not cancelled) that overlap local days [start, end), for one person (led or
    joined) or a team, each once.

    The visits joined as a participant in those days are read first, as ids: `owner = X OR id IN
    (subquery)` is estimated at half the range's visits, so the planner joined every account the
    user may see (200 ms at a million accounts for a person with 40 visits); with the ids written
    out it reads the person's visits from their indexes and their accounts by primary key."""
    first, last = local_midnight(start), local_midnight(end)
    in_range = {
        "planned_start__lt": last,
        "planned_start__gte": first - MAX_VISIT_LENGTH,  # implied by the overlap: bounds the index range
        "planned_end__gte": first,
    }
    qs = Visit.objects.filter(**in_range).exclude(status=Visit.Status.CANCELLED)
    joined = Visit.participants.through.objects.filter(**{f"visit__{k}": v for k, v in in_range.items()})
    if person is not None:
        joined_ids = list(joined.filter(user=person).values_list("visit_id", flat=True))
        qs = qs.filter(Q(owner=person) | Q(pk__in=joined_ids))
    elif team is not None:
        members = list(team.members.values_list("pk", flat=True))
        joined_ids = list(joined.filter(user__in=members).values_list("visit_id", flat=True).distinct())
        qs = qs.filter(Q(owner__in=members) | Q(pk__in=joined_ids) | Q(account__team=team))
    return visible_to(user, qs)


def visits_between(*, user, start: datetime.date, end: datetime.date, person=None, team=None):
    """Visits (not cancelled) that overlap local days [start, end), for one person or a team."""
    qs = _calendar_visits(user=user, start=start, end=end, person=person, team=team)
    return qs.select_related("account", "owner").order_by("planned_start", "id")


def calendar_days(*, user, start: datetime.date, end: datetime.date, person=None, team=None, per_day: int):
    """What a calendar page draws, whatever the number of visits: per local day the number of
    visits that start that day and the first `per_day` of them. Two queries: one pass over the
    narrow rows (id, day, place in the day, the day's count) keeps `per_day` a day, then those
    visits are read whole (a busy team's six weeks hold tens of thousands of visits: sorting
    them whole, with their accounts, spilled to disk)."""
    day = TruncDate("planned_start", tzinfo=timezone.get_current_timezone())
    qs = _calendar_visits(user=user, start=start, end=end, person=person, team=team)
    kept = (
        qs.annotate(
            day=day,
            place=Window(RowNumber(), partition_by=[day], order_by=[F("planned_start"), F("id")]),
            day_count=Window(Count("pk"), partition_by=[day]),
        )
        .filter(place__lte=per_day)
        .order_by()
    )
    placed = {pk: (visit_day, n) for pk, visit_day, n in kept.values_list("pk", "day", "day_count")}
    counts = dict(placed.values())
    shown: dict[datetime.date, list] = {}
    if placed:
        for visit in (
            Visit.objects.filter(pk__in=list(placed)).select_related("account", "owner").order_by("planned_start", "id")
        ):
            visit.day = placed[visit.pk][0]
            shown.setdefault(visit.day, []).append(visit)
    return {d: {"count": n, "visits": shown.get(d, []), "more": n - len(shown.get(d, []))} for d, n in counts.items()}


def month_grid(month: datetime.date, days: dict) -> list[list[dict]]:
    """Weeks (Monday first) of days, each with what `calendar_days` found for it."""
    cal = pycalendar.Calendar(firstweekday=0)
    today = timezone.localdate()
    return [
        [{"date": day, "in_month": day.month == month.month, "today": day == today, **_day(days, day)} for day in week]
        for week in cal.monthdatescalendar(month.year, month.month)
    ]


def week_days(monday: datetime.date, days: dict) -> list[dict]:
    today = timezone.localdate()
    dates = [monday + datetime.timedelta(days=i) for i in range(7)]
    return [{"date": d, "today": d == today, **_day(days, d)} for d in dates]


def _day(days: dict, day: datetime.date) -> dict:
    return days.get(day, {"count": 0, "visits": [], "more": 0})


def feed_visits(*, user):
    """What the user's iCalendar feed holds: their visits (led or joined) from 90 days back."""
    since = timezone.now() - datetime.timedelta(days=90)
    qs = Visit.objects.filter(
        Q(owner=user) | Q(participants=user), planned_end__gte=since, planned_start__gte=since - MAX_VISIT_LENGTH
    ).exclude(status=Visit.Status.CANCELLED)
    return visible_to(user, qs).select_related("account", "owner").distinct().order_by("planned_start")[:1000]


# --- the account page -----------------------------------------------------------------------


def account_activity_summary(*, user, account: Account) -> dict:
    """The visits card of the 360° page: next planned contact, due dates, open follow-ups (3 queries)."""
    now = timezone.now()
    cadence = cadences()
    upcoming = list(
        Visit.objects.filter(
            account=account, status__in=[Visit.Status.PLANNED, Visit.Status.CONFIRMED], planned_end__gte=now
        )
        .select_related("owner")
        .order_by("planned_start")[:3]
    )
    follow_ups = list(
        FollowUp.objects.filter(account=account, done_at__isnull=True).select_related("assignee").order_by("due_on")[:5]
    )
    due_on = contact_due_date(account=account, cadence=cadence)
    today = timezone.localdate()
    return {
        "account": account,
        "upcoming": upcoming,
        "follow_ups": follow_ups,
        "due_on": due_on,
        "overdue": bool(due_on and due_on < today),
        "due_today": due_on == today,
        "cadence_days": cadence.get(account.tier, {}).get("callback"),
        "visit_cadence_days": cadence.get(account.tier, {}).get("visit"),
        "today": today,
    }


def next_planned_contact(*, account: Account):
    """The next open visit or follow-up of the account, for the page header."""
    visit = (
        Visit.objects.filter(
            account=account,
            status__in=[Visit.Status.PLANNED, Visit.Status.CONFIRMED],
            planned_end__gte=timezone.now(),
        )
        .order_by("planned_start")
        .first()
    )
    return visit


# --- the composer ---------------------------------------------------------------------------


def caller_matches(*, user, phone: str, limit: int = 10) -> list[dict]:
    """Contacts and accounts the user may see whose phone number holds these digits (the caller's
    number, or part of it; at least 4 digits). Contacts first, one row each."""
    digits = phone_digits(phone)
    if phone.strip().startswith("+86") or digits.startswith("0086"):
        digits = (
            digits[2:] if phone.strip().startswith("+") else digits[4:]
        )  # the country code: stored numbers rarely have it
    if len(digits) < 4:
        return []
    accounts = visible_to(
        user, Account.objects.filter(Q(search__text__contains=digits) | Q(phone__contains=digits), is_archived=False)
    ).only("id", "name", "number", "phone", "tier", "owner_id")[:50]
    accounts = {a.pk: a for a in accounts}
    if not accounts:
        return []
    matches = []
    contacts = Contact.objects.filter(account_id__in=list(accounts), is_archived=False).only(
        "id", "name", "title", "phone", "account_id"
    )
    for contact in contacts:
        if digits in phone_digits(contact.phone):
            matches.append({"account": accounts[contact.account_id], "contact": contact})
    seen = {m["account"].pk for m in matches}
    for account in accounts.values():
        if account.pk not in seen and digits in phone_digits(account.phone):
            matches.append({"account": account, "contact": None})
    matches.sort(key=lambda m: (m["contact"] is None, m["account"].name))
    return matches[:limit]


def account_visit_alerts(*, user, account) -> list:
    """Visits' line in the 360° header (accounts.alerts): the next planned contact, or that the
    tier's cadence says a contact is due and none is planned. One query (two with a cadence)."""
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.translation import gettext

    from accounts.alerts import AccountAlert

    upcoming = (
        Visit.objects.filter(
            account=account,
            status__in=[Visit.Status.PLANNED, Visit.Status.CONFIRMED],
            planned_start__gte=timezone.now(),
        )
        .order_by("planned_start")
        .only("pk", "planned_start", "purpose")
        .first()
    )
    if upcoming is not None:
        text = gettext("Next visit %(day)s: %(purpose)s") % {
            "day": date_format(timezone.localtime(upcoming.planned_start), "SHORT_DATE_FORMAT"),
            "purpose": upcoming.purpose,
        }
        return [AccountAlert(level="info", icon="calendar-check", text=text, url=upcoming.get_absolute_url())]
    if account.is_archived:
        return []
    due = contact_due_date(account=account)
    if due is not None and due <= timezone.localdate():
        text = gettext("A contact is due by the tier's cadence (since %(day)s) and none is planned.") % {
            "day": date_format(due, "SHORT_DATE_FORMAT")
        }
        url = f"{reverse('visits:visit_create')}?account={account.pk}"
        return [AccountAlert(level="warning", icon="calendar-plus", text=text, url=url)]
    return []
