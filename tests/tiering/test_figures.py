"""Figures over all accounts come from what the recompute keeps (tiering.figures), and its
revenue window from the monthly rollup (tiering.window): both agree with counting live."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, Transaction
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.users.factories import TeamFactory
from tiering import selectors
from tiering.figures import figures_by_key
from tiering.models import AccountScore, ScopeFigure
from tiering.recompute import tier_window
from tiering.services import tiers_recompute

pytestmark = pytest.mark.django_db


def live(user, fn, *args, **kwargs):
    """The same selector counted live (as before any recompute kept figures)."""
    saved = list(ScopeFigure.objects.values())
    ScopeFigure.objects.all().delete()
    try:
        return fn(*args, user=user, **kwargs)
    finally:
        ScopeFigure.objects.bulk_create([ScopeFigure(**row) for row in saved])


def make_book(owner, rng, n):
    for _ in range(n):
        account = AccountFactory(owner=owner)
        for _ in range(rng.randint(0, 4)):
            TransactionFactory(
                account=account,
                kind=rng.choice(["purchase", "recharge", "purchase", "refund"]),
                amount=Decimal(rng.choice(["10.00", "250.00", "999.99", "4000.00", "10.00"])),
                occurred_at=timezone.now() - datetime.timedelta(days=rng.randint(0, 500)),
            )


def test_kept_figures_equal_the_live_counts_for_every_scope(manager, other_manager, director):
    rng = random.Random(7)
    team = TeamFactory(leader=manager)
    team.members.add(other_manager)
    make_book(manager, rng, 12)
    make_book(other_manager, rng, 9)
    make_book(AccountFactory().owner, rng, 6)  # someone else's book
    AccountFactory(owner=None, team=team)  # led team, no owner
    tiers_recompute()
    assert ScopeFigure.objects.exists()
    for user in (manager, other_manager, director):
        assert selectors.tier_summary(user=user) == live(user, selectors.tier_summary)
        assert selectors.abc_summary(user=user) == live(user, selectors.abc_summary)
        assert selectors.rfm_grid(user=user) == live(user, selectors.rfm_grid)
        assert selectors.pending_demotions_count(user=user) == live(user, selectors.pending_demotions_count)
        kept, counted = selectors.pareto_curve(user=user), live(user, selectors.pareto_curve)
        assert kept["accounts"] == counted["accounts"]
        if counted["accounts"]:  # inside a 2% bucket accounts count as equal: one account either way
            assert abs(kept["share_for_80"] - counted["share_for_80"]) <= 100 / counted["accounts"] + 0.1
        assert kept["x"] == counted["x"]
        assert all(abs(a - b) <= 2.0 for a, b in zip(kept["y"], counted["y"], strict=True))  # buckets 2% wide


def test_figures_are_read_in_a_bounded_number_of_rows(manager, director, django_assert_max_num_queries):
    rng = random.Random(3)
    make_book(manager, rng, 30)
    tiers_recompute()
    rows = ScopeFigure.objects.filter(all_accounts=True).count()
    make_book(manager, rng, 30)
    tiers_recompute()
    # more accounts, not more rows per figure than distinct keys (tiers, classes, cells, buckets)
    assert ScopeFigure.objects.filter(all_accounts=True).count() <= rows + 20
    for user in (manager, director):
        figures_by_key(user=user, kind="abc")  # the user's roles and scope, once per request
        with django_assert_max_num_queries(1):
            figures_by_key(user=user, kind="tier")


def test_a_user_who_sees_no_accounts_gets_empty_figures(service_agent, finance_user, make_user, manager):
    make_book(manager, random.Random(1), 3)
    tiers_recompute()
    nobody = make_user(None, username="no-role")
    assert figures_by_key(user=nobody, kind="tier") == {}
    assert selectors.tier_summary(user=service_agent)[1]["accounts"] == Account.objects.count()


def test_the_window_from_the_rollup_equals_the_raw_transactions(manager):
    """Transactions at the window's edges (the partial first month, today, a day ahead) and
    long before it: revenue, frequency and last purchase as if every transaction were read."""
    now = timezone.now()
    start, end = tier_window(now=now, months=12)
    a, b, c = AccountFactory(owner=manager), AccountFactory(owner=manager), AccountFactory(owner=manager)
    moments = [
        start - datetime.timedelta(seconds=1),
        start,
        start + datetime.timedelta(hours=5),
        start + datetime.timedelta(days=40),
        end - datetime.timedelta(days=200),
        end - datetime.timedelta(hours=20),
        end - datetime.timedelta(seconds=1),
        start - datetime.timedelta(days=400),
    ]
    for i, when in enumerate(moments):
        TransactionFactory(account=a, amount=Decimal(100 + i), occurred_at=when, kind="purchase")
        TransactionFactory(account=b, amount=Decimal(7 + i), occurred_at=when, kind="refund" if i % 2 else "recharge")
    TransactionFactory(account=c, amount=Decimal("50"), occurred_at=start - datetime.timedelta(days=3))
    Transaction.objects.create(  # a day ahead (allowed): outside the window until tomorrow
        account=a, amount=Decimal("5000"), occurred_at=end + datetime.timedelta(hours=1), kind="purchase"
    )
    tiers_recompute(now=now)
    for account in (a, b, c):
        rows = Transaction.objects.filter(account=account, occurred_at__lt=end)
        inside = [t for t in rows if t.occurred_at >= start]
        score = AccountScore.objects.get(account=account)
        assert score.revenue == sum((t.signed_amount for t in inside), Decimal(0))
        assert score.frequency == sum(1 for t in inside if t.kind != "refund")
        assert score.last_purchase_at == max((t.occurred_at for t in rows if t.kind != "refund"), default=None)


def test_the_recompute_repairs_a_rollup_that_drifted(manager, director):
    account = AccountFactory(owner=manager)
    TransactionFactory(account=account, amount=Decimal("300"), occurred_at=timezone.now() - datetime.timedelta(days=2))
    tiers_recompute()
    Transaction.objects.bulk_create(  # past the services: the rollup does not know it
        [Transaction(account=account, amount=Decimal("700"), occurred_at=timezone.now() - datetime.timedelta(days=1))]
    )
    job = tiers_recompute()
    assert job.counts["rollup"]["repaired"] == 1
    assert AccountScore.objects.get(account=account).revenue == Decimal("1000.00")


def test_a_rerun_with_nothing_new_the_same_day_writes_nothing(manager):
    make_book(manager, random.Random(5), 8)
    first = tiers_recompute()
    again = tiers_recompute()
    assert again.counts["unchanged_since"] == first.pk and again.counts["changed"] == 0
    assert again.counts["tiers"] == first.counts["tiers"]
    assert sum(again.matrix[t][t] for t in again.matrix) == first.counts["accounts"]
    TransactionFactory(account=Account.objects.first(), amount=Decimal("1"))
    third = tiers_recompute()
    assert "unchanged_since" not in third.counts
