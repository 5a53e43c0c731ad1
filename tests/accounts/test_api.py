import datetime

import pytest
from django.utils import timezone

from accounts.models import Account, Transaction
from tests.accounts.factories import (
    AccountFactory,
    CompetitorPresenceFactory,
    ContactFactory,
    FeedbackFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


class TestAccountsApi:
    def test_list_is_scoped_and_filterable(self, api_for, manager, other_manager):
        mine = AccountFactory(owner=manager, tier="vip")
        AccountFactory(owner=manager, tier="small")
        AccountFactory(owner=other_manager, tier="vip")
        api = api_for(manager)
        assert len(ids(api.get("/api/accounts/"))) == 2
        assert ids(api.get("/api/accounts/?tier=vip")) == {mine.pk}

    def test_search_finds_contact_name_and_phone(self, api_for, manager):
        account = AccountFactory(owner=manager, name="Apex")
        ContactFactory(account=account, name="张三", phone="13912345678")
        AccountFactory(owner=manager, name="Other")
        api = api_for(manager)
        assert ids(api.get("/api/accounts/", {"q": "张三"})) == {account.pk}
        assert ids(api.get("/api/accounts/", {"q": "13912345678"})) == {account.pk}
        assert ids(api.get("/api/accounts/", {"q": account.number})) == {account.pk}

    def test_another_owners_account_answers_404(self, api_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager)
        api = api_for(manager)
        assert api.get(f"/api/accounts/{theirs.pk}/").status_code == 404
        assert api.patch(f"/api/accounts/{theirs.pk}/", {"name": "x"}).status_code == 404
        assert api.delete(f"/api/accounts/{theirs.pk}/").status_code == 404

    def test_create_validates_and_assigns_number(self, api_for, manager):
        api = api_for(manager)
        bad = api.post("/api/accounts/", {"name": "", "phone": "12"}, format="json")
        assert bad.status_code == 400
        assert {"name", "phone"} <= set(bad.json()["fields"])
        assert Account.objects.count() == 0
        ok = api.post("/api/accounts/", {"name": "Vertex", "owner": manager.pk}, format="json")
        assert ok.status_code == 201
        assert ok.json()["number"].startswith("KA")

    def test_owner_must_be_one_the_user_may_assign(self, api_for, manager, other_manager, director):
        api = api_for(manager)
        response = api.post("/api/accounts/", {"name": "Handover", "owner": other_manager.pk}, format="json")
        assert response.status_code == 400 and response.json()["fields"]["owner"][0]["code"] == "owner_not_assignable"
        assert not Account.objects.filter(name="Handover").exists()
        mine = AccountFactory(owner=manager)
        response = api.patch(f"/api/accounts/{mine.pk}/", {"owner": other_manager.pk, "version": 1}, format="json")
        assert response.status_code == 400 and "owner" in response.json()["fields"]
        mine.refresh_from_db()
        assert mine.owner == manager
        # a director may hand any account to any account manager
        assert (
            api_for(director)
            .patch(f"/api/accounts/{mine.pk}/", {"owner": other_manager.pk, "version": 1}, format="json")
            .status_code
            == 200
        )

    def test_stale_version_answers_409(self, api_for, manager):
        account = AccountFactory(owner=manager)
        api = api_for(manager)
        assert api.patch(f"/api/accounts/{account.pk}/", {"name": "A", "version": 1}, format="json").status_code == 200
        stale = api.patch(f"/api/accounts/{account.pk}/", {"name": "B", "version": 1}, format="json")
        assert stale.status_code == 409
        assert "Someone else changed" in str(stale.json())
        account.refresh_from_db()
        assert account.name == "A"

    def test_delete_archives(self, api_for, manager):
        account = AccountFactory(owner=manager)
        assert api_for(manager).delete(f"/api/accounts/{account.pk}/").status_code == 204
        account.refresh_from_db()
        assert account.is_archived

    def test_customer_service_reads_but_cannot_write(self, api_for, service_agent, manager):
        account = AccountFactory(owner=manager)
        api = api_for(service_agent)
        assert api.get(f"/api/accounts/{account.pk}/").status_code == 200
        assert api.patch(f"/api/accounts/{account.pk}/", {"name": "x"}, format="json").status_code == 403

    def test_user_without_role_sees_nothing(self, api_for, make_user):
        AccountFactory()
        response = api_for(make_user(None, username="nobody")).get("/api/accounts/")
        assert response.status_code == 403

    def test_parent_must_be_visible(self, api_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager)
        response = api_for(manager).post("/api/accounts/", {"name": "Sub", "parent": theirs.pk}, format="json")
        assert response.status_code == 400
        assert "parent" in response.json()["fields"]

    def test_list_query_count_is_constant(self, api_for, manager, django_assert_max_num_queries):
        api = api_for(manager)
        AccountFactory.create_batch(5, owner=manager)
        with django_assert_max_num_queries(8) as small:
            api.get("/api/accounts/")
        AccountFactory.create_batch(45, owner=manager)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(api.get("/api/accounts/").json()["results"]) == 50


class TestTransactionsApi:
    def payload(self, account, refs):
        return {
            "rows": [
                {
                    "account": account.pk,
                    "kind": "purchase",
                    "amount": "120.50",
                    "occurred_at": timezone.now().isoformat(),
                    "source_system": "billing",
                    "external_ref": r,
                }
                for r in refs
            ]
        }

    def test_bulk_push_twice_creates_once(self, api_for, integration):
        account = AccountFactory()
        api = api_for(integration)
        first = api.post("/api/transactions/bulk/", self.payload(account, ["1", "2"]), format="json")
        assert first.status_code == 200
        assert first.json() == {"created": ["1", "2"], "existing": []}
        second = api.post("/api/transactions/bulk/", self.payload(account, ["1", "2"]), format="json")
        assert second.json() == {"created": [], "existing": ["1", "2"]}
        assert Transaction.objects.filter(source_system="billing").count() == 2

    def test_bulk_with_a_bad_row_stores_nothing(self, api_for, integration):
        account = AccountFactory()
        payload = self.payload(account, ["1", "2"])
        payload["rows"][1]["amount"] = "-5"
        response = api_for(integration).post("/api/transactions/bulk/", payload, format="json")
        assert response.status_code == 400
        assert "amount" in str(response.json())
        assert Transaction.objects.count() == 0

    def test_bulk_over_1000_rows_is_refused(self, api_for, integration):
        account = AccountFactory()
        response = api_for(integration).post(
            "/api/transactions/bulk/", self.payload(account, [str(i) for i in range(1001)]), format="json"
        )
        assert response.status_code == 400

    def test_a_row_dated_in_the_future_stores_nothing(self, api_for, integration):
        account = AccountFactory()
        payload = self.payload(account, ["1", "2"])
        payload["rows"][1]["occurred_at"] = (timezone.now() + datetime.timedelta(days=2)).isoformat()
        response = api_for(integration).post("/api/transactions/bulk/", payload, format="json")
        assert response.status_code == 400
        assert "future" in str(response.json())
        assert Transaction.objects.count() == 0
        # a few hours ahead (another system's clock or time zone) is accepted
        row = self.payload(account, ["3"])["rows"][0]
        row["occurred_at"] = (timezone.now() + datetime.timedelta(hours=9)).isoformat()
        assert api_for(integration).post("/api/transactions/", row, format="json").status_code == 201

    def test_single_push_is_idempotent(self, api_for, integration):
        account = AccountFactory()
        row = self.payload(account, ["77"])["rows"][0]
        api = api_for(integration)
        assert api.post("/api/transactions/", row, format="json").status_code == 201
        assert api.post("/api/transactions/", row, format="json").status_code == 200
        assert Transaction.objects.count() == 1

    def test_cannot_push_to_an_invisible_account(self, api_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager)
        response = api_for(manager).post("/api/transactions/", self.payload(theirs, ["9"])["rows"][0], format="json")
        assert response.status_code in (400, 403)
        assert Transaction.objects.count() == 0

    def test_list_scoped_and_filtered(self, api_for, manager, other_manager):
        mine = TransactionFactory(account__owner=manager, kind="refund")
        TransactionFactory(account__owner=manager, kind="purchase")
        theirs = TransactionFactory(account__owner=other_manager)
        api = api_for(manager)
        assert ids(api.get("/api/transactions/?kind=refund")) == {mine.pk}
        assert api.get(f"/api/transactions/{theirs.pk}/").status_code == 404


@pytest.mark.parametrize(
    "path, factory",
    [
        ("contacts", ContactFactory),
        ("feedback", FeedbackFactory),
        ("competitor-presences", CompetitorPresenceFactory),
    ],
)
def test_child_resources_answer_404_for_another_owner(api_for, manager, other_manager, path, factory):
    mine = factory(account=AccountFactory(owner=manager))
    theirs = factory(account=AccountFactory(owner=other_manager))
    api = api_for(manager)
    assert api.get(f"/api/{path}/{mine.pk}/").status_code == 200
    assert api.get(f"/api/{path}/{theirs.pk}/").status_code == 404
    assert ids(api.get(f"/api/{path}/")) == {mine.pk}


@pytest.mark.parametrize(
    "path, factory",
    [
        ("contacts", ContactFactory),
        ("feedback", FeedbackFactory),
        ("transactions", TransactionFactory),
    ],
)
def test_child_lists_make_constant_queries(api_for, manager, path, factory, django_assert_max_num_queries):
    api = api_for(manager)
    account = AccountFactory(owner=manager)
    factory.create_batch(5, account=account)
    with django_assert_max_num_queries(10) as small:
        api.get(f"/api/{path}/")
    factory.create_batch(45, account=account)
    with django_assert_max_num_queries(len(small.captured_queries)):
        api.get(f"/api/{path}/")


def test_contact_create_and_archive(api_for, manager):
    account = AccountFactory(owner=manager)
    api = api_for(manager)
    response = api.post(
        "/api/contacts/",
        {
            "account": account.pk,
            "name": "李四",
            "role": "economic",
            "influence": 5,
            "birth_month": 8,
            "birth_day": 15,
            "birthday_calendar": "lunar",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    contact_id = response.json()["id"]
    assert api.delete(f"/api/contacts/{contact_id}/").status_code == 204
    assert api.get(f"/api/contacts/{contact_id}/").json()["is_archived"] is True


def test_feedback_contact_must_belong_to_the_account(api_for, manager):
    account = AccountFactory(owner=manager)
    stranger = ContactFactory(account=AccountFactory(owner=manager))
    response = api_for(manager).post(
        "/api/feedback/",
        {"account": account.pk, "contact": stranger.pk, "received_on": "2026-11-01", "satisfaction": 4},
        format="json",
    )
    assert response.status_code == 400


def test_openapi_schema_and_docs(client_for, manager):
    client = client_for(manager)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/transactions/bulk/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()


def test_filtered_list_does_not_use_select_distinct(api_for, manager, django_assert_max_num_queries):
    AccountFactory(owner=manager, tier="vip", status="active")
    with django_assert_max_num_queries(8) as ctx:
        api_for(manager).get("/api/accounts/?tier=vip&status=active&category=high_value")
    assert not any("DISTINCT" in q["sql"] for q in ctx.captured_queries if "accounts_account" in q["sql"])
