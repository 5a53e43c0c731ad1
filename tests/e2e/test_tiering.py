import pytest
from celery.contrib.testing.worker import start_worker

from accounts.models import Account
from config.celery import app
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_director_runs_a_dry_run_then_a_recompute_in_the_background(sign_in, page, live_server):
    """The buttons start jobs that a real worker runs; the page polls until they finish."""
    UserFactory(username="zhao", password="Pw-123456!", role=Role.DIRECTOR)
    big = AccountFactory(name="Big Co")
    TransactionFactory(account=big, amount="900000.00")
    for i in range(9):
        TransactionFactory(account=AccountFactory(name=f"Small {i}"), amount="100.00")
    sign_in("zhao", "Pw-123456!")
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1, shutdown_timeout=10):
        page.goto(f"{live_server.url}/tiers/")
        page.click("[data-testid=dry-run]")
        page.wait_for_selector("#job-status[data-status=done]", timeout=30000)
        assert "nothing was written" in page.inner_text("#job-status")
        big.refresh_from_db()
        assert big.tier == "small"

        confirms = []
        page.once("dialog", lambda dialog: (confirms.append(dialog.message), dialog.accept()))
        page.click("[data-testid=recompute-now]")  # a real recompute asks first
        page.wait_for_function(
            """() => { const s = document.querySelector("#job-status");
                return s && s.dataset.status === "done" && !s.innerText.includes("Dry run"); }""",
            timeout=30000,
        )
        assert confirms and "every account" in confirms[0]
    assert Account.objects.get(pk=big.pk).tier == "vip"
    page.goto(f"{live_server.url}/accounts/{big.pk}/")
    # the tier card is a panel: htmx loads it when it scrolls into view
    page.locator("#tier-card").get_by_text("VIP").first.wait_for(state="visible", timeout=10000)
    assert "Tier changed" in page.inner_text("[data-testid=timeline]")
