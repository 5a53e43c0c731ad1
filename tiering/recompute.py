"""The tier recompute engine: every live account's tier, scores and classes in a handful of SQL
statements over the whole table, whatever the number of accounts (DESIGN.md "Set-based work").
`tiering.services.tiers_recompute` is the use case that runs it as a job; this module is the SQL.

1. `compute`: one CREATE TEMPORARY TABLE ... AS SELECT computes, for every live account, its owner
   and team (the figures per scope group by them), the window revenue (purchases + recharges −
   refunds), its rank (ties share a rank), RFM quintiles, the ABC class by cumulative revenue share,
   the tier the policy gives, the pin in force and the demotion streak, into scratch rows
   (`tiering_scratch`, private to this database session: no write-ahead log, no indexes to keep,
   nothing for other sessions to see or clean up);
2. `count_moves`: a few GROUP BY queries count the moves (the from→to matrix) — a dry run stops here;
3. `apply`: in one transaction, INSERT ... SELECT the `TierChange` rows and the timeline events for
   the accounts whose tier changes, UPDATE ... FROM the accounts, upsert the scores, end expired pins;
4. `drop_scratch`: the scratch table is dropped.

What it writes outside tiering is declared by the accounts app (`accounts.models.RECOMPUTED_FIELDS`,
`RECOMPUTE_EVENT_KINDS`); the UPDATE below sets exactly those columns.
"""

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import TIER_ORDER, tier_level_sql
from accounts.timeline import subject_type_of
from core.db import db_date, db_datetime, db_decimal, execute, fetch_all, json_object_sql

from .events import TIER_CHANGED, TIER_OVERRIDE_ENDED
from .figures import figures_write
from .models import RecomputeJob, TierChange, TierOverride, TierPolicy
from .rfm import segment_sql
from .window import window_aggregate

TIERS = [tier.value for tier in TIER_ORDER]  # highest first
ADVISORY_LOCK_KEY = 7_310_001  # pg_advisory_xact_lock key for the apply phase
SCRATCH = "tiering_scratch"  # the session's temporary table of one recompute
# bandit B608 ("# nosec B608" below): the SQL of this module is built from constants of this module
# (table names, CASE expressions from policy choices); every value travels as a query parameter.

# accounts' columns the recompute sets, from the scratch row `st`: exactly the ones accounts declares
# (accounts.models.RECOMPUTED_FIELDS; tests/tiering/test_recompute.py checks both agree)
ACCOUNT_UPDATES = {
    "tier": "st.target_tier",
    "abc_class": "st.abc_class",
    "rfm_segment": "st.segment",
    "revenue_12m": "st.revenue",
}


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


def _level(column: str) -> str:
    return tier_level_sql(column)


def _tier_case(policy: TierPolicy) -> str:
    """The tier the policy gives, as SQL over the `scored` columns (numbers come in as parameters)."""
    if policy.method == TierPolicy.Method.THRESHOLDS:
        return (
            "CASE WHEN rnk IS NULL THEN 'small' "
            "WHEN revenue >= %(vip_from)s AND revenue >= %(min_vip)s THEN 'vip' "
            "WHEN revenue >= %(regular_from)s THEN 'regular' ELSE 'small' END"
        )
    if policy.method == TierPolicy.Method.RFM:
        return (
            "CASE WHEN rnk IS NULL OR r IS NULL THEN 'small' "
            "WHEN r + f + m >= %(vip_from)s AND revenue >= %(min_vip)s THEN 'vip' "
            "WHEN r + f + m >= %(regular_from)s THEN 'regular' ELSE 'small' END"
        )
    # revenue rank: fewer than vip% of the ranked accounts are ahead of it -> VIP (ties share a rank)
    return (
        "CASE WHEN rnk IS NULL THEN 'small' "
        "WHEN (rnk - 1) * 10000 < ranked_count * %(vip_bp)s AND revenue >= %(min_vip)s THEN 'vip' "
        "WHEN (rnk - 1) * 10000 < ranked_count * %(top_bp)s THEN 'regular' ELSE 'small' END"
    )


