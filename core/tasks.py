from celery import shared_task

from .services import heartbeat_record


@shared_task(bind=True, acks_late=True)
def heartbeat(self) -> str:
    """Beat sends this every minute; the admin shows when a worker last ran it."""
    beat = heartbeat_record(name="beat", hostname=self.request.hostname or "")
    return beat.last_run_at.isoformat()
