"""Issue 8, item 6: amounts are bounded, and every total is sized so that no accepted input can
fail a recompute (the nightly one included)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import MAX_AMOUNT, Account, Transaction
from tests.accounts.factories import AccountFactory
from tiering.models import AccountScore
from tiering.services import tiers_recompute

pytestmark = pytest.mark.django_db


def row(account, amount, ref):
    return {
        "account": account.pk,
        "kind": "purchase",
        "amount": str(amount),
        "occurred_at": (timezone.now() - datetime.timedelta(days=3)).isoformat(),
        "source_system": "billing",
        "external_ref": ref,
    }


def test_an_amount_over_the_bound_is_refused(api_for, finance_user):
    account = AccountFactory()
    api = api_for(finance_user)
    too_big = api.post("/api/transactions/", row(account, MAX_AMOUNT + Decimal("0.01"), "big"), format="json")
    assert too_big.status_code == 400
    assert too_big.json()["fields"]["amount"][0]["code"] == "max_value"
    assert api.post("/api/transactions/", row(account, MAX_AMOUNT, "max"), format="json").status_code == 201


def test_the_service_refuses_an_amount_over_the_bound(finance_user):
    with pytest.raises(services.ValidationError, match="less than or equal to 1000000000"):
        services.transaction_record(
            actor=finance_user,
            account=AccountFactory(),
            kind="purchase",
            amount=MAX_AMOUNT * 2,
            occurred_at=timezone.now(),
        )


def test_the_largest_accepted_amounts_recompute(api_for, finance_user):
    """1,200 rows at the largest accepted amount: 1.2 trillion on one account, more than the old
    14-digit total held (the recompute failed with a numeric overflow until rows were deleted)."""
    account, other = AccountFactory(), AccountFactory()
    api = api_for(finance_user)
    for start in (0, 600):
        rows = [row(account, MAX_AMOUNT, f"r{i}") for i in range(start, start + 600)]
        assert api.post("/api/transactions/bulk/", {"rows": rows}, format="json").status_code == 200
    Transaction.objects.create(
        account=other, kind="purchase", amount=MAX_AMOUNT, occurred_at=timezone.now() - datetime.timedelta(days=1)
    )
    job = tiers_recompute()
    assert job.status == "done"
    expected = MAX_AMOUNT * 1200
    assert Account.objects.get(pk=account.pk).revenue_12m == expected
    assert AccountScore.objects.get(account=account).revenue == expected
    assert tiers_recompute().status == "done"  # and again, as the nightly run does
