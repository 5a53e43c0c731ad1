"""Write use cases of tiering: the set-based recompute, pins (overrides), policy versions and
recompute jobs.

The recompute is a handful of SQL statements over the whole table, whatever the number of
accounts (DESIGN.md "Set-based work"):

1. one CREATE TEMPORARY TABLE ... AS SELECT computes, for every live account, the window
   revenue (purchases + recharges − refunds), its rank (ties share a rank), RFM quintiles, the ABC
   class by cumulative revenue share, the tier the policy gives, the pin in force and the demotion
   streak, into scratch rows (`tiering_scratch`, private to this database session: no write-ahead
   log, no indexes to keep, nothing for other sessions to see or clean up);
2. a few GROUP BY queries count the moves (the from→to matrix) — a dry run stops here;
3. in one transaction: INSERT ... SELECT the `TierChange` rows and the timeline events for the
   accounts whose tier changes, UPDATE ... FROM the accounts, upsert the scores, end expired pins;
4. the scratch table is dropped.
"""

import datetime
import logging
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Tier
from accounts.timeline import record_event
from core.jobs import enqueue_on_commit

from .models import (
    AccountScore,
    RecomputeJob,
    TierChange,
    TierOverride,
    TierPolicy,
)
from .rfm import segment_sql
from .selectors import active_recompute

logger = logging.getLogger(__name__)

TIERS = [Tier.VIP.value, Tier.REGULAR.value, Tier.SMALL.value]
ADVISORY_LOCK_KEY = 7_310_001  # pg_advisory_xact_lock key for the apply phase
SCRATCH = "tiering_scratch"  # the session's temporary table of one recompute


REQUEST_LOCK_KEY = 7_310_002  # pg_advisory_xact_lock key: one recompute request at a time


class RecomputeInProgress(ValidationError):
    """A real recompute is refused while another one is queued or running (`job`)."""

    def __init__(self, message, *, job=None):
        super().__init__(message, code="recompute_in_progress")
        self.job = job


# --- small helpers ---------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole months, clamped to the month's last day (Mar 31 − 1 month = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def tier_window(*, now: datetime.datetime, months: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The revenue window as aware datetimes [start, end) in the project's local time zone.

    It ends at the local midnight after `now`'s day (the whole of today counts) and starts
    `months` months before that: 12 months up to 2025-06-15 is 2024-06-16 00:00 to
    2025-06-16 00:00 Asia/Shanghai.
    """
    tz = timezone.get_default_timezone()
    today = timezone.localtime(now, tz).date()
    end_day = today + datetime.timedelta(days=1)
    start_day = add_months(end_day, -months)
    start = timezone.make_aware(datetime.datetime.combine(start_day, datetime.time.min), tz)
    end = timezone.make_aware(datetime.datetime.combine(end_day, datetime.time.min), tz)
    return start, end


def _named(sql: str, params: dict) -> tuple[str, list]:
    """`%(name)s` placeholders to positional `%s` (both backends take those)."""
    values = []

    def repl(match):
        values.append(params[match.group(1)])
        return "%s"

    return re.sub(r"%\((\w+)\)s", repl, sql), values


def _execute(sql: str, params: dict | None = None) -> int:
    query, values = _named(sql, params or {})
    with connection.cursor() as cursor:
        cursor.execute(query, values)
        return cursor.rowcount


def _fetch(sql: str, params: dict | None = None) -> list[tuple]:
    query, values = _named(sql, params or {})
    with connection.cursor() as cursor:
        cursor.execute(query, values)
        return cursor.fetchall()


def _dec(value) -> Decimal | float:
    """Decimals as the backend compares them: exact numeric on PostgreSQL, REAL on SQLite
    (where a string would compare as text)."""
    value = Decimal(value)
    return value if connection.vendor == "postgresql" else float(value)


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _date(value):
    return connection.ops.adapt_datefield_value(value)


def _json_object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object built in SQL from (key, sql expression) pairs (keys are constants)."""
    func = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{func}(" + ", ".join(f"'{key}', {expr}" for key, expr in pairs) + ")"


def _level(column: str) -> str:
    return f"(CASE {column} WHEN 'vip' THEN 3 WHEN 'regular' THEN 2 ELSE 1 END)"


# --- policy --------------------------------------------------------------------------------


