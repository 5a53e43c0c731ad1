"""Pushing revenue under faults: racing clients, retried POSTs, reused keys, squatted sources."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Transaction
from core.models import IdempotencyKey
from tests.accounts.factories import AccountFactory, TransactionFactory
from users.roles import Role


def field_messages(response, field: str) -> list[str]:
    """The messages of one field in the API's error shape."""
    return [error["message"] for error in response.json()["fields"][field]]


BULK = "/api/transactions/bulk/"
SINGLE = "/api/transactions/"


def rows(account, refs, **extra):
    return [
        {
            "account": account.pk,
            "kind": "purchase",
            "amount": "120.50",
            "occurred_at": timezone.now().isoformat(),
            "external_ref": ref,
            **extra,
        }
        for ref in refs
    ]


# --- who may push under which source ------------------------------------------------------


@pytest.mark.django_db
class TestSourceBelongsToTheCaller:
    def test_an_integration_pushes_under_its_own_name_by_default(self, api_for, integration):
        account = AccountFactory()
        response = api_for(integration).post(BULK, {"rows": rows(account, ["INV-1"])}, format="json")
        assert response.status_code == 200, response.json()
        assert Transaction.objects.get().source_system == "billing"

    def test_a_push_under_another_systems_source_is_refused(self, api_for, integration):
        """A 1.00 push could pre-empt the billing system's real invoice; now a caller records only
        under its own source."""
        account = AccountFactory()
        response = api_for(integration).post(
            BULK, {"rows": rows(account, ["INV-1"], source_system="erp")}, format="json"
        )
        assert response.status_code == 403
        assert "source_system 'erp' does not belong to you" in str(response.json())
        assert Transaction.objects.count() == 0

    def test_people_record_under_manual_or_the_source_they_name(self, finance_user):
        """Finance keys in or imports an ERP export under that system's name; only integrations
        (service accounts) are held to their own."""
        account = AccountFactory()
        named = services.transaction_record(
            actor=finance_user,
            account=account,
            kind="purchase",
            amount=Decimal("1.00"),
            occurred_at=timezone.now(),
            source_system="erp",
        )
        assert named.source_system == "erp"
        txn = services.transaction_record(
            actor=finance_user, account=account, kind="purchase", amount=Decimal("1.00"), occurred_at=timezone.now()
        )
        assert txn.source_system == "manual"


# --- replay goes through visibility; a different record is a conflict ----------------------


@pytest.mark.django_db
class TestReplay:
    def test_the_same_key_for_a_different_record_is_409_naming_the_key(self, api_for, integration):
        account = AccountFactory()
        api = api_for(integration)
        assert api.post(SINGLE, rows(account, ["INV-7"])[0], format="json").status_code == 201
        changed = rows(account, ["INV-7"], amount="1.00")[0]
        response = api.post(SINGLE, changed, format="json")
        assert response.status_code == 409
        assert "INV-7" in str(field_messages(response, "external_ref"))
        assert response.json()["refs"] == ["INV-7"]
        bulk = api.post(BULK, {"rows": rows(account, ["INV-8"]) + [changed]}, format="json")
        assert bulk.status_code == 409
        assert Transaction.objects.count() == 1, "a conflicting batch stores nothing"

    def test_a_key_of_an_invisible_record_is_a_conflict_that_reveals_nothing(
        self, manager, other_manager, finance_user
    ):
        """Replaying a key used on another owner's account answered that transaction in full."""
        theirs = AccountFactory(owner=other_manager)
        mine = AccountFactory(owner=manager)
        TransactionFactory(account=theirs, source_system="manual", external_ref="R-1", amount=Decimal("9999.00"))
        row = {
            "account": mine,
            "kind": "purchase",
            "amount": Decimal("9999.00"),
            "occurred_at": timezone.now(),
            "external_ref": "R-1",
        }
        with pytest.raises(services.TransactionConflict, match="external_ref R-1 is already stored") as exc:
            services.transactions_push(actor=manager, rows=[row])
        assert "9999" not in exc.value.messages[0] and theirs.name not in exc.value.messages[0]

    def test_an_identical_replay_answers_the_stored_record(self, api_for, integration):
        account = AccountFactory()
        api = api_for(integration)
        first = api.post(SINGLE, rows(account, ["INV-9"])[0], format="json")
        again = api.post(SINGLE, rows(account, ["INV-9"])[0], format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]


