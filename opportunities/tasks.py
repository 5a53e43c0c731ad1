"""Celery tasks: thin, idempotent wrappers around the opportunity services."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    name="opportunities.tasks.expire_quotes",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def expire_quotes() -> int:
    """Beat job (daily, just after midnight): quotes past their validity date become expired;
    a rerun changes nothing more."""
    from core.jobs import run_scheduled

    from .services import quotes_expire

    count = run_scheduled("opportunities.expire_quotes", every=datetime.timedelta(days=1), fn=quotes_expire, skipped=0)
    logger.info("quote expiry sweep: %s expired", count)
    return count