def tier_policy_get_active() -> TierPolicy:
    """The policy in force; creates version 1 with the defaults when there is none."""
    policy = TierPolicy.objects.active()
    if policy is None:
        with transaction.atomic():
            policy = TierPolicy.objects.active()
            if policy is None:
                policy = TierPolicy(version=_next_policy_version(), note="Defaults")
                policy.full_clean()
                policy.save()
    return policy


def _next_policy_version() -> int:
    return (TierPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def tier_policy_new_version(*, actor=None, base: TierPolicy | None = None, **fields) -> TierPolicy:
    """Save a changed policy as a new version (the old row stays as it was).

    `base` is the policy being edited (its values are the starting point; unsaved edits on it are
    kept); `fields` override single values.
    """
    source = base or TierPolicy.objects.active() or TierPolicy()
    values = {
        f.name: getattr(source, f.name)
        for f in TierPolicy._meta.concrete_fields
        if f.name not in ("id", "version", "created_at", "created_by")
    }
    values.update(fields)
    policy = TierPolicy(**values, version=_next_policy_version(), created_by=actor)
    policy.full_clean()
    policy.save()
    return policy


# --- jobs ----------------------------------------------------------------------------------


@transaction.atomic
def recompute_job_claim(
    *, actor=None, dry_run: bool = False, trigger: str = RecomputeJob.Trigger.MANUAL
) -> RecomputeJob:
    """Create a recompute job under the single-flight lock of recomputes.

    The manual request, the admin action, the API and the nightly run all come through here:
    a real recompute is refused (`RecomputeInProgress`) while another real one is queued or
    running and not abandoned; dry runs write nothing and are always accepted.
    """
    if not dry_run:
        if connection.vendor == "postgresql":  # two quick clicks: the second waits, then sees the first
            _execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": REQUEST_LOCK_KEY})
        active = active_recompute()
        if active is not None:
            raise RecomputeInProgress(
                _(
                    "Another recompute (#%(id)s) is already queued or running. Wait until it has "
                    "finished before starting a new one."
                )
                % {"id": active.pk},
                job=active,
            )
    return RecomputeJob.objects.create(
        dry_run=bool(dry_run),
        trigger=trigger,
        requested_by=actor,
        step=gettext_noop("Queued"),
        progress_at=timezone.now(),
    )


@transaction.atomic
def recompute_job_request(
    *, actor=None, dry_run: bool = False, trigger: str = RecomputeJob.Trigger.MANUAL
) -> RecomputeJob:
    """Queue a recompute in the background (a worker runs it after this transaction commits).

    Refused like `recompute_job_claim`. When the broker does not take the task, the job is
    marked failed and `core.jobs.BrokerUnavailable` is raised (pages and API answer 503).
    """
    from .tasks import run_recompute_job

    job = recompute_job_claim(actor=actor, dry_run=dry_run, trigger=trigger)
    enqueue_on_commit(run_recompute_job, job.pk, on_failure=lambda exc: _job_not_sent(job, exc))
    return job


def _job_not_sent(job: RecomputeJob, exc: Exception) -> None:
    RecomputeJob.objects.filter(pk=job.pk).update(
        status=RecomputeJob.Status.FAILED,
        step=gettext_noop("Failed"),
        error=f"The job queue did not answer; nothing was sent. {exc}"[:2000],
        finished_at=timezone.now(),
    )
    job.status = RecomputeJob.Status.FAILED


@transaction.atomic
def recompute_job_mark_failed(*, job: RecomputeJob, actor, reason: str = "") -> RecomputeJob:
    """An administrator ends a job that will not finish (its worker is gone)."""
    job = RecomputeJob.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise ValidationError(
            _("Recompute #%(id)s has already finished (%(status)s).")
            % {"id": job.pk, "status": job.get_status_display()}
        )
    who = getattr(actor, "username", "") or "-"
    job.status = RecomputeJob.Status.FAILED
    job.step = gettext_noop("Failed")
    job.error = (f"Marked failed by {who}. {reason}").strip()
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "step", "error", "finished_at"])
    return job


def _progress(job: RecomputeJob, progress: int, step: str, **extra) -> None:
    """Record a step and stamp the progress time (a job that stops stamping is abandoned)."""
    job.progress = progress
    job.step = step
    job.progress_at = timezone.now()
    for key, value in extra.items():
        setattr(job, key, value)
    job.save(update_fields=["progress", "step", "progress_at", *extra.keys()])


# --- the recompute ----------------------------------------------------------------------------


