import pytest

from tests.accounts.factories import AccountFactory, ContactFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_see_the_dashboard_in_english_and_chinese(sign_in, live_server):
    UserFactory(username="li", password="Pw-123456!", full_name="Li Na", role=Role.MANAGER)
    page = sign_in("li", "Pw-123456!")
    assert page.locator("[data-testid=dashboard-title]").inner_text() == "Good day, Li Na"
    # (a link's name includes its icon's glyph, so not exact)
    assert page.locator("nav").get_by_role("link", name="Accounts").is_visible()

    page.click("[data-testid=language-menu]")
    page.click("[data-testid=lang-zh-hans]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("[data-testid=dashboard-title]").inner_text() == "Li Na，您好"
    assert page.locator("nav").get_by_role("link", name="工作台").is_visible()


def test_wrong_password_then_sign_in_and_out(sign_in, page):
    UserFactory(username="wang", password="Pw-123456!", role=Role.DIRECTOR)
    sign_in("wang", "wrong")
    assert "Wrong user name or password" in page.content()
    sign_in("wang", "Pw-123456!")
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=sign-out]")
    page.wait_for_load_state("networkidle")
    assert "/auth/login/" in page.url


def test_manager_finds_an_account_and_opens_its_360_page(sign_in, page, live_server):
    manager = UserFactory(username="zhao", password="Pw-123456!", role=Role.MANAGER)
    account = AccountFactory(owner=manager, name="恒通能源有限公司")
    ContactFactory(account=account, name="陈经理", role="economic", attitude="supporter")
    AccountFactory(name="Someone Else's Co")
    sign_in("zhao", "Pw-123456!")
    page.goto(f"{live_server.url}/accounts/")
    page.fill("input[name=q]", "陈经理")
    page.wait_for_selector("text=1 account")
    assert "Someone Else" not in page.content()
    page.click("text=恒通能源有限公司")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=account-name]").inner_text() == "恒通能源有限公司"
    assert page.locator("[id^=contact-]").get_by_text("陈经理").is_visible()


def test_phone_width_menu_collapses(browser, live_server):
    UserFactory(username="sun", password="Pw-123456!", role=Role.SERVICE)
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("#id_username", "sun")
    page.fill("#id_password", "Pw-123456!")
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".navbar-toggler").is_visible()
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainNav.show")
    assert page.locator("#mainNav").get_by_role("link", name="Accounts").is_visible()
    context.close()
