"""The monthly revenue rollup: its totals always equal the raw transactions' (pushes, refunds,
single records, imports, corrections), and the 360° chart reads it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import MonthlyRevenue, Transaction
from accounts.revenue import month_of, monthly_revenue_apply, monthly_revenue_check, monthly_revenue_rebuild
from accounts.selectors import account_monthly_revenue
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


def raw_totals(account) -> dict:
    """Per local month, from every transaction: (net revenue, purchases)."""
    out: dict = {}
    for t in Transaction.objects.filter(account=account):
        net, n = out.get(month_of(t.occurred_at), (Decimal(0), 0))
        out[month_of(t.occurred_at)] = (net + t.signed_amount, n + (t.kind != Transaction.Kind.REFUND))
    return {m: v for m, v in out.items() if v != (Decimal(0), 0)}


def kept_totals(account) -> dict:
    return {
        r.month: (r.revenue, r.purchases)
        for r in MonthlyRevenue.objects.filter(account=account)
        if (r.revenue, r.purchases) != (Decimal(0), 0)
    }


def local(y, m, d, h=12):
    return timezone.make_aware(datetime.datetime(y, m, d, h))


def row(account, ref, amount, when, kind="purchase"):
    return {
        "account": account,
        "kind": kind,
        "amount": Decimal(amount),
        "occurred_at": when,
        "product_line": "Cloud",
        "source_system": "erp",
        "external_ref": ref,
        "note": "",
    }


def test_pushes_and_refunds_keep_the_rollup_equal_to_the_transactions(finance_user):
    a, b = AccountFactory(), AccountFactory()
    services.transactions_push(
        actor=finance_user,
        rows=[
            row(a, "1", "100.00", local(2026, 9, 3)),
            row(a, "2", "50.50", local(2026, 9, 30, 23)),
            row(a, "3", "20.00", local(2026, 10, 1, 0), kind="refund"),
            row(b, "4", "7.00", local(2026, 10, 2), kind="recharge"),
        ],
    )
    # the same refs again: stored once, counted once
    services.transactions_push(actor=finance_user, rows=[row(a, "1", "100.00", local(2026, 9, 3))])
    assert (
        kept_totals(a)
        == raw_totals(a)
        == {
            datetime.date(2026, 9, 1): (Decimal("150.50"), 2),
            datetime.date(2026, 10, 1): (Decimal("-20.00"), 0),
        }
    )
    assert kept_totals(b) == raw_totals(b) == {datetime.date(2026, 10, 1): (Decimal("7.00"), 1)}
    assert MonthlyRevenue.objects.get(account=a, month=datetime.date(2026, 9, 1)).last_purchase_at == local(
        2026, 9, 30, 23
    )
    assert monthly_revenue_check() == []


def test_months_are_local_calendar_months():
    # 2026-09-30 20:00 UTC is 2026-10-01 04:00 in Shanghai
    assert month_of(datetime.datetime(2026, 9, 30, 20, tzinfo=datetime.UTC)) == datetime.date(2026, 10, 1)


def test_a_single_record_updates_the_rollup(finance_user):
    a = AccountFactory()
    services.transaction_record(
        actor=finance_user, account=a, kind="purchase", amount=Decimal("12.34"), occurred_at=local(2026, 8, 5)
    )
    assert kept_totals(a) == raw_totals(a) == {datetime.date(2026, 8, 1): (Decimal("12.34"), 1)}


def test_a_correction_moves_the_amount_between_months(finance_user):
    a = AccountFactory()
    services.transactions_push(
        actor=finance_user, rows=[row(a, "x", "100.00", local(2026, 7, 31)), row(a, "y", "5.00", local(2026, 7, 2))]
    )
    txn = Transaction.objects.get(external_ref="x")
    before = Transaction.objects.get(pk=txn.pk)
    txn.occurred_at, txn.amount = local(2026, 8, 1), Decimal("80.00")
    txn.save()
    monthly_revenue_apply(rows=[before], sign=-1)
    monthly_revenue_apply(rows=[txn])
    assert (
        kept_totals(a)
        == raw_totals(a)
        == {
            datetime.date(2026, 7, 1): (Decimal("5.00"), 1),
            datetime.date(2026, 8, 1): (Decimal("80.00"), 1),
        }
    )
    # the month's last purchase is read again when the latest one leaves it
    assert MonthlyRevenue.objects.get(account=a, month=datetime.date(2026, 7, 1)).last_purchase_at == local(2026, 7, 2)
    assert monthly_revenue_check(account_ids=[a.pk]) == []


def test_imports_keep_the_rollup(finance_user):
    """An import stores its rows through transactions_push: the rollup moves with them, and a
    second import of the same references adds nothing."""
    from tests.accounts.test_import import csv_bytes, run_import

    a = AccountFactory()
    content = csv_bytes(
        "Account no.,Kind,Amount,Occurred at,Reference\n"
        f"{a.number},Purchase,100,2026-10-01 10:00,R1\n"
        f"{a.number},Refund,10,2026-10-02 10:00,R2\n"
        f"{a.number},Recharge,5,2026-09-30 23:30,R3\n"
    )
    run_import(finance_user, "accounts.transaction", content)
    run_import(finance_user, "accounts.transaction", content)
    assert (
        kept_totals(a)
        == raw_totals(a)
        == {
            datetime.date(2026, 9, 1): (Decimal("5.00"), 1),
            datetime.date(2026, 10, 1): (Decimal("90.00"), 1),
        }
    )


def test_admin_correction_keeps_the_rollup(client_for, admin_user):
    """A stored transaction is not edited; the admin records a refund, and the rollup follows."""
    a = AccountFactory()
    services.transactions_push(actor=admin_user, rows=[row(a, "adm", "100.00", local(2026, 6, 10))])
    response = client_for(admin_user).post(
        "/admin/accounts/transaction/add/",
        {
            "account": a.pk,
            "kind": "refund",
            "amount": "30.00",
            "occurred_at_0": "2026-06-11",
            "occurred_at_1": "09:00:00",
            "product_line": "Cloud",
            "source_system": "erp",
            "external_ref": "adm-refund",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert kept_totals(a) == raw_totals(a) == {datetime.date(2026, 6, 1): (Decimal("70.00"), 1)}


def test_check_finds_and_rebuild_repairs_a_drifted_rollup(finance_user):
    a, b = AccountFactory(), AccountFactory()
    services.transactions_push(
        actor=finance_user, rows=[row(a, "1", "100.00", local(2026, 5, 3)), row(b, "2", "9.00", local(2026, 5, 4))]
    )
    MonthlyRevenue.objects.filter(account=a).update(revenue=Decimal("1.00"))
    Transaction.objects.bulk_create([Transaction(**row(b, "3", "1.00", local(2026, 4, 4)))])  # past the services
    assert monthly_revenue_check() == sorted([a.pk, b.pk])
    assert monthly_revenue_check(account_ids=[a.pk]) == [a.pk]
    monthly_revenue_rebuild(account_ids=[a.pk])
    assert monthly_revenue_check() == [b.pk]
    monthly_revenue_rebuild()
    assert monthly_revenue_check() == []
    assert kept_totals(b) == raw_totals(b)


def test_the_360_chart_reads_twelve_rollup_rows(manager, django_assert_num_queries):
    a = AccountFactory(owner=manager)
    now = timezone.localtime()
    services.transactions_push(
        actor=manager,
        rows=[row(a, f"c{i}", "10.00", now - datetime.timedelta(days=i)) for i in range(0, 400, 3)],
    )
    with django_assert_num_queries(1):
        chart = account_monthly_revenue(account=a)
    assert len(chart) == 12
    kept = kept_totals(a)
    assert [c["total"] for c in chart] == [
        kept.get(datetime.date.fromisoformat(c["month"] + "-01"), (Decimal(0), 0))[0] for c in chart
    ]
    assert sum(c["total"] for c in chart) > 0


def test_the_account_month_unique_index_carries_the_summed_columns_on_postgresql():
    """The recompute sums the rollup per account from this index alone (tiering.window); the
    upserts' ON CONFLICT (account_id, month) arbiter is the same constraint."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("covering indexes are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'monthly_revenue_account_month'"
        )
        (definition,) = cursor.fetchone()
    assert definition == "UNIQUE (account_id, month) INCLUDE (revenue, purchases, last_purchase_at)"