def _tier_case(policy: TierPolicy) -> str:
    """The tier the policy gives, as SQL over the CTE columns (numbers come in as parameters)."""
    if policy.method == TierPolicy.Method.THRESHOLDS:
        return (
            "CASE WHEN rk.rnk IS NULL THEN 'small' "
            "WHEN b.revenue >= %(vip_from)s AND b.revenue >= %(min_vip)s THEN 'vip' "
            "WHEN b.revenue >= %(regular_from)s THEN 'regular' ELSE 'small' END"
        )
    if policy.method == TierPolicy.Method.RFM:
        return (
            "CASE WHEN rk.rnk IS NULL OR rfm.r IS NULL THEN 'small' "
            "WHEN rfm.r + rfm.f + rfm.m >= %(vip_from)s AND b.revenue >= %(min_vip)s THEN 'vip' "
            "WHEN rfm.r + rfm.f + rfm.m >= %(regular_from)s THEN 'regular' ELSE 'small' END"
        )
    # revenue rank: fewer than vip% of the ranked accounts are ahead of it -> VIP (ties share a rank)
    return (
        "CASE WHEN rk.rnk IS NULL THEN 'small' "
        "WHEN (rk.rnk - 1) * 10000 < rk.n * %(vip_bp)s AND b.revenue >= %(min_vip)s THEN 'vip' "
        "WHEN (rk.rnk - 1) * 10000 < rk.n * %(top_bp)s THEN 'regular' ELSE 'small' END"
    )


def _policy_params(policy: TierPolicy) -> dict:
    if policy.method == TierPolicy.Method.THRESHOLDS:
        vip_from, regular_from = _dec(policy.vip_threshold), _dec(policy.regular_threshold)
    elif policy.method == TierPolicy.Method.RFM:
        vip_from, regular_from = int(policy.rfm_vip_score), int(policy.rfm_regular_score)
    else:
        vip_from, regular_from = None, None
    vip_bp = int(Decimal(policy.vip_percent) * 100)
    return {
        "vip_bp": vip_bp,
        "top_bp": vip_bp + int(Decimal(policy.regular_percent) * 100),
        "min_vip": _dec(policy.min_vip_revenue),
        "vip_from": vip_from,
        "regular_from": regular_from,
        "abc_a": _dec(policy.abc_a_percent),
        "abc_b": _dec(policy.abc_b_percent),
        "need": int(policy.demotion_streak),
    }


