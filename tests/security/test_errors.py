"""Issue 8, items 8 and 20: bad input is a 400 in the one error shape, never a 500."""

import pytest

from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/transactions/?occurred_after=2026-01-01T00:00:00%2B16:00",
        "/api/transactions/?occurred_before=2026-01-01T00:00:00-23:59",
        "/api/tier-changes/?since=2026-01-01T00:00:00%2B16:00",
        "/api/tier-changes/?until=2026-01-01T00:00:00-16:30",
    ],
)
def test_datetime_filters_with_any_offset_do_not_fail(api_for, director, url):
    """PostgreSQL refuses offsets beyond ±15:59; the filter hands it the moment in UTC."""
    assert api_for(director).get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/accounts/", "/api/transactions/bulk/", "/api/tiering/recompute/"])
def test_deeply_nested_json_is_a_400(api_for, director, url):
    body = "[" * 100_000 + "]" * 100_000
    response = api_for(director).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_the_api_speaks_json_only(api_for, director):
    response = api_for(director).post("/api/accounts/", {"name": "Form Co"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


class TestOneErrorShape:
    def test_validation(self, api_for, manager):
        response = api_for(manager).post("/api/accounts/", {"name": ""}, format="json")
        body = response.json()
        assert response.status_code == 400 and body["code"] == "invalid" and body["detail"] == "Invalid input."
        assert body["fields"]["name"] == [{"message": "This field may not be blank.", "code": "blank"}]

    def test_stale_version(self, api_for, manager):
        account = AccountFactory(owner=manager)
        api = api_for(manager)
        api.patch(f"/api/accounts/{account.pk}/", {"name": "A", "version": 1}, format="json")
        response = api.patch(f"/api/accounts/{account.pk}/", {"name": "B", "version": 1}, format="json")
        body = response.json()
        assert response.status_code == 409 and body["code"] == "stale"
        assert body["detail"].startswith("Someone else changed this record")
        assert body["fields"]["version"][0]["code"] == "stale"

    def test_permission_and_not_found(self, api_for, service_agent, manager):
        assert api_for(service_agent).post("/api/accounts/", {}, format="json").json()["code"] == ("permission_denied")
        response = api_for(manager).get(f"/api/accounts/{AccountFactory().pk}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"

    def test_service_errors_are_translated(self, api_for, manager):
        account = AccountFactory(owner=manager)
        AccountFactory(owner=manager, parent=account)
        response = api_for(manager).delete(f"/api/accounts/{account.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 400
        assert response.json()["detail"] == "请先归档或转移其下属子公司。"
        assert response.json()["fields"]["non_field_errors"][0]["code"] == "invalid"

    def test_nested_row_errors_name_the_row(self, api_for, finance_user):
        account = AccountFactory()
        row = {"account": account.pk, "amount": "-1", "occurred_at": "2026-11-01T10:00:00+08:00", "external_ref": "a"}
        response = api_for(finance_user).post("/api/transactions/bulk/", {"rows": [row, row]}, format="json")
        assert response.status_code == 400
        messages = [e["message"] for e in response.json()["fields"]["rows"]]
        assert messages[0].startswith("Row 1, amount:") and messages[1].startswith("Row 2, amount:")
