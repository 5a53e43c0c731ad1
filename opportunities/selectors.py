"""Read queries for opportunities and quotes, always scoped by the visibility policy.

The pipeline, forecast and won/lost figures are set-based (one grouped query each) and are what
the reports app reads: `pipeline_by_stage`, `forecast_by_month`, `won_lost_analysis`.
"""

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts.models import AccountEvent
from accounts.selectors import account_assignable_owners
from users.models import Team, User
from users.roles import Role
from users.visibility import get_visible_or_404, has_role, visible_to

from .models import DECIDING_ROLES, Opportunity, OpportunityContact, Quote, Stage, StageChange
from .quote_math import CENT

ZERO = Decimal("0.00")
WIDE = DecimalField(max_digits=20, decimal_places=2)
MET_WITHIN_DAYS = 90

OPPORTUNITY_SORTS = {
    "title": "title",
    "-title": "-title",
    "account": "account__name",
    "-account": "-account__name",
    "stage": "stage__order",
    "-stage": "-stage__order",
    "amount": "amount",
    "-amount": "-amount",
    "probability": "probability",
    "-probability": "-probability",
    "close": "expected_close_on",
    "-close": "-expected_close_on",
    "created": "created_at",
    "-created": "-created_at",
}
DEFAULT_SORT = "close"


def _weighted_expr():
    # amount × probability / 100, summed exactly (numeric) and rounded once at the end
    return ExpressionWrapper(F("amount") * F("probability") / Value(Decimal(100)), output_field=WIDE)


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


def pipeline_filter_teams(*, user):
    """The teams a user may filter the pipeline by: every team for directors and administrators,
    the teams they lead for an account manager (whose opportunities they see), none otherwise."""
    if has_role(user, Role.ADMIN, Role.DIRECTOR):
        return Team.objects.order_by("name")
    if has_role(user, Role.MANAGER):
        return Team.objects.filter(leader_id=user.pk).order_by("name")
    return Team.objects.none()


def pipeline_filter_owners(*, user):
    """The owners a user may filter the pipeline by: the account managers they may see the
    opportunities of (all for directors, themself and their teams' members for a team leader)."""
    return account_assignable_owners(user=user)


def team_q(team) -> Q:
    """A team's opportunities: the account is assigned to the team or owned by its leader or one
    of its members, or one of them owns the deal."""
    team_id = getattr(team, "pk", team)
    members = User.objects.filter(Q(teams__id=team_id) | Q(led_teams__id=team_id)).values("pk")
    return Q(account__team_id=team_id) | Q(account__owner_id__in=members) | Q(owner_id__in=members)


def opportunity_queryset_for(user):
    return visible_to(user, Opportunity.objects.filter(is_archived=False))


def active_stages():
    return list(Stage.objects.filter(is_active=True).order_by("order", "pk"))


def open_stages():
    return [s for s in active_stages() if not s.is_closed]


def move_targets(*, opportunity) -> list:
    """The stages the opportunity's page offers to move it to: any other active stage while it is
    open; an open stage once it is won or lost (it is reopened, not moved between outcomes)."""
    stages = open_stages() if opportunity.stage.is_closed else active_stages()
    return [s for s in stages if s.pk != opportunity.stage_id]


def opportunity_list(*, user, qs=None, sort: str = DEFAULT_SORT):
    qs = qs if qs is not None else Opportunity.objects.all()
    order = OPPORTUNITY_SORTS.get(sort, OPPORTUNITY_SORTS[DEFAULT_SORT])
    return (
        visible_to(user, qs.filter(is_archived=False)).select_related("account", "stage", "owner").order_by(order, "pk")
    )


def opportunity_get_for_user(*, user, pk) -> Opportunity:
    return get_visible_or_404(
        user, Opportunity.objects.select_related("account", "stage", "owner", "lost_to", "created_by"), pk=pk
    )


