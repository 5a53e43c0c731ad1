"""Celery tasks: thin, idempotent."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.accounts.factories import AccountFactory, TransactionFactory
from tiering import tasks
from tiering.models import RecomputeJob, TierChange
from tiering.services import recompute_job_request

pytestmark = pytest.mark.django_db


def test_nightly_task_name_matches_the_beat_schedule():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["tiering-nightly-recompute"]["task"] == tasks.recompute_tiers_nightly.name
    assert tasks.run_recompute_job.acks_late is True


def test_nightly_recompute_runs_and_is_idempotent():
    account = AccountFactory()
    TransactionFactory(account=account, amount=Decimal("100"), occurred_at=timezone.now() - datetime.timedelta(days=1))
    job_id = tasks.recompute_tiers_nightly()
    job = RecomputeJob.objects.get(pk=job_id)
    assert job.status == "done" and job.trigger == "nightly"
    account.refresh_from_db()
    assert account.tier == "vip"
    tasks.recompute_tiers_nightly()
    assert TierChange.objects.count() == 1


def test_requested_job_is_enqueued_on_commit_and_run(director, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: sent.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        job = recompute_job_request(actor=director, dry_run=True)
    assert sent == [job.pk]
    assert job.status == "queued"
    assert tasks.run_recompute_job(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.progress == 100 and job.dry_run
    # a redelivered message for a finished job changes nothing
    assert tasks.run_recompute_job(job.pk) == "done"
    assert tasks.run_recompute_job(999999) == "missing"


def test_failed_job_is_recorded_not_retried(monkeypatch):
    from tiering import recompute

    monkeypatch.setattr(recompute, "_compute_rows", lambda **kw: (_ for _ in ()).throw(ValueError("bad")))
    job = RecomputeJob.objects.create()
    assert tasks.run_recompute_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "bad" in job.error
