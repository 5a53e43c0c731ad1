"""Django admin for accounts: what administrators and staff see."""

import pytest

from tests.accounts.factories import AccountFactory, ContactFactory
from users.roles import Role

pytestmark = pytest.mark.django_db


def test_contacts_inline_links_to_the_contacts_page(client_for, admin_user):
    """Contacts are listed read-only on the account and edited (or archived) on their own page,
    which saves through the service; nothing is deleted."""
    account = AccountFactory()
    contact = ContactFactory(account=account)
    html = client_for(admin_user).get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
    assert f"/admin/accounts/contact/{contact.pk}/change/" in html
    assert 'name="contacts-0-DELETE"' not in html


def test_search_text_table_is_for_administrators_only(client_for, admin_user, make_user):
    staff_finance = make_user(Role.FINANCE, username="staff-finance", is_staff=True)
    assert "Account search texts" not in client_for(staff_finance).get("/admin/").content.decode()
    assert "Account search texts" in client_for(admin_user).get("/admin/").content.decode()
