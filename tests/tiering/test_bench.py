"""The bench's per-account loop and the set-based recompute agree (on random data, each method)."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, Transaction
from bench import tiering_bench
from tests.accounts.factories import AccountFactory
from tiering.models import TierPolicy
from tiering.services import tier_policy_new_version

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", list(TierPolicy.Method.values))
def test_loop_and_set_based_give_identical_tiers(method):
    rng = random.Random(7)
    accounts = [AccountFactory(owner=None) for _ in range(60)]
    now = timezone.now()
    rows = []
    for i in range(600):
        kind = rng.choices(["purchase", "recharge", "refund"], [60, 35, 5])[0]
        amount = Decimal(rng.choice([100, 250, 1000, 5000, 20000, 120000, 1500000]))
        rows.append(
            Transaction(
                account=rng.choice(accounts),
                kind=kind,
                amount=amount,
                occurred_at=now - datetime.timedelta(days=rng.randint(0, 500)),
                external_ref=f"b{i}",
                source_system="bench",
            )
        )
    Transaction.objects.bulk_create(rows)
    Account.objects.filter(pk=accounts[0].pk).update(is_archived=True)
    tier_policy_new_version(method=method, min_vip_revenue=Decimal("1000"))
    lines = []
    numbers = tiering_bench.run(report=lines.append, now=now)
    assert numbers["identical"] is True and numbers["mismatches"] == 0
    assert numbers["accounts"] == 59 and numbers["rerun_changed"] == 0
    assert numbers["changed"] > 0
    assert any("per-account loop" in line for line in lines)
