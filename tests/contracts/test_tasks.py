"""The daily status sweep task: moves contracts by end date; a rerun changes nothing."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import AccountEvent
from contracts.models import Contract
from contracts.tasks import sweep_contract_statuses

from .factories import ContractFactory

pytestmark = pytest.mark.django_db


def test_sweep_task_moves_contracts_and_is_harmless_to_rerun():
    today = timezone.localdate()
    ended = ContractFactory(end_on=today - datetime.timedelta(days=1), start_on=today - datetime.timedelta(days=300))
    soon = ContractFactory(end_on=today + datetime.timedelta(days=3), start_on=today - datetime.timedelta(days=300))
    assert sweep_contract_statuses.apply().get() == {"expiring": 1, "expired": 1, "renewed": 0}
    assert Contract.objects.get(pk=ended.pk).status == Contract.Status.EXPIRED
    assert Contract.objects.get(pk=soon.pk).status == Contract.Status.EXPIRING
    events = AccountEvent.objects.filter(kind="contract.status_changed").count()
    # a duplicate delivery or a second beat the same day does nothing
    assert sweep_contract_statuses.apply().get() == {"skipped": "already ran today"}
    assert AccountEvent.objects.filter(kind="contract.status_changed").count() == events
    # and the sweep itself, run again, changes nothing more
    from contracts.services import contracts_sweep_statuses

    assert contracts_sweep_statuses() == {"expiring": 0, "expired": 0, "renewed": 0}


def test_the_sweep_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["contracts-status-sweep"]
    assert entry["task"] == "contracts.tasks.sweep_contract_statuses"
