import datetime

from celery import shared_task
from django.db import OperationalError

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


@shared_task(
    name="core.tasks.run_import_job",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def run_import_job(job_id: int) -> str:
    """Check or import one uploaded file (the job's status says which). A finished job is left
    alone; a redelivered one runs its phase again (the check writes nothing; the import writes in
    one transaction), and a database outage is retried."""
    from .models import ImportJob
    from .services import import_job_run

    job = ImportJob.objects.filter(pk=job_id).select_related("requested_by").first()
    if job is None:
        return "missing"
    if job.is_finished:
        return job.status
    return import_job_run(job=job).status
