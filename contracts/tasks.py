"""Celery tasks: thin, idempotent wrappers around the contract services."""

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
    """Beat job (daily): active → expiring → expired by end date; a rerun changes nothing more."""
    from .services import contracts_sweep_statuses

    counts = contracts_sweep_statuses()
    logger.info("contract status sweep: %s", counts)
    return counts
