import pytest

from service_requests.models import ServiceRequest
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.service_requests.factories import ServiceRequestFactory
from tests.users.factories import DepartmentFactory, UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_service_opens_works_and_closes_a_request_with_a_rating(sign_in, page, live_server):
    UserFactory(username="sun", password="Pw-123456!", full_name="Sun Li", role=Role.SERVICE)
    account = AccountFactory(name="恒通能源有限公司", tier="vip")
    ContactFactory(account=account, name="陈经理", is_primary=True)
    DepartmentFactory(code="service", name="Customer Service")
    sign_in("sun", "Pw-123456!")

    page.goto(f"{live_server.url}/requests/new/")
    page.fill("#account-q", "恒通")
    page.get_by_role("link", name="恒通能源有限公司").click()
    page.wait_for_load_state("networkidle")
    # the change request's fields show only for that category (a fault scrolls past none of them)
    change_fields = ("#id_change_kind", "#id_new_name", "#id_new_holder", "#id_suspend_from", "#id_new_capacity")
    assert not any(page.locator(f).is_visible() for f in change_fields)
    page.select_option("#id_category", "change")
    assert all(page.locator(f).is_visible() for f in change_fields)
    page.select_option("#id_category", "fault")
    assert not any(page.locator(f).is_visible() for f in change_fields)
    page.fill("#id_subject", "专线中断 Line down")
    page.select_option("#id_department", label="Customer Service")
    page.select_option("#id_assignee", label="Sun Li")
    page.get_by_role("button", name="Open request").click()
    page.wait_for_load_state("networkidle")
    assert "opened" in page.content()
    sr = ServiceRequest.objects.get()
    assert sr.status == "dispatched" and sr.tier_at_intake == "vip"

    page.get_by_role("button", name="Start work").click()
    page.wait_for_load_state("networkidle")
    page.fill("#id_resolution", "Replaced the fibre patch cord")
    page.locator("#step-resolved").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state("networkidle")
    # closing without the customer's word is refused with a clear message; the rating picked stays
    assert page.locator("#step-closed").get_by_text("1 = very unhappy, 5 = very happy.").is_visible()
    page.select_option("#id_rating", "5")
    page.locator("#step-closed").get_by_role("button", name="Close").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#step-closed").get_by_text("Close only when the customer knows the outcome").is_visible()
    assert page.locator("#id_rating").input_value() == "5"
    page.check("#id_customer_informed")
    page.locator("#step-closed").get_by_role("button", name="Close").click()
    page.wait_for_load_state("networkidle")
    sr.refresh_from_db()
    assert (sr.status, sr.rating, sr.customer_informed) == ("closed", 5, True)
    assert "rated 5/5" in page.content()


def test_the_queue_on_a_phone(sign_in, page, live_server):
    UserFactory(username="sun2", password="Pw-123456!", role=Role.SERVICE)
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in("sun2", "Pw-123456!")
    page.goto(f"{live_server.url}/requests/")
    assert page.get_by_text("No requests here.").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_refused_close_stays_at_the_request_page_and_a_reload_does_not_resend_it(sign_in, page, live_server):
    from django.utils import timezone

    UserFactory(username="sun-close", password="Pw-123456!", role=Role.SERVICE)
    sr = ServiceRequestFactory(account=AccountFactory(tier="vip"), status="resolved", resolved_at=timezone.now())
    detail = f"{live_server.url}{sr.get_absolute_url()}"
    sign_in("sun-close", "Pw-123456!")
    page.goto(detail)
    page.select_option("#id_rating", "4")
    page.fill("#id_attempts", "10:00 no answer")
    page.locator("#step-closed").get_by_role("button", name="Close").click()
    page.wait_for_load_state("networkidle")
    # refused: the error by its field, what was entered kept, and the address is the request's page
    assert page.locator("#step-closed").get_by_text("Close only when the customer knows the outcome").is_visible()
    assert page.locator("#id_rating").input_value() == "4"
    assert page.locator("#id_attempts").input_value() == "10:00 no answer"
    assert page.url.split("#")[0] == detail
    # a reload asks the page again (GET), it does not resend the refused form
    navigations = []
    page.on("request", lambda r: navigations.append(r.method) if r.is_navigation_request() else None)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert navigations == ["GET"] and page.url.split("#")[0] == detail
    sr.refresh_from_db()
    assert sr.status == "resolved"
