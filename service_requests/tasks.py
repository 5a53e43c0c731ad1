"""Celery tasks: thin, idempotent wrappers around the services."""

import datetime

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="service_requests.tasks.sweep_escalations",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_escalations() -> int:
    """Beat job (every few minutes): escalate requests at 80%, 100% and 150% of a target.
    Harmless to run twice or side by side: each escalation is recorded once."""
    from core.jobs import run_scheduled

    from .services import escalations_sweep

    return run_scheduled(
        "service_requests.sweep_escalations", every=datetime.timedelta(minutes=5), fn=escalations_sweep, skipped=0
    )
