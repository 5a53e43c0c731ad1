"""Celery tasks: thin, idempotent wrappers around the services (acks_late: a task of a worker that
died is delivered again; the ledger and the row locks make the rerun harmless)."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError

log = logging.getLogger(__name__)


@shared_task(
    name="reminders.tasks.sweep_daily",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_daily() -> dict:
    """Beat, each morning: every date-based rule (birthdays, follow-ups, visits, installments,
    contracts, contact cadence, tier changes). Run twice, or beside another, it sends nothing twice."""
    from core.jobs import run_scheduled

    from .services import sweeps_run

    return run_scheduled(
        "reminders.sweep_daily", every=datetime.timedelta(days=1), fn=lambda: sweeps_run(schedule="daily"), skipped={}
    )


@shared_task(
    name="reminders.tasks.sweep_frequent",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_frequent() -> dict:
    """Beat, every few minutes: service requests at 80% and breached (from their escalations)."""
    from core.jobs import run_scheduled

    from .services import sweeps_run

    return run_scheduled(
        "reminders.sweep_frequent",
        every=datetime.timedelta(minutes=5),
        fn=lambda: sweeps_run(schedule="frequent"),
        skipped={},
    )


@shared_task(
    name="reminders.tasks.deliver_notifications",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def deliver_notifications() -> int:
    """Send the ledger's unsent rows (beat every minute, and after each sweep). A mail server that
    fails raises: retried with backoff; the rows stay unsent until then."""
    from .delivery import BATCH, deliver_pending

    handled = deliver_pending()
    if handled >= BATCH:  # more waiting: go on in a new task
        deliver_notifications.delay()
    return handled


@shared_task(
    name="reminders.tasks.send_digests",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=60,
    max_retries=6,
)
def send_digests() -> int:
    """Beat, each evening: one e-mail per person who chose the daily digest."""
    from core.jobs import run_scheduled

    from .delivery import send_digests as run

    return run_scheduled("reminders.send_digests", every=datetime.timedelta(days=1), fn=run, skipped=0)


@shared_task(
    name="reminders.tasks.collect_webhook_events",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def collect_webhook_events() -> int:
    """Beat, every minute: record new events for the webhooks and send the deliveries that are due."""
    from .webhooks import collect_events, due_deliveries

    recorded = collect_events()
    for delivery_id in due_deliveries():
        deliver_webhook.delay(delivery_id)
    return recorded


@shared_task(name="reminders.tasks.deliver_webhook", bind=True, acks_late=True, max_retries=8)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one delivery; a failure is recorded on it and retried with backoff (30 s, 1 min, 2 min ...
    at most an hour), up to MAX_ATTEMPTS; then it is failed, and can be replayed from admin."""
    from .models import WebhookDelivery
    from .webhooks import backoff_seconds, deliver

    delivery = deliver(delivery_id, force=self.request.retries > 0)
    if delivery is None:
        return "skipped"
    if delivery.status == WebhookDelivery.Status.PENDING:
        raise self.retry(countdown=backoff_seconds(delivery.attempts))
    return delivery.status
