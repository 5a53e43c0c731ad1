import datetime
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from accounts.models import Account, AccountEvent
from tests.accounts.factories import AccountFactory, ContactFactory
from visits.models import CalendarFeed, Callback, FollowUp, Note, Visit

from .factories import CallbackFactory, FollowUpFactory, VisitFactory

pytestmark = pytest.mark.django_db


class TestPagesRender:
    @pytest.mark.parametrize(
        "path",
        [
            "/visits/calendar/",
            "/visits/calendar/?view=week",
            "/visits/list/",
            "/visits/callbacks/",
            "/visits/follow-ups/",
            "/visits/worklist/",
            "/visits/overdue/",
            "/visits/coverage/",
            "/visits/coverage/?month=2026-01",
            "/visits/new/",
            "/visits/follow-ups/new/",
            "/visits/calendar/subscribe/",
        ],
    )
    def test_manager_pages(self, client_for, manager, path):
        VisitFactory(account=AccountFactory(owner=manager), owner=manager)
        response = client_for(manager).get(path)
        assert response.status_code == 200

    def test_home_sends_service_to_the_worklist_and_managers_to_the_calendar(self, client_for, service_agent, manager):
        assert client_for(service_agent).get("/visits/").url == "/visits/worklist/"
        assert client_for(manager).get("/visits/").url == "/visits/calendar/"

    def test_service_reads_visits_and_logs_callbacks_but_plans_no_visit(self, client_for, service_agent):
        client = client_for(service_agent)
        assert client.get("/visits/list/").status_code == 200
        assert client.get("/visits/worklist/").status_code == 200
        assert client.get("/visits/new/").status_code == 403
        account = AccountFactory()
        modes = client.get(f"/accounts/{account.pk}/panels/visits.composer/").content.decode()
        assert 'data-testid="compose-callback"' in modes and 'data-testid="compose-visit"' not in modes

    def test_finance_is_refused(self, client_for, finance_user):
        assert client_for(finance_user).get("/visits/list/").status_code == 403
        assert client_for(finance_user).get("/visits/worklist/").status_code == 403


class TestOtherManagersObjectsAnswer404:
    def test_every_route(self, client_for, manager, other_manager):
        account = AccountFactory(owner=other_manager)
        visit = VisitFactory(account=account)
        callback = CallbackFactory(account=account, problem_raised=True, problem="x", problem_status="open")
        follow_up = FollowUpFactory(account=account)
        client = client_for(manager)
        for method, path in [
            ("get", f"/visits/{visit.pk}/"),
            ("get", f"/visits/{visit.pk}/edit/"),
            ("post", f"/visits/{visit.pk}/confirm/"),
            ("get", f"/visits/{visit.pk}/record/"),
            ("get", f"/visits/{visit.pk}/cancel/"),
            ("get", f"/visits/callbacks/{callback.pk}/"),
            ("post", f"/visits/callbacks/{callback.pk}/resolve/"),
            ("get", f"/visits/follow-ups/{follow_up.pk}/"),
            ("post", f"/visits/follow-ups/{follow_up.pk}/done/"),
            ("get", f"/visits/accounts/{account.pk}/compose/?mode=callback"),
            ("post", f"/visits/accounts/{account.pk}/compose/"),
            ("get", f"/accounts/{account.pk}/panels/visits.activity/"),
            ("get", f"/accounts/{account.pk}/panels/visits.composer/"),
            ("get", f"/visits/new/?account={account.pk}"),
            ("get", f"/visits/follow-ups/new/?account={account.pk}"),
            ("get", f"/visits/calendar/?person={other_manager.pk}"),
            ("get", f"/accounts/{account.pk}/timeline/"),
        ]:
            assert getattr(client, method)(path).status_code == 404, path
        visit.refresh_from_db()
        assert visit.status == Visit.Status.PLANNED

    def test_lists_and_exports_hide_them(self, client_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager, name="Theirs Co")
        VisitFactory(account=theirs)
        CallbackFactory(account=theirs)
        client = client_for(manager)
        for path in ["/visits/list/", "/visits/callbacks/", "/visits/list/export.csv", "/visits/callbacks/export.csv"]:
            response = client.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert "Theirs Co" not in body.decode("utf-8-sig"), path


