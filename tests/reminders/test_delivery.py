"""E-mail in the recipient's language, the daily digest, channels chosen per rule."""

import pytest
from django.utils import translation

from reminders import delivery
from reminders.models import Notification, UserSettings
from reminders.services import rule_sweep, settings_update
from tests.accounts.factories import AccountFactory, ContactFactory

from .factories import at

pytestmark = pytest.mark.django_db
NOW = at(2027, 5, 5, 7, 30)


def test_the_mail_is_in_the_recipients_language(manager, mailoutbox):
    UserSettings.objects.create(user=manager, language="zh-hans")
    ContactFactory(account=AccountFactory(owner=manager, name="恒通"), birth_month=5, birth_day=5, name="陈静")
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    with translation.override("en"):
        delivery.deliver_pending()
    [mail] = mailoutbox
    assert mail.to == [manager.email]
    assert mail.subject == "提醒：联系人今日生日"
    assert "陈静（恒通）今天生日。" in mail.body
    assert "/accounts/" in mail.body  # the link to the contact on the account page


def test_english_by_default(manager, mailoutbox):
    ContactFactory(account=AccountFactory(owner=manager, name="Hengtong"), birth_month=5, birth_day=5, name="Chen")
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    delivery.deliver_pending()
    [mail] = mailoutbox
    assert mail.subject == "Reminder: Contact birthdays today"
    assert "Chen (Hengtong) has a birthday today." in mail.body


def test_the_daily_digest_gathers_the_days_reminders_in_one_mail(manager, mailoutbox):
    settings_update(actor=manager, language="", email_digest=True, channels={})
    account = AccountFactory(owner=manager)
    ContactFactory(account=account, birth_month=5, birth_day=5, name="A")
    ContactFactory(account=account, birth_month=5, birth_day=6, name="B")
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    rule_sweep(code="birthday_upcoming", now=NOW, deliver=False)
    assert delivery.deliver_pending() == 2
    assert mailoutbox == []  # no single mails
    assert delivery.send_digests(now=NOW) == 1
    [mail] = mailoutbox
    assert "A (" in mail.body and "B (" in mail.body
    assert delivery.send_digests(now=NOW) == 0  # sent once
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_channels_per_rule_decide_what_is_written(manager, mailoutbox):
    settings_update(
        actor=manager,
        language="",
        email_digest=False,
        channels={"birthday_today": (False, True), "birthday_upcoming": (True, False)},
    )
    account = AccountFactory(owner=manager)
    ContactFactory(account=account, birth_month=5, birth_day=5)
    ContactFactory(account=account, birth_month=5, birth_day=6)
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    rule_sweep(code="birthday_upcoming", now=NOW, deliver=False)
    today = Notification.objects.get(rule="birthday_today")
    ahead = Notification.objects.get(rule="birthday_upcoming")
    assert (today.in_app, today.email) == (False, True)
    assert (ahead.in_app, ahead.email) == (True, False)
    delivery.deliver_pending()
    assert len(mailoutbox) == 1


def test_no_email_address_means_in_the_app_only(make_user, mailoutbox):
    from users.roles import Role

    person = make_user(Role.MANAGER, username="noaddress", email="")
    ContactFactory(account=AccountFactory(owner=person), birth_month=5, birth_day=5)
    rule_sweep(code="birthday_today", now=NOW, deliver=False)
    assert Notification.objects.get().email is False


def test_settings_refuse_an_unknown_rule_or_language(manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Unknown rules: nope"):
        settings_update(actor=manager, language="", email_digest=False, channels={"nope": (True, True)})
    with pytest.raises(ValidationError, match="Choose one of the languages offered"):
        settings_update(actor=manager, language="fr", email_digest=False, channels={})