def _compute_rows(*, job: RecomputeJob, policy: TierPolicy, now: datetime.datetime) -> int:
    """Statement 1: one scratch row per live account with everything the recompute decides."""
    _drop_scratch()
    start, end = tier_window(now=now, months=policy.window_months)
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    lvl_computed, lvl_previous = _level("computed_tier"), _level("previous_tier")
    sql = f"""
    CREATE TEMPORARY TABLE {SCRATCH} AS
    WITH agg AS (SELECT account_id, revenue, frequency, last_at FROM tiering_window_agg),
    base AS (
        SELECT a.id AS account_id, a.tier AS previous_tier,
            ROUND(COALESCE(agg.revenue, 0), 2) AS revenue,
            COALESCE(agg.frequency, 0) AS frequency,
            agg.last_at AS last_at
        FROM accounts_account a LEFT JOIN agg ON agg.account_id = a.id
        WHERE a.is_archived = %(false)s
    ),
    ranked AS (
        SELECT account_id,
            RANK() OVER (ORDER BY revenue DESC) AS rnk,
            COUNT(*) OVER () AS n,
            SUM(revenue) OVER (ORDER BY revenue DESC)
                - SUM(revenue) OVER (PARTITION BY revenue) AS ahead,
            SUM(revenue) OVER () AS total
        FROM base WHERE revenue > 0
    ),
    rfm_base AS (
        SELECT account_id,
            RANK() OVER (ORDER BY last_at) AS r_rank,
            RANK() OVER (ORDER BY frequency) AS f_rank,
            RANK() OVER (ORDER BY revenue) AS m_rank,
            COUNT(*) OVER () AS n
        FROM base WHERE last_at IS NOT NULL
    ),
    rfm AS (
        SELECT account_id,
            1 + ((r_rank - 1) * 5) / n AS r,
            1 + ((f_rank - 1) * 5) / n AS f,
            1 + ((m_rank - 1) * 5) / n AS m
        FROM rfm_base
    ),
    comp AS (
        SELECT b.account_id, b.previous_tier, b.revenue, b.frequency, b.last_at,
            rk.rnk, (SELECT COUNT(*) FROM ranked) AS ranked_count,
            rfm.r, rfm.f, rfm.m,
            {segment_sql("rfm.r", "rfm.f", "rfm.m")} AS segment,
            CASE WHEN rk.rnk IS NULL THEN 'C'
                 WHEN ROUND(rk.ahead * 100, 2) < ROUND(rk.total * %(abc_a)s, 2) THEN 'A'
                 WHEN ROUND(rk.ahead * 100, 2) < ROUND(rk.total * %(abc_b)s, 2) THEN 'B'
                 ELSE 'C' END AS abc_class,
            {_tier_case(policy)} AS computed_tier,
            o.id AS override_id,
            CASE WHEN o.id IS NULL THEN ''
                 WHEN o.ends_on >= %(today)s THEN 'active' ELSE 'expired' END AS override_state,
            o.tier AS override_tier,
            COALESCE(s.pending_streak, 0) AS old_streak,
            s.pending_on AS old_pending_on
        FROM base b
        LEFT JOIN ranked rk ON rk.account_id = b.account_id
        LEFT JOIN rfm ON rfm.account_id = b.account_id
        LEFT JOIN tiering_tieroverride o ON o.account_id = b.account_id AND o.active = %(true)s
        LEFT JOIN tiering_accountscore s ON s.account_id = b.account_id
    ),
    dec AS (
        SELECT comp.*,
            CASE WHEN override_state <> '' THEN 0
                 WHEN {lvl_computed} < {lvl_previous} THEN
                     (CASE WHEN old_pending_on = %(today)s THEN old_streak ELSE old_streak + 1 END)
                 ELSE 0 END AS streak
        FROM comp
    ),
    fin AS (
        SELECT dec.*,
            CASE WHEN override_state = 'active' THEN override_tier
                 WHEN override_state = 'expired' THEN computed_tier
                 WHEN streak > 0 AND streak < %(need)s THEN previous_tier
                 ELSE computed_tier END AS target_tier,
            CASE WHEN streak > 0 AND streak < %(need)s THEN 1 ELSE 0 END AS is_pending
        FROM dec
    )
    SELECT account_id, previous_tier, revenue, frequency, last_at AS last_purchase_at,
        rnk AS rank, ranked_count, r, f, m, segment, abc_class, computed_tier, override_id,
        override_state, target_tier,
        CASE WHEN is_pending = 1 THEN computed_tier ELSE '' END AS pending_tier,
        CASE WHEN is_pending = 1 THEN streak ELSE 0 END AS pending_streak,
        CASE WHEN is_pending = 1 THEN %(today)s ELSE NULL END AS pending_on,
        CASE WHEN target_tier = previous_tier THEN ''
             WHEN override_state = 'active' THEN 'override'
             WHEN override_state = 'expired' THEN 'override_expired'
             ELSE 'computed' END AS change_kind
    FROM fin
    """
    params = {
        **_policy_params(policy),
        "start": _dt(start),
        "end": _dt(end),
        "today": _date(today),
        "true": True,
        "false": False,
    }
    # The aggregate over every transaction goes to a temporary table first: PostgreSQL runs a
    # CREATE TABLE AS in parallel, an INSERT ... SELECT never (about a second on 1M rows).
    _execute("DROP TABLE IF EXISTS tiering_window_agg")
    _execute(
        """
        CREATE TEMPORARY TABLE tiering_window_agg AS
        SELECT t.account_id,
            SUM(CASE WHEN t.occurred_at >= %(start)s
                     THEN (CASE WHEN t.kind = 'refund' THEN -t.amount ELSE t.amount END)
                     ELSE 0 END) AS revenue,
            SUM(CASE WHEN t.occurred_at >= %(start)s AND t.kind <> 'refund' THEN 1 ELSE 0 END)
                AS frequency,
            MAX(CASE WHEN t.kind <> 'refund' THEN t.occurred_at END) AS last_at
        FROM accounts_transaction t
        WHERE t.occurred_at < %(end)s
        GROUP BY t.account_id
        """,
        params,
    )
    try:
        rows = _execute(sql, params)
    finally:
        _execute("DROP TABLE IF EXISTS tiering_window_agg")
    return rows


