"""At 375 px every list page folds its filters behind one "Filters" button and shows results first.

Issue 10 item 11: the filter form stays hidden until the button is pressed, and the first result
is on the first screen (375×812) without scrolling. The fold is one shared piece
(core/templatetags/list_filters.py, includes/filters_fold.html); on wider screens the same
filters sit open in the search row."""

import pytest
from django.core.management import call_command

from accounts.models import Account
from tests.reminders.factories import NotificationFactory
from tests.users.factories import UserFactory
from users.models import User
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Demo-pass-123!"
WIDTH, HEIGHT = 375, 812

# (path, the first result's selector): every list page with filters.
LISTS = [
    ("/accounts/", "#account-results tbody tr"),
    ("/visits/list/", "#results tbody tr"),
    ("/visits/callbacks/", "#results tbody tr"),
    ("/visits/follow-ups/?status=", "#results [data-testid=follow-up]"),
    ("/visits/overdue/", "#results [data-testid=overdue-row]"),
    ("/requests/?queue=all", "#request-results tbody tr"),
    ("/contracts/", "#contract-results tbody tr"),
    ("/contracts/payments/", "main tbody tr"),
    ("/contracts/receivables/", "main tbody tr"),
    ("/opportunities/list/", "#opportunity-results tbody tr"),
    ("/opportunities/", "[data-testid=card-account]"),
    ("/opportunities/forecast/", "main tbody tr"),
    ("/reminders/", "[data-testid=notification]"),
    ("/reports/composition/", "main canvas, main tbody tr"),
    ("/tiers/changes/", "main .list-group-item"),
    ("/tiers/abc/", "main tbody tr"),
]


@pytest.fixture
def demo(settings):
    settings.DEMO_PASSWORD = PASSWORD
    call_command("seed_demo", accounts=15, transactions=150, stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = User.objects.get(username="admin")
    NotificationFactory(recipient=admin, account=Account.objects.order_by("pk").first())
    return admin


@pytest.fixture
def phone(page, sign_in, demo):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return sign_in("admin", PASSWORD)


def test_every_list_folds_its_filters_and_shows_a_result_on_the_first_screen(phone, live_server):
    problems = []
    for path, first_result in LISTS:
        phone.goto(f"{live_server.url}{path}")
        phone.wait_for_load_state("networkidle")
        fold, toggle = phone.locator("[data-testid=filters-fold]"), phone.locator("[data-testid=filters-toggle]")
        if fold.count() != 1 or toggle.count() != 1:
            problems.append(f"{path}: {fold.count()} filter folds and {toggle.count()} Filters buttons, not one")
            continue
        if fold.is_visible() or not toggle.is_visible():
            problems.append(f"{path}: the filters are open, or the Filters button is hidden, on a phone")
        row = phone.locator(first_result).first
        box = row.bounding_box() if row.count() else None
        if box is None or box["y"] < 0 or box["y"] + min(box["height"], 60) > HEIGHT:
            problems.append(f"{path}: the first result is not on the first screen ({box})")
        if phone.evaluate("document.documentElement.scrollWidth") > WIDTH:
            problems.append(f"{path}: the page scrolls sideways")
        # a table in a scrolling box keeps the page narrow but still hides columns off to the side
        wide = phone.evaluate(
            "[...document.querySelectorAll('main .table-responsive')]"
            ".filter(b => b.offsetParent && b.scrollWidth > b.clientWidth + 1).length"
        )
        if wide:
            problems.append(f"{path}: {wide} table(s) scroll sideways in their box")
        toggle.click()
        fold.wait_for(state="visible")
        control = fold.locator("select, input:not([type=hidden]), button[type=submit]").first
        if not control.is_visible():
            problems.append(f"{path}: the Filters button did not show the filters")
    assert not problems, "\n".join(problems)


def test_the_filters_sit_open_on_a_wide_screen(phone, live_server):
    phone.set_viewport_size({"width": 1366, "height": 900})
    phone.goto(f"{live_server.url}/contracts/")
    assert phone.locator("[data-testid=filters-fold] select[name=status]").is_visible()
    assert not phone.locator("[data-testid=filters-toggle]").is_visible()
    button = phone.locator("[data-testid=filters-fold] button[type=submit]")
    assert phone.evaluate("b => getComputedStyle(b).whiteSpace", button.element_handle()) == "nowrap"


def test_the_filter_count_shows_on_the_button(phone, live_server):
    phone.goto(f"{live_server.url}/contracts/?status=active&type=")
    assert phone.locator("[data-testid=filters-active]").inner_text().startswith("1")


def test_the_sign_in_page_names_the_product_on_a_phone(page, live_server):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(f"{live_server.url}/auth/login/")
    name = page.locator("[data-testid=product-name]")
    assert name.is_visible() and name.inner_text() == "Key-account CRM"


def test_the_search_shortcut_hint_shows_from_md_up_only(page, sign_in):
    UserFactory(username="sun", password="Pw-123456!", role=Role.SERVICE)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    phone = sign_in("sun", "Pw-123456!")
    hint = phone.locator("[data-testid=search-shortcut]")
    assert "/" not in phone.locator("[data-testid=global-search]").get_attribute("placeholder")
    assert not hint.is_visible()
    phone.set_viewport_size({"width": 1366, "height": 900})
    assert hint.is_visible() and hint.inner_text() == "/"
    phone.fill("[data-testid=global-search]", "13")
    assert not hint.is_visible()  # gone once the box has text (or focus)


def test_receivables_fit_a_phone_without_scrolling_the_table(phone, live_server):
    """On a phone the receivables table keeps contract, outstanding (with the overdue part under it)
    and the payment button: nothing to scroll sideways to."""
    phone.goto(f"{live_server.url}/contracts/receivables/")
    table = phone.locator("main .table-responsive").first
    assert phone.locator("main tbody tr").count() > 0
    overflow = phone.evaluate("t => t.scrollWidth - t.clientWidth", table.element_handle())
    assert overflow <= 0, f"the table scrolls {overflow} px sideways"
    headers = [th.inner_text().strip() for th in phone.locator("main thead th").all() if th.is_visible()]
    assert "Overdue" not in " ".join(headers)  # shown under the outstanding amount instead
    assert "Outstanding" in " ".join(headers)
