"""Each form filled and saved in 简体中文: dates come up filled (ISO, the only format the
browser's date input takes), survive a validation error, and save."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import CompetitorPresence, Contact, Feedback
from tests.accounts.factories import AccountFactory, CompetitorFactory, ContactFactory
from tests.tiering.factories import TierPolicyFactory
from tests.users.factories import UserFactory
from tiering.models import TierOverride
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def zh_director(sign_in, use_language):
    user = UserFactory(username="zhao", password="Pw-123456!", role=Role.DIRECTOR, full_name="赵总")
    sign_in("zhao", "Pw-123456!")
    use_language("zh-hans")
    return user


def save(page):
    page.click("[data-testid=save]")
    page.wait_for_load_state("networkidle")


def test_feedback_form_in_chinese_keeps_the_date_and_saves(zh_director, page, live_server, assert_accessible):
    account = AccountFactory(owner=zh_director, name="恒通能源")
    ContactFactory(account=account, name="陈经理")
    page.goto(f"{live_server.url}/accounts/{account.pk}/feedback/new/")
    today = timezone.localdate()
    assert page.input_value("#id_received_on") == today.isoformat()  # not empty: Django's zh "2026/11/30" was

    earlier = (today - datetime.timedelta(days=3)).isoformat()
    page.fill("#id_received_on", earlier)
    page.fill("#id_suggestion", "发票请按月开")
    save(page)  # no score chosen: refused...
    assert page.locator(".invalid-feedback").count() >= 1
    assert page.input_value("#id_received_on") == earlier  # ...and the typed date is still there
    assert_accessible(page)

    page.select_option("#id_satisfaction", "4")
    save(page)
    assert page.url.endswith(f"/accounts/{account.pk}/")
    feedback = Feedback.objects.get(account=account)
    assert (feedback.received_on.isoformat(), feedback.satisfaction) == (earlier, 4)


def test_competitor_contact_account_and_pin_forms_save_in_chinese(zh_director, page, live_server):
    TierPolicyFactory()
    account = AccountFactory(owner=zh_director, name="恒通能源")
    CompetitorFactory(name="华信")
    base = f"{live_server.url}/accounts/{account.pk}"

    page.goto(f"{base}/competitors/new/")
    page.select_option("#id_competitor", label="华信")
    page.fill("#id_since", "2025-03-01")
    save(page)
    assert CompetitorPresence.objects.get(account=account).since == datetime.date(2025, 3, 1)

    page.goto(f"{base}/contacts/new/")
    assert page.get_attribute("#id_phone", "type") == "tel"
    page.fill("#id_name", "李工")
    page.fill("#id_phone", "138 0013 8000")
    save(page)
    assert Contact.objects.filter(account=account, name="李工").exists()

    page.goto(f"{base}/edit/")
    assert page.get_attribute("#id_phone", "type") == "tel"
    page.fill("#id_nickname", "恒通")
    save(page)
    assert page.url.endswith(f"/accounts/{account.pk}/")
    account.refresh_from_db()
    assert account.nickname == "恒通"

    page.goto(f"{live_server.url}/tiers/accounts/{account.pk}/pin/")
    ends = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    page.select_option("#id_tier", "vip")
    page.fill("#id_ends_on", ends)
    page.click("[data-testid=save-pin]")  # no reason given: refused, the date kept
    page.wait_for_load_state("networkidle")
    assert page.input_value("#id_ends_on") == ends
    page.fill("#id_reason", "战略客户，董事会决定")
    page.click("[data-testid=save-pin]")
    page.wait_for_load_state("networkidle")
    assert TierOverride.objects.get(account=account).ends_on.isoformat() == ends
