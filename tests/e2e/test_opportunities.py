"""The pipeline board in a real browser: a card dragged to another stage is saved there (htmx
posts the move, the board comes back with new totals); the stage select does the same without a
mouse, at phone width; the pages pass axe-core's serious checks in English and Chinese."""

from decimal import Decimal

import pytest
from axe_core_python.sync_playwright import Axe

from opportunities.models import Opportunity, Quote
from tests.accounts.factories import AccountFactory
from tests.opportunities.factories import OpportunityFactory, default_stages
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Pw-123456!"


def _signed_in(browser, live_server, username, width=1366, lang="en"):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")
    if lang != "en":
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    return context, page


def _drag(page, source, target):
    goal = target.bounding_box()
    # hold the card by its account line (the title is a link, the select a control: not handles)
    grip = source.locator("[data-testid=card-account]").bounding_box()
    page.mouse.move(grip["x"] + 10, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(grip["x"] + 20, grip["y"] + grip["height"] / 2 + 10, steps=5)
    x, y = goal["x"] + goal["width"] / 2, goal["y"] + min(goal["height"] / 2, 40)
    page.mouse.move(x, y, steps=25)
    page.mouse.move(x + 4, y + 6, steps=5)  # settle over the column: Sortable takes the last hovered one
    page.wait_for_timeout(150)
    page.mouse.up()


def test_a_card_dragged_to_another_stage_is_saved_there(browser, live_server):
    stages = default_stages()
    manager = UserFactory(username="li", password=PASSWORD, role=Role.MANAGER)
    account = AccountFactory(owner=manager, name="恒通能源有限公司")
    opp = OpportunityFactory(account=account, owner=manager, title="Grid monitoring", stage=stages["need"])
    OpportunityFactory(account=account, owner=manager, title="Already evaluating", stage=stages["evaluation"])

    # wide enough for every column beside the sidebar: the mouse drags only within the viewport
    context, page = _signed_in(browser, live_server, "li", width=1920)
    page.goto(f"{live_server.url}/opportunities/")
    card = page.locator(f"[data-testid=card-{opp.pk}]")
    target = page.locator("[data-testid=column-evaluation] [data-stage-column]")
    with page.expect_response(lambda r: "/move/" in r.url):
        _drag(page, card, target)
    page.wait_for_selector("[data-testid=board-message]")

    opp.refresh_from_db()
    assert opp.stage.code == "evaluation" and opp.probability == 60
    assert page.locator(f"[data-testid=column-evaluation] [data-testid=card-{opp.pk}]").count() == 1
    assert "2 deals" in page.locator("[data-testid=column-total-evaluation]").inner_text()
    # after the board came back, the next drag works too (Sortable set up again)
    with page.expect_response(lambda r: "/move/" in r.url):
        _drag(
            page,
            page.locator(f"[data-testid=card-{opp.pk}]"),
            page.locator("[data-testid=column-decision] [data-stage-column]"),
        )
    opp.refresh_from_db()
    assert opp.stage.code == "decision"
    context.close()


def test_the_stage_select_moves_a_card_at_phone_width_and_won_asks_the_reason(browser, live_server):
    stages = default_stages()
    manager = UserFactory(username="wang", password=PASSWORD, role=Role.MANAGER)
    opp = OpportunityFactory(account=AccountFactory(owner=manager), owner=manager, stage=stages["decision"])

    context, page = _signed_in(browser, live_server, "wang", width=375)
    page.goto(f"{live_server.url}/opportunities/")
    page.select_option(f"[data-testid=stage-select-{opp.pk}]", str(stages["screening"].pk))
    page.wait_for_selector("[data-testid=board-message]")
    opp.refresh_from_db()
    assert opp.stage.code == "screening"

    page.select_option(f"[data-testid=stage-select-{opp.pk}]", str(stages["won"].pk))
    page.wait_for_url("**/move/**")
    page.select_option("#id_reason", "relationship")
    page.click("[data-testid=move-save]")
    page.wait_for_load_state("networkidle")
    opp.refresh_from_db()
    assert opp.stage.code == "won" and opp.close_reason == "relationship"
    assert Opportunity.objects.get(pk=opp.pk).stage_changes.count() == 3
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_pages_pass_axe(browser, live_server, lang):
    stages = default_stages()
    manager = UserFactory(username=f"axe-{lang}", password=PASSWORD, role=Role.MANAGER)
    opp = OpportunityFactory(account=AccountFactory(owner=manager), owner=manager, stage=stages["evaluation"])
    context, page = _signed_in(browser, live_server, f"axe-{lang}", lang=lang)
    axe = Axe()
    for path in (
        "/opportunities/",
        "/opportunities/list/",
        f"/opportunities/{opp.pk}/",
        "/opportunities/forecast/",
        "/opportunities/analysis/",
        "/opportunities/new/",
        f"/opportunities/{opp.pk}/quotes/new/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        result = axe.run(page, context="main")  # the shared menu bar is checked by its own tests
        serious = [
            (v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, serious)
    context.close()


@pytest.mark.parametrize("width", [1366, 375])
def test_lines_added_on_the_quote_form_are_saved_with_the_right_total(browser, live_server, width):
    """'Add line' appends empty rows to the formset (a phone too); a removed row is left out."""
    stages = default_stages()
    manager = UserFactory(username=f"lines-{width}", password=PASSWORD, role=Role.MANAGER)
    opp = OpportunityFactory(account=AccountFactory(owner=manager), owner=manager, stage=stages["evaluation"])
    context, page = _signed_in(browser, live_server, f"lines-{width}", width=width)
    page.goto(f"{live_server.url}/opportunities/{opp.pk}/quotes/new/")
    assert page.locator("[data-quote-line]").count() == 1
    page.fill("[name=lines-0-product]", "Core switch")
    page.fill("[name=lines-0-quantity]", "2")
    page.fill("[name=lines-0-unit_price]", "1000")
    page.click("[data-testid=add-line]")
    page.click("[data-testid=add-line]")
    assert page.locator("[data-quote-line]").count() == 3
    assert page.input_value("[name=lines-TOTAL_FORMS]") == "3"
    # the new row has the focus: typed straight in
    assert page.evaluate("document.activeElement.name") == "lines-2-product"
    page.fill("[name=lines-1-product]", "Installation")
    page.fill("[name=lines-1-quantity]", "1")
    page.fill("[name=lines-1-unit_price]", "500")
    page.fill("[name=lines-1-discount_percent]", "10")
    page.fill("[name=lines-2-product]", "Support")
    page.fill("[name=lines-2-quantity]", "3")
    page.fill("[name=lines-2-unit_price]", "99.99")
    # a fourth row, filled then removed: not saved
    page.click("[data-testid=add-line]")
    page.fill("[name=lines-3-product]", "Mistake")
    page.fill("[name=lines-3-quantity]", "1")
    page.fill("[name=lines-3-unit_price]", "1")
    page.click("[data-testid=remove-line-3]")
    assert not page.locator("[data-testid=line-3]").is_visible()
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=quote-total]")

    quote = Quote.objects.get(opportunity=opp)
    assert list(quote.lines.values_list("product", flat=True)) == ["Core switch", "Installation", "Support"]
    # 2 × 1000 + 1 × 500 × 0.9 + 3 × 99.99
    assert quote.total == Decimal("2749.97")
    assert "2,749.97" in page.locator("[data-testid=quote-total]").inner_text()
    context.close()
