import datetime
from decimal import Decimal

import factory

from contracts.models import ApprovalRule, Contract, ContractType, Installment, Payment
from tests.accounts.factories import AccountFactory


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract row as stored (no service): pass status=... for the state a test needs."""

    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"HT-T{n:06d}")
    account = factory.SubFactory(AccountFactory)
    type = ContractType.SALES
    title = factory.Sequence(lambda n: f"Contract {n}")
    value = Decimal("120000.00")
    start_on = datetime.date(2026, 1, 1)
    end_on = datetime.date(2026, 12, 31)
    owner = factory.LazyAttribute(lambda c: c.account.owner)
    status = Contract.Status.ACTIVE
    late_fee_rate = Decimal("0.05")
    grace_days = 0


class InstallmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installment

    contract = factory.SubFactory(ContractFactory)
    due_on = datetime.date(2026, 3, 1)
    amount = Decimal("10000.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    contract = factory.SubFactory(ContractFactory)
    account = factory.LazyAttribute(lambda p: p.contract.account)
    received_on = datetime.date(2026, 3, 1)
    amount = Decimal("1000.00")
    reference = factory.Sequence(lambda n: f"PAY-{n}")


class ApprovalRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    approver_role = ApprovalRule.ApproverRole.FINANCE
    min_value = Decimal("0")
