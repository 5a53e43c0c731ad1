"""Which factory makes an object of each customer-data model, for the URL walk.

Every model with a visibility rule (users.visibility.register_visibility) needs an entry here:
the walk fails loudly, naming the model, when a new app's model has none. Each entry makes the
object with a given primary key for a given account (owned by another account manager); a model
whose primary key is its account (one-to-one) is made for that account and needs no `pk`."""

import datetime

from tests.accounts.factories import (
    AccountEventFactory,
    CompetitorPresenceFactory,
    ContactFactory,
    FeedbackFactory,
    TransactionFactory,
)
from tests.service_requests.factories import (
    AttachmentFactory,
    CommentFactory,
    EscalationFactory,
    ServiceRequestFactory,
)
from tests.tiering.factories import AccountScoreFactory, TierChangeFactory, TierOverrideFactory
from tests.visits.factories import CallbackFactory, FollowUpFactory, VisitFactory


def _account_itself(*, account, pk):
    assert account.pk == pk
    return account


def _request(*, account, pk):
    from service_requests.models import ServiceRequest

    return ServiceRequest.objects.filter(pk=pk).first() or ServiceRequestFactory(id=pk, account=account)


def _contract(*, account, pk):
    from contracts.models import Contract
    from tests.contracts.factories import ContractFactory

    return Contract.objects.filter(pk=pk).first() or ContractFactory(id=pk, account=account)


def _contract_child(model_name, **fields):
    def make(*, account, pk):

        from django.apps import apps

        model = apps.get_model("contracts", model_name)
        return model.objects.create(id=pk, contract=_contract(account=account, pk=pk), **fields)

    return make


def _installment(*, account, pk):
    from contracts.models import Installment
    from tests.contracts.factories import InstallmentFactory

    return Installment.objects.filter(pk=pk).first() or InstallmentFactory(
        id=pk, contract=_contract(account=account, pk=pk)
    )


def _payment(*, account, pk):
    from contracts.models import Payment
    from tests.contracts.factories import PaymentFactory

    return Payment.objects.filter(pk=pk).first() or PaymentFactory(id=pk, contract=_contract(account=account, pk=pk))


def _allocation(*, account, pk):
    import datetime
    from decimal import Decimal

    from contracts.models import Allocation

    return Allocation.objects.create(
        id=pk,
        payment=_payment(account=account, pk=pk),
        installment=_installment(account=account, pk=pk),
        amount=Decimal("1.00"),
        received_on=datetime.date(2026, 1, 1),
    )


def _note(*, account, pk):
    from django.utils import timezone

    from visits.models import Note

    return Note.objects.create(id=pk, account=account, body="Walk", occurred_at=timezone.now())


def _opportunity(*, account, pk):
    from opportunities.models import Opportunity
    from tests.opportunities.factories import OpportunityFactory

    return Opportunity.objects.filter(pk=pk).first() or OpportunityFactory(id=pk, account=account)


def _quote(*, account, pk):
    from opportunities.models import Quote
    from tests.opportunities.factories import QuoteFactory

    return Quote.objects.filter(pk=pk).first() or QuoteFactory(id=pk, opportunity=_opportunity(account=account, pk=pk))


def _opportunity_child(factory_name, **parents):
    def make(*, account, pk):
        from tests.opportunities import factories

        factory = getattr(factories, factory_name)
        made = {name: maker(account=account, pk=pk) for name, maker in parents.items()}
        return factory(id=pk, **made)

    return make


def _notification(*, account, pk):
    from tests.reminders.factories import NotificationFactory

    return NotificationFactory(id=pk, account=account, recipient=account.owner)


def _webhook_delivery(*, account, pk):
    from reminders.models import OutboundEvent, WebhookDelivery
    from tests.reminders.factories import WebhookEndpointFactory

    event = OutboundEvent.objects.create(
        id=pk,
        event="account.created",
        key=f"walk:{pk}",
        payload={"account_id": account.pk},
        occurred_at=account.created_at,
    )
    return WebhookDelivery.objects.create(id=pk, endpoint=WebhookEndpointFactory(id=pk), event=event)


