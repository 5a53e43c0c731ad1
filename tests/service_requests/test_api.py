import pytest

from service_requests.models import ServiceRequest
from tests.accounts.factories import AccountFactory
from tests.users.factories import DepartmentFactory

from .factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db
URL = "/api/service-requests/"


def test_a_manager_opens_a_request_on_their_account_and_works_it(api_for, manager, benefits):
    account = AccountFactory(owner=manager, tier="vip")
    client = api_for(manager)
    response = client.post(URL, {"account": account.pk, "subject": "Line down", "priority": "high"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SR") and body["status"] == "new" and body["response_target_minutes"] == 60
    dept = DepartmentFactory()
    response = client.post(
        f"{URL}{body['id']}/assign/",
        {"department": dept.pk, "assignee": manager.pk, "version": body["version"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dispatched"
    response = client.post(
        f"{URL}{body['id']}/transition/", {"to": "in_progress", "version": response.json()["version"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["first_response_at"]
    response = client.post(
        f"{URL}{body['id']}/comments/", {"body": "Engineer on the way", "is_internal": False}, format="json"
    )
    assert response.status_code == 201
    assert client.get(f"{URL}{body['id']}/comments/").json()[0]["body"] == "Engineer on the way"


def test_an_illegal_transition_answers_400_and_changes_nothing(api_for, manager, benefits):
    sr = ServiceRequestFactory(account=AccountFactory(owner=manager))
    response = api_for(manager).post(
        f"{URL}{sr.pk}/transition/", {"to": "closed", "version": sr.version}, format="json"
    )
    assert response.status_code == 400
    assert "cannot become" in response.content.decode()
    assert ServiceRequest.objects.get(pk=sr.pk).status == "new"


def test_a_stale_version_answers_409(api_for, manager, benefits):
    sr = ServiceRequestFactory(account=AccountFactory(owner=manager))
    response = api_for(manager).patch(f"{URL}{sr.pk}/", {"subject": "New", "version": sr.version + 3}, format="json")
    assert response.status_code == 409


def test_another_managers_request_answers_404_everywhere(api_for, manager, other_manager):
    sr = ServiceRequestFactory(account=AccountFactory(owner=other_manager))
    client = api_for(manager)
    assert client.get(f"{URL}{sr.pk}/").status_code == 404
    assert client.patch(f"{URL}{sr.pk}/", {"subject": "x", "version": 1}, format="json").status_code == 404
    assert (
        client.post(f"{URL}{sr.pk}/transition/", {"to": "dispatched", "version": 1}, format="json").status_code == 404
    )
    assert client.get(f"{URL}{sr.pk}/comments/").status_code == 404
    assert client.get(URL).json()["results"] == []


def test_a_manager_cannot_open_a_request_on_an_account_they_cannot_see(api_for, manager, other_manager):
    account = AccountFactory(owner=other_manager)
    response = api_for(manager).post(URL, {"account": account.pk, "subject": "x"}, format="json")
    assert response.status_code == 400 and not ServiceRequest.objects.exists()


def test_customer_service_sees_every_request_and_finance_none(api_for, service_agent, finance_user, other_manager):
    ServiceRequestFactory(account=AccountFactory(owner=other_manager))
    assert len(api_for(service_agent).get(URL).json()["results"]) == 1
    assert api_for(finance_user).get(URL).status_code == 403


def test_filters(api_for, director):
    ServiceRequestFactory(priority="urgent", status="new")
    ServiceRequestFactory(priority="low", status="new")
    rows = api_for(director).get(URL, {"priority": "urgent"}).json()["results"]
    assert [r["priority"] for r in rows] == ["urgent"]


def test_the_list_makes_a_constant_number_of_queries(api_for, director, django_assert_max_num_queries):
    for _ in range(3):
        ServiceRequestFactory()
    client = api_for(director)
    client.get(URL)
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200
    for _ in range(20):
        ServiceRequestFactory()
    with django_assert_max_num_queries(8):
        assert len(client.get(URL).json()["results"]) == 23


def test_the_same_post_with_the_same_idempotency_key_opens_one_request(api_for, manager, benefits):
    account = AccountFactory(owner=manager)
    client = api_for(manager)
    body = {"account": account.pk, "subject": "Invoice copy", "channel": "api"}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-42")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="crm-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert ServiceRequest.objects.filter(account=account).count() == 1
    other = client.post(URL, {**body, "subject": "Something else"}, format="json", HTTP_IDEMPOTENCY_KEY="crm-42")
    assert other.status_code == 422 and ServiceRequest.objects.filter(account=account).count() == 1