def _drop_scratch() -> None:
    _execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def _count_moves() -> tuple[dict, dict]:
    """Statement 2: the from→to matrix and the totals of this recompute (scratch rows)."""
    matrix = {old: dict.fromkeys(TIERS, 0) for old in TIERS}
    for old, new, n in _fetch(
        f"SELECT previous_tier, target_tier, COUNT(*) FROM {SCRATCH} GROUP BY previous_tier, target_tier"
    ):
        matrix.setdefault(old, dict.fromkeys(TIERS, 0))[new] = n
    tiers = {t: {"accounts": 0, "revenue": "0.00"} for t in TIERS}
    for tier, n, revenue in _fetch(f"SELECT target_tier, COUNT(*), SUM(revenue) FROM {SCRATCH} GROUP BY target_tier"):
        tiers[tier] = {"accounts": n, "revenue": f"{Decimal(str(revenue or 0)):.2f}"}
    abc = dict(_fetch(f"SELECT abc_class, COUNT(*) FROM {SCRATCH} GROUP BY abc_class"))
    segments = dict(_fetch(f"SELECT segment, COUNT(*) FROM {SCRATCH} GROUP BY segment"))
    ((total, changed, pending, pinned, ranked),) = _fetch(
        "SELECT COUNT(*), "
        "SUM(CASE WHEN target_tier <> previous_tier THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN pending_tier <> '' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN override_state = 'active' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN rank IS NOT NULL THEN 1 ELSE 0 END) "
        f"FROM {SCRATCH}"
    )
    # the same moves per (owner, team) of the account, so a manager's overview can add up the
    # accounts they see without reading the job's tier changes again
    moves_by_scope = [
        [owner, team, old, new, n]
        for owner, team, old, new, n in _fetch(
            f"SELECT a.owner_id, a.team_id, st.previous_tier, st.target_tier, COUNT(*) FROM {SCRATCH} st "
            "JOIN accounts_account a ON a.id = st.account_id "
            "GROUP BY a.owner_id, a.team_id, st.previous_tier, st.target_tier"
        )
    ]
    promoted = sum(matrix[o][n] for o in TIERS for n in TIERS if TIERS.index(n) < TIERS.index(o))
    demoted = sum(matrix[o][n] for o in TIERS for n in TIERS if TIERS.index(n) > TIERS.index(o))
    counts = {
        "accounts": total or 0,
        "ranked": int(ranked or 0),
        "changed": int(changed or 0),
        "promoted": promoted,
        "demoted": demoted,
        "pending_demotions": int(pending or 0),
        "pinned": int(pinned or 0),
        "tiers": tiers,
        "abc": abc,
        "segments": segments,
        "moves_by_scope": moves_by_scope,
    }
    return matrix, counts


def _reason_json(policy: TierPolicy) -> str:
    """The numbers of a change as a JSON object built in SQL (st = scratch row, o = the pin)."""
    return _json_object(
        [
            ("kind", "COALESCE(NULLIF(st.change_kind, ''), 'computed')"),
            ("from", "a.tier"),
            ("to", "st.target_tier"),
            ("method", "CAST(%(method)s AS TEXT)"),
            ("rank", "st.rank"),
            ("of", "st.ranked_count"),
            ("revenue", "st.revenue"),
            ("window", "CAST(%(window)s AS INTEGER)"),
            ("r", "st.r"),
            ("f", "st.f"),
            ("m", "st.m"),
            ("segment", "st.segment"),
            ("min_vip", "CAST(%(min_vip_text)s AS TEXT)"),
            ("vip_from", "CAST(%(vip_from_text)s AS TEXT)"),
            ("regular_from", "CAST(%(regular_from_text)s AS TEXT)"),
            ("streak", "CAST(%(need)s AS INTEGER)"),
            ("ends_on", "o.ends_on"),
            ("reason", "o.reason"),
            ("policy_version", "CAST(%(version)s AS INTEGER)"),
        ]
    )


