"""Issue 8, "checks that keep it so": where the schema lied, an answer that shows it is validated
against the schema (schemathesis' response checks). Random inputs reach these answers only by luck,
so each is made on purpose: a field declared a string that comes back null (owner_name, actor,
policy_version), a read-only choice that is blank until set (close_reason), a list action that
answers a plain list, not a page (a request's comments and attachments), the 422 of a reused
Idempotency-Key."""

import pytest
from schemathesis import checks

from tests.accounts.factories import AccountFactory
from tests.opportunities.factories import OpportunityFactory
from tests.service_requests.factories import AttachmentFactory, CommentFactory, ServiceRequestFactory
from tests.tiering.factories import RecomputeJobFactory, TierChangeFactory
from users.roles import Role

from .test_schemathesis import _token_header

pytestmark = [pytest.mark.contract, pytest.mark.django_db]

RESPONSE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def header():
    return _token_header(Role.DIRECTOR)


def answer(api_schema, header, path, **path_parameters):
    """GET `path` as a director; the answer must be a 200 that agrees with the schema."""
    case = api_schema[path]["GET"].Case(path_parameters=path_parameters)
    response = case.call(headers=header)
    assert response.status_code == 200, response.text
    case.validate_response(response, checks=RESPONSE_CHECKS, headers=header)
    return response.json()


def test_an_account_without_owner_answers_owner_name_null(api_schema, header):
    account = AccountFactory(owner=None)
    assert answer(api_schema, header, "/api/accounts/{id}/", id=account.pk)["owner_name"] is None


def test_a_computed_tier_change_answers_actor_null_and_one_without_policy_policy_version_null(api_schema, header):
    change = TierChangeFactory(actor=None, policy_version=None)
    body = answer(api_schema, header, "/api/tier-changes/{id}/", id=change.pk)
    assert body["actor"] is None and body["policy_version"] is None


def test_a_recompute_job_without_policy_answers_policy_version_null(api_schema, header):
    job = RecomputeJobFactory(policy=None)
    assert answer(api_schema, header, "/api/tiering/recompute/{job_id}/", job_id=job.pk)["policy_version"] is None


def test_an_open_opportunity_answers_a_blank_close_reason(api_schema, header):
    opportunity = OpportunityFactory()
    body = answer(api_schema, header, "/api/opportunities/{id}/", id=opportunity.pk)
    assert body["close_reason"] == ""


def test_a_requests_comments_and_attachments_are_plain_lists(api_schema, header):
    request = ServiceRequestFactory()
    CommentFactory(request=request)
    AttachmentFactory(request=request)
    assert len(answer(api_schema, header, "/api/service-requests/{id}/comments/", id=request.pk)) == 1
    assert len(answer(api_schema, header, "/api/service-requests/{id}/attachments/", id=request.pk)) == 1


def test_a_reused_idempotency_key_answers_a_documented_422(api_schema, header):
    operation = api_schema["/api/competitors/"]["POST"]
    headers = {**header, "Idempotency-Key": "key-1"}
    first = operation.Case(body={"name": "Huawei"}, media_type="application/json")
    assert first.call(headers=headers).status_code == 201
    second = operation.Case(body={"name": "ZTE"}, media_type="application/json")
    response = second.call(headers=headers)
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    second.validate_response(response, checks=RESPONSE_CHECKS, headers=headers)
