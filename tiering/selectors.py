"""Read queries of tiering, scoped to the user through the visibility policy.

Other apps read tier benefits (`tier_benefits_for`) and an account's tier card
(`account_tier_summary`) from here.
"""

import bisect
import datetime
import itertools
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from accounts.models import TIER_ORDER, AbcClass, Account, Tier
from core.jobs import abandoned_after
from users.roles import Role
from users.visibility import has_role, manager_scope, sees_all, visible_to

from .figures import figures_by_key, pareto_from_buckets
from .models import (
    TIER_LEVEL,
    AccountScore,
    RecomputeJob,
    RfmSegment,
    TierBenefit,
    TierChange,
    TierOverride,
    TierPolicy,
)


def tier_policy_active() -> TierPolicy | None:
    return TierPolicy.objects.active()


def tier_benefits() -> dict[str, TierBenefit]:
    return {b.tier: b for b in TierBenefit.objects.all()}


def tier_benefits_for(tier: str) -> TierBenefit | None:
    """The service targets of a tier (response/resolution hours, visit/callback cadence)."""
    return TierBenefit.objects.filter(tier=tier).first()


#: (from, to) pairs of each direction
DIRECTIONS = {
    "up": [(old, new) for old in TIER_LEVEL for new in TIER_LEVEL if TIER_LEVEL[new] > TIER_LEVEL[old]],
    "down": [(old, new) for old in TIER_LEVEL for new in TIER_LEVEL if TIER_LEVEL[new] < TIER_LEVEL[old]],
}


def tier_changes_for_user(
    *,
    user,
    account_id=None,
    tier=None,
    previous=None,
    job=None,
    direction=None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
):
    """Tier changes the user may see, newest first; each argument narrows them (`tier`: the new
    tier, `previous`: the old one, `direction`: "up" or "down", `since`/`until`: local days, inclusive)."""
    qs = TierChange.objects.select_related("account", "actor", "override").order_by("-at", "-id")
    if account_id:
        qs = qs.filter(account_id=account_id)
    if tier:
        qs = qs.filter(new_tier=tier)
    if previous:
        qs = qs.filter(previous_tier=previous)
    if job:
        qs = qs.filter(job_id=job)
    if direction in DIRECTIONS:
        pairs = Q()
        for old, new in DIRECTIONS[direction]:
            pairs |= Q(previous_tier=old, new_tier=new)
        qs = qs.filter(pairs)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(at__gte=datetime.datetime.combine(since, datetime.time.min, tzinfo=tz))
    if until:
        qs = qs.filter(
            at__lt=datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        )
    return visible_to(user, qs)


def tier_change_get(*, user, pk) -> TierChange:
    try:
        return tier_changes_for_user(user=user).get(pk=pk)
    except TierChange.DoesNotExist as exc:
        raise Http404 from exc


def sees_all_accounts(user) -> bool:
    """Whether the user's tier figures cover every account (else only those they may see)."""
    return sees_all(user, Account)


def live_accounts_for(user):
    return visible_to(user, Account.objects.filter(is_archived=False))


def _counts_and_revenue_by(*, user, field: str, values: list[str]) -> dict[str, dict]:
    """Live accounts and their 12-month revenue per value of `field`, for what the user sees.

    One row of conditional sums rather than GROUP BY: PostgreSQL answers it with a parallel
    index-only scan of account_live_tier_stats_idx (it includes every column used here).
    """
    sums = live_accounts_for(user).aggregate(
        **{f"n_{v}": Sum(Case(When(**{field: v}, then=Value(1)), default=Value(0))) for v in values},
        **{f"revenue_{v}": Sum("revenue_12m", filter=Q(**{field: v})) for v in values},
    )
    return {v: {"n": sums[f"n_{v}"] or 0, "revenue": sums[f"revenue_{v}"] or Decimal(0)} for v in values}


def _kept_or_live(*, user, kind: str, field: str, values: list[str]) -> dict[str, dict]:
    """Per value: from the figures the last recompute kept (a bounded read), or counted live
    before any recompute has kept figures."""
    kept = figures_by_key(user=user, kind=kind)
    if kept is None:
        return _counts_and_revenue_by(user=user, field=field, values=values)
    return {v: kept.get(v, {"n": 0, "revenue": Decimal(0)}) for v in values}


