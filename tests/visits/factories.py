import datetime

import factory
from django.utils import timezone

from tests.accounts.factories import AccountFactory
from tests.users.factories import UserFactory
from tiering.models import TierBenefit
from users.roles import Role
from visits.models import Callback, FollowUp, Visit


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda v: v.account.owner or UserFactory(role=Role.MANAGER))
    purpose = factory.Sequence(lambda n: f"Quarterly review {n}")
    planned_start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    planned_end = factory.LazyAttribute(lambda v: v.planned_start + datetime.timedelta(hours=1))


class CallbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Callback

    account = factory.SubFactory(AccountFactory)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    summary = "All fine"


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Send proposal {n}")
    assignee = factory.LazyAttribute(lambda f: f.account.owner or UserFactory(role=Role.MANAGER))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=3))


def set_cadence(**tiers):
    """set_cadence(vip=(14, 30)) -> TierBenefit rows with (callback days, visit days)."""
    for tier, (callback_days, visit_days) in tiers.items():
        TierBenefit.objects.update_or_create(
            tier=tier,
            defaults={
                "response_hours": 2,
                "resolution_hours": 24,
                "callback_cadence_days": callback_days,
                "visit_cadence_days": visit_days,
            },
        )
