"""Celery tasks: thin, idempotent wrappers around the contract services."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    name="contracts.tasks.sweep_contract_statuses",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_contract_statuses() -> dict:
    """Beat job (daily): active → expiring → expired by end date; once a day (a duplicate delivery
    or a second beat does nothing), and a rerun would change nothing more anyway."""
    from core.jobs import run_scheduled

    from .services import contracts_sweep_statuses

    counts = run_scheduled(
        "contracts.sweep_statuses",
        every=datetime.timedelta(days=1),
        fn=contracts_sweep_statuses,
        skipped={"skipped": "already ran today"},
    )
    logger.info("contract status sweep: %s", counts)
    return counts