def _quintile_bounds_sql(column: str, name: str) -> str:
    """The four values where `column`'s RFM score steps up, among the accounts that ever bought.

    A score is 1 + floor(5 × (rank − 1) / n), the rank ascending with ties sharing it (rfm.quintile);
    rank − 1 is the number of values below. So the score reaches k + 1 exactly when at least
    c = ceil(k × n / 5) values are below, i.e. when the value is above the c-th smallest: comparing
    with these four values gives every account its score without ranking each one and joining back.
    """
    picks = ", ".join(f"MAX(CASE WHEN x.i = ({k} * t.n_rfm + 4) / 5 THEN x.v END) AS {name}{k}" for k in range(1, 5))
    return (
        f"(SELECT {picks} FROM (SELECT {column} AS v, ROW_NUMBER() OVER (ORDER BY {column}) AS i "  # nosec B608 - column names of this module
        f"FROM base WHERE last_at IS NOT NULL) x CROSS JOIN totals t)"
    )


def _quintile_sql(column: str, name: str) -> str:
    steps = " + ".join(f"CASE WHEN {column} > bd.{name}{k} THEN 1 ELSE 0 END" for k in range(1, 5))
    return f"CASE WHEN o.last_at IS NULL THEN NULL ELSE 1 + {steps} END"


def _policy_params(policy: TierPolicy) -> dict:
    if policy.method == TierPolicy.Method.THRESHOLDS:
        vip_from, regular_from = db_decimal(policy.vip_threshold), db_decimal(policy.regular_threshold)
    elif policy.method == TierPolicy.Method.RFM:
        vip_from, regular_from = int(policy.rfm_vip_score), int(policy.rfm_regular_score)
    else:
        vip_from, regular_from = None, None
    vip_bp = int(Decimal(policy.vip_percent) * 100)
    return {
        "vip_bp": vip_bp,
        "top_bp": vip_bp + int(Decimal(policy.regular_percent) * 100),
        "min_vip": db_decimal(policy.min_vip_revenue),
        "vip_from": vip_from,
        "regular_from": regular_from,
        "abc_a": db_decimal(policy.abc_a_percent),
        "abc_b": db_decimal(policy.abc_b_percent),
        "need": int(policy.demotion_streak),
    }