def _search_row(*, account, pk):
    return account.search  # kept by the services (and the account factory)


CUSTOMER_DATA_FACTORIES = {
    "accounts.Account": _account_itself,
    "accounts.AccountSearch": _search_row,
    "accounts.Contact": lambda *, account, pk: ContactFactory(id=pk, account=account),
    "accounts.Transaction": lambda *, account, pk: TransactionFactory(id=pk, account=account),
    "accounts.Feedback": lambda *, account, pk: FeedbackFactory(id=pk, account=account),
    "accounts.CompetitorPresence": lambda *, account, pk: CompetitorPresenceFactory(id=pk, account=account),
    "accounts.AccountEvent": lambda *, account, pk: AccountEventFactory(id=pk, account=account),
    "tiering.TierChange": lambda *, account, pk: TierChangeFactory(id=pk, account=account),
    "tiering.TierOverride": lambda *, account, pk: TierOverrideFactory(id=pk, account=account),
    "tiering.AccountScore": lambda *, account, pk: AccountScoreFactory(account=account),
    "service_requests.ServiceRequest": _request,
    "contracts.Contract": _contract,
    "contracts.Installment": _installment,
    "contracts.Payment": _payment,
    "contracts.Allocation": _allocation,
    "contracts.Amendment": _contract_child(
        "Amendment", sequence=1, reason="Walk", effective_on=datetime.date(2026, 1, 1)
    ),
    "contracts.ContractDocument": _contract_child("ContractDocument", file="contracts/walk.pdf", name="walk.pdf"),
    "contracts.ApprovalStep": _contract_child("ApprovalStep", approver_role="Sales director"),
    "service_requests.Comment": lambda *, account, pk: CommentFactory(id=pk, request=_request(account=account, pk=pk)),
    "service_requests.Attachment": lambda *, account, pk: AttachmentFactory(
        id=pk, request=_request(account=account, pk=pk)
    ),
    "service_requests.Escalation": lambda *, account, pk: EscalationFactory(
        id=pk, request=_request(account=account, pk=pk)
    ),
    "visits.Visit": lambda *, account, pk: VisitFactory(id=pk, account=account),
    "visits.Callback": lambda *, account, pk: CallbackFactory(id=pk, account=account),
    "visits.FollowUp": lambda *, account, pk: FollowUpFactory(id=pk, account=account),
    "visits.Note": _note,
    "opportunities.Opportunity": _opportunity,
    "opportunities.Quote": _quote,
    "opportunities.OpportunityContact": _opportunity_child("OpportunityContactFactory", opportunity=_opportunity),
    "opportunities.StageChange": _opportunity_child("StageChangeFactory", opportunity=_opportunity),
    "opportunities.QuoteLine": _opportunity_child("QuoteLineFactory", quote=_quote),
    # a reminder belongs to its recipient (here the other manager); webhooks are administrators'
    "reminders.Notification": _notification,
    "reminders.WebhookDelivery": _webhook_delivery,
}

# Values for a route's other arguments (beside its primary keys); a route with an argument not
# named here fails the walk, naming it.
SAMPLE_KWARGS = {
    "key": "tiering.tier",  # an account panel
    "fmt": "csv",  # an import job's error file (scoped to the user who started the import)
    "action": "submit",  # a quote's action (opportunities:quote_action)
}

# Routes that take a primary key of something that is not customer data, with the reason.
# Anything else must answer another manager's object with 404.
NOT_CUSTOMER_DATA = {
    "competitor-detail": "the competitor list is master data every role reads",
    "tiering-recompute-job": "recompute jobs are not customer data (administrators and directors only)",
    "tiering:job": "recompute jobs are not customer data (administrators and directors only)",
    "opportunity-stage-detail": "the stages of the buying process are master data every seller reads",
}
