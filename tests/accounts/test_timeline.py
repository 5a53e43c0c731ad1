"""The account timeline (accounts.timeline): events know their subject; links are built when shown."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from accounts import services
from accounts.models import AccountEvent
from accounts.timeline import EVENT_KINDS, EventKind, events_about, record_event, register_event_kind, render_event
from tests.accounts.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked_kind():
    kind = EventKind(
        kind="test.linked",
        label="Linked",
        icon="link",
        describe=lambda data: f"About {data['name']}",
        category="tests",
        link=lambda event: f"/contacts/{event.subject_id}/",
    )
    with EVENT_KINDS.registered(kind.kind, kind):
        yield kind


def test_an_event_stores_its_subject_and_is_found_by_it(manager, linked_kind):
    contact = ContactFactory(account=AccountFactory(owner=manager), name="Wang")
    event = record_event(account=contact.account, kind="test.linked", subject=contact, data={"name": "Wang"})
    assert (event.subject_type, event.subject_id) == ("accounts.contact", contact.pk)
    record_event(account=contact.account, kind="test.linked", data={"name": "no subject"})
    assert list(events_about(contact)) == [event]


def test_the_link_is_built_when_shown(manager, linked_kind):
    contact = ContactFactory(account=AccountFactory(owner=manager))
    event = record_event(account=contact.account, kind="test.linked", subject=contact, data={"name": "Wang"})
    with translation.override("en"):
        shown = render_event(AccountEvent.objects.get(pk=event.pk))
    assert shown["link"] == f"/contacts/{contact.pk}/"
    assert shown["text"] == "About Wang" and shown["category"] == "tests"
    bare = record_event(account=contact.account, kind="test.linked", data={"name": "x"})
    assert render_event(bare)["link"] == ""  # no subject, no link


def test_an_unknown_kind_is_refused(manager):
    with pytest.raises(ValueError, match="Unknown timeline event kind 'nobody.registered'"):
        record_event(account=AccountFactory(owner=manager), kind="nobody.registered")


def test_an_unsaved_subject_is_refused(manager, linked_kind):
    from accounts.models import Contact

    account = AccountFactory(owner=manager)
    with pytest.raises(ValueError, match="must be saved first"):
        record_event(account=account, kind="test.linked", subject=Contact(account=account, name="x"))


def test_a_second_registration_of_a_kind_is_refused():
    with pytest.raises(ImproperlyConfigured, match="timeline event kind 'account.created' is already registered"):
        register_event_kind("account.created", label="Again", icon="x", describe=lambda d: "")


def test_accounts_events_carry_their_subjects(manager):
    account = services.account_create(actor=manager, name="Subject Co", owner=manager)
    contact = services.contact_create(account=account, actor=manager, name="Li Lei")
    services.contact_archive(contact=contact, actor=manager)
    created = AccountEvent.objects.get(account=account, kind="account.created")
    assert (created.subject_type, created.subject_id) == ("accounts.account", account.pk)
    added, archived = events_about(contact).order_by("id")
    assert added.kind == "contact.added" and (added.subject_type, added.subject_id) == ("accounts.contact", contact.pk)
    assert archived.kind == "contact.archived" and archived.actor == manager
    with translation.override("en"):
        assert render_event(archived)["text"] == "Contact Li Lei archived."
    with translation.override("zh-hans"):
        assert render_event(archived)["text"] == "联系人 Li Lei 已归档。"