def quote_get_for_user(*, user, pk) -> Quote:
    return get_visible_or_404(
        user,
        Quote.objects.select_related(
            "opportunity__account", "opportunity__stage", "contract", "approved_by", "created_by"
        ),
        pk=pk,
    )


def opportunity_contact_get_for_user(*, user, pk) -> OpportunityContact:
    return get_visible_or_404(user, OpportunityContact.objects.select_related("opportunity", "contact"), pk=pk)


def quote_list(*, user, qs=None):
    qs = qs if qs is not None else Quote.objects.all()
    return visible_to(user, qs).select_related("opportunity__account").order_by("-created_at", "-pk")


def quote_approval_inbox(*, user):
    return quote_list(user=user, qs=Quote.objects.filter(status=Quote.Status.PENDING))


BOARD_CARDS_PER_STAGE = 40
BOARD_CLOSED_DAYS = 90


def board(*, user, qs=None) -> list[dict]:
    """The pipeline board: every active stage with its totals (one grouped query) and its first
    cards by expected close date (one query per stage, at most BOARD_CARDS_PER_STAGE each), so
    the board costs the same however many opportunities there are. Closed stages show what
    closed in the last 90 days only."""
    stages = active_stages()
    since = timezone.localdate() - datetime.timedelta(days=BOARD_CLOSED_DAYS)
    base = opportunity_list(user=user, qs=qs, sort="close").filter(
        Q(stage__outcome=Stage.Outcome.OPEN) | Q(closed_on__gte=since)
    )
    totals = {
        r["stage_id"]: r
        for r in base.values("stage_id")
        .annotate(count=Count("pk"), weighted=Sum(_weighted_expr()), total=Sum("amount"))
        .order_by()
    }
    # one small indexed query per stage (stage, expected close date): at 100,000 opportunities
    # far cheaper than numbering every row with a window function
    cards_by_stage = {stage.pk: list(base.filter(stage=stage)[:BOARD_CARDS_PER_STAGE]) for stage in stages}
    columns = []
    for stage in stages:
        t = totals.get(stage.pk, {})
        count = t.get("count", 0)
        cards = cards_by_stage.get(stage.pk, [])
        columns.append(
            {
                "stage": stage,
                "cards": cards,
                "count": count,
                "more": max(0, count - len(cards)),
                "amount": _money(t.get("total")),
                "weighted": _money(t.get("weighted")),
            }
        )
    return columns


# --- figures for pages and the reports app ---------------------------------------------------


def _scoped(user, *, owner=None, account=None, team=None):
    qs = opportunity_queryset_for(user)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if team is not None:
        qs = qs.filter(team_q(team))
    if account is not None:
        qs = qs.filter(account=account)
    return qs


def pipeline_by_stage(*, user, owner=None, team=None, account=None, include_closed: bool = False) -> list[dict]:
    """Per active stage (in board order): the number of opportunities, their amount and their
    amount weighted by probability. One grouped query; stages without any give zeros.
    Closed stages are left out unless `include_closed`."""
    stages = [s for s in active_stages() if include_closed or not s.is_closed]
    rows = {
        r["stage_id"]: r
        for r in _scoped(user, owner=owner, team=team, account=account)
        .filter(stage__in=stages)
        .values("stage_id")
        .annotate(count=Count("pk"), weighted=Sum(_weighted_expr()), total=Sum("amount"))
        .order_by()
    }
    result = []
    for stage in stages:
        r = rows.get(stage.pk, {})
        result.append(
            {
                "stage": stage,
                "stage_id": stage.pk,
                "code": stage.code,
                "name": str(stage.label),
                "outcome": stage.outcome,
                "count": r.get("count", 0),
                "amount": _money(r.get("total")),
                "weighted": _money(r.get("weighted")),
            }
        )
    return result


