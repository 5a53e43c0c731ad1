import io

import pytest
from django.core.management import call_command

from accounts.models import Account, Contact, Transaction
from users.models import User


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
