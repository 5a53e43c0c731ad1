"""Admin: lists scoped by the visibility policy; payments recorded through the service."""

import datetime
from decimal import Decimal

import pytest

from contracts.models import Allocation, Payment

from .factories import ContractFactory, InstallmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", ["contract", "approvalrule", "approvalstep", "amendment", "contractdocument", "installment", "payment"]
)
def test_changelists_render_for_finance(client_for, finance_user, model):
    ContractFactory()
    assert client_for(finance_user).get(f"/admin/contracts/{model}/").status_code == 200


def test_payment_added_in_admin_is_allocated(client_for, admin_user):
    contract = ContractFactory()
    InstallmentFactory(contract=contract, amount=Decimal("100"))
    response = client_for(admin_user).post(
        "/admin/contracts/payment/add/",
        {
            "contract": contract.pk,
            "received_on": datetime.date(2026, 3, 1).isoformat(),
            "amount": "60.00",
            "method": "bank",
            "reference": "ADMIN-1",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content
    payment = Payment.objects.get(reference="ADMIN-1")
    assert Allocation.objects.get(payment=payment).amount == Decimal("60.00")


def test_contract_change_page_shows_history(client_for, admin_user):
    contract = ContractFactory()
    assert client_for(admin_user).get(f"/admin/contracts/contract/{contract.pk}/history/").status_code == 200
