"""Write use cases of tiering: policy versions, recompute jobs (requesting one, running one as a
job with its progress), and pins (overrides).

The recompute itself — the set-based SQL over every account — is the engine in
`tiering.recompute`; `tiers_recompute` below runs it as a job.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, Tier
from core.db import execute
from core.jobs import enqueue_on_commit

from . import events, recompute, window
from .models import (
    AccountScore,
    RecomputeJob,
    TierBenefit,
    TierChange,
    TierOverride,
    TierPolicy,
)
from .selectors import active_recompute

logger = logging.getLogger(__name__)

REQUEST_LOCK_KEY = 7_310_002  # pg_advisory_xact_lock key: one recompute request at a time


class RecomputeInProgress(ValidationError):
    """A real recompute is refused while another one is queued or running (`job`)."""

    def __init__(self, message, *, job=None):
        super().__init__(message, code="recompute_in_progress")
        self.job = job


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


BENEFIT_EDITABLE = [
    "response_hours",
    "resolution_hours",
    "visit_cadence_days",
    "callback_cadence_days",
    "served_by",
    "notes",
]


@transaction.atomic
def tier_benefit_update(*, benefit: TierBenefit, actor, data: dict) -> TierBenefit:
    """What each tier is promised (response and resolution times, visit and callback cadence)."""
    for field, value in data.items():
        if field not in BENEFIT_EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(benefit, field, value)
    benefit.full_clean()
    benefit.save()
    return benefit


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
            execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": REQUEST_LOCK_KEY})
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


# --- the recompute as a job ------------------------------------------------------------------


def tiers_recompute(
    *,
    actor=None,
    dry_run: bool = False,
    job: RecomputeJob | None = None,
    now: datetime.datetime | None = None,
    trigger: str = RecomputeJob.Trigger.MANUAL,
    retry_transient: bool = False,
) -> RecomputeJob:
    """Recompute every live account's tier, scores and classes in one set-based pass
    (the engine: `tiering.recompute`), as `job` (created when not given), recording its progress.

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
    previous = _last_real_job()
    if not dry_run and previous is not None:
        stamp = window.inputs_stamp(policy_version=policy.version, today=timezone.localtime(now).date())
        if (previous.counts or {}).get("stamp") == stamp:
            return _unchanged(job=job, previous=previous, policy=policy, now=now)
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
        # the monthly rollup the window reads, checked against the raw transactions of the accounts
        # touched since the last real run (all of them the first time); drifted ones are rebuilt
        since = ((previous.counts or {}).get("rollup") or {}).get("watermark") if previous else None
        rollup = window.rollup_check(since=since)
        recompute.compute(job=job, policy=policy, now=now)
        _progress(job, 50, gettext_noop("Counting moves"))
        matrix, counts = recompute.count_moves()
        counts["policy_version"] = policy.version
        counts["as_of"] = timezone.localtime(now).date().isoformat()
        counts["rollup"] = rollup
        if not dry_run:
            _progress(job, 70, gettext_noop("Writing tiers and history"), matrix=matrix, counts=counts)
            recompute.apply(job=job, policy=policy, actor=actor, now=now)
            counts["stamp"] = window.inputs_stamp(policy_version=policy.version, today=timezone.localtime(now).date())
        recompute.drop_scratch()
    except Exception as exc:
        logger.exception("tier recompute %s failed", job.pk)
        try:
            recompute.drop_scratch()
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


def _last_real_job() -> RecomputeJob | None:
    return (
        RecomputeJob.objects.filter(status=RecomputeJob.Status.DONE, dry_run=False)
        .order_by("-finished_at", "-id")
        .only("id", "counts")
        .first()
    )


def _unchanged(*, job: RecomputeJob, previous: RecomputeJob, policy: TierPolicy, now) -> RecomputeJob:
    """Nothing the recompute reads has changed since `previous` on the same day (the inputs' stamp,
    tiering.window.inputs_stamp, is equal): its result stands. The job records that every account
    stays where it is, with the previous job's totals."""
    counts = dict(previous.counts)
    tiers = counts.get("tiers") or {}
    matrix = {
        old: {new: ((tiers.get(new) or {}).get("accounts", 0) if old == new else 0) for new in recompute.TIERS}
        for old in recompute.TIERS
    }
    stays: dict[tuple, int] = {}
    for owner, team, _old, new, n in counts.get("moves_by_scope") or []:
        stays[(owner, team, new)] = stays.get((owner, team, new), 0) + n
    counts.update(
        changed=0,
        promoted=0,
        demoted=0,
        unchanged_since=previous.pk,
        policy_version=policy.version,
        as_of=timezone.localtime(now).date().isoformat(),
        moves_by_scope=[[owner, team, tier, tier, n] for (owner, team, tier), n in stays.items()],
    )
    _progress(
        job,
        100,
        gettext_noop("Done"),
        status=RecomputeJob.Status.DONE,
        started_at=timezone.now(),
        policy=policy,
        error="",
        matrix=matrix,
        counts=counts,
        finished_at=timezone.now(),
    )
    return job


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
    events.tier_changed_event(change=change)
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
    events.tier_override_set_event(override=override, actor=actor)
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
    override.account = account
    events.tier_override_ended_event(override=override, actor=actor, reason=reason)
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
