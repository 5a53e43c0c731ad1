import pytest
from django.urls import reverse

from service_requests.models import ServiceRequest
from tests.accounts.factories import AccountFactory
from tests.users.factories import DepartmentFactory

from .factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


def test_the_queue_lists_visible_requests_with_filters(client_for, manager, other_manager):
    mine = ServiceRequestFactory(account=AccountFactory(owner=manager), subject="Mine")
    ServiceRequestFactory(account=AccountFactory(owner=other_manager), subject="Theirs")
    response = client_for(manager).get(reverse("service_requests:list"), {"queue": "open"})
    assert response.status_code == 200
    assert mine.number in response.text and "Theirs" not in response.text


def test_the_list_page_makes_a_constant_number_of_queries(client_for, director, django_assert_max_num_queries):
    for _ in range(3):
        ServiceRequestFactory()
    client = client_for(director)
    url = reverse("service_requests:list") + "?queue=open"
    client.get(url)
    with django_assert_max_num_queries(16):
        client.get(url)
    for _ in range(20):
        ServiceRequestFactory()
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


def test_opening_a_request_from_the_phone_form(client_for, service_agent, benefits):
    account = AccountFactory(tier="vip")
    client = client_for(service_agent)
    response = client.get(reverse("service_requests:create"), {"q": account.name[:9]})
    assert account.name in response.text
    response = client.post(
        reverse("service_requests:create") + f"?account={account.pk}",
        {
            "account": account.pk,
            "channel": "phone",
            "category": "fault",
            "priority": "normal",
            "subject": "No signal",
            "department": DepartmentFactory().pk,
        },
    )
    sr = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == sr.get_absolute_url()
    assert sr.status == "dispatched" and sr.subject == "No signal"


def test_the_request_page_shows_clocks_and_an_illegal_move_is_a_message(client_for, manager):
    sr = ServiceRequestFactory(account=AccountFactory(owner=manager))
    client = client_for(manager)
    page = client.get(sr.get_absolute_url())
    assert page.status_code == 200 and "First response" in page.text
    response = client.post(
        reverse("service_requests:transition", args=[sr.pk]), {"to": "closed", "version": sr.version}, follow=True
    )
    assert "cannot become" in response.text
    assert ServiceRequest.objects.get(pk=sr.pk).status == "new"


def test_another_managers_request_pages_answer_404(client_for, manager, other_manager):
    sr = ServiceRequestFactory(account=AccountFactory(owner=other_manager))
    client = client_for(manager)
    for name in ("detail", "edit"):
        assert client.get(reverse(f"service_requests:{name}", args=[sr.pk])).status_code == 404
    for name in ("assign", "transition", "comment", "attachment"):
        assert client.post(reverse(f"service_requests:{name}", args=[sr.pk]), {}).status_code == 404


def test_bulk_assign_routes_only_visible_requests(client_for, manager, other_manager):
    mine = ServiceRequestFactory(account=AccountFactory(owner=manager))
    theirs = ServiceRequestFactory(account=AccountFactory(owner=other_manager))
    dept = DepartmentFactory()
    response = client_for(manager).post(
        reverse("service_requests:bulk_assign"),
        {"ids": [mine.pk, theirs.pk], "department": dept.pk, "assignee": manager.pk},
    )
    assert response.status_code == 302
    assert ServiceRequest.objects.get(pk=mine.pk).department == dept
    assert ServiceRequest.objects.get(pk=theirs.pk).department is None


def test_the_account_panel_lists_open_requests(client_for, manager):
    account = AccountFactory(owner=manager)
    sr = ServiceRequestFactory(account=account)
    response = client_for(manager).get(reverse("accounts:panel", args=[account.pk, "service_requests.open"]))
    assert response.status_code == 200 and sr.number in response.text


def test_attachments_are_checked_for_type(client_for, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sr = ServiceRequestFactory(account=AccountFactory(owner=manager))
    client = client_for(manager)
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(reverse("service_requests:attachment", args=[sr.pk]), {"file": bad}, follow=True)
    assert "not accepted" in response.text and not sr.attachments.exists()
    good = SimpleUploadedFile("photo.png", b"\x89PNG....", content_type="image/png")
    client.post(reverse("service_requests:attachment", args=[sr.pk]), {"file": good})
    assert sr.attachments.get().name == "photo.png"


def test_the_detail_page_in_chinese_reads_as_chinese_sentences(client_for, manager):
    """The service-level basis is one sentence (no English comma and full stop glued on), and a
    comment on the history reads 'SR… 已告知客户：…' with a full-width colon."""
    sr = ServiceRequestFactory(account=AccountFactory(owner=manager), tier_at_intake="small", business_hours=True)
    client = client_for(manager)
    client.post(reverse("service_requests:comment", args=[sr.pk]), {"body": "工程师明天上门"})
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("service_requests:detail", args=[sr.pk])).text
    assert "按受理时的“小客户”等级时限，仅计工作时间。" in page
    assert "工作时间." not in page
    assert f"{sr.number} 已告知客户：工程师明天上门" in page
    sr.business_hours = False
    sr.save(update_fields=["business_hours"])
    page = client.get(reverse("service_requests:detail", args=[sr.pk])).text
    assert "按受理时的“小客户”等级时限。" in page


