"""API: /api/notifications/ (mine only; read, unread, read-all) and /api/webhooks/ (administrators)."""

import pytest

from reminders.models import Notification, WebhookDelivery
from tests.accounts.factories import AccountFactory

from .factories import NotificationFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


class TestNotifications:
    def test_lists_only_mine_newest_first_in_my_language(self, api_for, manager, other_manager):
        mine = NotificationFactory.create_batch(3, account=AccountFactory(owner=manager, name="Hengtong"))
        NotificationFactory(account=AccountFactory(owner=other_manager))
        response = api_for(manager).get("/api/notifications/")
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [r["id"] for r in rows] == sorted((n.pk for n in mine), reverse=True)
        assert rows[0]["text"] == "Hengtong: no visit or callback for 40 days (its tier: every 30 days)."
        assert rows[0]["link"] == f"/accounts/{mine[0].account_id}/"
        assert rows[0]["is_read"] is False

    def test_unread_filter_and_read_actions(self, api_for, manager):
        a, b = NotificationFactory.create_batch(2, account=AccountFactory(owner=manager))
        api = api_for(manager)
        response = api.post(f"/api/notifications/{a.pk}/read/")
        assert response.status_code == 200 and response.json()["is_read"] is True
        assert [r["id"] for r in api.get("/api/notifications/?unread=true").json()["results"]] == [b.pk]
        assert api.post(f"/api/notifications/{a.pk}/unread/").json()["is_read"] is False
        assert api.post("/api/notifications/read-all/").json() == {"marked": 2}
        assert not Notification.objects.filter(read_at__isnull=True).exists()

    def test_another_persons_notification_answers_404(self, api_for, manager, other_manager, director):
        theirs = NotificationFactory(account=AccountFactory(owner=other_manager))
        for user in (manager, director):  # not even a director reads someone else's reminders
            api = api_for(user)
            assert api.get(f"/api/notifications/{theirs.pk}/").status_code == 404
            assert api.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_constant_queries(self, api_for, manager, django_assert_max_num_queries):
        account = AccountFactory(owner=manager)
        NotificationFactory.create_batch(3, account=account)
        api = api_for(manager)
        with django_assert_max_num_queries(20) as few:
            api.get("/api/notifications/")
        NotificationFactory.create_batch(30, account=account)
        with django_assert_max_num_queries(len(few.captured_queries)):
            api.get("/api/notifications/")


class TestWebhooks:
    def test_administrators_only(self, api_for, manager, director, finance_user):
        endpoint = WebhookEndpointFactory()
        for user in (manager, director, finance_user):
            api = api_for(user)
            assert api.get("/api/webhooks/").status_code == 403
            assert api.get(f"/api/webhooks/{endpoint.pk}/").status_code == 403
            assert api.post("/api/webhooks/", {"name": "x"}, format="json").status_code == 403

    def test_create_update_and_deliveries(self, api_for, admin_user):
        api = api_for(admin_user)
        response = api.post(
            "/api/webhooks/",
            {"name": "ERP", "url": "https://erp.example.com/hook", "events": ["account.created", "tier.changed"]},
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert len(body["secret"]) == 64 and body["version"] == 1
        bad = api.post("/api/webhooks/", {"name": "x", "url": "https://x.example", "events": ["nope"]}, format="json")
        assert bad.status_code == 400 and "events.0" in bad.json()["fields"]
        stale = api.patch(f"/api/webhooks/{body['id']}/", {"is_active": False, "version": 7}, format="json")
        assert stale.status_code == 409
        ok = api.patch(f"/api/webhooks/{body['id']}/", {"is_active": False, "version": 1}, format="json")
        assert ok.status_code == 200 and ok.json()["is_active"] is False and ok.json()["version"] == 2
        assert api.get(f"/api/webhooks/{body['id']}/deliveries/").json()["results"] == []

    def test_the_same_create_with_one_idempotency_key_makes_one_endpoint(self, api_for, admin_user):
        from reminders.models import WebhookEndpoint

        api = api_for(admin_user)
        body = {"name": "ERP", "url": "https://erp.example.com/hook", "events": ["account.created"]}
        first = api.post("/api/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
        again = api.post("/api/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
        assert first.status_code == 201 and again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert WebhookEndpoint.objects.filter(name="ERP").count() == 1

    def test_replay(self, api_for, admin_user):
        from reminders.models import OutboundEvent

        endpoint = WebhookEndpointFactory()
        event = OutboundEvent.objects.create(
            event="account.created", key="k1", payload={}, occurred_at="2026-01-01T00:00Z"
        )
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, status="failed", attempts=8)
        response = api_for(admin_user).post(f"/api/webhooks/deliveries/{delivery.pk}/replay/")
        assert response.status_code == 200
        assert response.json()["status"] == "pending" and response.json()["attempts"] == 0
