from celery import shared_task
from django.db import OperationalError

from .services import heartbeat_record


@shared_task(bind=True, acks_late=True)
def heartbeat(self) -> str:
    """Beat sends this every minute; the admin shows when a worker last ran it."""
    beat = heartbeat_record(name="beat", hostname=self.request.hostname or "")
    return beat.last_run_at.isoformat()


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
