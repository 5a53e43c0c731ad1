"""The bell in a real browser: the unread count on the page, one fewer after a reminder is opened,
none after "mark all as read"."""

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import AccountFactory
from tests.reminders.factories import NotificationFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_bell_shows_the_right_count(page, sign_in, live_server):
    manager = UserFactory(username="bell", password="Pw-123456!", role=Role.MANAGER)
    account = AccountFactory(owner=manager, name="Hengtong Energy")
    NotificationFactory.create_batch(3, account=account)
    NotificationFactory(account=AccountFactory(), recipient=UserFactory(role=Role.MANAGER))  # someone else's
    sign_in("bell", "Pw-123456!")
    assert page.locator("[data-testid=bell-count]").inner_text().split()[0] == "3"
    page.click("[data-testid=bell]")
    page.wait_for_selector("[data-testid=inbox]")
    assert page.locator("[data-testid=notification]").count() == 3
    page.locator("[data-testid=notification] a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/accounts/{account.pk}/")
    assert page.locator("[data-testid=bell-count]").inner_text().split()[0] == "2"
    page.goto(f"{live_server.url}/reminders/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=mark-all-read]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=bell-count]").count() == 0


def _signed_in(browser, live_server, username, *, width, lang="en"):
    """A new browser context of this width and language, signed in as `username` (Pw-123456!)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Pw-123456!")
    page.click("[data-testid=sign-in]")
    return context, page


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_pages_pass_axe(browser, live_server, lang):
    from axe_core_python.sync_playwright import Axe

    manager = UserFactory(username=f"axe-rem-{lang}", password="Pw-123456!", role=Role.MANAGER)
    NotificationFactory.create_batch(2, account=AccountFactory(owner=manager))
    context, page = _signed_in(browser, live_server, f"axe-rem-{lang}", width=1366, lang=lang)
    page.wait_for_load_state("networkidle")
    axe = Axe()
    for path in ("/reminders/", "/reminders/?show=unread", "/reminders/?q=nothing-like-it", "/reminders/settings/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        for scope in ("main", "[data-testid=bell]"):  # the bell (the rest of the menu bar has its own tests)
            result = axe.run(page, context=scope)
            serious = [
                (v["id"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], (path, scope, serious)
    context.close()


def test_the_search_narrows_the_inbox_and_the_export_follows(page, sign_in, live_server):
    manager = UserFactory(username="searcher", password="Pw-123456!", role=Role.MANAGER)
    NotificationFactory.create_batch(2, account=AccountFactory(owner=manager, name="Hengtong Energy"))
    NotificationFactory(account=AccountFactory(owner=manager, name="华为技术"))
    sign_in("searcher", "Pw-123456!")
    page.goto(f"{live_server.url}/reminders/")
    assert page.locator("[data-testid=notification]").count() == 3
    page.fill("[data-testid=inbox-search]", "华为")
    page.press("[data-testid=inbox-search]", "Enter")
    expect(page.locator("[data-testid=notification]")).to_have_count(1)
    page.wait_for_url("**q=%E5%8D%8E%E4%B8%BA**")
    assert "q=%E5%8D%8E%E4%B8%BA" in page.url
    assert "q=%E5%8D%8E%E4%B8%BA" in page.locator("[data-testid=export-csv]").get_attribute("href")
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    assert download.value.suggested_filename.startswith("reminders-")


@pytest.mark.parametrize("width", [1366, 375])
def test_a_two_digit_count_stays_inside_the_window(browser, live_server, width):
    """With 26 unread the badge stuck 4 px out past the right edge at 1366 (the page scrolled
    sideways); it sits on the bell's corner, inside the window, at any width."""
    manager = UserFactory(username=f"bell-{width}", password="Pw-123456!", role=Role.MANAGER)
    NotificationFactory.create_batch(26, account=AccountFactory(owner=manager))
    context, page = _signed_in(browser, live_server, f"bell-{width}", width=width)
    page.wait_for_selector("[data-testid=bell-count]")
    right = page.evaluate("document.querySelector('[data-testid=bell-count]').getBoundingClientRect().right")
    client, scroll = page.evaluate("[document.documentElement.clientWidth, document.documentElement.scrollWidth]")
    context.close()
    assert right <= client and scroll == client
