"""Admin: every reminders page opens; a rule is changed through the service (version checked);
deliveries are replayed by the action."""

import pytest
from django.urls import reverse

from reminders.models import OutboundEvent, Rule, WebhookDelivery
from reminders.services import rules_ensure_defaults

from .factories import NotificationFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_rules():
    """The data migration's rules (a browser test's flush on the same worker removes them)."""
    rules_ensure_defaults()


def test_every_page_opens(client_for, admin_user):
    NotificationFactory()
    endpoint = WebhookEndpointFactory()
    event = OutboundEvent.objects.create(event="account.created", key="k", payload={}, occurred_at="2026-01-01T00:00Z")
    WebhookDelivery.objects.create(endpoint=endpoint, event=event)
    client = client_for(admin_user)
    for model in ("rule", "notification", "usersettings", "channelchoice", "webhookendpoint", "outboundevent"):
        assert client.get(reverse(f"admin:reminders_{model}_changelist")).status_code == 200, model
    assert client.get(reverse("admin:reminders_webhookdelivery_changelist")).status_code == 200
    assert client.get(reverse("admin:reminders_webhookendpoint_add")).status_code == 200
    rule = Rule.objects.get(code="birthday_upcoming")
    assert client.get(reverse("admin:reminders_rule_change", args=[rule.pk])).status_code == 200


def test_a_rule_is_changed_through_the_service(client_for, admin_user):
    rule = Rule.objects.get(code="contract_expiring")
    url = reverse("admin:reminders_rule_change", args=[rule.pk])
    data = {
        "enabled": "",
        "lead_days": "60, 30",
        "recipients": ["owner", "directors"],
        "email_by_default": "on",
        "expected_version": rule.version,
    }
    response = client_for(admin_user).post(url, data)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.enabled, rule.lead_list, rule.recipients, rule.version) == (False, [60, 30], ["owner", "directors"], 2)
    stale = client_for(admin_user).post(url, {**data, "lead_days": "7"}, follow=True)
    assert "Someone else changed this record" in stale.content.decode()
    rule.refresh_from_db()
    assert rule.lead_days == "60, 30"


def test_replay_action(client_for, admin_user):
    endpoint = WebhookEndpointFactory()
    event = OutboundEvent.objects.create(event="account.created", key="k", payload={}, occurred_at="2026-01-01T00:00Z")
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, status="failed", attempts=8)
    response = client_for(admin_user).post(
        reverse("admin:reminders_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1 delivery will be sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
