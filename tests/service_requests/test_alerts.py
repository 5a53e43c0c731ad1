"""Service requests' line in the 360° header (accounts.alerts): breached, at risk, open."""

import datetime

import pytest
from django.utils import timezone

from accounts.alerts import account_alerts
from service_requests.selectors import account_request_alerts
from tests.accounts.factories import AccountFactory

from .factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


def test_open_requests_of_the_account_breached_first(manager, django_assert_num_queries):
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    past = timezone.now() - datetime.timedelta(hours=1)
    ServiceRequestFactory(account=account, breached=True, at_risk_at=past)
    ServiceRequestFactory(account=account, at_risk_at=past)
    ServiceRequestFactory(account=account, at_risk_at=past, paused_at=past)  # waiting on the customer: open
    ServiceRequestFactory.create_batch(2, account=account)
    ServiceRequestFactory(account=account, status="resolved", breached=True)  # resolved: not counted
    ServiceRequestFactory(account=AccountFactory(owner=manager), breached=True)  # another account
    with django_assert_num_queries(1):
        alerts = account_request_alerts(user=manager, account=account)
    assert [(a.level, a.count) for a in alerts] == [("danger", 1), ("warning", 1), ("info", 3)]
    assert alerts[0].text == "1 service request past its deadline"
    assert alerts[2].text == "3 open service requests"
    assert alerts[0].url == f"/requests/?account={account.pk}&queue=breached"
    # in the header's strip, after the account's own alerts
    assert [a.icon for a in account_alerts(user=manager, account=account)] == [
        "alarm",
        "hourglass-split",
        "life-preserver",
    ]


def test_an_account_without_open_requests_adds_nothing(manager):
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    ServiceRequestFactory(account=account, status="resolved")
    assert account_request_alerts(user=manager, account=account) == []


def test_finance_does_not_see_the_line(finance_user):
    account = AccountFactory(last_contact_at=timezone.now())
    ServiceRequestFactory(account=account, breached=True)
    assert [a for a in account_alerts(user=finance_user, account=account) if a.icon == "alarm"] == []
