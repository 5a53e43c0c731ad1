"""Pages: the bell on every page, the inbox (open marks read, mark all read), the settings page."""

import pytest
from django.urls import reverse

from reminders.models import ChannelChoice, Notification, UserSettings
from tests.accounts.factories import AccountFactory

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_the_bell_shows_the_unread_count_on_every_page(client_for, manager):
    account = AccountFactory(owner=manager)
    NotificationFactory.create_batch(3, account=account)
    NotificationFactory(account=account, read_at="2026-01-01T00:00Z")
    NotificationFactory(account=account, in_app=False)
    client = client_for(manager)
    for url in ("/", reverse("accounts:list"), reverse("reminders:inbox")):
        html = client.get(url).content.decode()
        assert 'data-testid="bell-count">3<' in html, url


def test_no_badge_without_unread(client_for, manager):
    html = client_for(manager).get("/").content.decode()
    assert 'data-testid="bell"' in html and "bell-count" not in html


def test_inbox_lists_mine_with_links_and_opening_marks_read(client_for, manager, other_manager):
    account = AccountFactory(owner=manager, name="Hengtong")
    mine = NotificationFactory(account=account)
    theirs = NotificationFactory(account=AccountFactory(owner=other_manager, name="Elsewhere"))
    client = client_for(manager)
    html = client.get(reverse("reminders:inbox")).content.decode()
    assert "Hengtong: no visit or callback for 40 days" in html and "Elsewhere" not in html
    response = client.get(reverse("reminders:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(reverse("reminders:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("reminders:mark_read", args=[theirs.pk])).status_code == 404


def test_unread_filter_and_mark_all_read(client_for, manager):
    account = AccountFactory(owner=manager)
    NotificationFactory.create_batch(2, account=account)
    client = client_for(manager)
    html = client.get(reverse("reminders:inbox") + "?show=unread").content.decode()
    assert html.count('data-testid="notification"') == 2
    response = client.post(reverse("reminders:mark_all_read"), follow=True)
    assert "2 reminders marked as read." in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    html = client.get(reverse("reminders:inbox") + "?show=unread").content.decode()
    assert 'data-testid="inbox-empty"' in html


def test_inbox_constant_queries(client_for, manager, django_assert_max_num_queries):
    account = AccountFactory(owner=manager)
    NotificationFactory.create_batch(2, account=account)
    client = client_for(manager)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("reminders:inbox"))
    NotificationFactory.create_batch(23, account=account)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("reminders:inbox"))


def test_settings_page_saves_language_digest_and_channels(client_for, manager):
    client = client_for(manager)
    assert client.get(reverse("reminders:settings")).status_code == 200
    response = client.post(
        reverse("reminders:settings"),
        {"language": "zh-hans", "email_digest": "on", "in_app_birthday_today": "on", "email_tier_changed": "on"},
        follow=True,
    )
    assert "Your reminder settings are saved." in response.content.decode()
    own = UserSettings.objects.get(user=manager)
    assert (own.language, own.email_digest) == ("zh-hans", True)
    choices = {c.rule: (c.in_app, c.email) for c in ChannelChoice.objects.filter(user=manager)}
    assert choices["birthday_today"] == (True, False)
    assert choices["tier_changed"] == (False, True)
    assert choices["contact_overdue"] == (False, False)