def forecast_by_month(
    *,
    user,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    owner=None,
    team=None,
) -> list[dict]:
    """Open opportunities by expected close month and owner: count, amount, and amount weighted
    by probability (Σ amount × probability / 100, rounded once). One grouped query. `owner` and
    `team` narrow it (within what the user may see).

    Rows are ordered by month, then owner name; `month` is the first day of the month."""
    qs = _scoped(user, owner=owner, team=team).filter(stage__outcome=Stage.Outcome.OPEN)
    if date_from is not None:
        qs = qs.filter(expected_close_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(expected_close_on__lte=date_to)
    rows = (
        qs.annotate(month=TruncMonth("expected_close_on"))
        .values("month", "owner_id", "owner__username", "owner__full_name")
        .annotate(count=Count("pk"), weighted=Sum(_weighted_expr()), total=Sum("amount"))
        .order_by("month", "owner__full_name", "owner__username")
    )
    result = []
    for r in rows:
        month = r["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        name = r["owner__full_name"] or r["owner__username"] or ""
        result.append(
            {
                "month": month,
                "owner_id": r["owner_id"],
                "owner_name": name,
                "count": r["count"],
                "amount": _money(r["total"]),
                "weighted": _money(r["weighted"]),
            }
        )
    return result


def won_lost_analysis(*, user, date_from: datetime.date, date_to: datetime.date, owner=None, team=None) -> dict:
    """Opportunities closed between the two dates (inclusive): totals won and lost, the win rate,
    counts and amounts by outcome and reason, and the deals lost per competitor. Three grouped queries."""
    closed = _scoped(user, owner=owner, team=team).filter(
        closed_on__gte=date_from, closed_on__lte=date_to, stage__outcome__in=[Stage.Outcome.WON, Stage.Outcome.LOST]
    )
    by_reason = [
        {
            "outcome": r["stage__outcome"],
            "reason": r["close_reason"],
            "count": r["count"],
            "amount": _money(r["amount"]),
        }
        for r in closed.values("stage__outcome", "close_reason")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("stage__outcome", "-count", "close_reason")
    ]
    by_competitor = [
        {
            "competitor_id": r["lost_to_id"],
            "competitor": r["lost_to__name"],
            "count": r["count"],
            "amount": _money(r["amount"]),
        }
        for r in closed.filter(stage__outcome=Stage.Outcome.LOST, lost_to__isnull=False)
        .values("lost_to_id", "lost_to__name")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("-count", "-amount", "lost_to__name")
    ]
    totals = closed.aggregate(
        won_count=Count("pk", filter=Q(stage__outcome=Stage.Outcome.WON)),
        won_amount=Coalesce(Sum("amount", filter=Q(stage__outcome=Stage.Outcome.WON)), ZERO, output_field=WIDE),
        lost_count=Count("pk", filter=Q(stage__outcome=Stage.Outcome.LOST)),
        lost_amount=Coalesce(Sum("amount", filter=Q(stage__outcome=Stage.Outcome.LOST)), ZERO, output_field=WIDE),
    )
    decided = totals["won_count"] + totals["lost_count"]
    totals["won_amount"] = _money(totals["won_amount"])
    totals["lost_amount"] = _money(totals["lost_amount"])
    totals["win_rate"] = (Decimal(totals["won_count"] * 100) / decided).quantize(Decimal("0.1")) if decided else None
    return {
        "date_from": date_from,
        "date_to": date_to,
        "totals": totals,
        "by_reason": by_reason,
        "by_competitor": by_competitor,
    }


# --- one opportunity ----------------------------------------------------------------------------


def stage_durations(*, opportunity: Opportunity, now: datetime.datetime | None = None) -> list[dict]:
    """The time spent in each stage, from the stage changes (a stage visited twice adds up).
    The current stage counts until now (until the closing move for a closed one: it stays there)."""
    now = now or timezone.now()
    changes = list(opportunity.stage_changes.select_related("to_stage").order_by("changed_at", "pk"))
    spent: dict[int, datetime.timedelta] = defaultdict(datetime.timedelta)
    stages = {}
    for current, following in zip(changes, [*changes[1:], None], strict=True):
        stages[current.to_stage_id] = current.to_stage
        if following is not None:
            spent[current.to_stage_id] += following.changed_at - current.changed_at
        elif not current.to_stage.is_closed:
            spent[current.to_stage_id] += now - current.changed_at
    ordered = sorted(stages.values(), key=lambda s: (s.order, s.pk))
    return [{"stage": s, "duration": spent[s.pk], "days": spent[s.pk].days} for s in ordered]


def stage_history(*, opportunity: Opportunity):
    return opportunity.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
        "-changed_at", "-pk"
    )


def contacts_last_met(*, account_id: int, contact_ids, since: datetime.datetime) -> dict[int, datetime.datetime]:
    """When each of these contacts was last met since `since`, from the account timeline.

    Events that record meeting people carry `data["met_contacts"]` (a list of contact ids): a
    completed visit, a logged callback. Opportunities sit beside visits in the layers and do not
    import them; the timeline is the shared record below both (docs/decisions.md)."""
    wanted = set(contact_ids)
    met: dict[int, datetime.datetime] = {}
    if not wanted:
        return met
    events = (
        AccountEvent.objects.filter(account_id=account_id, occurred_at__gte=since, data__has_key="met_contacts")
        .order_by("-occurred_at")
        .values_list("occurred_at", "data")
    )
    for occurred_at, data in events:
        for cid in data.get("met_contacts") or []:
            if cid in wanted and cid not in met:
                met[cid] = occurred_at
    return met


def buying_centre(*, opportunity: Opportunity, now: datetime.datetime | None = None) -> dict:
    """The contacts involved (with when each was last met) and, for an open opportunity, the gaps
    to warn about: no economic buyer or decision maker linked, or one of them not met in the last
    90 days."""
    now = now or timezone.now()
    links = list(opportunity.contact_roles.select_related("contact").order_by("role", "contact__name"))
    since = now - datetime.timedelta(days=MET_WITHIN_DAYS)
    met = contacts_last_met(
        account_id=opportunity.account_id, contact_ids=[link.contact_id for link in links], since=since
    )
    for link in links:
        link.last_met_at = met.get(link.contact_id)
    deciders = [link for link in links if link.role in DECIDING_ROLES]
    gaps = []
    if opportunity.stage.is_closed or opportunity.is_archived:
        pass  # decided: nothing left to warn about
    elif not deciders:
        gaps.append("no_decider")
    else:
        gaps.extend(("not_met", link) for link in deciders if link.last_met_at is None)
    return {"links": links, "deciders": deciders, "gaps": gaps, "met_within_days": MET_WITHIN_DAYS}


def opportunity_page(*, opportunity: Opportunity) -> dict:
    quotes = list(
        opportunity.quotes.select_related("contract", "created_by")
        .prefetch_related("lines")
        .order_by("-created_at", "-pk")
    )
    return {
        "opportunity": opportunity,
        "quotes": quotes,
        "competitors": list(opportunity.competitors.order_by("name")),
        "durations": stage_durations(opportunity=opportunity),
        "changes": list(stage_history(opportunity=opportunity)),
        "centre": buying_centre(opportunity=opportunity),
    }


def account_opportunity_summary(*, user, account) -> dict:
    """The account page's panel: open opportunities first, then the latest closed ones."""
    qs = opportunity_list(user=user, qs=Opportunity.objects.filter(account=account), sort="close")
    open_ones = list(qs.filter(stage__outcome=Stage.Outcome.OPEN)[:10])
    closed = list(qs.exclude(stage__outcome=Stage.Outcome.OPEN).order_by("-closed_on", "-pk")[:5])
    pipeline = sum((o.amount for o in open_ones), ZERO)
    weighted = sum((o.amount * o.probability / Decimal(100) for o in open_ones), ZERO)
    return {"open": open_ones, "closed": closed, "pipeline": _money(pipeline), "weighted": _money(weighted)}


def stage_change_list(*, user):
    return visible_to(user, StageChange.objects.select_related("opportunity", "to_stage")).order_by("-changed_at")
