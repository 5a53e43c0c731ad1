"""Exactly once: every sweep twice, two sweeps at the same time (PostgreSQL), two deliveries at
the same time, and a worker that died after the ledger write and before the send."""

import datetime
import threading
from decimal import Decimal
from smtplib import SMTPServerDisconnected

import pytest
from django.db import connection
from django.utils import timezone

from reminders import delivery
from reminders.models import Notification
from reminders.services import rule_sweep, sweeps_run
from reminders.tasks import deliver_notifications
from tests.accounts.factories import AccountFactory, ContactFactory, TransactionFactory
from tests.contracts.factories import ContractFactory, InstallmentFactory
from tests.service_requests.factories import EscalationFactory, ServiceRequestFactory
from tests.tiering.factories import TierChangeFactory
from tests.visits.factories import FollowUpFactory, VisitFactory, set_cadence

from .factories import at

NOW = at(2027, 5, 5, 7, 30)


def _something_for_every_rule(manager, finance_user):
    set_cadence(vip=(30, 60), regular=(60, 90), small=(90, 180))
    account = AccountFactory(owner=manager, tier="vip", last_contact_at=at(2027, 3, 1))
    for day in (5, 7):
        ContactFactory(account=account, birth_month=5, birth_day=day)
    FollowUpFactory(account=account, due_on=datetime.date(2027, 5, 5))
    FollowUpFactory(account=account, due_on=datetime.date(2027, 5, 1))
    VisitFactory(account=account, owner=manager, planned_start=at(2027, 5, 6, 10))
    contract = ContractFactory(account=account, end_on=datetime.date(2027, 6, 1))
    InstallmentFactory(contract=contract, due_on=datetime.date(2027, 5, 9))
    InstallmentFactory(contract=contract, due_on=datetime.date(2027, 4, 9))
    request = ServiceRequestFactory(account=account, assignee=manager)
    EscalationFactory(request=request, level="at_risk", notified=manager, created_at=NOW)
    EscalationFactory(request=request, level="breached", notified=manager, created_at=NOW)
    TierChangeFactory(account=account, at=at(2027, 5, 4, 2))
    # revenue of April 2027 half of April 2026's: the churn warning
    account.revenue_12m = Decimal("9000")
    account.save(update_fields=["revenue_12m"])
    TransactionFactory(account=account, occurred_at=at(2026, 4, 10, 12), amount=Decimal("1000"))
    TransactionFactory(account=account, occurred_at=at(2027, 4, 10, 12), amount=Decimal("500"))


@pytest.mark.django_db
def test_every_sweep_run_twice_writes_each_reminder_once(manager, finance_user):
    _something_for_every_rule(manager, finance_user)
    first = {
        **sweeps_run(schedule="daily", now=NOW, deliver=False),
        **sweeps_run(schedule="frequent", now=NOW, deliver=False),
    }
    assert all(count > 0 for count in first.values()), first  # every rule found something
    again = {
        **sweeps_run(schedule="daily", now=NOW, deliver=False),
        **sweeps_run(schedule="frequent", now=NOW, deliver=False),
    }
    assert set(again.values()) == {0}, again
    assert Notification.objects.count() == sum(first.values())


@pytest.mark.django_db
def test_delivery_twice_sends_each_email_once(manager, finance_user, mailoutbox):
    _something_for_every_rule(manager, finance_user)
    sweeps_run(schedule="daily", now=NOW, deliver=False)
    emailed = Notification.objects.filter(email=True).count()
    assert emailed > 0
    delivery.deliver_pending()
    delivery.deliver_pending()
    assert len(mailoutbox) == emailed
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_two_deliveries_at_the_same_time_send_once(manager, finance_user, mailoutbox):
    """Against PostgreSQL: both sweeps insert the same keys; the unique key lets one row through.
    Both deliveries pick rows; SKIP LOCKED and the sent_at check send each once."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL")
    account = AccountFactory(owner=manager)
    for _ in range(30):
        ContactFactory(account=account, birth_month=5, birth_day=5)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(job):
        try:
            barrier.wait(timeout=30)
            results.append(job())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def sweep():
        return rule_sweep(code="birthday_today", now=NOW, deliver=False)

    threads = [threading.Thread(target=run, args=(sweep,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(results) in ([0, 30], [30, 0]) or sum(results) == 30
    assert Notification.objects.count() == 30

    results.clear()
    barrier.reset()
    threads = [threading.Thread(target=run, args=(delivery.deliver_pending,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(results) == 30
    assert len(mailoutbox) == 30
    assert len({m.body for m in mailoutbox}) == 30  # thirty different reminders, none twice


@pytest.mark.django_db
def test_a_worker_killed_after_the_ledger_write_still_delivers_once_on_retry(manager, mailoutbox, monkeypatch):
    ContactFactory(account=AccountFactory(owner=manager), birth_month=5, birth_day=5, name="Zhao Lei")
    # the sweep's worker wrote the ledger and died before the delivery step
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    row = Notification.objects.get()
    assert row.sent_at is None and mailoutbox == []

    # the next delivery (the task redelivered by acks_late, or beat's next minute) finds the row;
    # its first attempt meets a mail server that drops the connection and retries with backoff
    real, calls = delivery.send_single, []

    def flaky(notification):
        calls.append(notification.pk)
        if len(calls) == 1:
            raise SMTPServerDisconnected("connection lost")
        real(notification)

    monkeypatch.setattr(delivery, "send_single", flaky)
    result = deliver_notifications.apply()
    assert result.successful(), result.traceback
    assert calls == [row.pk, row.pk]
    assert len(mailoutbox) == 1 and "Zhao Lei" in mailoutbox[0].body
    row.refresh_from_db()
    assert row.sent_at is not None and row.emailed_at is not None and row.attempts == 2

    # and once more: nothing left to send
    deliver_notifications.apply()
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_in_app_only_rows_are_marked_handled_without_mail(manager, mailoutbox):
    from reminders.models import ChannelChoice

    ChannelChoice.objects.create(user=manager, rule="birthday_today", in_app=True, email=False)
    ContactFactory(account=AccountFactory(owner=manager), birth_month=5, birth_day=5)
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    assert delivery.deliver_pending() == 1
    assert mailoutbox == []
    row = Notification.objects.get()
    assert row.in_app and not row.email and row.sent_at is not None
    assert row.sent_at <= timezone.now()
