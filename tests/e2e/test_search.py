import pytest

from accounts import services
from tests.accounts.factories import AccountFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_caller_found_from_any_page_in_two_interactions(sign_in, page, live_server, assert_accessible):
    """Press "/" and type the number as the caller ID shows it; Enter opens the 360° page."""
    agent = UserFactory(username="sun", password="Pw-123456!", role=Role.SERVICE)
    account = AccountFactory(name="恒通能源有限公司")
    services.contact_create(account=account, actor=agent, name="陈经理", phone="138 0013 8000")
    AccountFactory(name="Other Co", phone="13900001111")
    sign_in("sun", "Pw-123456!")
    page.goto(f"{live_server.url}/tiers/")

    page.keyboard.press("/")  # 1: focus the search box from anywhere
    page.keyboard.type("+86 138-0013-8000")
    page.wait_for_selector("[data-testid=search-hit]")
    hit = page.locator("[data-testid=search-hit]")
    assert hit.count() == 1 and "陈经理" in hit.inner_text() and "恒通能源有限公司" in hit.inner_text()
    assert_accessible(page)
    page.keyboard.press("Enter")  # 2: open the caller's account
    page.wait_for_url(f"**/accounts/{account.pk}/")
    assert page.locator("[data-testid=account-name]").inner_text() == "恒通能源有限公司"

    page.keyboard.press("Control+k")
    assert page.evaluate("document.activeElement.id") == "global-search-q"


def test_search_box_on_a_phone(browser, live_server):
    UserFactory(username="li", password="Pw-123456!", role=Role.DIRECTOR)
    AccountFactory(name="华信银行", phone="010-6512 3456")
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", "Pw-123456!")
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")
    box = page.locator("[data-testid=global-search]")
    assert box.is_visible() and box.bounding_box()["height"] >= 44  # not hidden behind the menu button
    box.fill("01065123456")
    page.wait_for_selector("[data-testid=search-hit]")
    page.locator("[data-testid=search-hit]").first.click()
    page.wait_for_load_state("networkidle")
    assert "华信银行" in page.inner_text("[data-testid=account-name]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
