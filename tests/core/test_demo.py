import io
import re

import pytest
from django.core.management import call_command
from django.db import models

from accounts.models import Account, Contact, Transaction
from users.models import User


@pytest.fixture(autouse=True)
def _credentials_in_tmp(tmp_path, monkeypatch):
    """seed_demo writes the demo password file: never over the developer's var/demo-credentials.txt."""
    monkeypatch.setattr("users.demo.CREDENTIALS_FILE", tmp_path / "demo-credentials.txt")


@pytest.mark.django_db
def test_seed_demo_creates_one_user_per_role_and_accounts(tmp_path, settings):
    call_command("seed_demo", accounts=40, transactions=400, stdout=io.StringIO())
    names = set(User.objects.values_list("groups__name", flat=True))
    assert {"Administrator", "Sales director", "Account manager", "Customer service", "Finance"} <= names
    assert User.objects.get(username="admin").is_superuser
    assert Account.objects.count() == 40
    assert Transaction.objects.count() == 400
    assert Contact.objects.filter(birth_month__isnull=False).count() >= 80
    assert Account.objects.filter(parent__isnull=False).exists()
    assert Account.objects.exclude(number__startswith="KA").count() == 0


@pytest.mark.django_db
def test_seed_demo_if_empty_does_nothing_when_users_exist(make_user, tmp_path):
    make_user(None, username="someone")
    call_command("seed_demo", if_empty=True, stdout=io.StringIO())
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_demo_data_is_plausible():
    call_command("seed_demo", accounts=60, transactions=600, stdout=io.StringIO())
    # prospects have bought nothing yet
    assert not Transaction.objects.filter(account__status=Account.Status.PROSPECT).exists()
    # short names are whole words, regions findable in Chinese and English
    for nickname, name, region in Account.objects.values_list("nickname", "name", "region"):
        assert nickname and nickname[:2] == name[:2]
        if nickname.isascii():  # no word cut in half ("Northstar Pr")
            assert set(nickname.split()) <= set(name.replace("(", " ").replace(")", " ").split())
        chinese, english = region.split(" ", 1)
        assert chinese and english.isascii()
    # unhappy customers don't write "service is great"
    from accounts.models import Feedback

    assert not Feedback.objects.filter(satisfaction__lte=2, suggestion="服务很好").exists()


def _batch(first, last):
    """The seeded rows of accounts first..last (ids made relative: a second run gets new ids)."""
    from accounts.models import Contact

    accounts = [
        (pk - first, name, nickname, category, status, parent and parent - first)
        for pk, name, nickname, category, status, parent in Account.objects.filter(pk__range=(first, last))
        .order_by("pk")
        .values_list("pk", "name", "nickname", "category", "status", "parent_id")
    ]
    contacts = [
        (account - first, *rest)
        for account, *rest in Contact.objects.filter(account_id__gte=first, account_id__lte=last)
        .order_by("pk")
        .values_list("account_id", "name", "title", "birth_month", "birth_day", "is_primary")
    ]
    transactions = [
        (account - first, *rest)
        for account, *rest in Transaction.objects.filter(account_id__gte=first, account_id__lte=last)
        .order_by("pk")
        .values_list("account_id", "kind", "amount", "product_line")
    ]
    return accounts, contacts, transactions


@pytest.mark.django_db
def test_seed_accounts_is_repeatable_for_a_seed():
    from accounts.demo import seed_accounts

    first = (Account.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    seed_accounts({"accounts": 50, "transactions": 500, "seed": 11})
    seed_accounts({"accounts": 50, "transactions": 500, "seed": 11})
    seed_accounts({"accounts": 50, "transactions": 500, "seed": 12})
    one, two, other = _batch(first, first + 49), _batch(first + 50, first + 99), _batch(first + 100, first + 149)
    assert one == two
    assert len(one[2]) == 500 and one[2] != other[2]


@pytest.mark.django_db
def test_big_seed_drops_and_rebuilds_indexes_and_keeps_the_distributions(monkeypatch, settings):
    """The big-load path (indexes dropped, transactions made by a thread) at a small size."""
    from django.db import connection

    from accounts.models import AccountSearch, Contact
    from accounts.revenue import monthly_revenue_check

    monkeypatch.setattr("accounts.demo.BIG_LOAD", 100)
    before = _definitions(connection)
    out = io.StringIO()
    call_command("seed_demo", accounts=400, transactions=6000, stdout=out)
    assert _definitions(connection) == before
    if connection.vendor == "postgresql":
        # the bench's COPY rate: every row of the four COPY-loaded tables is counted, once
        copied = re.findall(r"^\s+accounts copy: (\d+) rows [\d.]+ s$", out.getvalue(), re.MULTILINE)
        rows = Account.objects.count() + AccountSearch.objects.count() + Contact.objects.count()
        assert sum(map(int, copied)) == rows + Transaction.objects.count()
    assert Account.objects.count() == 400 and Transaction.objects.count() == 6000
    assert monthly_revenue_check() == []  # the rollup matches the raw rows
    kinds = dict(Transaction.objects.values_list("kind").annotate(n=models.Count("pk")))
    assert 0.55 < kinds["purchase"] / 6000 < 0.65 and 0.31 < kinds["recharge"] / 6000 < 0.41
    assert 0.02 < kinds["refund"] / 6000 < 0.06
    assert not Transaction.objects.filter(account__status=Account.Status.PROSPECT).exists()
    assert not Transaction.objects.filter(amount__lte=0).exists()
    # every account has its search text, with its number and its contacts' names
    account = Account.objects.filter(contacts__isnull=False).first()
    text = AccountSearch.objects.get(account=account).text
    assert account.number.lower() in text and account.contacts.first().name.lower() in text
    per_account = Contact.objects.values("account_id").annotate(n=models.Count("pk")).values_list("n", flat=True)
    assert set(per_account) <= {2, 3, 4}
    assert Contact.objects.filter(is_primary=True).count() == 400


def _definitions(connection):
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'accounts\\_%%' ORDER BY 1, 2"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text LIKE 'accounts\\_%%' ORDER BY 1, 2"
        )
        return indexes, cursor.fetchall()
