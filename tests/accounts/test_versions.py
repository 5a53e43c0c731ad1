"""Every update path requires the version it was based on: a save without it is refused (400)."""

import pytest

from accounts import services
from accounts.models import Account, Contact
from core.locking import VersionRequired
from tests.accounts.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

MISSING = "The version is missing"


def test_the_services_refuse_an_update_without_a_version(manager):
    account = AccountFactory(owner=manager)
    with pytest.raises(VersionRequired, match=MISSING):
        services.account_update(account=account, actor=manager, expected_version=None, data={"name": "X"})
    contact = ContactFactory(account=account)
    with pytest.raises(VersionRequired, match=MISSING):
        services.contact_update(contact=contact, actor=manager, expected_version=None, data={"title": "CFO"})
    # system work (no actor) is not an edit of something read
    services.account_update(account=account, actor=None, expected_version=None, data={"name": "System"})


@pytest.mark.parametrize("method", ["patch", "put"])
def test_api_update_without_version_is_400_that_says_so(api_for, manager, method):
    """PATCH without `version` overwrote silently before."""
    account = AccountFactory(owner=manager, name="Before")
    api = api_for(manager)
    body = {"name": "After", "owner": manager.pk}
    response = getattr(api, method)(f"/api/accounts/{account.pk}/", body, format="json")
    assert response.status_code == 400
    assert MISSING in str(response.json()["fields"]["version"])
    account.refresh_from_db()
    assert account.name == "Before"
    ok = getattr(api, method)(f"/api/accounts/{account.pk}/", {**body, "version": account.version}, format="json")
    assert ok.status_code == 200


def test_api_contact_update_without_version_is_400(api_for, manager):
    contact = ContactFactory(account=AccountFactory(owner=manager), title="CEO")
    response = api_for(manager).patch(f"/api/contacts/{contact.pk}/", {"title": "CFO"}, format="json")
    assert response.status_code == 400 and MISSING in str(response.json()["fields"]["version"])
    contact.refresh_from_db()
    assert contact.title == "CEO"


def _account_form(account, manager, **extra):
    return {
        "name": "Changed",
        "category": account.category,
        "industry": account.industry,
        "status": "active",
        "owner": manager.pk,
        **extra,
    }


def test_the_account_form_with_its_version_removed_is_refused(client_for, manager):
    account = AccountFactory(owner=manager, name="Before")
    response = client_for(manager).post(f"/accounts/{account.pk}/edit/", _account_form(account, manager))
    assert response.status_code == 200
    assert MISSING in response.content.decode()
    account.refresh_from_db()
    assert account.name == "Before"


def test_the_contact_form_with_its_version_removed_is_refused(client_for, manager):
    from accounts.forms import ContactForm

    contact = ContactFactory(account=AccountFactory(owner=manager), name="Li")
    form = ContactForm(instance=contact)
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data = {k: v for k, v in data.items() if v is not False}
    data.update(name="Wang")
    data.pop("version", None)
    response = client_for(manager).post(f"/accounts/contacts/{contact.pk}/edit/", data)
    assert response.status_code == 200
    assert MISSING in str(response.context["form"].non_field_errors())
    assert Contact.objects.get(pk=contact.pk).name == "Li"


def test_the_admin_change_form_without_its_version_is_refused(client_for, admin_user):
    account = AccountFactory(owner=admin_user, name="Before")
    client = client_for(admin_user)
    form = client.get(f"/admin/accounts/account/{account.pk}/change/").context["adminform"].form
    assert form.fields["expected_version"].initial == account.version
    data = {
        "name": "After",
        "category": account.category,
        "industry": account.industry,
        "status": account.status,
        "owner": admin_user.pk,
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
        "competitor_presences-TOTAL_FORMS": 0,
        "competitor_presences-INITIAL_FORMS": 0,
    }
    response = client.post(f"/admin/accounts/account/{account.pk}/change/", data, follow=True)
    assert MISSING in response.content.decode()
    assert Account.objects.get(pk=account.pk).name == "Before"
    client.post(f"/admin/accounts/account/{account.pk}/change/", {**data, "expected_version": account.version})
    assert Account.objects.get(pk=account.pk).name == "After"
