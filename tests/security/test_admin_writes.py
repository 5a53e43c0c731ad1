"""Issue 8, item 16: every admin write goes through the service (save_model, actions)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import Contact, Feedback
from tests.accounts.factories import AccountFactory, ContactFactory, FeedbackFactory
from tests.tiering.factories import TierOverrideFactory
from tiering.models import TierOverride

pytestmark = pytest.mark.django_db


def form_data(user, obj, **changes):
    """What the admin change page posts back unchanged, with `changes` applied."""
    request = RequestFactory().get("/")
    request.user = user
    model_admin = admin.site._registry[type(obj)]
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = value
    for key, value in changes.items():
        if value is False:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def change_url(obj):
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


class TestContactAdmin:
    def test_a_save_keeps_one_primary_contact_and_bumps_the_version(self, client_for, admin_user):
        account = AccountFactory()
        first = ContactFactory(account=account, is_primary=True)
        second = ContactFactory(account=account)
        response = client_for(admin_user).post(change_url(second), form_data(admin_user, second, is_primary=True))
        assert response.status_code == 302
        first.refresh_from_db()
        second.refresh_from_db()
        assert second.is_primary and not first.is_primary
        assert second.version == 2

    def test_a_stale_save_is_refused_and_changes_nothing(self, client_for, admin_user):
        contact = ContactFactory(name="Old")
        data = form_data(admin_user, contact, name="Mine")
        Contact.objects.filter(pk=contact.pk).update(version=5)  # someone saved meanwhile
        response = client_for(admin_user).post(change_url(contact), data, follow=True)
        assert "Someone else changed this record" in response.content.decode()
        contact.refresh_from_db()
        assert contact.name == "Old"

    def test_a_contact_never_moves_to_another_account(self, client_for, admin_user):
        contact = ContactFactory()
        other = AccountFactory()
        client_for(admin_user).post(change_url(contact), form_data(admin_user, contact, account=other.pk))
        contact.refresh_from_db()
        assert contact.account_id != other.pk

    def test_the_account_page_shows_contacts_read_only(self, client_for, admin_user):
        account = AccountFactory()
        ContactFactory(account=account)
        html = client_for(admin_user).get(change_url(account)).content.decode()
        assert 'name="contacts-0-is_archived"' not in html and 'name="contacts-0-DELETE"' not in html


class TestTierOverrideAdmin:
    def test_a_pin_in_place_is_not_edited(self, client_for, admin_user):
        pin = TierOverrideFactory(tier="vip")
        client_for(admin_user).post(change_url(pin), form_data(admin_user, pin, tier="small", reason="sneaky"))
        pin.refresh_from_db()
        assert pin.tier == "vip" and pin.reason != "sneaky"
        assert TierOverride.objects.count() == 1


class TestFeedbackAdmin:
    def test_status_moves_only_along_its_flow(self, client_for, admin_user):
        feedback = FeedbackFactory(status=Feedback.Status.DONE)
        client = client_for(admin_user)
        client.post(change_url(feedback), form_data(admin_user, feedback, status="new"))
        feedback.refresh_from_db()
        assert feedback.status == Feedback.Status.DONE
        response = client.post(
            "/admin/accounts/feedback/",
            {"action": "mark_acknowledged", "_selected_action": [feedback.pk]},
            follow=True,
        )
        assert "Feedback cannot go from Done to Acknowledged" in response.content.decode()
        fresh = FeedbackFactory()
        client.post("/admin/accounts/feedback/", {"action": "mark_done", "_selected_action": [fresh.pk]})
        fresh.refresh_from_db()
        assert fresh.status == Feedback.Status.DONE and fresh.handler == admin_user