def _apply_rows(*, job: RecomputeJob, policy: TierPolicy, actor, now) -> None:
    """Statement 3: write changes, timeline events, accounts, scores; end expired pins."""
    if connection.vendor == "postgresql":
        _execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": ADVISORY_LOCK_KEY})
    params = {
        **_policy_params(policy),
        "job": job.pk,
        "policy": policy.pk,
        "version": policy.version,
        "method": policy.method,
        "window": policy.window_months,
        "min_vip_text": str(policy.min_vip_revenue),
        "vip_from_text": {
            TierPolicy.Method.THRESHOLDS: str(policy.vip_threshold),
            TierPolicy.Method.RFM: str(policy.rfm_vip_score),
        }.get(policy.method, ""),
        "regular_from_text": {
            TierPolicy.Method.THRESHOLDS: str(policy.regular_threshold),
            TierPolicy.Method.RFM: str(policy.rfm_regular_score),
        }.get(policy.method, ""),
        "actor": getattr(actor, "pk", None),
        "now": _dt(now),
        "false": False,
        "true": True,
        "kind": "tier.changed",
        "empty": "",
    }
    changed_rows = f"""
        FROM {SCRATCH} st
        JOIN accounts_account a ON a.id = st.account_id
        LEFT JOIN tiering_tieroverride o ON o.id = st.override_id
        WHERE st.target_tier <> a.tier AND a.is_archived = %(false)s
    """
    reason_json = _reason_json(policy)
    _execute(
        f"""
        INSERT INTO tiering_tierchange (account_id, previous_tier, new_tier, kind, reason, details,
            policy_id, policy_version, job_id, override_id, actor_id, at)
        SELECT st.account_id, a.tier, st.target_tier,
            COALESCE(NULLIF(st.change_kind, ''), 'computed'),
            CASE WHEN st.override_state = 'active' THEN COALESCE(o.reason, '') ELSE '' END,
            {reason_json},
            %(policy)s, %(version)s, %(job)s, st.override_id, %(actor)s, %(now)s
        {changed_rows}
        """,
        params,
    )
    # the timeline event of each change carries the same numbers: copied, not built again
    _execute(
        """
        INSERT INTO accounts_accountevent (account_id, occurred_at, kind, data, actor_id, link)
        SELECT c.account_id, c.at, %(kind)s, c.details, c.actor_id, %(empty)s
        FROM tiering_tierchange c WHERE c.job_id = %(job)s AND c.at = %(now)s
        """,
        params,
    )
    _execute(
        f"""
        UPDATE accounts_account
        SET tier = st.target_tier, abc_class = st.abc_class, rfm_segment = st.segment,
            revenue_12m = st.revenue
        FROM {SCRATCH} st
        WHERE st.account_id = accounts_account.id
          AND (accounts_account.tier <> st.target_tier OR accounts_account.abc_class <> st.abc_class
               OR accounts_account.rfm_segment <> st.segment
               OR accounts_account.revenue_12m <> st.revenue)
        """,
        params,
    )
    _execute(
        f"""
        INSERT INTO tiering_accountscore (account_id, revenue, frequency, last_purchase_at, rank,
            ranked_count, r, f, m, segment, abc_class, computed_tier, pending_tier, pending_streak,
            pending_on, policy_version, computed_at)
        SELECT st.account_id, st.revenue, st.frequency, st.last_purchase_at, st.rank,
            st.ranked_count, st.r, st.f, st.m, st.segment, st.abc_class, st.computed_tier,
            st.pending_tier, st.pending_streak, st.pending_on, %(version)s, %(now)s
        FROM {SCRATCH} st WHERE 1 = 1  -- SQLite: without a WHERE, ON would parse as a join
        ON CONFLICT (account_id) DO UPDATE SET
            revenue = excluded.revenue, frequency = excluded.frequency,
            last_purchase_at = excluded.last_purchase_at, rank = excluded.rank,
            ranked_count = excluded.ranked_count, r = excluded.r, f = excluded.f, m = excluded.m,
            segment = excluded.segment, abc_class = excluded.abc_class,
            computed_tier = excluded.computed_tier, pending_tier = excluded.pending_tier,
            pending_streak = excluded.pending_streak, pending_on = excluded.pending_on,
            policy_version = excluded.policy_version, computed_at = excluded.computed_at
        WHERE tiering_accountscore.revenue <> excluded.revenue
           OR tiering_accountscore.frequency <> excluded.frequency
           OR tiering_accountscore.rank IS DISTINCT FROM excluded.rank
           OR tiering_accountscore.ranked_count <> excluded.ranked_count
           OR tiering_accountscore.r IS DISTINCT FROM excluded.r
           OR tiering_accountscore.f IS DISTINCT FROM excluded.f
           OR tiering_accountscore.m IS DISTINCT FROM excluded.m
           OR tiering_accountscore.last_purchase_at IS DISTINCT FROM excluded.last_purchase_at
           OR tiering_accountscore.segment <> excluded.segment
           OR tiering_accountscore.abc_class <> excluded.abc_class
           OR tiering_accountscore.computed_tier <> excluded.computed_tier
           OR tiering_accountscore.pending_tier <> excluded.pending_tier
           OR tiering_accountscore.pending_streak <> excluded.pending_streak
           OR tiering_accountscore.pending_on IS DISTINCT FROM excluded.pending_on
           OR tiering_accountscore.policy_version IS DISTINCT FROM excluded.policy_version
        """,
        params,
    )
    # pins whose end date has passed: the computed tier is back (logged above when it differs)
    end_json = _json_object(
        [
            ("tier", "o.tier"),
            ("ends_on", "o.ends_on"),
            ("reason", "o.reason"),
            ("expired", "1"),
        ]
    )
    _execute(
        f"""
        INSERT INTO accounts_accountevent (account_id, occurred_at, kind, data, actor_id, link)
        SELECT o.account_id, %(now)s, 'tier.override_ended', {end_json}, %(actor)s, %(empty)s
        FROM tiering_tieroverride o
        WHERE o.id IN (SELECT override_id FROM {SCRATCH} WHERE override_state = 'expired')
        """,
        params,
    )
    _execute(
        f"""
        UPDATE tiering_tieroverride SET active = %(false)s, ended_at = %(now)s
        WHERE id IN (SELECT override_id FROM {SCRATCH} WHERE override_state = 'expired')
        """,
        params,
    )


