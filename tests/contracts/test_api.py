"""Contracts API: create and update with versions, statement, installments, idempotent payments, scoping."""

import datetime
from decimal import Decimal

import pytest

from contracts import services
from contracts.models import Contract, Payment
from tests.accounts.factories import AccountFactory

from .factories import ContractFactory, InstallmentFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def test_manager_creates_a_draft_and_a_stale_update_answers_409(api_for, manager):
    account = AccountFactory(owner=manager)
    client = api_for(manager)
    body = {
        "account": account.pk,
        "type": "service",
        "title": "Support",
        "value": "120000.00",
        "start_on": "2026-01-01",
        "end_on": "2026-12-31",
    }
    created = client.post("/api/contracts/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "draft" and data["number"].startswith("HT") and data["version"] == 1
    url = f"/api/contracts/{data['id']}/"
    assert client.patch(url, {"title": "A", "version": 1}, format="json").status_code == 200
    stale = client.patch(url, {"title": "B", "version": 1}, format="json")
    assert stale.status_code == 409
    assert "Someone else changed" in stale.json()["fields"]["version"][0]["message"]
    assert client.patch(url, {"title": "C"}, format="json").status_code == 400  # no version


def test_submit_needs_approval_before_activation(api_for, manager):
    contract = ContractFactory(account=AccountFactory(owner=manager), status=Contract.Status.DRAFT)
    response = api_for(manager).post(f"/api/contracts/{contract.pk}/submit/", {"version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "pending"


@pytest.mark.parametrize("body", [[None, None], {"version": "x"}])
def test_a_malformed_submit_body_is_a_400_and_changes_nothing(api_for, manager, body):
    contract = ContractFactory(account=AccountFactory(owner=manager), status=Contract.Status.DRAFT)
    response = api_for(manager).post(f"/api/contracts/{contract.pk}/submit/", body, format="json")
    assert response.status_code == 400, response.content
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT


def test_statement_as_of_a_date(api_for, finance_user):
    contract = ContractFactory(value=Decimal("20000"), late_fee_rate=Decimal("0.05"), grace_days=0)
    InstallmentFactory(contract=contract, due_on=datetime.date(2026, 3, 1), amount=Decimal("10000"))
    InstallmentFactory(contract=contract, due_on=datetime.date(2026, 6, 1), amount=Decimal("10000"))
    services.payment_record(
        actor=finance_user, contract=contract, received_on=datetime.date(2026, 3, 11), amount=Decimal("4000")
    )
    response = api_for(finance_user).get(f"/api/contracts/{contract.pk}/statement/?as_of=2026-03-31")
    assert response.status_code == 200
    body = response.json()
    # 10,000 × 10 days + 6,000 × 20 days = 220,000 × 0.05 % = 110.00
    assert body["invoiced"] == "10000.00"
    assert body["paid"] == "4000.00"
    assert body["outstanding"] == "6000.00"
    assert body["overdue"] == "6000.00"
    assert body["late_fees"] == "110.00"
    assert body["balance"] == "6110.00"
    assert body["installments"][0]["days_overdue"] == 30
    bad = api_for(finance_user).get(f"/api/contracts/{contract.pk}/statement/?as_of=31-03-2026")
    assert bad.status_code == 400


def test_payments_are_idempotent_on_reference(api_for, finance_user):
    contract = ContractFactory()
    client = api_for(finance_user)
    body = {"contract": contract.pk, "received_on": "2026-03-01", "amount": "500.00", "reference": "BANK-77"}
    first = client.post("/api/payments/", body, format="json")
    again = client.post("/api/payments/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Payment.objects.filter(reference="BANK-77").count() == 1
    clash = client.post("/api/payments/", {**body, "amount": "600.00"}, format="json")
    assert clash.status_code == 400 and "already used" in clash.json()["fields"]["reference"][0]["message"]


def test_manager_cannot_post_payments(api_for, manager):
    contract = ContractFactory(account=AccountFactory(owner=manager))
    body = {"contract": contract.pk, "received_on": "2026-03-01", "amount": "500.00", "reference": "X"}
    assert api_for(manager).post("/api/payments/", body, format="json").status_code == 403


def test_installments_follow_payments(api_for, finance_user):
    contract = ContractFactory()
    client = api_for(finance_user)
    made = client.post(
        "/api/installments/", {"contract": contract.pk, "due_on": "2026-02-01", "amount": "300.00"}, format="json"
    )
    assert made.status_code == 201
    PaymentFactory(contract=contract, amount=Decimal("100"))
    services._reallocate(contract)
    listed = client.get(f"/api/installments/?contract={contract.pk}").json()
    assert listed["results"][0]["paid_amount"] == "100.00"


def test_another_managers_records_are_404(api_for, manager, other_manager):
    theirs = ContractFactory(account=AccountFactory(owner=other_manager))
    installment = InstallmentFactory(contract=theirs)
    payment = PaymentFactory(contract=theirs)
    client = api_for(manager)
    for url in (
        f"/api/contracts/{theirs.pk}/",
        f"/api/contracts/{theirs.pk}/statement/",
        f"/api/installments/{installment.pk}/",
        f"/api/payments/{payment.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/contracts/?count=true").json()["count"] == 0
    assert client.get("/api/payments/?count=true").json()["count"] == 0


def test_finance_sees_all_contracts_and_payments(api_for, finance_user, manager):
    ContractFactory.create_batch(2)
    PaymentFactory()
    client = api_for(finance_user)
    assert client.get("/api/contracts/?count=true").json()["count"] == 3
    assert client.get("/api/payments/?count=true").json()["count"] == 1


def test_list_endpoints_have_constant_queries(api_for, finance_user, django_assert_max_num_queries):
    client = api_for(finance_user)
    ContractFactory.create_batch(2)
    PaymentFactory.create_batch(2)
    with django_assert_max_num_queries(8) as small:
        client.get("/api/contracts/")
        client.get("/api/payments/")
        client.get("/api/installments/")
    ContractFactory.create_batch(10)
    PaymentFactory.create_batch(10)
    InstallmentFactory.create_batch(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/api/contracts/")
        client.get("/api/payments/")
        client.get("/api/installments/")
