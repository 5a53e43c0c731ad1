"""Main contract journey in a real browser: draft → approval → payment, with the account looked up as you type."""

import datetime

import pytest
from django.utils import timezone

from tests.accounts.factories import AccountFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Pw-123456!"


def _signed_in(browser, live_server, username, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations of submit, apply ...
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")
    return context, page


def test_draft_approve_and_pay_a_contract(browser, live_server):
    manager = UserFactory(username="zhao", password=PASSWORD, role=Role.MANAGER)
    UserFactory(username="boss", password=PASSWORD, role=Role.DIRECTOR)
    UserFactory(username="cash", password=PASSWORD, role=Role.FINANCE)
    AccountFactory(owner=manager, name="恒通能源有限公司")
    end = (timezone.localdate() + datetime.timedelta(days=300)).isoformat()

    context, page = _signed_in(browser, live_server, "zhao")
    page.goto(f"{live_server.url}/contracts/new/")
    page.fill("[data-testid=account-lookup]", "恒通")
    page.click("[data-pick-id]")
    page.fill("#id_title", "Energy monitoring 2027")
    page.fill("#id_value", "90000")
    page.fill("#id_end_on", end)
    page.click("[data-testid=save]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=contract-title]").inner_text() == "Energy monitoring 2027"
    page.click("[data-testid=submit-contract]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=contract-status]").first.inner_text() == "Pending approval"
    context.close()

    context, page = _signed_in(browser, live_server, "boss")
    page.goto(f"{live_server.url}/contracts/approvals/")
    assert page.locator("[data-testid=approval-card]").count() == 1
    page.click("[data-testid=approve]")
    page.wait_for_load_state("networkidle")
    assert "Nothing is waiting for your approval" in page.content()
    context.close()

    context, page = _signed_in(browser, live_server, "cash", width=375)
    page.goto(f"{live_server.url}/contracts/payments/new/")
    page.fill("[data-testid=account-lookup]", "恒通")
    page.click("[data-pick-id]")
    page.wait_for_selector("#id_contract option:nth-child(2)", state="attached")
    page.select_option("#id_contract", index=1)
    page.fill("#id_amount", "1500.50")
    page.fill("#id_reference", "BANK-E2E-1")
    page.click("[data-testid=save-payment]")
    page.wait_for_load_state("networkidle")
    assert "Payment of 1500.50 recorded" in page.content()
    assert "BANK-E2E-1" in page.content()
    context.close()
