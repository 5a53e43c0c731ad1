"""Celery tasks: thin, idempotent wrappers around the recompute service."""

import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(name="tiering.tasks.recompute_tiers_nightly", acks_late=True)
def recompute_tiers_nightly() -> int | None:
    """Beat job: recompute every account's tier from the latest data (safe to run twice)."""
    from .models import RecomputeJob
    from .selectors import active_recompute
    from .services import tiers_recompute

    if active_recompute() is not None:
        logger.info("a tier recompute is already queued or running; skipped")
        return None
    job = tiers_recompute(trigger=RecomputeJob.Trigger.NIGHTLY)
    return job.pk


@shared_task(
    name="tiering.tasks.run_recompute_job",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def run_recompute_job(job_id: int) -> str:
    """Run a queued recompute job. A finished job is left alone; a redelivered running one
    (its worker died) is run again from the start, which is harmless."""
    from .models import RecomputeJob
    from .services import tiers_recompute

    job = RecomputeJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.is_finished:
        return job.status
    try:
        tiers_recompute(job=job)
    except OperationalError:
        raise
    except Exception:  # recorded on the job (status failed, error); nothing to retry
        return RecomputeJob.Status.FAILED
    return RecomputeJob.Status.DONE
