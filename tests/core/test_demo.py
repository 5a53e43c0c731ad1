import io

import pytest
from django.core.management import call_command

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