def tiers_recompute(
    *,
    actor=None,
    dry_run: bool = False,
    job: RecomputeJob | None = None,
    now: datetime.datetime | None = None,
    trigger: str = RecomputeJob.Trigger.MANUAL,
    retry_transient: bool = False,
) -> RecomputeJob:
    """Recompute every live account's tier, scores and classes in one set-based pass.

    With `retry_transient` (the worker task), a transient database error (connection lost,
    serialization failure) puts the job back to queued and re-raises, so the task's retry runs
    it again; any other error marks the job failed and re-raises.

    Writes `Account.tier` / `abc_class` / `rfm_segment` / `revenue_12m`, a `TierChange` and a
    timeline event for each account whose tier changes, and the latest `AccountScore`s.
    A dry run only counts the moves (`job.matrix`, `job.counts`). Returns the finished job.
    Re-running with no new data changes nothing (the demotion streak counts days, not runs).
    """
    now = now or timezone.now()
    if job is None:
        job = RecomputeJob.objects.create(
            dry_run=dry_run, requested_by=actor, trigger=trigger, status=RecomputeJob.Status.QUEUED
        )
    dry_run = job.dry_run
    actor = actor or job.requested_by
    policy = tier_policy_get_active()
    _progress(
        job,
        5,
        gettext_noop("Computing revenue, ranks, RFM and ABC"),
        status=RecomputeJob.Status.RUNNING,
        started_at=timezone.now(),
        policy=policy,
        error="",
    )
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":  # room for the window sorts in memory
                _execute("SET LOCAL work_mem = '64MB'; SET LOCAL synchronous_commit = off; SET LOCAL jit = off")
            _compute_rows(job=job, policy=policy, now=now)
        _progress(job, 50, gettext_noop("Counting moves"))
        matrix, counts = _count_moves()
        counts["policy_version"] = policy.version
        counts["as_of"] = timezone.localtime(now).date().isoformat()
        if not dry_run:
            _progress(job, 70, gettext_noop("Writing tiers and history"), matrix=matrix, counts=counts)
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Don't wait for the WAL flush of this large commit: the recompute is
                    # idempotent, so a crash in that instant is repaired by the next run.
                    _execute("SET LOCAL synchronous_commit = off; SET LOCAL jit = off")
                _apply_rows(job=job, policy=policy, actor=actor, now=now)
        _drop_scratch()
    except Exception as exc:
        logger.exception("tier recompute %s failed", job.pk)
        try:
            _drop_scratch()
        except DatabaseError:
            logger.warning("scratch table not dropped (the session is gone with it)")
        if retry_transient and isinstance(exc, OperationalError | InterfaceError):
            _job_retrying(job, exc)
            raise
        _progress(
            job,
            job.progress,
            gettext_noop("Failed"),
            status=RecomputeJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise
    _progress(
        job,
        100,
        gettext_noop("Done"),
        status=RecomputeJob.Status.DONE,
        matrix=matrix,
        counts=counts,
        finished_at=timezone.now(),
    )
    return job


def _job_retrying(job: RecomputeJob, exc: Exception) -> None:
    """Back to queued after a transient error, so the task's retry runs it again."""
    from django.db import close_old_connections

    if not connection.in_atomic_block:
        close_old_connections()  # a dead connection is replaced before we write
    try:
        _progress(
            job,
            0,
            gettext_noop("Retrying after a database error"),
            status=RecomputeJob.Status.QUEUED,
            error=f"{type(exc).__name__}: {exc}",
        )
    except DatabaseError:
        logger.warning("recompute %s: could not record the retry", job.pk, exc_info=True)


# --- pins ------------------------------------------------------------------------------------


def _change_tier(*, account: Account, new_tier: str, kind: str, details: dict, actor, reason="", override=None):
    """One account's tier change by hand (pins): history row, timeline event, account."""
    policy = TierPolicy.objects.active()
    now = timezone.now()
    data = {
        **details,
        "kind": kind,
        "from": account.tier,
        "to": new_tier,
        "reason": reason,
        "policy_version": getattr(policy, "version", None),
    }
    change = TierChange.objects.create(
        account=account,
        previous_tier=account.tier,
        new_tier=new_tier,
        kind=kind,
        reason=reason,
        details=data,
        policy=policy,
        policy_version=getattr(policy, "version", None),
        override=override,
        actor=actor,
        at=now,
    )
    record_event(account=account, kind="tier.changed", data=data, actor=actor, occurred_at=now)
    Account.objects.filter(pk=account.pk).update(tier=new_tier)
    account.tier = new_tier
    return change


@transaction.atomic
def tier_override_set(*, account: Account, tier: str, reason: str, ends_on: datetime.date, actor) -> TierOverride:
    """Pin `account` to `tier` until `ends_on` (inclusive). Replaces any pin in force; takes
    effect now (logged) and the recompute keeps it until it expires."""
    reason = (reason or "").strip()
    errors = {}
    if tier not in Tier.values:
        errors["tier"] = _("Choose a tier.")
    if not reason:
        errors["reason"] = _("Say why the tier is pinned.")
    if not ends_on or ends_on < timezone.localdate():
        errors["ends_on"] = _("The end date cannot be in the past.")
    if account.is_archived:
        errors["account"] = _("An archived account cannot be pinned.")
    if errors:
        raise ValidationError(errors)
    account = Account.objects.select_for_update().get(pk=account.pk)
    TierOverride.objects.filter(account=account, active=True).update(
        active=False, ended_at=timezone.now(), ended_by=actor
    )
    override = TierOverride(account=account, tier=tier, reason=reason, ends_on=ends_on, created_by=actor)
    override.full_clean()
    override.save()
    record_event(
        account=account,
        kind="tier.override_set",
        data={"tier": tier, "ends_on": ends_on.isoformat(), "reason": reason},
        actor=actor,
    )
    if account.tier != tier:
        _change_tier(
            account=account,
            new_tier=tier,
            kind=TierChange.Kind.OVERRIDE,
            details={"ends_on": ends_on.isoformat()},
            actor=actor,
            reason=reason,
            override=override,
        )
    AccountScore.objects.filter(account=account).update(pending_tier="", pending_streak=0, pending_on=None)
    return override


@transaction.atomic
def tier_override_clear(*, override: TierOverride, actor, reason: str = "") -> TierOverride:
    """End a pin now. The tier of the last recompute applies again at once (logged)."""
    reason = (reason or "").strip()
    override = TierOverride.objects.select_for_update().get(pk=override.pk)
    if not override.active:
        raise ValidationError(_("This pin has already ended."))
    override.active = False
    override.ended_at = timezone.now()
    override.ended_by = actor
    override.save(update_fields=["active", "ended_at", "ended_by"])
    account = Account.objects.select_for_update().get(pk=override.account_id)
    record_event(
        account=account,
        kind="tier.override_ended",
        # no reason given: stored empty and worded in the reader's language when shown
        data={"tier": override.tier, "reason": reason},
        actor=actor,
    )
    score = AccountScore.objects.filter(account=account).first()
    if score and score.computed_tier and score.computed_tier != account.tier:
        policy = TierPolicy.objects.active()
        _change_tier(
            account=account,
            new_tier=score.computed_tier,
            kind=TierChange.Kind.OVERRIDE_CLEARED,
            details={
                "method": getattr(policy, "method", None),
                "rank": score.rank,
                "of": score.ranked_count,
                "revenue": str(score.revenue),
                "window": getattr(policy, "window_months", 12),
                "r": score.r,
                "f": score.f,
                "m": score.m,
            },
            actor=actor,
            reason=reason,
            override=override,
        )
    return override