class TestQueryCounts:
    @pytest.mark.parametrize(
        "path,factory",
        [
            ("/visits/list/", "visit"),
            ("/visits/callbacks/", "callback"),
            ("/visits/follow-ups/?status=open", "follow_up"),
            ("/visits/overdue/", "account"),
            ("/visits/worklist/", "account"),
            ("/visits/calendar/", "visit"),
            ("/visits/coverage/", "visit"),
        ],
    )
    def test_constant(self, client_for, manager, django_assert_max_num_queries, path, factory):
        client = client_for(manager)

        def make(n):
            for _ in range(n):
                account = AccountFactory(owner=manager, tier="vip", last_contact_at=None)
                ContactFactory(account=account)
                if factory == "visit":
                    VisitFactory(account=account, owner=manager)
                elif factory == "callback":
                    CallbackFactory(account=account, contact=account.contacts.first(), created_by=manager)
                elif factory == "follow_up":
                    FollowUpFactory(account=account, assignee=manager)

        make(2)
        with django_assert_max_num_queries(25) as few:
            client.get(path)
        make(10)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(path).status_code == 200


class TestComposer:
    def test_logs_a_callback_without_a_page_reload(self, client_for, service_agent):
        account = AccountFactory()
        contact = ContactFactory(account=account)
        client = client_for(service_agent)
        form = client.get(
            f"/visits/accounts/{account.pk}/compose/?mode=callback&contact={contact.pk}", HTTP_HX_REQUEST="true"
        )
        assert b"<html" not in form.content and f'value="{contact.pk}" selected'.encode() in form.content
        response = client.post(
            f"/visits/accounts/{account.pk}/compose/",
            {"mode": "callback", "contact": contact.pk, "summary": "Happy with the new line", "channel": "phone"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200 and response["HX-Trigger"] == "activity-logged"
        assert b'data-testid="composer-saved"' in response.content
        callback = Callback.objects.get()
        assert callback.contact == contact and callback.channel == "phone" and callback.created_by == service_agent
        assert abs((callback.occurred_at - timezone.now()).total_seconds()) < 60

    def test_errors_come_back_in_the_form(self, client_for, manager):
        account = AccountFactory(owner=manager)
        response = client_for(manager).post(
            f"/visits/accounts/{account.pk}/compose/", {"mode": "callback", "summary": ""}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200 and b"invalid-feedback" in response.content
        assert not Callback.objects.exists()

    def test_note_and_visit_outcome_with_next_step(self, client_for, manager):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
        client.post(f"/visits/accounts/{account.pk}/compose/", {"mode": "note", "body": "New CIO"})
        assert Note.objects.get().body == "New CIO"
        visit = VisitFactory(account=account, owner=manager, planned_start=timezone.now() - datetime.timedelta(hours=2))
        response = client.post(
            f"/visits/accounts/{account.pk}/compose/",
            {
                "mode": "visit",
                "visit": visit.pk,
                "kind": "on_site",
                "outcome": "Signed",
                "next_step": "Invoice",
                "next_step_on": due,
            },
        )
        assert b"composer-saved" in response.content
        visit.refresh_from_db()
        assert visit.status == Visit.Status.DONE
        assert FollowUp.objects.get(visit=visit).due_on.isoformat() == due
        client.post(
            f"/visits/accounts/{account.pk}/compose/",
            {"mode": "visit", "kind": "video", "purpose": "Unplanned call-in", "outcome": "Fine"},
        )
        assert Visit.objects.filter(status="done", kind="video").count() == 1

    def test_the_360_page_carries_the_composer_and_the_phone_bar(
        self, client_for, manager, django_assert_max_num_queries
    ):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        with django_assert_max_num_queries(13):
            html = client.get(f"/accounts/{account.pk}/").content.decode()
        assert 'data-panel="visits.composer"' in html and 'data-panel="visits.activity"' in html
        composer = client.get(f"/accounts/{account.pk}/panels/visits.composer/").content.decode()
        assert 'data-testid="composer"' in composer and 'data-testid="action-bar"' in composer
        card = client.get(f"/accounts/{account.pk}/panels/visits.activity/").content.decode()
        assert "Visits and follow-ups" in card and 'data-testid="contact-due"' in card

    def test_finance_sees_neither_the_composer_nor_the_card(self, client_for, finance_user):
        account = AccountFactory()
        client = client_for(finance_user)
        html = client.get(f"/accounts/{account.pk}/").content.decode()
        assert "visits.composer" not in html and "visits.activity" not in html
        assert client.get(f"/accounts/{account.pk}/panels/visits.composer/").status_code == 404

    def test_timeline_refreshes(self, client_for, manager):
        account = AccountFactory(owner=manager)
        AccountEvent.objects.create(
            account=account, kind="note.added", occurred_at=timezone.now(), data={"body": "Hello"}
        )
        assert "Hello" in client_for(manager).get(f"/accounts/{account.pk}/timeline/").content.decode()


class TestCallerLookup:
    def test_one_match_opens_the_composer(self, client_for, service_agent):
        account = AccountFactory(name="Hengtong")
        ContactFactory(account=account, name="Chen", phone="13800138999")
        response = client_for(service_agent).get("/visits/worklist/caller/?phone=0013 8999")
        assert b'data-testid="composer-form"' in response.content and b"Hengtong" in response.content

    def test_several_matches_are_listed(self, client_for, service_agent):
        account = AccountFactory(name="Hengtong")
        ContactFactory(account=account, name="Chen", phone="13800138999")
        ContactFactory(account=account, name="Wang", phone="13800138998")
        response = client_for(service_agent).get("/visits/worklist/caller/?phone=1380013899")
        assert response.content.count(b'data-testid="caller-match"') == 2


class TestCallerAndComposerWording:
    def test_each_match_shows_the_number_it_matched(self, client_for, service_agent):
        account = AccountFactory(name="Hengtong", phone="02788880000")
        ContactFactory(account=account, name="Chen", phone="13800138999")
        ContactFactory(account=account, name="Wang", phone="13800138998")
        html = client_for(service_agent).get("/visits/worklist/caller/?phone=1380013899").content.decode()
        assert "13800138999" in html and "13800138998" in html

    def test_the_next_step_date_is_not_called_the_operator_in_chinese(self, client_for, service_agent):
        account = AccountFactory()
        client = client_for(service_agent)
        client.cookies["django_language"] = "zh-hans"
        html = client.get(f"/visits/accounts/{account.pk}/compose/?mode=callback", HTTP_HX_REQUEST="true")
        html = html.content.decode()
        assert "完成日期" in html and "操作人" not in html

    def test_a_raised_problem_links_the_request_it_opened(self, client_for, service_agent):
        account = AccountFactory()
        response = client_for(service_agent).post(
            f"/visits/accounts/{account.pk}/compose/",
            {"mode": "callback", "summary": "Line drops", "channel": "phone", "problem_raised": "on"},
            HTTP_HX_REQUEST="true",
        )
        callback = Callback.objects.get()
        assert callback.service_request is not None
        assert f'href="{callback.service_request.get_absolute_url()}"' in response.content.decode()


class TestVisitPages:
    def test_plan_confirm_record_cancel(self, client_for, manager):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        start = (timezone.localtime() - datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(
            f"/visits/new/?account={account.pk}", {"kind": "on_site", "purpose": "Review", "planned_start": start}
        )
        visit = Visit.objects.get()
        assert response.url == visit.get_absolute_url()
        assert timezone.localtime(visit.planned_start).strftime("%Y-%m-%dT%H:%M") == start  # round trip
        client.post(f"/visits/{visit.pk}/confirm/", {"version": visit.version})
        visit.refresh_from_db()
        assert visit.status == "confirmed"
        page = client.get(f"/visits/{visit.pk}/record/")
        assert page.status_code == 200
        client.post(f"/visits/{visit.pk}/record/", {"happened_at": start, "outcome": "Good", "satisfaction": "5"})
        visit.refresh_from_db()
        assert visit.status == "done" and visit.satisfaction == 5
        response = client.post(f"/visits/{visit.pk}/confirm/", follow=True)
        assert "cannot become" in response.content.decode()

    def test_plan_from_the_visits_page_by_account_number(self, client_for, manager, settings):
        settings.LANGUAGE_CODE = "zh-hans"
        account = AccountFactory(owner=manager, number="KA00000099")
        client = client_for(manager)
        start = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        client.post(
            "/visits/new/",
            {"account_ref": "ka00000099", "kind": "video", "purpose": "Demo", "planned_start": start},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        assert Visit.objects.get().account == account
        response = client.post(
            "/visits/new/", {"account_ref": "KA404", "kind": "video", "purpose": "x", "planned_start": start}
        )
        assert response.status_code == 200 and Visit.objects.count() == 1

    def test_cancel_with_reason(self, client_for, manager):
        visit = VisitFactory(account=AccountFactory(owner=manager))
        client_for(manager).post(
            f"/visits/{visit.pk}/cancel/", {"reason": "Customer travelling", "version": visit.version}
        )
        visit.refresh_from_db()
        assert visit.status == "cancelled" and visit.status_reason == "Customer travelling"


class TestCalendarFeed:
    def test_secret_address_lists_my_visits_and_can_be_replaced(self, client_for, manager, client):
        visit = VisitFactory(account=AccountFactory(owner=manager, name="Acme, Inc; East"), owner=manager)
        client_for(manager).get("/visits/calendar/subscribe/")
        token = CalendarFeed.objects.get(user=manager).token
        client.logout()
        response = client.get(f"/visits/calendar/feed/{token}.ics")
        body = response.content.decode()
        assert response["Content-Type"].startswith("text/calendar")
        assert "BEGIN:VCALENDAR" in body and f"UID:visit-{visit.pk}@" in body and "Acme\\, Inc\\; East" in body
        assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
        client_for(manager).post("/visits/calendar/subscribe/")
        client.logout()
        assert client.get(f"/visits/calendar/feed/{token}.ics").status_code == 404

    def test_wrong_token_is_404(self, client):
        assert client.get("/visits/calendar/feed/nope.ics").status_code == 404


class TestCalendarHtmx:
    def test_navigation_returns_the_fragment(self, client_for, manager):
        client = client_for(manager)
        response = client.get("/visits/calendar/?view=week&date=2026-06-03", HTTP_HX_REQUEST="true")
        assert b"<html" not in response.content and b"2026-06-01" in response.content


class TestLongListsCountUpToACap:
    """The worklist and the overdue list can hold most accounts: counting stops at the cap and
    the page says "more than" instead of counting every match."""

    @pytest.fixture(autouse=True)
    def _small_cap(self, monkeypatch):
        monkeypatch.setattr("visits.views.LONG_LIST_CAP", 2)

    def test_overdue_list_says_more_than_the_cap(self, client_for, director):
        for _ in range(3):
            AccountFactory(tier="regular", last_contact_at=None)
        html = client_for(director).get("/visits/overdue/").content.decode()
        assert "More than 2 accounts overdue" in html

    def test_worklist_says_more_than_the_cap(self, client_for, service_agent):
        for _ in range(3):
            AccountFactory(tier="vip", last_contact_at=None)
        html = client_for(service_agent).get("/visits/worklist/").content.decode()
        assert "More than 2 accounts to call back" in html

    @pytest.mark.parametrize(
        "factory_name, path, words",
        [
            ("VisitFactory", "/visits/list/", "More than 2 visits"),
            ("CallbackFactory", "/visits/callbacks/", "More than 2 callbacks"),
            ("FollowUpFactory", "/visits/follow-ups/?status=open", "More than 2 follow-ups"),
        ],
    )
    def test_the_logs_say_more_than_the_cap(self, client_for, director, factory_name, path, words):
        from tests.visits import factories

        for _ in range(3):
            getattr(factories, factory_name)()
        response = client_for(director).get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert words in html and len(response.context["page"].object_list) == 3

    def test_under_the_cap_the_count_is_exact(self, client_for, director):
        AccountFactory(tier="regular", last_contact_at=None)
        html = client_for(director).get("/visits/overdue/").content.decode()
        assert "1 account overdue" in html


class TestCalendarDrawsABoundedDay:
    def test_month_cell_says_how_many_more_and_the_week_links_to_the_list(self, client_for, manager):
        account = AccountFactory(owner=manager)
        day = datetime.date(2026, 6, 3)
        for hour in range(8, 15):  # seven visits on one day
            VisitFactory(
                account=account, owner=manager, planned_start=timezone.make_aware(datetime.datetime(2026, 6, 3, hour))
            )
        client = client_for(manager)
        month = client.get("/visits/calendar/?view=month&date=2026-06-03").content.decode()
        assert "+3 more" in month and "7 visits in this view." in month
        week = client.get("/visits/calendar/?view=week&date=2026-06-03")
        assert week.context["days"][2]["count"] == 7 and week.context["days"][2]["more"] == 0
        import visits.views

        visits.views.WEEK_DAY_VISITS, kept = 5, visits.views.WEEK_DAY_VISITS
        try:
            html = client.get("/visits/calendar/?view=week&date=2026-06-03").content.decode()
        finally:
            visits.views.WEEK_DAY_VISITS = kept
        assert f"date_from={day:%Y-%m-%d}&amp;date_to={day:%Y-%m-%d}" in html and "+2 more in the visit list" in html


class TestCoverageFiguresAreKept:
    """The coverage page adds up every visible account: the counts are kept a minute per user and
    month, as the dashboard's figures; the page says when they were made and a refresh counts again."""

    @pytest.fixture(autouse=True)
    def _own_cache(self, settings):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cov"}}
        settings.FIGURES_CACHE_SECONDS = 60
        from django.core.cache import cache

        cache.clear()  # entries shared by everyone who sees all accounts outlive a test in this process

    @staticmethod
    def _total(response) -> tuple[int, int]:
        tier = next(t for t in response.context["tables"] if t["by"] == "tier")
        return tier["total"].contacted, tier["total"].accounts

    def test_a_reload_reads_the_kept_counts_and_refresh_counts_again(self, client_for, manager):
        AccountFactory(owner=manager, tier="vip")
        client = client_for(manager)
        first = client.get("/visits/coverage/")
        assert self._total(first) == (0, 1)
        assert 'data-testid="figures-as-of"' in first.content.decode()
        account = AccountFactory(owner=manager, tier="vip")
        VisitFactory(account=account, owner=manager, status=Visit.Status.DONE, happened_at=timezone.now())
        assert self._total(client.get("/visits/coverage/")) == (0, 1)  # kept
        assert self._total(client.get("/visits/coverage/?refresh=1")) == (1, 2)

    def test_those_who_see_every_account_share_the_kept_counts(self, client_for, director, manager):
        from users.visibility import figures_audience

        AccountFactory(owner=manager)
        assert self._total(client_for(director).get("/visits/coverage/")) == (0, 1)
        AccountFactory()
        assert self._total(client_for(director).get("/visits/coverage/")) == (0, 1)  # kept
        assert self._total(client_for(manager).get("/visits/coverage/")) == (0, 1)  # their own, counted
        assert figures_audience(director, Account) == "all" and figures_audience(manager, Account) != "all"

    def test_counts_are_kept_per_user_and_per_month(self, client_for, manager, other_manager):
        AccountFactory(owner=manager)
        assert self._total(client_for(manager).get("/visits/coverage/")) == (0, 1)
        assert self._total(client_for(other_manager).get("/visits/coverage/")) == (0, 0)
        AccountFactory(owner=manager)
        client = client_for(manager)
        assert self._total(client.get("/visits/coverage/?month=2026-01")) == (0, 2)  # another month: counted now

    def test_owner_rows_name_each_account_manager(self, client_for, director, manager, other_manager):
        AccountFactory(owner=manager)
        AccountFactory(owner=other_manager)
        AccountFactory(owner=None)
        owners = next(t for t in client_for(director).get("/visits/coverage/").context["tables"] if t["by"] == "owner")
        labels = sorted(r.label for r in owners["rows"])
        assert labels == sorted(
            [manager.full_name or manager.username, other_manager.full_name or other_manager.username, "—"]
        )


def test_coverage_targets_button_only_for_staff_who_may_change_them(client_for, manager, admin_user):
    """Targets are kept in admin: an account manager (not staff) gets no button leading to admin's
    'not authorised' page; an administrator does."""
    assert "coveragetarget" not in client_for(manager).get("/visits/coverage/").content.decode()
    assert "/admin/visits/coveragetarget/" in client_for(admin_user).get("/visits/coverage/").content.decode()


class _PhoneTable(HTMLParser):
    """The first table's rows as cells: (classes, text, the text shown only on phones (d-sm-none))."""

    VOID = {"br", "img", "input", "hr", "meta", "link", "wbr"}

    def __init__(self):
        super().__init__()
        self.rows, self.stack, self.cell, self.done = [], [], None, False

    def handle_starttag(self, tag, attrs):
        if self.done or tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append((tag, classes))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = {"classes": classes, "text": "", "phone": ""}
            self.rows[-1].append(self.cell)

    def handle_endtag(self, tag):
        if self.done or tag in self.VOID or not self.stack:
            return
        self.stack.pop()
        if tag == "table":
            self.done = True
        elif tag in ("td", "th"):
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data
            if any("d-sm-none" in classes for _tag, classes in self.stack):
                self.cell["phone"] += data


class TestOverdueListOnAPhone:
    """At 375 px the overdue list must not scroll sideways: tier, manager and last contact are
    hidden as columns (`hide-sm`) and shown under the account's name (`d-sm-none`) instead; the
    account (the way to act on it) and the days overdue stay as columns."""

    def test_secondary_columns_fold_under_the_account(self, client_for, director, manager):
        manager.first_name, manager.last_name = "Wei", "Wang"
        manager.save()
        contacted = timezone.now() - datetime.timedelta(days=400)
        AccountFactory(name="Long Silent Co.", tier="regular", owner=manager, last_contact_at=contacted)
        AccountFactory(name="Never Called Co.", tier="vip", owner=manager, last_contact_at=None)
        html = client_for(director).get("/visits/overdue/").content.decode()
        table = _PhoneTable()
        table.feed(html[html.index("<table") :])
        header, *rows = table.rows
        assert len(rows) == 2
        for cells in [header, *rows]:
            first, *middle, last = cells
            assert "hide-sm" not in first["classes"] and "hide-sm" not in last["classes"]
            assert len(middle) == 3 and all("hide-sm" in c["classes"] for c in middle), [c["text"] for c in cells]
        silent, never = (next(cells for cells in rows if cells[0]["text"].startswith(n)) for n in ("Long", "Never"))
        phone = " ".join(silent[0]["phone"].split())
        assert "Regular" in phone and str(manager) in phone and timezone.localdate(contacted).isoformat() in phone
        assert "Last contact" in phone
        assert "days" in silent[-1]["text"]  # the days overdue stay a column
        phone = " ".join(never[0]["phone"].split())
        assert "VIP" in phone and str(manager) in phone and "never" in phone
