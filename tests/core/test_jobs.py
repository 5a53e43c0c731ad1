"""core.jobs: the single-flight lock and the period ledger every scheduled job uses."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from core.jobs import Busy, lease_acquire, lease_release, period_key, run_periodic, single_flight
from core.models import Lease, PeriodicRun

pytestmark = pytest.mark.django_db


def test_single_flight_refuses_a_second_holder_and_frees_on_exit():
    with single_flight("sweep") as lease:
        with pytest.raises(Busy, match="sweep is already running"):
            lease_acquire("sweep")
        assert lease.touch()
    assert Lease.objects.get(name="sweep").holder == ""
    with single_flight("sweep"):
        pass


def test_a_lock_whose_holder_stopped_making_progress_is_taken_over(settings):
    """The holder's worker was killed (kill -9): after JOB_ABANDONED_AFTER_SECONDS the lock is free."""
    settings.JOB_ABANDONED_AFTER_SECONDS = 300
    dead = lease_acquire("sweep")
    later = timezone.now() + datetime.timedelta(minutes=4)
    with pytest.raises(Busy):
        lease_acquire("sweep", now=later)
    taker = lease_acquire("sweep", now=timezone.now() + datetime.timedelta(minutes=6))
    assert not dead.touch(), "the dead holder learns it lost the lock"
    lease_release(dead)  # a late release of the old holder does not free the new one
    assert Lease.objects.get(name="sweep").holder == taker.holder


def test_period_keys():
    tz = timezone.get_default_timezone()
    at = datetime.datetime(2026, 11, 30, 2, 30, 41, tzinfo=tz)
    assert period_key(every=datetime.timedelta(days=1), now=at) == "2026-11-30"
    assert period_key(every=datetime.timedelta(minutes=1), now=at) == "2026-11-30T02:30:00"
    assert period_key(every=datetime.timedelta(minutes=15), now=at) == "2026-11-30T02:30:00"
    assert period_key(every=datetime.timedelta(hours=1), now=at) == "2026-11-30T02:00:00"
    # a UTC instant is keyed by its local (Asia/Shanghai) day
    utc = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
    assert period_key(every=datetime.timedelta(days=1), now=utc) == "2026-12-01"


def test_run_periodic_runs_once_per_period_and_reruns_a_crashed_period():
    calls = []
    assert run_periodic("job", period="p1", fn=lambda lease: calls.append(1) or "ok") == (True, "ok")
    assert run_periodic("job", period="p1", fn=lambda lease: calls.append(1)) == (False, None)
    assert run_periodic("job", period="p2", fn=lambda lease: calls.append(1) or 2) == (True, 2)
    assert len(calls) == 2

    def crash(lease):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_periodic("job", period="p3", fn=crash)
    assert run_periodic("job", period="p3", fn=lambda lease: "again") == (True, "again")
    run = PeriodicRun.objects.get(name="job", period="p3")
    assert run.runs == 2 and run.result == "again"


def test_a_duplicate_delivered_while_the_first_runs_does_nothing():
    inner = []

    def first(lease):
        inner.append(run_periodic("job", period="p", fn=lambda lease: "duplicate"))
        return "first"

    assert run_periodic("job", period="p", fn=first) == (True, "first")
    assert inner == [(False, None)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent sessions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_run_the_period_once():
    """Eight workers receive the same tick at once: exactly one runs it."""
    from django.db import connections

    results, barrier = [], threading.Barrier(8)

    def deliver():
        try:
            barrier.wait()
            results.append(run_periodic("race", period="p", fn=lambda lease: "ran")[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert PeriodicRun.objects.filter(name="race").count() == 1


def test_run_scheduled_runs_once_per_period_and_answers_skipped_after():
    from core.jobs import run_scheduled

    calls = []
    every = datetime.timedelta(days=1)
    assert run_scheduled("test.scheduled", every=every, fn=lambda: calls.append(1) or 7, skipped=0) == 7
    assert run_scheduled("test.scheduled", every=every, fn=lambda: calls.append(1) or 7, skipped=0) == 0
    assert calls == [1]
