import factory
from django.utils import timezone

from service_requests.models import Attachment, Comment, Escalation, ServiceRequest
from tests.accounts.factories import AccountFactory


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A new request with the targets of a normal VIP request (2 h / 24 h); tests that check the SLA
    arithmetic open requests through the service instead."""

    class Meta:
        model = ServiceRequest

    number = factory.Sequence(lambda n: f"SR2611-{n:06d}")
    account = factory.SubFactory(AccountFactory)
    subject = factory.Sequence(lambda n: f"Request {n}")
    tier_at_intake = "vip"
    response_target_minutes = 120
    resolution_target_minutes = 24 * 60
    received_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    request = factory.SubFactory(ServiceRequestFactory)
    body = "Called the customer"


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attachment

    request = factory.SubFactory(ServiceRequestFactory)
    file = factory.django.FileField(filename="note.txt", data=b"hello")
    name = "note.txt"
    size = 5


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation

    request = factory.SubFactory(ServiceRequestFactory)
    clock = "response"
    level = "at_risk"
    due_at = factory.LazyFunction(timezone.now)
