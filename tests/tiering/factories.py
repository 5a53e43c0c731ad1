import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Tier
from tests.accounts.factories import AccountFactory
from tiering.models import (
    AccountScore,
    RecomputeJob,
    TierBenefit,
    TierChange,
    TierOverride,
    TierPolicy,
)


class TierPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierPolicy

    version = factory.Sequence(lambda n: 100 + n)
    name = "Test policy"
    method = TierPolicy.Method.REVENUE_RANK


class TierBenefitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierBenefit
        django_get_or_create = ("tier",)

    tier = Tier.VIP
    response_hours = 2
    resolution_hours = 24
    visit_cadence_days = 30
    callback_cadence_days = 14


class RecomputeJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecomputeJob

    status = RecomputeJob.Status.QUEUED


class TierOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierOverride

    account = factory.SubFactory(AccountFactory)
    tier = Tier.VIP
    reason = "Strategic government account"
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class TierChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierChange

    account = factory.SubFactory(AccountFactory)
    previous_tier = Tier.SMALL
    new_tier = Tier.VIP
    kind = TierChange.Kind.COMPUTED
    details = factory.LazyAttribute(
        lambda c: {
            "kind": "computed",
            "from": c.previous_tier,
            "to": c.new_tier,
            "method": "revenue_rank",
            "rank": 1,
            "of": 10,
            "revenue": "1204000.00",
            "window": 12,
        }
    )
    policy_version = 1
    at = factory.LazyFunction(timezone.now)


class AccountScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountScore

    account = factory.SubFactory(AccountFactory)
    revenue = Decimal("1000.00")
    rank = 1
    ranked_count = 1
    r = 5
    f = 5
    m = 5
    segment = "champions"
    abc_class = "A"
    computed_tier = Tier.VIP
