"""Visits' line in the 360° header (accounts.alerts): the next planned contact, or a due one."""

import datetime

import pytest
from django.utils import timezone

from accounts.alerts import account_alerts
from tests.accounts.factories import AccountFactory
from visits.selectors import account_visit_alerts

from .factories import VisitFactory, set_cadence

pytestmark = pytest.mark.django_db


def test_the_next_planned_visit_is_shown(manager, django_assert_max_num_queries):
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    soon = VisitFactory(
        account=account, purpose="Renewal talk", planned_start=timezone.now() + datetime.timedelta(days=2)
    )
    VisitFactory(account=account, planned_start=timezone.now() + datetime.timedelta(days=9))
    VisitFactory(account=account, planned_start=timezone.now() + datetime.timedelta(days=1), status="cancelled")
    with django_assert_max_num_queries(1):
        [alert] = account_visit_alerts(user=manager, account=account)
    day = timezone.localdate(soon.planned_start).isoformat()
    assert (alert.level, alert.text, alert.url) == ("info", f"Next visit {day}: Renewal talk", soon.get_absolute_url())
    assert alert in account_alerts(user=manager, account=account)


def test_a_contact_due_by_cadence_and_none_planned_is_a_warning(manager):
    set_cadence(vip=(15, 30))
    last = timezone.now() - datetime.timedelta(days=20)
    account = AccountFactory(owner=manager, tier="vip", last_contact_at=last)
    [alert] = account_visit_alerts(user=manager, account=account)
    due = (timezone.localdate(last) + datetime.timedelta(days=15)).isoformat()
    assert alert.level == "warning" and f"since {due}" in alert.text
    assert alert.url == f"/visits/new/?account={account.pk}"
    recent = AccountFactory(owner=manager, tier="vip", last_contact_at=timezone.now())
    assert account_visit_alerts(user=manager, account=recent) == []


def test_finance_does_not_see_the_line(finance_user):
    account = AccountFactory(last_contact_at=timezone.now())
    VisitFactory(account=account)
    assert [a for a in account_alerts(user=finance_user, account=account) if a.icon == "calendar-check"] == []