def _compute_rows(*, job: RecomputeJob, policy: TierPolicy, now: datetime.datetime) -> int:
    """Statement 1: one scratch row per live account with everything the recompute decides."""
    drop_scratch()
    start, end = tier_window(now=now, months=policy.window_months)
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    lvl_computed, lvl_previous = _level("computed_tier"), _level("previous_tier")
    sql = f"""
    CREATE TEMPORARY TABLE {SCRATCH} AS
    WITH base AS (
        SELECT a.id AS account_id, a.owner_id, a.team_id, a.tier AS previous_tier,
            ROUND(COALESCE(agg.revenue, 0), 2) AS revenue,
            COALESCE(agg.frequency, 0) AS frequency,
            agg.last_at AS last_at
        FROM accounts_account a LEFT JOIN tiering_window_agg agg ON agg.account_id = a.id
        WHERE a.is_archived = %(false)s
    ),
    totals AS (
        SELECT SUM(CASE WHEN revenue > 0 THEN 1 ELSE 0 END) AS n_ranked,
            SUM(CASE WHEN revenue > 0 THEN revenue ELSE 0 END) AS total,
            SUM(CASE WHEN last_at IS NOT NULL THEN 1 ELSE 0 END) AS n_rfm
        FROM base
    ),
    bounds AS (
        SELECT * FROM {_quintile_bounds_sql("last_at", "r")} AS rb
        CROSS JOIN {_quintile_bounds_sql("frequency", "f")} AS fb
        CROSS JOIN {_quintile_bounds_sql("revenue", "m")} AS mb
    ),
    -- one sort by revenue serves the rank and the ABC sums: the accounts without revenue come
    -- last, so the ranks and running sums of the others are those among the ranked alone
    ordered AS (
        SELECT base.*, RANK() OVER w AS rank_all, COUNT(*) OVER w AS up_to, SUM(revenue) OVER w AS sum_up_to
        FROM base WINDOW w AS (ORDER BY revenue DESC)
    ),
    scored AS MATERIALIZED (
        SELECT o.account_id, o.owner_id, o.team_id, o.previous_tier, o.revenue, o.frequency, o.last_at,
            CASE WHEN o.revenue > 0 THEN o.rank_all END AS rnk,
            COALESCE(t.n_ranked, 0) AS ranked_count,
            -- the revenue of the accounts ahead: the running sum less this row and its ties
            CASE WHEN o.revenue > 0 THEN o.sum_up_to - o.revenue * (o.up_to - o.rank_all + 1) END AS ahead,
            t.total,
            {_quintile_sql("o.last_at", "r")} AS r,
            {_quintile_sql("o.frequency", "f")} AS f,
            {_quintile_sql("o.revenue", "m")} AS m
        FROM ordered o CROSS JOIN totals t CROSS JOIN bounds bd
    ),
    classed AS (
        SELECT scored.*,
            {segment_sql("r", "f", "m")} AS segment,
            CASE WHEN rnk IS NULL THEN 'C'
                 WHEN ROUND(ahead * 100, 2) < ROUND(total * %(abc_a)s, 2) THEN 'A'
                 WHEN ROUND(ahead * 100, 2) < ROUND(total * %(abc_b)s, 2) THEN 'B'
                 ELSE 'C' END AS abc_class,
            {_tier_case(policy)} AS computed_tier
        FROM scored
    ),
    comp AS (
        SELECT sc.*,
            o.id AS override_id,
            CASE WHEN o.id IS NULL THEN ''
                 WHEN o.ends_on >= %(today)s THEN 'active' ELSE 'expired' END AS override_state,
            o.tier AS override_tier,
            COALESCE(s.pending_streak, 0) AS old_streak,
            s.pending_on AS old_pending_on
        FROM classed sc
        LEFT JOIN tiering_tieroverride o ON o.account_id = sc.account_id AND o.active = %(true)s
        LEFT JOIN tiering_accountscore s ON s.account_id = sc.account_id
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
    SELECT account_id, owner_id, team_id, previous_tier, revenue, frequency, last_at AS last_purchase_at,
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
    """  # nosec B608
    params = {
        **_policy_params(policy),
        "start": db_datetime(start),
        "end": db_datetime(end),
        "today": db_date(today),
        "true": True,
        "false": False,
    }
    # The window's revenue goes to a temporary table first (PostgreSQL runs a CREATE TABLE AS in
    # parallel, an INSERT ... SELECT never): whole months from the monthly revenue rollup, the two
    # partial months at the window's edges from the raw transactions (tiering.window).
    window_sql, window_params = window_aggregate(start=start, end=end)
    params.update(window_params)
    # The window's sums are grouped in account order (tiering.window): the rollup read from its
    # (account, month) index, which carries the summed columns, one account at a time. The planner
    # takes hashing for cheaper (it cannot tell how many accounts there are: it guesses 200), and a
    # hash of every rollup row spilled to disk at a million accounts (9 s against 1.8 s), so hash
    # aggregation is off for that statement. The scratch statement then reads whole tables: plain
    # index scans are off for it (at a million accounts they meant 42 s of random reads).
    postgres = connection.vendor == "postgresql"
    execute("DROP TABLE IF EXISTS tiering_window_agg" + ("; SET LOCAL enable_hashagg = off" if postgres else ""))
    execute(f"CREATE TEMPORARY TABLE tiering_window_agg AS {window_sql}", params)
    if postgres:  # autovacuum never sees temporary tables: give the planner its size
        execute("ANALYZE tiering_window_agg; SET LOCAL enable_hashagg TO DEFAULT; SET LOCAL enable_indexscan = off")
    try:
        rows = execute(sql, params)
    finally:
        execute("DROP TABLE IF EXISTS tiering_window_agg")
    return rows


