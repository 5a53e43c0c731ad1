"""The 360° header's "what's wrong with this account" strip (accounts.alerts)."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from accounts.alerts import AccountAlert, account_alerts, register_account_alerts
from tests.accounts.factories import AccountFactory, FeedbackFactory
from tests.tiering.factories import AccountScoreFactory

pytestmark = pytest.mark.django_db


def test_open_feedback_is_counted_unhappy_first_and_links_to_the_rows(manager):
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    FeedbackFactory(account=account, satisfaction=1)
    FeedbackFactory(account=account, satisfaction=4, received_on=timezone.localdate() - datetime.timedelta(days=3))
    FeedbackFactory(account=account, satisfaction=5)
    FeedbackFactory(account=account, satisfaction=1, status="done")
    alerts = account_alerts(user=manager, account=account)
    assert [(a.level, a.count) for a in alerts] == [("danger", 1), ("warning", 2)]
    assert all(a.url == f"{account.get_absolute_url()}#feedback" for a in alerts)
    earliest = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    assert "2 open feedback items, the oldest from " + earliest in alerts[1].text


def test_a_quiet_account_says_how_long_and_a_fine_one_has_no_alert(manager):
    quiet = AccountFactory(owner=manager, last_contact_at=timezone.now() - datetime.timedelta(days=45))
    assert [a.text for a in account_alerts(user=manager, account=quiet)] == ["No contact for 45 days."]
    fine = AccountFactory(owner=manager, last_contact_at=timezone.now())
    assert account_alerts(user=manager, account=fine) == []


def test_tiering_adds_a_pending_demotion(manager):
    account = AccountFactory(owner=manager, last_contact_at=timezone.now(), tier="vip")
    AccountScoreFactory(account=account, pending_tier="regular", pending_streak=1)
    [alert] = account_alerts(user=manager, account=account)
    assert alert.level == "warning" and "Pending demotion to Regular" in alert.text


def test_a_source_key_is_registered_once():
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_account_alerts(key="accounts.feedback", order=1, alerts=lambda **kw: [])


def test_a_later_app_adds_its_alerts_and_hides_them_from_roles_it_chooses(manager, service_agent):
    from accounts.alerts import SOURCES, AlertSource

    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    overdue = AccountAlert(level="danger", icon="cash-coin", text="2 overdue payments", url="/contracts/?overdue=1")
    source = AlertSource(
        key="contracts.overdue",
        order=30,
        alerts=lambda *, user, account: [overdue],
        visible=lambda user: user.pk == manager.pk,
    )
    with SOURCES.registered(source.key, source):
        assert account_alerts(user=manager, account=account) == [overdue]
        assert account_alerts(user=service_agent, account=account) == []


def test_the_strip_loads_for_those_who_see_the_account_only(client_for, manager, other_manager):
    account = AccountFactory(owner=manager, last_contact_at=timezone.now())
    FeedbackFactory(account=account, satisfaction=2)
    url = reverse("accounts:alerts", args=[account.pk])
    body = client_for(manager).get(url).content.decode()
    assert 'data-testid="account-alerts"' in body and "1 unhappy customer feedback open" in body
    assert client_for(other_manager).get(url).status_code == 404
    page = client_for(manager).get(account.get_absolute_url()).content.decode()
    assert f'hx-get="{url}"' in page and 'id="feedback"' in page and "Service tier" in page
