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


def test_search_text_table_is_internal_hidden_from_the_menu(client_for, admin_user, make_user):
    staff_finance = make_user(Role.FINANCE, username="staff-finance", is_staff=True)
    assert "Account search texts" not in client_for(staff_finance).get("/admin/").content.decode()
    assert "Account search texts" not in client_for(admin_user).get("/admin/").content.decode()
    assert client_for(admin_user).get("/admin/accounts/accountsearch/").status_code == 200
    assert client_for(staff_finance).get("/admin/accounts/accountsearch/").status_code == 403


def test_admin_menu_puts_the_crm_first_and_is_translated(client_for, admin_user):
    from django.utils import translation

    html = client_for(admin_user).get("/admin/").content.decode()
    order = [html.index(h) for h in ("Key accounts", "Tiering", "Staff and roles", "Sign-in lockouts")]
    assert order == sorted(order), order
    assert html.index(">Accounts<") < html.index(">Contacts<") < html.index(">Account events<")
    with translation.override("zh-hans"):
        zh = client_for(admin_user).get("/admin/", headers={"accept-language": "zh-hans"})
    body = zh.content.decode()
    assert "Access attempts" not in body and "Sign-in lockouts" not in body


def test_account_list_shows_revenue_as_money(client_for, admin_user):
    from decimal import Decimal

    AccountFactory(name="Money Co", revenue_12m=Decimal("1204000.5"))
    html = client_for(admin_user).get("/admin/accounts/account/").content.decode()
    assert "¥1,204,000.50" in html
    # and it still sorts by the column
    assert client_for(admin_user).get("/admin/accounts/account/?o=9").status_code == 200