def drop_scratch() -> None:
    execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def count_moves() -> tuple[dict, dict]:
    """Statement 2: the from→to matrix and the totals of this recompute (scratch rows)."""
    matrix = {old: dict.fromkeys(TIERS, 0) for old in TIERS}
    for old, new, n in fetch_all(
        f"SELECT previous_tier, target_tier, COUNT(*) FROM {SCRATCH} GROUP BY previous_tier, target_tier"  # nosec B608
    ):
        matrix.setdefault(old, dict.fromkeys(TIERS, 0))[new] = n
    tiers = {t: {"accounts": 0, "revenue": "0.00"} for t in TIERS}
    for tier, n, revenue in fetch_all(
        f"SELECT target_tier, COUNT(*), SUM(revenue) FROM {SCRATCH} GROUP BY target_tier"  # nosec B608
    ):
        tiers[tier] = {"accounts": n, "revenue": f"{Decimal(str(revenue or 0)):.2f}"}
    abc = dict(fetch_all(f"SELECT abc_class, COUNT(*) FROM {SCRATCH} GROUP BY abc_class"))  # nosec B608
    segments = dict(fetch_all(f"SELECT segment, COUNT(*) FROM {SCRATCH} GROUP BY segment"))  # nosec B608
    ((total, changed, pending, pinned, ranked),) = fetch_all(
        "SELECT COUNT(*), "  # nosec B608
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
        for owner, team, old, new, n in fetch_all(
            f"SELECT owner_id, team_id, previous_tier, target_tier, COUNT(*) FROM {SCRATCH} "  # nosec B608
            "GROUP BY owner_id, team_id, previous_tier, target_tier"
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
    return json_object_sql(
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
        execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": ADVISORY_LOCK_KEY})
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
        "now": db_datetime(now),
        "false": False,
        "true": True,
        "kind": TIER_CHANGED,
        "ended_kind": TIER_OVERRIDE_ENDED,
        "change_type": subject_type_of(TierChange),
        "override_type": subject_type_of(TierOverride),
    }
    changed_rows = f"""
        FROM {SCRATCH} st
        JOIN accounts_account a ON a.id = st.account_id
        LEFT JOIN tiering_tieroverride o ON o.id = st.override_id
        WHERE st.target_tier <> a.tier AND a.is_archived = %(false)s
    """
    reason_json = _reason_json(policy)
    execute(
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
    execute(
        """
        INSERT INTO accounts_accountevent (account_id, occurred_at, kind, data, actor_id,
            subject_type, subject_id)
        SELECT c.account_id, c.at, %(kind)s, c.details, c.actor_id, %(change_type)s, c.id
        FROM tiering_tierchange c WHERE c.job_id = %(job)s AND c.at = %(now)s
        """,
        params,
    )
    execute(
        f"""
        UPDATE accounts_account
        SET {", ".join(f"{column} = {value}" for column, value in ACCOUNT_UPDATES.items())}
        FROM {SCRATCH} st
        WHERE st.account_id = accounts_account.id
          AND ({" OR ".join(f"accounts_account.{column} <> {value}" for column, value in ACCOUNT_UPDATES.items())})
        """,  # nosec B608
        params,
    )
    execute(
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
        """,  # nosec B608
        params,
    )
    # pins whose end date has passed: the computed tier is back (logged above when it differs)
    end_json = json_object_sql(
        [
            ("tier", "o.tier"),
            ("ends_on", "o.ends_on"),
            ("reason", "o.reason"),
            ("expired", "1"),
        ]
    )
    execute(
        f"""
        INSERT INTO accounts_accountevent (account_id, occurred_at, kind, data, actor_id,
            subject_type, subject_id)
        SELECT o.account_id, %(now)s, %(ended_kind)s, {end_json}, %(actor)s, %(override_type)s, o.id
        FROM tiering_tieroverride o
        WHERE o.id IN (SELECT override_id FROM {SCRATCH} WHERE override_state = 'expired')
        """,  # nosec B608
        params,
    )
    execute(
        f"""
        UPDATE tiering_tieroverride SET active = %(false)s, ended_at = %(now)s
        WHERE id IN (SELECT override_id FROM {SCRATCH} WHERE override_state = 'expired')
        """,  # nosec B608
        params,
    )


def compute(*, job: RecomputeJob, policy: TierPolicy, now: datetime.datetime) -> int:
    """Step 1 in its own transaction: the scratch rows (the session's temporary table)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":  # room for the window sorts in memory
            execute("SET LOCAL work_mem = '64MB'; SET LOCAL synchronous_commit = off; SET LOCAL jit = off")
        return _compute_rows(job=job, policy=policy, now=now)


def apply(*, job: RecomputeJob, policy: TierPolicy, actor, now: datetime.datetime) -> None:
    """Step 3 in one transaction: write what the scratch rows decided."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Don't wait for the WAL flush of this large commit: the recompute is
            # idempotent, so a crash in that instant is repaired by the next run.
            execute("SET LOCAL synchronous_commit = off; SET LOCAL jit = off")
        _apply_rows(job=job, policy=policy, actor=actor, now=now)
        figures_write(scratch=SCRATCH)  # the overview's figures, from the same rows (tiering.figures)