def tier_summary(*, user) -> list[dict]:
    """Accounts and revenue per tier (of the accounts the user sees), with shares, as of the last
    recompute (which writes every tier but a pin's)."""
    rows = _kept_or_live(user=user, kind="tier", field="tier", values=[t.value for t in TIER_ORDER])
    total_n = sum(r["n"] for r in rows.values()) or 0
    total_revenue = sum((r["revenue"] or Decimal(0)) for r in rows.values())
    positive = sum(max(r["revenue"] or Decimal(0), Decimal(0)) for r in rows.values())
    out = []
    benefits = tier_benefits()
    for tier in TIER_ORDER:
        r = rows.get(tier.value, {"n": 0, "revenue": Decimal(0)})
        revenue = r["revenue"] or Decimal(0)
        out.append(
            {
                "tier": tier.value,
                "label": tier.label,
                "accounts": r["n"],
                "revenue": revenue,
                "account_share": (100 * r["n"] / total_n) if total_n else 0,
                "revenue_share": float(100 * max(revenue, Decimal(0)) / positive) if positive else 0,
                "benefit": benefits.get(tier.value),
            }
        )
    return out, {"accounts": total_n, "revenue": total_revenue}


def pareto_curve(*, user, points: int = 100) -> dict:
    """Cumulative revenue share against the share of accounts (largest first), sampled to
    about `points` points, plus where 80% of revenue is reached: from the revenue buckets the
    last recompute kept (tiering.figures), or from every account before the first one."""
    buckets = figures_by_key(user=user, kind="pareto")
    if buckets is not None:
        return pareto_from_buckets(buckets, points=points)
    # floats: a chart needs no cents, and 100,000 Decimals cost more than the query
    # (an index-only scan of account_revenue_idx)
    query = (
        live_accounts_for(user)
        .filter(revenue_12m__gt=0)
        .order_by("-revenue_12m")
        .values_list(Cast("revenue_12m", FloatField()))
        .query
    )
    with connection.cursor() as cursor:  # the rows straight from the driver (no model layer)
        cursor.execute(*query.sql_with_params())
        revenues = [row[0] for row in cursor.fetchall()]
    n = len(revenues)
    running = list(itertools.accumulate(revenues))
    total = running[-1] if running else 0.0
    if not n or total <= 0:
        return {"x": [], "y": [], "accounts": 0, "share_for_80": None}
    step = max(1, n // points)
    xs, ys = [0.0], [0.0]
    for i in range(step, n + step, step):
        i = min(i, n)
        xs.append(round(100 * i / n, 2))
        ys.append(round(100 * running[i - 1] / total, 2))
        if i == n:
            break
    # the first account at which the running share reaches 80% (a tiny tolerance for float sums)
    reached = bisect.bisect_left(running, total * 0.8 * (1 - 1e-12))
    share_for_80 = round(100 * (reached + 1) / n, 1)
    return {"x": xs, "y": ys, "accounts": n, "share_for_80": share_for_80}


def last_recompute() -> RecomputeJob | None:
    return (
        RecomputeJob.objects.filter(status=RecomputeJob.Status.DONE, dry_run=False)
        .select_related("policy", "requested_by")
        .order_by("-finished_at", "-id")
        .first()
    )


def active_recompute(*, now: datetime.datetime | None = None) -> RecomputeJob | None:
    """The real (not dry-run) recompute that is queued or running, if any.

    A job that made no progress (no step stamped) for `core.jobs.abandoned_after()` counts as
    abandoned (its worker was killed or never came) and blocks nothing.
    """
    since = (now or timezone.now()) - abandoned_after()
    return (
        RecomputeJob.objects.filter(dry_run=False, status__in=[RecomputeJob.Status.QUEUED, RecomputeJob.Status.RUNNING])
        .filter(
            Q(progress_at__gte=since)
            | Q(progress_at__isnull=True, started_at__gte=since)
            | Q(progress_at__isnull=True, started_at__isnull=True, created_at__gte=since)
        )
        .select_related("requested_by")
        .order_by("-created_at", "-id")
        .first()
    )


def recent_jobs(limit: int = 5):
    return RecomputeJob.objects.select_related("requested_by").order_by("-created_at", "-id")[:limit]


def movement_rows(job: RecomputeJob | None, *, matrix: dict | None = None) -> list[dict]:
    """The job's from→to matrix (or `matrix`) as table rows in tier order.

    A cell is None where the number is not known (staying put, in a matrix built from the
    history rows, which record only changes)."""
    matrix = matrix if matrix is not None else (job.matrix if job else None)
    if not matrix:
        return []
    rows = []
    for old in TIER_ORDER:
        cells = []
        for new in TIER_ORDER:
            n = (matrix.get(old.value) or {}).get(new.value, 0)
            cells.append({"to": new, "n": n, "same": old == new})
        rows.append({"from": old, "cells": cells, "total": sum(c["n"] or 0 for c in cells)})
    return rows


def recompute_moves(*, user, job: RecomputeJob | None) -> dict:
    """The moves of a recompute as the user may see them.

    For a user who sees every account: the job's own matrix (stays included). For an account
    manager: the job's per-(owner, team) counts of the accounts they see, added up (the same
    rule as the visibility policy, no query beyond the manager's teams). Jobs recorded before
    those counts existed: the job's tier changes the user sees, counted in one GROUP BY query;
    staying put is not recorded per account there, so those cells are None.
    Returns {"rows", "changed", "all_accounts"}.
    """
    all_accounts = sees_all_accounts(user)
    if job is None:
        return {"rows": [], "changed": 0, "all_accounts": all_accounts}
    if all_accounts:
        return {"rows": movement_rows(job), "changed": (job.counts or {}).get("changed", 0), "all_accounts": True}
    by_scope = (job.counts or {}).get("moves_by_scope")
    if by_scope is not None:  # kept by the recompute per (owner, team): no query
        matrix = {old.value: dict.fromkeys((new.value for new in TIER_ORDER), 0) for old in TIER_ORDER}
        owners, teams = manager_scope(user) if has_role(user, Role.MANAGER) else (frozenset(), frozenset())
        for owner, team, old, new, n in by_scope:
            if (owner in owners or team in teams) and old in matrix and new in matrix[old]:
                matrix[old][new] += n
        changed = sum(matrix[o.value][n.value] for o in TIER_ORDER for n in TIER_ORDER if o != n)
        return {"rows": movement_rows(job, matrix=matrix), "changed": changed, "all_accounts": False}
    # jobs recorded before the per-scope counts: the job's tier changes the user may see
    matrix = {old.value: {new.value: (None if old == new else 0) for new in TIER_ORDER} for old in TIER_ORDER}
    changed = 0
    moves = (
        visible_to(user, TierChange.objects.filter(job=job))
        .values("previous_tier", "new_tier")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in moves:
        if row["previous_tier"] in matrix and row["new_tier"] in matrix[row["previous_tier"]]:
            matrix[row["previous_tier"]][row["new_tier"]] = row["n"]
            changed += row["n"]
    return {"rows": movement_rows(job, matrix=matrix), "changed": changed, "all_accounts": False}


def scores_for_user(*, user):
    return visible_to(user, AccountScore.objects.filter(account__is_archived=False))


def rfm_grid(*, user) -> dict:
    """Counts by R (columns) and F (rows), and per segment the accounts and revenue."""
    # one pass over the scores: (r, f, segment) groups give both the grid and the segment table
    cells: dict[tuple[int, int], int] = {}
    seg_rows: dict[str, dict] = {}
    kept = figures_by_key(user=user, kind="rfm")
    if kept is not None:  # the cells the last recompute kept
        groups = []
        for key, v in kept.items():
            r, f, segment = key.split(":", 2)
            groups.append(
                {
                    "r": None if r == "-" else int(r),
                    "f": None if f == "-" else int(f),
                    "segment": segment,
                    "n": v["n"],
                    "revenue": v["revenue"],
                }
            )
    else:
        groups = (
            scores_for_user(user=user)
            .values("r", "f", "segment")
            .annotate(n=Count("pk"), revenue=Sum("revenue"))
            .order_by()
        )
    for row in groups:
        if row["r"] is not None:
            cells[(row["r"], row["f"])] = cells.get((row["r"], row["f"]), 0) + row["n"]
        seg = seg_rows.setdefault(row["segment"], {"n": 0, "revenue": Decimal(0)})
        seg["n"] += row["n"]
        seg["revenue"] += Decimal(row["revenue"] or 0)
    biggest = max(cells.values(), default=0)
    grid = []
    for f in range(5, 0, -1):
        grid.append(
            {
                "f": f,
                "cells": [
                    {
                        "r": r,
                        "n": cells.get((r, f), 0),
                        "alpha": round(0.08 + 0.85 * cells.get((r, f), 0) / biggest, 2) if biggest else 0,
                    }
                    for r in range(1, 6)
                ],
            }
        )
    from .rfm import SEGMENT_HELP

    total = sum(s["n"] for s in seg_rows.values())
    segments = []
    for seg in RfmSegment:
        s = seg_rows.get(seg.value)
        if not s:
            continue
        segments.append(
            {
                "code": seg.value,
                "label": seg.label,
                "help": SEGMENT_HELP.get(seg, ""),
                "accounts": s["n"],
                "share": 100 * s["n"] / total if total else 0,
                "revenue": s["revenue"],
            }
        )
    return {"grid": grid, "segments": segments, "total": total, "scored": sum(cells.values())}


def abc_summary(*, user) -> list[dict]:
    rows = _kept_or_live(user=user, kind="abc", field="abc_class", values=list(AbcClass.values))
    positive = sum(max(r["revenue"] or Decimal(0), Decimal(0)) for r in rows.values())
    out = []
    for cls in AbcClass:
        r = rows.get(cls.value, {"n": 0, "revenue": Decimal(0)})
        revenue = r["revenue"] or Decimal(0)
        out.append(
            {
                "code": cls.value,
                "label": cls.label,
                "accounts": r["n"],
                "revenue": revenue,
                "revenue_share": float(100 * max(revenue, Decimal(0)) / positive) if positive else 0,
            }
        )
    return out


def abc_accounts(*, user, q: str = "", abc: str = "", tier: str = "", r: int | None = None, f: int | None = None):
    """Live accounts by revenue (largest first) with their score, for the ABC list and its CSV.

    `r` / `f`: only accounts with that recency / frequency score (a cell of the RFM grid)."""
    qs = live_accounts_for(user).select_related("owner", "tier_score")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(number__icontains=q) | Q(nickname__icontains=q))
    if abc in AbcClass.values:
        qs = qs.filter(abc_class=abc)
    if tier in Tier.values:
        qs = qs.filter(tier=tier)
    if r:
        qs = qs.filter(tier_score__r=r)
    if f:
        qs = qs.filter(tier_score__f=f)
    return qs.order_by("-revenue_12m", "id")


def account_tier_summary(*, user, account: Account, with_changes: bool = False) -> dict:
    """What the account page shows about tiering (the caller has already checked access).

    Two queries: the score with its active pin folded in, and the tier's benefits; the
    account page's timeline already lists the tier changes, so they come only when asked.
    """
    active_pin = TierOverride.objects.filter(account=OuterRef("account"), active=True).order_by("-pk")
    score = AccountScore.objects.filter(account=account).annotate(pin_id=Subquery(active_pin.values("pk")[:1])).first()
    override = None
    if score is None or score.pin_id:
        override = TierOverride.objects.filter(account=account, active=True).order_by("-pk").first()
    summary = {
        "account": account,
        "score": score,
        "override": override,
        "benefit": tier_benefits_for(account.tier),
    }
    if with_changes:
        summary["changes"] = list(tier_changes_for_user(user=user, account_id=account.pk)[:5])
    return summary


def pending_demotions(*, user):
    return scores_for_user(user=user).exclude(pending_tier="").select_related("account")


def account_tier_alerts(*, user, account: Account) -> list:
    """Tiering's line in the 360° header (accounts.alerts): a demotion that is on its way, and a
    pin that ends within two weeks. One query."""
    from accounts.alerts import AccountAlert

    score = (
        AccountScore.objects.filter(account=account)
        .annotate(
            pin_ends=Subquery(
                TierOverride.objects.filter(account=OuterRef("account"), active=True)
                .order_by("-pk")
                .values("ends_on")[:1]
            )
        )
        .only("pending_tier", "pending_streak")
        .first()
    )
    if score is None:
        return []
    alerts = []
    if score.pending_tier:
        text = ngettext(
            "Pending demotion to %(tier)s (qualified on %(n)s recompute so far): service drops if it goes on.",
            "Pending demotion to %(tier)s (qualified on %(n)s recomputes so far): service drops if it goes on.",
            score.pending_streak,
        ) % {"tier": Tier(score.pending_tier).label, "n": score.pending_streak}
        alerts.append(AccountAlert(level="warning", icon="graph-down-arrow", text=text, url=reverse("tiering:changes")))
    if score.pin_ends and score.pin_ends <= timezone.localdate() + datetime.timedelta(days=14):
        text = gettext("The pinned tier ends on %(day)s.") % {"day": date_format(score.pin_ends, "SHORT_DATE_FORMAT")}
        alerts.append(
            AccountAlert(level="info", icon="pin-angle", text=text, url=reverse("tiering:override", args=[account.pk]))
        )
    return alerts


def pending_demotions_count(*, user) -> int:
    kept = figures_by_key(user=user, kind="pending")
    if kept is None:
        return pending_demotions(user=user).count()
    return sum(v["n"] for v in kept.values())
