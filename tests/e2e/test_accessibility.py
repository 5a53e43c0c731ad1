"""Every page, in both languages, passes axe-core with no serious or critical violation.

The demo data fills the pages (tiers, RFM grid, timeline, tier history), so what is checked
is what users see. Later apps add their pages to PAGES (or check them in their own tests
with the `assert_accessible` fixture)."""

import pytest
from django.core.management import call_command

from accounts.models import Account, Contact
from tiering.models import RecomputeJob

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Demo-pass-123!"


@pytest.fixture
def demo(settings):
    settings.DEMO_PASSWORD = PASSWORD
    call_command("seed_demo", accounts=15, transactions=150, stdout=open("/dev/null", "w"))  # noqa: SIM115
    account = Account.objects.filter(contacts__isnull=False).order_by("pk").first()
    return {
        "account": account.pk,
        "contact": Contact.objects.filter(account=account).first().pk,
        "job": RecomputeJob.objects.order_by("-pk").first().pk,
    }


def pages(ids):
    a, c, j = ids["account"], ids["contact"], ids["job"]
    return [
        "/",
        "/accounts/",
        "/accounts/?q=zzz-nothing",
        "/accounts/new/",
        f"/accounts/{a}/",
        f"/accounts/{a}/edit/",
        f"/accounts/{a}/archive/",
        f"/accounts/{a}/transactions/",
        f"/accounts/{a}/contacts/new/",
        f"/accounts/contacts/{c}/edit/",
        f"/accounts/{a}/feedback/new/",
        f"/accounts/{a}/competitors/new/",
        "/tiers/",
        "/tiers/rfm/",
        "/tiers/abc/",
        "/tiers/changes/",
        f"/tiers/jobs/{j}/",
        f"/tiers/accounts/{a}/pin/",
        "/auth/password_change/",
        "/no-such-page/",
    ]


def test_every_page_passes_axe_in_both_languages(demo, sign_in, page, live_server, use_language, assert_accessible):
    page.goto(f"{live_server.url}/auth/login/")
    assert_accessible(page)
    sign_in("admin", PASSWORD)
    for language in ("en", "zh-hans"):
        use_language(language)
        for path in pages(demo):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("lang") == language
            assert_accessible(page)
