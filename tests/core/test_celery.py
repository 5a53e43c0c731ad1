import pytest
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab

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
    # on the minute: two beat processes send it within the same minute, which runs once
    assert str(entry["schedule"]) == str(crontab(minute="*"))


@pytest.mark.django_db
def test_a_second_beat_or_a_duplicate_delivery_stamps_the_heartbeat_once_a_minute():
    """Two beat processes sent every schedule twice (the heartbeat ran twice a minute)."""
    first = heartbeat.apply().get()
    second = heartbeat.apply().get()
    assert first is not None and second is None
    assert Heartbeat.objects.get(name="beat").run_count == 1
