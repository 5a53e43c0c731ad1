import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from core.models import Heartbeat
from core.tasks import heartbeat


@pytest.mark.django_db(transaction=True)
def test_heartbeat_task_runs_through_the_real_broker_and_records_its_run():
    """A real worker consumes from the configured broker (Redis in CI, filesystem locally)."""
    assert not app.conf.task_always_eager
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1, shutdown_timeout=10):
        result = heartbeat.delay()
        returned = result.get(timeout=30)
    beat = Heartbeat.objects.get(name="beat")
    assert beat.run_count == 1
    assert beat.last_run_at.isoformat() == returned


def test_beat_schedule_sends_the_heartbeat_every_minute():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == "core.tasks.heartbeat"
    assert entry["schedule"] == 60.0
