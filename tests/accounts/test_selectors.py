import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.selectors import _month_starts, account_monthly_revenue, accounts_summary
from tests.accounts.factories import AccountFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_month_starts_cross_the_year():
    starts = _month_starts(months=12, today=datetime.date(2026, 2, 17))
    assert starts[0] == datetime.date(2025, 3, 1)
    assert starts[-1] == datetime.date(2026, 2, 1)
    assert len(starts) == 12


def test_monthly_revenue_has_twelve_months_with_zeros_and_refunds_subtract(manager):
    account = AccountFactory(owner=manager)
    now = timezone.localtime()
    TransactionFactory(account=account, amount=Decimal("100.00"), occurred_at=now)
    TransactionFactory(account=account, amount=Decimal("30.00"), kind="refund", occurred_at=now)
    TransactionFactory(account=account, amount=Decimal("999.00"), occurred_at=now - datetime.timedelta(days=400))
    rows = account_monthly_revenue(account=account)
    assert len(rows) == 12
    assert rows[-1] == {"month": now.strftime("%Y-%m"), "total": Decimal("70.00")}
    assert sum(r["total"] for r in rows) == Decimal("70.00")


def test_summary_counts_only_visible_current_accounts(manager, other_manager):
    AccountFactory(owner=manager, tier="vip", revenue_12m=Decimal("10"))
    AccountFactory(owner=manager, is_archived=True)
    AccountFactory(owner=other_manager)
    summary = accounts_summary(user=manager)
    assert summary["accounts"] == 1
    assert summary["vip"] == 1
    assert summary["revenue"] == Decimal("10")
