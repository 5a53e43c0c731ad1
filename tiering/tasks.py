"""Celery tasks: thin, idempotent wrappers around the recompute service."""

import datetime
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.jobs import period_key, run_periodic

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    bind=True,
    name="tiering.tasks.recompute_tiers_nightly",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def recompute_tiers_nightly(self) -> int | str | None:
    """Beat job: recompute every account's tier from the latest data, once per local day.

    It takes the same single-flight lock as "recompute now" (`recompute_job_claim`): while a
    real recompute is queued or running it does nothing. Keyed by the day: a duplicate delivery
    or a second beat process starts no second recompute.
    """
    from .models import RecomputeJob
    from .services import RecomputeInProgress, recompute_job_claim, tiers_recompute

    def run(lease):
        try:
            job = recompute_job_claim(trigger=RecomputeJob.Trigger.NIGHTLY)
        except RecomputeInProgress as exc:
            logger.info("nightly recompute skipped: %s", exc.messages[0])
            return f"skipped: #{exc.job.pk if exc.job else '?'} was running"
        tiers_recompute(job=job)
        return job.pk

    _ran, result = run_periodic(
        "tiering.nightly_recompute",
        period=period_key(every=datetime.timedelta(days=1)),
        fn=run,
        hostname=self.request.hostname or "",
    )
    return result


@shared_task(bind=True, name="tiering.tasks.run_recompute_job", acks_late=True, max_retries=3)
def run_recompute_job(self, job_id: int) -> str:
    """Run a queued recompute job. A finished job is left alone; a redelivered running one
    (its worker died) is run again from the start, which is harmless. A transient database
    error puts the job back to queued and retries the task (with backoff), which reruns it;
    after the last retry the job is failed."""
    from .models import RecomputeJob
    from .services import tiers_recompute

    job = RecomputeJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.is_finished:
        return job.status
    last_try = self.request.retries >= self.max_retries
    try:
        tiers_recompute(job=job, retry_transient=not last_try)
    except TRANSIENT as exc:
        if last_try:
            raise
        raise self.retry(exc=exc, countdown=min(60, 5 * 2**self.request.retries)) from exc
    except Exception:  # recorded on the job (status failed, error); nothing to retry
        return RecomputeJob.Status.FAILED
    return RecomputeJob.Status.DONE
