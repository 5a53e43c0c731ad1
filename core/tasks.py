import datetime

from celery import shared_task

from .jobs import period_key, periodic_runs_purge, run_periodic
from .services import heartbeat_record


@shared_task(bind=True, acks_late=True)
def heartbeat(self) -> str | None:
    """Beat sends this every minute; the admin shows when a worker last ran it. Keyed by the
    minute: a duplicate delivery or a second beat process stamps nothing more."""
    hostname = self.request.hostname or ""
    ran, beat = run_periodic(
        "core.heartbeat",
        period=period_key(every=datetime.timedelta(minutes=1)),
        fn=lambda lease: heartbeat_record(name="beat", hostname=hostname),
        hostname=hostname,
    )
    return beat.last_run_at.isoformat() if ran else None


@shared_task(bind=True, acks_late=True)
def purge_expired(self) -> str | None:
    """Nightly: drop expired idempotency keys and old scheduled-run records."""
    from .idempotency import idempotency_keys_purge

    def purge(lease):
        keys = idempotency_keys_purge()
        runs = periodic_runs_purge()
        return f"{keys} keys, {runs} runs"

    _ran, result = run_periodic(
        "core.purge_expired",
        period=period_key(every=datetime.timedelta(days=1)),
        fn=purge,
        hostname=self.request.hostname or "",
    )
    return result
