"""Every app's edit service and API update require the version the change was based on (issue 9,
item 8): a save without it is a 400 that says so, and changes nothing."""

import pytest

from contracts import services as contract_services
from contracts.models import Contract
from core.locking import VersionRequired
from opportunities import services as opportunity_services
from reminders import services as reminder_services
from reminders.models import Rule
from service_requests import services as request_services
from tests.accounts.factories import AccountFactory
from tests.contracts.factories import ContractFactory
from tests.opportunities.factories import OpportunityFactory
from tests.reminders.factories import WebhookEndpointFactory
from tests.service_requests.factories import ServiceRequestFactory
from tests.visits.factories import FollowUpFactory, VisitFactory
from visits import services as visit_services

pytestmark = pytest.mark.django_db

MISSING = "The version is missing"


def test_every_edit_service_refuses_an_update_without_a_version(manager, admin_user):
    account = AccountFactory(owner=manager)
    calls = [
        lambda: opportunity_services.opportunity_update(
            opportunity=OpportunityFactory(account=account), actor=manager, expected_version=None, data={"title": "X"}
        ),
        lambda: contract_services.contract_update(
            contract=ContractFactory(account=account, status=Contract.Status.DRAFT),
            actor=manager,
            expected_version=None,
            data={"title": "X"},
        ),
        lambda: visit_services.visit_update(
            visit=VisitFactory(account=account, owner=manager), actor=manager, expected_version=None, data={}
        ),
        lambda: visit_services.follow_up_update(
            follow_up=FollowUpFactory(account=account), actor=manager, expected_version=None, data={"title": "X"}
        ),
        lambda: request_services.request_update(
            request=ServiceRequestFactory(account=account), actor=manager, expected_version=None, data={}
        ),
        lambda: reminder_services.rule_update(
            actor=admin_user, rule=Rule.objects.first() or pytest.skip("no rules"), data={}, expected_version=None
        ),
        lambda: reminder_services.webhook_endpoint_update(
            actor=admin_user, endpoint=WebhookEndpointFactory(), data={"name": "X"}, expected_version=None
        ),
    ]
    for call in calls:
        with pytest.raises(VersionRequired, match=MISSING):
            call()


def test_api_updates_without_a_version_are_400_and_change_nothing(api_for, manager):
    account = AccountFactory(owner=manager)
    opportunity = OpportunityFactory(account=account, title="Before")
    visit = VisitFactory(account=account, owner=manager, purpose="Before")
    api = api_for(manager)
    for url, body in (
        (f"/api/opportunities/{opportunity.pk}/", {"title": "After"}),
        (f"/api/visits/{visit.pk}/", {"purpose": "After"}),
    ):
        response = api.patch(url, body, format="json")
        assert response.status_code == 400, (url, response.content)
        assert response.json()["fields"]["version"], url  # the field is named
    opportunity.refresh_from_db()
    visit.refresh_from_db()
    assert (opportunity.title, visit.purpose) == ("Before", "Before")