# --- batches: size first, one account query, rows named ----------------------------------


@pytest.mark.django_db
class TestBatch:
    def test_1001_rows_are_refused_before_any_row_is_read(self, api_for, integration, django_assert_max_num_queries):
        account = AccountFactory()
        payload = {"rows": rows(account, [str(i) for i in range(1001)])}
        api = api_for(integration)
        with django_assert_max_num_queries(3):  # the caller's permissions; no row, no account
            response = api.post(BULK, payload, format="json")
        assert response.status_code == 400
        assert "At most 1000 rows per request; this one has 1001." in str(response.json())

    def test_an_empty_batch_is_a_400_that_says_so(self, api_for, integration):
        """Schemathesis found {"rows": []} answered 500 (the list's own error was read as rows)."""
        response = api_for(integration).post(BULK, {"rows": []}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["fields"]["rows"]

    def test_the_accounts_of_a_batch_are_loaded_in_one_query(self, api_for, integration, django_assert_max_num_queries):
        accounts = AccountFactory.create_batch(3)
        api = api_for(integration)
        small = [r for a in accounts for r in rows(a, [f"{a.pk}-a"])]
        large = [r for a in accounts for r in rows(a, [f"{a.pk}-{i}" for i in range(40)])]
        with django_assert_max_num_queries(50) as few:
            assert api.post(BULK, {"rows": small}, format="json").status_code == 200
        with django_assert_max_num_queries(len(few.captured_queries)):  # 40x the rows, no more queries
            assert api.post(BULK, {"rows": large}, format="json").status_code == 200
        assert Transaction.objects.count() == 3 + 120

    def test_row_errors_name_the_row(self, api_for, integration):
        account = AccountFactory()
        batch = rows(account, ["A", "", "C"])
        batch[2]["amount"] = "-5"
        response = api_for(integration).post(BULK, {"rows": batch}, format="json")
        assert response.status_code == 400
        errors = field_messages(response, "rows")
        assert any(e.startswith("Row 3, amount:") for e in errors), errors
        batch[2]["amount"] = "5"
        response = api_for(integration).post(BULK, {"rows": batch}, format="json")
        assert field_messages(response, "rows") == ["Row 2: external_ref is required (it makes the push idempotent)."]
        unknown = rows(account, ["Z"])
        unknown[0]["account"] = 999999
        response = api_for(integration).post(BULK, {"rows": unknown}, format="json")
        assert field_messages(response, "rows") == [
            "Row 1, account: account 999999 does not exist or you cannot see it."
        ]

    def test_a_ref_repeated_with_a_different_amount_is_reported(self, api_for, integration):
        account = AccountFactory()
        batch = rows(account, ["A", "B", "A"])
        batch[2]["amount"] = "99.00"
        response = api_for(integration).post(BULK, {"rows": batch}, format="json")
        assert response.status_code == 400
        assert field_messages(response, "rows") == [
            "Row 3 repeats external_ref A of row 1 with a different account, kind or amount; "
            "each record needs its own external_ref."
        ]
        assert Transaction.objects.count() == 0

    def test_pushed_rows_have_history(self, api_for, integration):
        account = AccountFactory()
        api_for(integration).post(BULK, {"rows": rows(account, ["H1", "H2"])}, format="json")
        history = Transaction.history.order_by("external_ref")
        assert [(h.external_ref, h.history_type, h.history_user_id) for h in history] == [
            ("H1", "+", integration.pk),
            ("H2", "+", integration.pk),
        ]
        assert {h.id for h in history} == set(Transaction.objects.values_list("id", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_racing_pushes_of_one_batch_report_each_row_created_once(make_user):
    """8 clients push the same batch at once: every ref is reported "created" to exactly one of
    them (2 to 4 clients were told "created" before) and stored once."""
    integration = make_user(Role.FINANCE, username="billing", is_service_account=True)
    account = AccountFactory()
    batch = {"rows": rows(account, [f"R-{i}" for i in range(50)])}
    answers, barrier = [], threading.Barrier(8)

    def push():
        try:
            api = APIClient()
            api.force_authenticate(integration)
            barrier.wait()
            answers.append(api.post(BULK, batch, format="json"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=push) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 8
    created = [ref for a in answers for ref in a.json()["created"]]
    assert sorted(created) == sorted(f"R-{i}" for i in range(50))
    for a in answers:
        assert sorted(a.json()["created"] + a.json()["existing"]) == sorted(created)
    assert Transaction.objects.count() == 50
    assert Transaction.history.count() == 50


# --- Idempotency-Key ------------------------------------------------------------------------


@pytest.mark.django_db
class TestIdempotencyKey:
    def test_the_same_post_sent_8_times_with_one_key_stores_one_row(self, api_for, integration):
        """Without external_ref the same POST stored 8 rows; the key makes it one."""
        account = AccountFactory()
        row = rows(account, [""])[0]
        api = api_for(integration)
        answers = [api.post(SINGLE, row, format="json", HTTP_IDEMPOTENCY_KEY="k-1") for _ in range(8)]
        assert [a.status_code for a in answers] == [201] * 8
        assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
        assert answers[1]["Idempotent-Replayed"] == "true"
        assert Transaction.objects.count() == 1

    def test_the_same_key_with_a_different_body_is_422(self, api_for, integration):
        account = AccountFactory()
        api = api_for(integration)
        assert api.post(SINGLE, rows(account, [""])[0], format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
        other = rows(account, [""], amount="1.00")[0]
        response = api.post(SINGLE, other, format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == 422
        assert "already used for a different request" in response.json()["detail"]
        assert Transaction.objects.count() == 1

    def test_keys_are_scoped_per_user(self, api_for, manager, other_manager):
        api_a, api_b = api_for(manager), api_for(other_manager)
        a = api_a.post("/api/accounts/", {"name": "A Co", "owner": manager.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x")
        b = api_b.post(
            "/api/accounts/", {"name": "B Co", "owner": other_manager.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x"
        )
        assert (a.status_code, b.status_code) == (201, 201), (a.json(), b.json())
        assert a.json()["id"] != b.json()["id"]

    def test_a_refused_request_can_be_corrected_and_resent_with_the_same_key(self, api_for, manager):
        api = api_for(manager)
        bad = api.post("/api/accounts/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
        assert bad.status_code == 400
        good = api.post(
            "/api/accounts/", {"name": "Fixed", "owner": manager.pk}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me"
        )
        assert good.status_code == 201

    def test_an_expired_key_is_a_new_request(self, api_for, integration):
        account = AccountFactory()
        api = api_for(integration)
        api.post(SINGLE, rows(account, [""])[0], format="json", HTTP_IDEMPOTENCY_KEY="old")
        IdempotencyKey.objects.update(expires_at=timezone.now())
        api.post(SINGLE, rows(account, [""])[0], format="json", HTTP_IDEMPOTENCY_KEY="old")
        assert Transaction.objects.count() == 2

    @pytest.mark.parametrize(
        "path, body",
        [
            ("/api/contacts/", lambda acc: {"account": acc.pk, "name": "Li"}),
            ("/api/feedback/", lambda acc: {"account": acc.pk, "received_on": "2026-11-01", "satisfaction": 4}),
        ],
    )
    def test_every_create_endpoint_honours_the_key(self, api_for, manager, path, body):
        account = AccountFactory(owner=manager)
        api = api_for(manager)
        first = api.post(path, body(account), format="json", HTTP_IDEMPOTENCY_KEY="same")
        second = api.post(path, body(account), format="json", HTTP_IDEMPOTENCY_KEY="same")
        assert first.status_code == second.status_code == 201, first.json()
        assert first.json()["id"] == second.json()["id"]

    def test_the_bulk_push_honours_the_key(self, api_for, integration):
        account = AccountFactory()
        api = api_for(integration)
        batch = {"rows": rows(account, ["B-1"])}
        first = api.post(BULK, batch, format="json", HTTP_IDEMPOTENCY_KEY="b")
        second = api.post(BULK, batch, format="json", HTTP_IDEMPOTENCY_KEY="b")
        assert first.json() == second.json() == {"created": ["B-1"], "existing": []}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_store_one_row(make_user):
    integration = make_user(Role.FINANCE, username="billing", is_service_account=True)
    account = AccountFactory()
    row = rows(account, [""])[0]
    answers, barrier = [], threading.Barrier(8)

    def post():
        try:
            api = APIClient()
            api.force_authenticate(integration)
            barrier.wait()
            answers.append(api.post(SINGLE, row, format="json", HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201] * 8
    assert len({a.json()["id"] for a in answers}) == 1
    assert Transaction.objects.count() == 1
