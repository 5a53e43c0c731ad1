"""Faults of the recompute job: broker down, worker killed, duplicate deliveries, retries."""

import datetime
import time

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from core.models import PeriodicRun
from tests.accounts.factories import AccountFactory
from tiering import recompute, services, tasks
from tiering.models import RecomputeJob
from tiering.selectors import active_recompute


@pytest.mark.django_db(transaction=True)
def test_recompute_now_with_the_broker_down_answers_503_quickly_and_fails_the_job(director, api_for, broker_of_its_own):
    """It answered 500 after 19 s and left a `queued` job that blocked every recompute for two
    hours; now the job is failed and the next request (broker back) is accepted."""
    broker_of_its_own.stop()
    started = time.monotonic()
    response = api_for(director).post(reverse("tiering-recompute"), {"dry_run": False}, format="json")
    assert time.monotonic() - started < 8  # about 1 s on an idle machine; it took 19 s before
    assert response.status_code == 503
    assert "job queue is not answering" in str(response.data["detail"])
    job = RecomputeJob.objects.get()
    assert job.status == RecomputeJob.Status.FAILED and job.finished_at is not None
    assert "nothing was sent" in job.error
    assert active_recompute() is None

    broker_of_its_own.start()
    again = api_for(director).post(reverse("tiering-recompute"), {"dry_run": False}, format="json")
    assert again.status_code == 202


@pytest.mark.django_db(transaction=True)
def test_recompute_page_with_the_broker_down_answers_503_with_a_message(director, client_for, broker_of_its_own):
    broker_of_its_own.stop()
    client = client_for(director)
    started = time.monotonic()
    response = client.post(reverse("tiering:recompute"))
    assert time.monotonic() - started < 8
    assert response.status_code == 503
    assert b"job queue is not answering" in response.content
    htmx = client.post(reverse("tiering:recompute"), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and b"recompute-refused" in htmx.content
    assert set(RecomputeJob.objects.values_list("status", flat=True)) == {"failed"}


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_job_without_progress_for_a_few_minutes_counts_as_abandoned(settings):
    """A killed worker's job stays `running`; after JOB_ABANDONED_AFTER_SECONDS without a
    progress stamp it blocks nothing (it blocked for two hours before)."""
    settings.JOB_ABANDONED_AFTER_SECONDS = 300
    now = timezone.now()
    job = RecomputeJob.objects.create(status="running", started_at=now, progress_at=now)
    assert active_recompute(now=now + datetime.timedelta(minutes=4)) == job
    assert active_recompute(now=now + datetime.timedelta(minutes=6)) is None
    queued = RecomputeJob.objects.create(status="queued", progress_at=now + datetime.timedelta(minutes=5))
    assert active_recompute(now=now + datetime.timedelta(minutes=6)) == queued


@pytestmark_db
def test_every_step_stamps_the_progress_time():
    AccountFactory()
    job = services.recompute_job_claim(dry_run=True)
    first = job.progress_at
    stamps = []
    original = services._progress

    def spy(job, progress, step, **extra):
        original(job, progress, step, **extra)
        stamps.append(job.progress_at)

    import unittest.mock

    with unittest.mock.patch.object(services, "_progress", spy):
        services.tiers_recompute(job=job)
    assert len(stamps) >= 3 and all(s >= first for s in stamps)
    job.refresh_from_db()
    assert job.progress_at == stamps[-1]


@pytestmark_db
def test_admin_marks_a_stuck_job_failed(admin_user, client_for):
    job = RecomputeJob.objects.create(status="running", started_at=timezone.now(), progress_at=timezone.now())
    done = RecomputeJob.objects.create(status="done")
    client = client_for(admin_user)
    response = client.post(
        reverse("admin:tiering_recomputejob_changelist"),
        {"action": "mark_failed", "_selected_action": [job.pk, done.pk]},
        follow=True,
    )
    assert response.status_code == 200
    job.refresh_from_db()
    done.refresh_from_db()
    assert job.status == "failed" and f"Marked failed by {admin_user.username}" in job.error
    assert done.status == "done"
    assert active_recompute() is None
    messages = [str(m) for m in response.context["messages"]]
    assert any(f"#{job.pk}" in m for m in messages)
    assert any("already finished" in m for m in messages)


@pytestmark_db
def test_mark_failed_refuses_a_finished_job():
    from django.core.exceptions import ValidationError

    job = RecomputeJob.objects.create(status="done")
    with pytest.raises(ValidationError, match="has already finished"):
        services.recompute_job_mark_failed(job=job, actor=None)


@pytestmark_db
def test_the_nightly_recompute_delivered_twice_runs_once():
    """Two deliveries (or two beat processes) on one night: one job, the second does nothing."""
    AccountFactory()
    first = tasks.recompute_tiers_nightly.apply().get()
    second = tasks.recompute_tiers_nightly.apply().get()
    assert isinstance(first, int) and second is None
    assert RecomputeJob.objects.count() == 1
    assert PeriodicRun.objects.get(name="tiering.nightly_recompute").finished_at is not None


@pytestmark_db
def test_the_nightly_recompute_takes_the_same_lock_as_recompute_now(monkeypatch):
    """While a manual recompute is queued or running the nightly one starts nothing."""
    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: None)
    manual = services.recompute_job_request()
    result = tasks.recompute_tiers_nightly.apply().get()
    assert result == f"skipped: #{manual.pk} was running"
    assert list(RecomputeJob.objects.values_list("pk", flat=True)) == [manual.pk]


@pytestmark_db
def test_a_nightly_run_that_crashed_is_run_again_by_the_redelivery(monkeypatch):
    AccountFactory()
    calls = []
    original = services.tiers_recompute

    def crash_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("worker lost")
        return original(**kwargs)

    monkeypatch.setattr(services, "tiers_recompute", crash_once)
    with pytest.raises(RuntimeError):
        tasks.recompute_tiers_nightly.apply(throw=True)
    RecomputeJob.objects.update(status="failed")  # what the crashed run left behind
    assert isinstance(tasks.recompute_tiers_nightly.apply().get(), int)
    assert len(calls) == 2
    assert PeriodicRun.objects.get(name="tiering.nightly_recompute").runs == 2


@pytestmark_db
def test_a_retry_after_a_database_error_really_reruns_the_job(monkeypatch):
    """The task marked the job failed before re-raising, so its retry saw a finished job and
    returned; now the job goes back to queued and the retry recomputes."""
    AccountFactory()
    job = services.recompute_job_claim()
    original = recompute._compute_rows
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return original(**kwargs)

    monkeypatch.setattr(recompute, "_compute_rows", flaky)
    result = tasks.run_recompute_job.apply(args=[job.pk]).get()
    assert result == "done"
    assert len(calls) == 2
    job.refresh_from_db()
    assert job.status == "done" and job.progress == 100


@pytestmark_db
def test_after_the_last_retry_the_job_is_failed(monkeypatch):
    job = services.recompute_job_claim()

    def always(**kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(recompute, "_compute_rows", always)
    calls = []
    monkeypatch.setattr(recompute, "drop_scratch", lambda: calls.append(1))
    tasks.run_recompute_job.apply(args=[job.pk])  # eager: the retries run inline
    assert len(calls) == 1 + tasks.run_recompute_job.max_retries
    job.refresh_from_db()
    assert job.status == "failed" and "database is down" in job.error
