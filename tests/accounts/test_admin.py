"""Django admin for accounts: what administrators and staff see."""

import pytest

from tests.accounts.factories import AccountFactory, ContactFactory
from users.roles import Role

pytestmark = pytest.mark.django_db


def test_contacts_inline_archives_instead_of_deleting(client_for, admin_user):
    account = AccountFactory()
    ContactFactory(account=account)
    html = client_for(admin_user).get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
    assert 'name="contacts-0-is_archived"' in html
    assert 'name="contacts-0-DELETE"' not in html


def test_search_text_table_is_for_administrators_only(client_for, admin_user, make_user):
    staff_finance = make_user(Role.FINANCE, username="staff-finance", is_staff=True)
    assert "Account search texts" not in client_for(staff_finance).get("/admin/").content.decode()
    assert "Account search texts" in client_for(admin_user).get("/admin/").content.decode()
