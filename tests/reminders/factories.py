import datetime

import factory
from django.utils import timezone

from reminders.models import Notification, WebhookEndpoint
from tests.accounts.factories import AccountFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    """A reminder in someone's inbox (a row of the ledger), about an account's contact birthday."""

    class Meta:
        model = Notification

    rule = "contact_overdue"
    account = factory.SubFactory(AccountFactory)
    subject_type = "accounts.account"
    subject_id = factory.LazyAttribute(lambda n: n.account.pk)
    due_on = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    recipient = factory.LazyAttribute(lambda n: n.account.owner)
    data = factory.LazyAttribute(lambda n: {"account": n.account.name, "days": 40, "cadence": 30, "tier": "vip"})
    sent_at = factory.LazyFunction(timezone.now)


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    name = factory.Sequence(lambda n: f"ERP {n}")
    url = "http://127.0.0.1:9/hook"
    events = factory.LazyFunction(lambda: ["account.created"])
    secret = "s3cret-s3cret-s3cret"


def at(year, month, day, hour=8, minute=0):
    """An aware moment at local (Asia/Shanghai) wall-clock time."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))
