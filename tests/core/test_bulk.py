"""core.bulk: COPY text lines, the background line maker, and indexes dropped for a bulk load."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from accounts.models import Account, AccountSearch, Contact, MonthlyRevenue, Transaction
from core.bulk import (
    COPY_NULL,
    LinesInBackground,
    bulk_insert_text,
    copy_escape,
    copy_line,
    copy_unescape,
    indexes_dropped,
    load_definitions,
)
from tests.accounts.factories import AccountFactory

LOADED = [Account, AccountSearch, Contact, Transaction, MonthlyRevenue]
AWKWARD = ["tab\there", "new\nline", "back\\slash", "carriage\rreturn", "\\N", "\\t literally", "", "普通 text"]

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL DDL")


def test_copy_escape_round_trips_special_characters_and_null():
    for text in AWKWARD:
        escaped = copy_escape(text)
        assert "\t" not in escaped and "\n" not in escaped and "\r" not in escaped
        assert copy_unescape(escaped) == text
    assert copy_escape(None) == COPY_NULL
    assert copy_unescape(COPY_NULL) is None
    assert copy_escape("\\N") != COPY_NULL  # the text backslash-N is not NULL
    assert copy_escape(True) == "t" and copy_escape(False) == "f"
    assert copy_line([1, None, "a\tb", False]) == "1\t\\N\ta\\tb\tf\n"


@pytest.mark.django_db
@pytest.mark.parametrize("background", [False, True])
def test_bulk_insert_text_round_trips_through_the_database(background):
    account = AccountFactory()
    when = datetime.datetime(2026, 3, 1, 4, 5, 6, tzinfo=datetime.UTC)
    columns = ["id", "account_id", "kind", "amount", "occurred_at", "product_line", "source_system"]
    columns += ["external_ref", "note", "created_by_id", "created_at"]
    at = when.isoformat()
    lines = [
        copy_line([1000 + i, account.pk, "purchase", "12.50", at, "Cloud 云服务", "test", f"r-{i}", note, None, at])
        for i, note in enumerate(AWKWARD)
    ]
    source = LinesInBackground(iter(lines), chunk_bytes=64) if background else lines
    assert bulk_insert_text(Transaction, columns, source) == len(AWKWARD)
    stored = {t.external_ref: t for t in Transaction.objects.filter(account=account)}
    for i, note in enumerate(AWKWARD):
        row = stored[f"r-{i}"]
        assert row.note == note
        assert row.amount == Decimal("12.50") and row.occurred_at == when and row.created_by_id is None


def test_lines_in_background_hands_over_the_generators_error():
    def lines():
        yield "1\n"
        raise ValueError("broken generator")

    source = LinesInBackground(lines(), chunk_bytes=1)
    with pytest.raises(ValueError, match="broken generator"):
        list(source.chunks())


def _definitions():
    """The tables' index and constraint definitions, by name (object ids change on a rebuild)."""
    tables = [m._meta.db_table for m in LOADED]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2", [tables]
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.relname, k.conname, k.contype, k.condeferrable, k.condeferred, k.convalidated,
                   pg_get_constraintdef(k.oid)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE c.relname = ANY(%s) ORDER BY 1, 2
            """,
            [tables],
        )
        return indexes, cursor.fetchall()


@postgresql_only
@pytest.mark.django_db
def test_indexes_dropped_drops_then_rebuilds_the_same_definitions():
    before = _definitions()
    dropped_indexes, dropped_constraints = load_definitions(LOADED)
    assert {"account_search_text_trgm", "transaction_unique_source_ref"} <= {i[1] for i in dropped_indexes}
    assert "monthly_revenue_account_month" in {c[1] for c in dropped_constraints}
    with indexes_dropped(LOADED) as dropped:
        indexes, constraints = _definitions()
        assert {name for _table, name, _def in indexes} == {f"{m._meta.db_table}_pkey" for m in LOADED}
        assert {row[2] for row in constraints} <= {"p", "c"}  # primary keys and checks stay
        account = AccountFactory()
        Transaction.objects.create(
            account=account, kind="purchase", amount=Decimal("5.00"), occurred_at=datetime.datetime.now(datetime.UTC)
        )
        dropped.rebuild([Account])  # one table's back early
        assert "account_name_idx" in {name for _table, name, _def in _definitions()[0]}
        assert "transaction_time_cover" not in {name for _table, name, _def in _definitions()[0]}
    assert _definitions() == before
    assert Transaction.objects.filter(account=account).count() == 1


@postgresql_only
@pytest.mark.django_db
def test_indexes_dropped_leaves_everything_in_place_when_the_block_fails():
    before = _definitions()
    with pytest.raises(RuntimeError, match="load failed"), indexes_dropped(LOADED):
        AccountFactory(name="Rolled back Ltd.")
        raise RuntimeError("load failed")
    assert _definitions() == before
    assert not Account.objects.filter(name="Rolled back Ltd.").exists()


@postgresql_only
@pytest.mark.django_db
def test_indexes_dropped_leaves_everything_in_place_when_a_rebuild_fails():
    before = _definitions()
    with pytest.raises(IntegrityError), indexes_dropped(LOADED):
        AccountFactory(number="KA-TWICE")
        AccountFactory(number="KA-TWICE")  # the unique constraint is away: the rebuild finds it
    assert _definitions() == before
    assert not Account.objects.filter(number="KA-TWICE").exists()
