"""Contracts' line in the 360° header (accounts.alerts): overdue installments, contracts ending."""

import datetime

import pytest
from django.utils import timezone

from accounts.alerts import account_alerts
from contracts.models import Contract
from contracts.selectors import account_contract_alerts
from tests.accounts.factories import AccountFactory

from .factories import ContractFactory, InstallmentFactory

pytestmark = pytest.mark.django_db


def test_overdue_installments_and_a_contract_ending_soon(manager, django_assert_max_num_queries):
    today = timezone.localdate()
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    contract = ContractFactory(
        account=account, start_on=today - datetime.timedelta(days=300), end_on=today + datetime.timedelta(days=20)
    )
    InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=40))
    InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=5))
    InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=3), paid_on=today)  # paid
    InstallmentFactory(contract=contract, due_on=today + datetime.timedelta(days=5))  # not due yet
    draft = ContractFactory(account=account, status=Contract.Status.DRAFT)
    InstallmentFactory(contract=draft, due_on=today - datetime.timedelta(days=9))  # a draft owes nothing
    with django_assert_max_num_queries(2):
        alerts = account_contract_alerts(user=manager, account=account)
    oldest = (today - datetime.timedelta(days=40)).isoformat()
    assert [(a.level, a.count, a.text) for a in alerts] == [
        ("danger", 2, f"2 installments overdue, the oldest due since {oldest}"),
        ("warning", 1, "1 contract ends within 30 days"),
    ]
    assert alerts[0].url == f"/contracts/accounts/{account.pk}/statement/"
    assert {"cash-coin", "calendar-x"} <= {a.icon for a in account_alerts(user=manager, account=account)}


def test_a_paid_up_account_adds_nothing_and_service_staff_do_not_see_it(manager, service_agent):
    today = timezone.localdate()
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    contract = ContractFactory(account=account, end_on=today + datetime.timedelta(days=200))
    InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=10), paid_on=today)
    assert account_contract_alerts(user=manager, account=account) == []
    InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=10))
    assert [a.icon for a in account_alerts(user=service_agent, account=account) if a.icon == "cash-coin"] == []
