"""Issue 8, item 13: a Content-Security-Policy (no inline script or style, our own files only)
under which every page works: no violation on any page, charts drawn, confirmations asked."""

import datetime

import pytest
from django.utils import timezone

from tests.accounts.factories import AccountFactory, ContactFactory, TransactionFactory
from tests.users.factories import UserFactory
from tiering.services import tiers_recompute
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_every_page_works_under_the_policy(sign_in, page, live_server, client):
    director = UserFactory(username="dir", password="Pw-123456!", role=[Role.DIRECTOR, Role.ADMIN])
    director.is_staff = director.is_superuser = True
    director.save()
    manager = UserFactory(username="mgr", role=Role.MANAGER)
    account = AccountFactory(owner=manager)
    contact = ContactFactory(account=account)
    for days in (5, 40, 70):
        TransactionFactory(account=account, occurred_at=timezone.now() - datetime.timedelta(days=days))
    TransactionFactory(account=AccountFactory(owner=manager))
    job = tiers_recompute()

    header = client.get("/auth/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in header and "style-src 'self'" in header and "unsafe-inline" not in header

    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in("dir", "Pw-123456!")
    pages = [
        "/",
        "/accounts/",
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        f"/accounts/{account.pk}/transactions/",
        f"/accounts/contacts/{contact.pk}/edit/",
        "/tiers/",
        "/tiers/rfm/",
        "/tiers/abc/",
        "/tiers/changes/",
        f"/tiers/jobs/{job.pk}/",
        f"/tiers/accounts/{account.pk}/pin/",
        "/accounts/999999/",
        "/api/docs/",
        "/admin/",
        "/admin/accounts/account/",
        f"/admin/accounts/account/{account.pk}/change/",
        f"/admin/accounts/contact/{contact.pk}/change/",
    ]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if path == "/accounts/":  # htmx reads <meta name="htmx-config">: no inline <style> of its own
            assert page.evaluate("htmx.config.includeIndicatorStyles") is False
            assert page.evaluate("document.querySelectorAll('style').length") == 0
        if path == f"/accounts/{account.pk}/":
            assert page.evaluate("Chart.getChart('revenueChart') !== undefined"), "the revenue chart is drawn"
        if path == "/tiers/":
            assert page.evaluate("Chart.getChart('pareto-chart') !== undefined"), "the Pareto chart is drawn"
            width = page.locator("[data-width]").first.evaluate("el => el.style.width")
            assert width.endswith("%")
        if path == "/api/docs/":
            page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert violations == []


def test_confirmations_still_ask(sign_in, page, live_server):
    manager = UserFactory(username="mgr2", password="Pw-123456!", role=Role.MANAGER)
    contact = ContactFactory(account=AccountFactory(owner=manager), name="Keep Me")
    sign_in("mgr2", "Pw-123456!")
    page.goto(f"{live_server.url}/accounts/contacts/{contact.pk}/edit/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.click("button[name=archive]")
    page.wait_for_timeout(300)
    assert asked == ["Archive this contact? It stays in the history."]
    contact.refresh_from_db()
    assert not contact.is_archived