def test_what_is_left_of_a_business_hours_deadline_says_it_counts_business_hours(client_for, manager):
    """The header counts down to the deadline on the clock ("due in 1 day, 2 hours"); the service
    level box counts what is left in business hours ("11 hours left" read as a contradiction)."""
    sr = ServiceRequestFactory(account=AccountFactory(owner=manager), tier_at_intake="small", business_hours=True)
    client = client_for(manager)
    left = client.get(reverse("service_requests:detail", args=[sr.pk])).text.split('data-testid="sla-left">')[1]
    assert "of business time left" in left.split("</span>")[0]
    client.cookies["django_language"] = "zh-hans"
    left = client.get(reverse("service_requests:detail", args=[sr.pk])).text.split('data-testid="sla-left">')[1]
    assert left.startswith("剩余 ") and "（按工作时间）" in left.split("</span>")[0]
    sr.business_hours = False
    sr.save(update_fields=["business_hours"])
    client.cookies["django_language"] = "en"
    left = client.get(reverse("service_requests:detail", args=[sr.pk])).text.split('data-testid="sla-left">')[1]
    assert "business" not in left.split("</span>")[0] and " left" in left.split("</span>")[0]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_refused_close_shows_the_form_again_as_entered_with_the_rating_scale(client_for, service_agent, language):
    """Rating picked, 'customer informed' not ticked: the error under the box, the rating and the
    attempts still there, and the rating reads as the callback form's (stars, the 1-5 scale shown)."""
    from django.utils import timezone, translation

    sr = ServiceRequestFactory(account=AccountFactory(tier="vip"), status="resolved", resolved_at=timezone.now())
    client = client_for(service_agent)
    client.cookies["django_language"] = language
    with translation.override(language):
        hint = translation.gettext("1 = very unhappy, 5 = very happy.")
        refusal = translation.gettext(
            "Close only when the customer knows the outcome, or record that they were unreachable."
        )
    page = client.get(sr.get_absolute_url()).text
    assert hint in page and '<option value="5">5 ★</option>' in page

    response = client.post(
        reverse("service_requests:transition", args=[sr.pk]),
        {"to": "closed", "version": sr.version, "rating": "4", "contact_attempts": "10:00 无人接听"},
    )
    assert response.status_code == 200
    assert ServiceRequest.objects.get(pk=sr.pk).status == "resolved"
    page = response.text
    assert refusal in page and hint in page
    assert '<option value="4" selected>4 ★</option>' in page
    assert ">10:00 无人接听</textarea>" in page


def test_the_change_fields_are_one_box_the_page_script_shows_only_for_a_change_request(client_for, service_agent):
    """Without scripts every field is there; the change request's fields sit in one box that
    app.js shows only while the category is a change request (tests/e2e checks it in a browser)."""
    import re

    account = AccountFactory(tier="vip")
    page = client_for(service_agent).get(reverse("service_requests:create"), {"account": account.pk}).text
    box = re.search(r'<fieldset[^>]*data-shown-when="id_category" data-shown-value="change".*?</fieldset>', page, re.S)
    assert box, "the change fields' box"
    for name in ("change_kind", "new_name", "new_holder", "new_address", "new_region", "suspend_from", "new_capacity"):
        assert f'name="{name}"' in box.group(0) and page.count(f'name="{name}"') == 1
    for name in ("category", "subject", "description", "department"):
        assert f'name="{name}"' in page and f'name="{name}"' not in box.group(0)


def test_a_refused_close_keeps_the_address_of_the_request_page(client_for, service_agent):
    """The step forms post to the request's own page (it dispatches the step), so a refused close
    shows the page again — the entered values kept, the error by its field — at the page's address,
    not at an action URL; the page script then replaces the history entry, so a reload is a plain
    GET of the page, not a resent form. A close that passes goes back to the page."""
    from django.utils import timezone

    sr = ServiceRequestFactory(account=AccountFactory(tier="vip"), status="resolved", resolved_at=timezone.now())
    detail = sr.get_absolute_url()
    client = client_for(service_agent)
    page = client.get(detail).text
    assert f'action="{detail}#step-closed"' in page
    assert reverse("service_requests:transition", args=[sr.pk]) not in page

    response = client.post(detail, {"to": "closed", "version": sr.version, "rating": "4", "contact_attempts": "x"})
    assert response.status_code == 200 and response.request["PATH_INFO"] == detail
    assert ServiceRequest.objects.get(pk=sr.pk).status == "resolved"
    page = response.text
    assert "Close only when the customer knows the outcome" in page
    assert '<option value="4" selected>4 ★</option>' in page and ">x</textarea>" in page
    assert f'data-replace-url="{detail}"' in page
    assert "data-replace-url" not in client.get(detail).text  # only after a refused step

    response = client.post(detail, {"to": "closed", "version": sr.version, "rating": "4", "customer_informed": "on"})
    assert response.status_code == 302 and response.url == detail
    assert ServiceRequest.objects.get(pk=sr.pk).status == "closed"


def test_the_request_page_takes_a_step_only_from_who_may_change_requests(
    client_for, finance_user, manager, other_manager
):
    theirs = ServiceRequestFactory(account=AccountFactory(owner=other_manager))
    mine = ServiceRequestFactory(account=AccountFactory(owner=manager))
    assert client_for(finance_user).post(mine.get_absolute_url(), {"to": "in_progress"}).status_code == 403
    client = client_for(manager)
    assert client.post(theirs.get_absolute_url(), {"to": "in_progress", "version": 1}).status_code == 404
    assert ServiceRequest.objects.get(pk=theirs.pk).status == theirs.status
