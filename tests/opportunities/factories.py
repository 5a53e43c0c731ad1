import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from opportunities.models import DEFAULT_STAGES, Opportunity, OpportunityContact, Quote, QuoteLine, Stage, StageChange
from tests.accounts.factories import AccountFactory, ContactFactory

ORDER = {
    "need": 10,
    "project": 20,
    "information": 30,
    "screening": 40,
    "evaluation": 50,
    "decision": 60,
    "won": 70,
    "lost": 80,
}


def default_stages() -> dict[str, Stage]:
    """The stages the data migration makes (made again when a transactional test flushed them)."""
    stages = {}
    for code, name, probability, outcome in DEFAULT_STAGES:
        stages[code], _created = Stage.objects.get_or_create(
            code=code, defaults={"name": name, "order": ORDER[code], "probability": probability, "outcome": outcome}
        )
    return stages


def stage(code: str) -> Stage:
    return default_stages()[code]


class OpportunityFactory(factory.django.DjangoModelFactory):
    """An opportunity row as stored (no service), with its first stage change."""

    class Meta:
        model = Opportunity
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Opportunity {n}")
    stage = factory.LazyFunction(lambda: stage("need"))
    stage_entered_at = factory.LazyFunction(timezone.now)
    amount = Decimal("100000.00")
    probability = factory.LazyAttribute(lambda o: o.stage.probability)
    expected_close_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    owner = factory.LazyAttribute(lambda o: o.account.owner)

    @factory.post_generation
    def first_change(self, create, extracted, **kwargs):
        if create:
            StageChange.objects.create(opportunity=self, to_stage=self.stage, changed_at=self.stage_entered_at)


class OpportunityContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpportunityContact

    opportunity = factory.SubFactory(OpportunityFactory)
    contact = factory.LazyAttribute(lambda link: ContactFactory(account=link.opportunity.account))
    role = OpportunityContact.Role.ECONOMIC


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    opportunity = factory.SubFactory(OpportunityFactory)
    number = factory.Sequence(lambda n: f"BJ-T{n:06d}")
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    total = Decimal("1000.00")


class QuoteLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuoteLine

    quote = factory.SubFactory(QuoteFactory)
    product = "Switch"
    quantity = Decimal("1")
    unit_price = Decimal("1000.00")
    line_total = Decimal("1000.00")


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    opportunity = factory.SubFactory(OpportunityFactory)
    to_stage = factory.LazyFunction(lambda: stage("project"))
    changed_at = factory.LazyFunction(timezone.now)
