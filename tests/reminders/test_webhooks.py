"""Outbound webhooks against a local HTTP server: the signature, the retry after a 500, the record
of each attempt, replay; events from the timeline, the account history and the overdue sweep."""

import datetime
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.timeline import record_event
from reminders import webhooks
from reminders.models import OutboundEvent, WebhookDelivery
from reminders.services import rule_sweep, rules_ensure_defaults, webhook_delivery_replay, webhook_endpoint_create
from reminders.tasks import deliver_webhook
from tests.accounts.factories import AccountFactory
from tests.contracts.factories import ContractFactory, InstallmentFactory

from .factories import at

pytestmark = pytest.mark.django_db
SECRET = "integration-secret-0123456789"


@pytest.fixture(autouse=True)
def _default_rules():
    """The data migration's rules (the overdue sweep's among them): a browser test's flush on the
    same worker removes them, as in test_admin.py."""
    rules_ensure_defaults()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((dict(self.headers), body))
        code = self.server.codes.pop(0) if self.server.codes else 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    server.seen, server.codes = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(admin_user, receiver):
    return webhook_endpoint_create(
        actor=admin_user,
        name="ERP",
        url=f"http://127.0.0.1:{receiver.server_port}/hook",
        events=["account.created", "account.updated", "tier.changed", "payment.overdue"],
        secret=SECRET,
    )


def collect():
    """Two runs: the cursor reads up to what the previous run saw (late commits are not skipped)."""
    webhooks.collect_events()
    return webhooks.collect_events()


def test_signed_delivery_retried_after_a_500(endpoint, receiver, manager):
    webhooks.collect_events()  # the cursors start at what exists
    account = AccountFactory(owner=manager, name="Hengtong")
    collect()
    delivery = WebhookDelivery.objects.get(event__event="account.created")
    receiver.codes = [500]

    result = deliver_webhook.apply(args=[delivery.pk])
    assert result.successful(), result.traceback

    assert len(receiver.seen) == 2  # the 500, then the retry
    headers, body = receiver.seen[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Crm-Signature"] == expected
    assert headers["X-Crm-Event"] == "account.created"
    payload = json.loads(body)
    assert payload["event"] == "account.created"
    assert payload["data"]["account_id"] == account.pk and payload["data"]["name"] == "Hengtong"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert [entry["code"] for entry in delivery.log] == [500, 200]
    assert delivery.log[0]["error"] == "HTTP 500"


def test_a_tampered_body_does_not_match_the_signature(endpoint, receiver, manager):
    webhooks.collect_events()
    AccountFactory(owner=manager)
    collect()
    deliver_webhook.apply(args=[WebhookDelivery.objects.get().pk])
    headers, body = receiver.seen[-1]
    forged = body.replace(b"account.created", b"account.updated")
    assert headers["X-Crm-Signature"] != "sha256=" + hmac.new(SECRET.encode(), forged, hashlib.sha256).hexdigest()


def test_failures_back_off_then_fail_and_an_admin_replays(endpoint, receiver, manager, admin_user):
    webhooks.collect_events()
    AccountFactory(owner=manager)
    collect()
    delivery = WebhookDelivery.objects.get()
    receiver.codes = [503] * webhooks.MAX_ATTEMPTS
    first = webhooks.deliver(delivery.pk)
    assert first.status == "pending" and first.response_code == 503
    gap = first.next_attempt_at - datetime.datetime.fromisoformat(first.log[0]["at"])
    assert gap == datetime.timedelta(seconds=30)
    assert webhooks.deliver(delivery.pk) is None  # not due yet: nothing sent
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        webhooks.deliver(delivery.pk, force=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)

    with pytest.raises(PermissionDenied):
        webhook_delivery_replay(actor=manager, delivery=delivery)
    webhook_delivery_replay(actor=admin_user, delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0
    deliver_webhook.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.seen) == webhooks.MAX_ATTEMPTS + 1


def test_events_from_the_timeline_history_and_the_overdue_sweep(endpoint, manager, finance_user):
    webhooks.collect_events()
    account = AccountFactory(owner=manager)
    account.name = "Renamed"
    account.save()
    record_event(account=account, kind="tier.changed", data={"from": "small", "to": "vip"})
    record_event(account=account, kind="contract.activated", data={"number": "HT1"})  # not wanted here
    collect()
    contract = ContractFactory(account=account, end_on=datetime.date(2027, 12, 31))
    InstallmentFactory(contract=contract, due_on=datetime.date(2027, 3, 1), amount=Decimal("100.00"))
    rule_sweep(code="installment_overdue", now=at(2027, 3, 5), deliver=False)
    rule_sweep(code="installment_overdue", now=at(2027, 3, 6), deliver=False)
    events = sorted(OutboundEvent.objects.values_list("event", flat=True))
    assert events == ["account.created", "account.updated", "payment.overdue", "tier.changed"]
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 4
    overdue = OutboundEvent.objects.get(event="payment.overdue")
    assert overdue.payload["open"] == "100.00" and overdue.payload["days"] == 4


def test_only_administrators_register_endpoints_with_known_events(manager, admin_user):
    with pytest.raises(PermissionDenied):
        webhook_endpoint_create(actor=manager, name="x", url="http://example.com/h", events=["account.created"])
    with pytest.raises(ValidationError, match="Unknown events: nope"):
        webhook_endpoint_create(actor=admin_user, name="x", url="http://example.com/h", events=["nope"])
    with pytest.raises(ValidationError, match="Choose at least one event"):
        webhook_endpoint_create(actor=admin_user, name="x", url="http://example.com/h", events=[])
