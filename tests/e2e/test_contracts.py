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
    assert "Payment of ¥1,500.50 recorded" in page.content()
    assert "BANK-E2E-1" in page.content()
    context.close()


def _contract_with_payments(finance_user_name):
    from decimal import Decimal

    from contracts import services
    from tests.contracts.factories import ContractFactory

    cash = UserFactory(username=finance_user_name, password=PASSWORD, role=Role.FINANCE)
    contract = ContractFactory(account=AccountFactory(name="恒通能源有限公司"), value=Decimal("3000.00"))
    services.schedule_generate_even(contract=contract, actor=cash, count=3, first_due_on=datetime.date(2026, 1, 1))
    for day, amount, ref in ((1, "1000.00", "BANK-V1"), (20, "1500.00", "BANK-V2")):
        services.payment_record(
            actor=cash,
            contract=contract,
            received_on=datetime.date(2026, 1, day),
            amount=Decimal(amount),
            reference=ref,
        )
    return contract


def test_finance_voids_a_payment_on_a_phone(browser, live_server):
    contract = _contract_with_payments("voider")
    context, page = _signed_in(browser, live_server, "voider", width=375)
    page.goto(f"{live_server.url}{contract.get_absolute_url()}")
    page.locator("tr", has_text="BANK-V2").get_by_role("link", name="Void").click()
    page.wait_for_selector("[data-testid=void-preview]")
    page.fill("#id_reason", "Entered twice / 重复登记")
    page.click("[data-testid=void-submit]")  # the confirmation is accepted
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(contract.get_absolute_url())
    voided = page.locator("[data-testid=voided-payment]")
    assert voided.count() == 1 and "重复登记" in voided.inner_text() and "BANK-V2" in voided.inner_text()
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_void_page_passes_axe(browser, live_server, lang):
    from axe_core_python.sync_playwright import Axe

    contract = _contract_with_payments(f"axe-void-{lang}")
    payment = contract.payments.get(reference="BANK-V2")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("#id_username", f"axe-void-{lang}")
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")
    for path in (f"/contracts/payments/{payment.pk}/void/", contract.get_absolute_url(), "/contracts/payments/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        result = Axe().run(page, context="main")
        serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], (path, serious)
    context.close()
