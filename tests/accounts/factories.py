import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import (
    Account,
    AccountEvent,
    Competitor,
    CompetitorPresence,
    Contact,
    Feedback,
    Transaction,
)
from accounts.revenue import monthly_revenue_apply
from accounts.search import refresh_search_text
from tests.users.factories import UserFactory
from users.roles import Role


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"KT{n:08d}")
    name = factory.Sequence(lambda n: f"Account {n} Co., Ltd.")
    category = Account.Category.HIGH_VALUE
    industry = Account.Industry.TELECOM
    region = "Shanghai"
    status = Account.Status.ACTIVE
    owner = factory.SubFactory(UserFactory, role=Role.MANAGER)

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:  # as the services do: keep the search column current
            refresh_search_text([self.pk])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = Contact.Role.TECHNICAL
    attitude = Contact.Attitude.NEUTRAL
    influence = 3
    phone = "13800138000"

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            refresh_search_text([self.account_id])


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    account = factory.SubFactory(AccountFactory)
    kind = Transaction.Kind.PURCHASE
    amount = Decimal("1000.00")
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    product_line = "Cloud"
    source_system = "test"
    external_ref = factory.Sequence(lambda n: f"ref-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        txn = super()._create(model_class, *args, **kwargs)
        monthly_revenue_apply(rows=[txn])  # as the services do: keep the monthly rollup
        return txn


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    account = factory.SubFactory(AccountFactory)
    received_on = factory.LazyFunction(timezone.localdate)
    satisfaction = 4
    suggestion = "Faster invoices"


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Competitor {n}")


class CompetitorPresenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetitorPresence

    account = factory.SubFactory(AccountFactory)
    competitor = factory.SubFactory(CompetitorFactory)
    products = "Cloud"


class AccountEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountEvent

    account = factory.SubFactory(AccountFactory)
    kind = "account.created"
    occurred_at = factory.LazyFunction(timezone.now)
    data = factory.LazyAttribute(lambda e: {"name": e.account.name})
