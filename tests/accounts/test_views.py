import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Account, Contact
from tests.accounts.factories import AccountFactory, ContactFactory, FeedbackFactory, TransactionFactory
from tiering.services import tiers_recompute
from users.roles import Role

pytestmark = pytest.mark.django_db


class TestAccountList:
    def test_shows_only_visible_accounts(self, client_for, manager, other_manager):
        AccountFactory(owner=manager, name="Mine Co")
        AccountFactory(owner=other_manager, name="Theirs Co")
        html = client_for(manager).get("/accounts/").content.decode()
        assert "Mine Co" in html and "Theirs Co" not in html

    def test_filters_search_and_sort(self, client_for, manager):
        AccountFactory(owner=manager, name="Alpha", status="active", revenue_12m=10)
        AccountFactory(owner=manager, name="Beta", status="dormant", revenue_12m=20)
        client = client_for(manager)
        html = client.get("/accounts/?status=dormant").content.decode()
        assert "Beta" in html and "Alpha" not in html
        html = client.get("/accounts/?q=alp").content.decode()
        assert "Alpha" in html and "Beta" not in html
        page = client.get("/accounts/?sort=name").context["page"]
        assert [a.name for a in page.object_list] == ["Alpha", "Beta"]
        page = client.get("/accounts/?sort=-revenue").context["page"]
        assert [a.name for a in page.object_list] == ["Beta", "Alpha"]

    def test_archived_accounts_leave_the_list(self, client_for, manager):
        AccountFactory(owner=manager, name="Gone", is_archived=True)
        client = client_for(manager)
        assert "Gone" not in client.get("/accounts/").content.decode()
        assert "Gone" in client.get("/accounts/?archived=true").content.decode()

    def test_htmx_request_gets_the_table_fragment(self, client_for, manager):
        AccountFactory(owner=manager)
        response = client_for(manager).get("/accounts/", HTTP_HX_REQUEST="true")
        assert b"<html" not in response.content
        assert b"<table" in response.content

    def test_empty_state(self, client_for, manager):
        response = client_for(manager).get("/accounts/?q=nothing-like-this")
        assert b'data-testid="empty-state"' in response.content

    def test_query_count_is_constant(self, client_for, manager, django_assert_max_num_queries):
        client = client_for(manager)
        AccountFactory.create_batch(5, owner=manager)
        with django_assert_max_num_queries(12) as small:
            client.get("/accounts/")
        AccountFactory.create_batch(20, owner=manager)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get("/accounts/")
        assert len(response.context["page"].object_list) == 25

    def test_rows_per_page_is_chosen_from_25_50_100(self, client_for, manager, django_assert_max_num_queries):
        """The page size follows ?per_page= (25, 50 or 100; anything else is 25), the pages'
        links keep it, and a bigger page costs no extra query."""
        client = client_for(manager)
        AccountFactory.create_batch(60, owner=manager)
        with django_assert_max_num_queries(12) as small:
            client.get("/accounts/")
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get("/accounts/?per_page=50")
        assert len(response.context["page"].object_list) == 50
        html = response.content.decode()
        assert '<option value="50" selected>' in html and "per_page=50" in html
        assert len(client.get("/accounts/?per_page=100").context["page"].object_list) == 60
        assert len(client.get("/accounts/?per_page=7").context["page"].object_list) == 25
        assert len(client.get("/accounts/?per_page=x").context["page"].object_list) == 25


class TestExport:
    def test_csv_export_is_filtered_and_scoped(self, client_for, manager, other_manager):
        AccountFactory(owner=manager, name="Mine A", status="active")
        AccountFactory(owner=manager, name="Mine B", status="dormant")
        AccountFactory(owner=other_manager, name="Theirs", status="active")
        response = client_for(manager).get("/accounts/export.csv?status=active")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0][0] == "Account no."
        assert [r[1] for r in rows[1:]] == ["Mine A"]

    def test_xlsx_export(self, client_for, manager, other_manager):
        AccountFactory(owner=manager, name="华信科技")
        AccountFactory(owner=other_manager, name="Theirs")
        response = client_for(manager).get("/accounts/export.xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).active
        names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert names == ["华信科技"]


class TestAccount360:
    def test_renders_everything_in_few_queries(self, client_for, manager, django_assert_max_num_queries):
        account = AccountFactory(owner=manager)
        ContactFactory.create_batch(3, account=account, role="economic", attitude="supporter")
        FeedbackFactory(account=account, suggestion="More bandwidth")
        AccountFactory(owner=manager, parent=account, name="Subsidiary One")
        TransactionFactory.create_batch(12, account=account)  # more than the page lists
        tiers_recompute()  # a recomputed account, as every account is after the nightly job
        client = client_for(manager)
        with django_assert_max_num_queries(12):
            response = client.get(f"/accounts/{account.pk}/")
        html = response.content.decode()
        assert "More bandwidth" in html and "Subsidiary One" in html and "Economic buyer" in html
        assert "Latest 10 transactions" in html and "Show all transactions" in html

    def test_another_owners_account_answers_404(self, client_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager)
        client = client_for(manager)
        for path in ("", "edit/", "archive/", "contacts/new/", "feedback/new/", "competitors/new/"):
            assert client.get(f"/accounts/{theirs.pk}/{path}").status_code == 404, path
        contact = ContactFactory(account=theirs)
        assert client.get(f"/accounts/contacts/{contact.pk}/edit/").status_code == 404

    def test_read_only_roles_cannot_open_edit_pages(self, client_for, service_agent):
        account = AccountFactory()
        client = client_for(service_agent)
        assert client.get(f"/accounts/{account.pk}/").status_code == 200
        assert client.get(f"/accounts/{account.pk}/edit/").status_code == 403


class TestForms:
    def test_create_account(self, client_for, manager):
        response = client_for(manager).post(
            "/accounts/new/",
            {
                "name": "恒通能源有限公司",
                "category": "strategic",
                "industry": "energy",
                "status": "active",
                "owner": manager.pk,
                "phone": "021 6552 9988",
            },
        )
        account = Account.objects.get(name="恒通能源有限公司")
        assert response.status_code == 302 and response["Location"] == f"/accounts/{account.pk}/"

    def test_bad_input_shows_errors_and_saves_nothing(self, client_for, manager):
        response = client_for(manager).post("/accounts/new/", {"name": "", "phone": "12", "category": "x"})
        assert response.status_code == 200
        assert set(response.context["form"].errors) >= {"name", "phone", "category"}
        assert Account.objects.count() == 0

    def test_second_editor_is_refused_with_a_clear_message(self, client_for, manager):
        account = AccountFactory(owner=manager, name="Before")
        client = client_for(manager)
        data = {
            "name": "First",
            "category": account.category,
            "industry": account.industry,
            "status": "active",
            "owner": manager.pk,
            "version": 1,
        }
        assert client.post(f"/accounts/{account.pk}/edit/", data).status_code == 302
        response = client.post(f"/accounts/{account.pk}/edit/", {**data, "name": "Second"})
        assert response.status_code == 200
        assert "Someone else changed this record" in response.content.decode()
        account.refresh_from_db()
        assert account.name == "First"

    def test_archive_needs_confirmation(self, client_for, manager):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        assert b"confirm-archive" in client.get(f"/accounts/{account.pk}/archive/").content
        account.refresh_from_db()
        assert not account.is_archived
        client.post(f"/accounts/{account.pk}/archive/", {"reason": "Closed"})
        account.refresh_from_db()
        assert account.is_archived

    def test_add_contact_and_feedback(self, client_for, manager):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        client.post(
            f"/accounts/{account.pk}/contacts/new/",
            {
                "name": "赵六",
                "role": "coach",
                "attitude": "supporter",
                "influence": 4,
                "preferred_channel": "wechat",
                "birthday_calendar": "gregorian",
                "birth_month": 5,
                "birth_day": 20,
            },
        )
        assert Contact.objects.get(account=account).name == "赵六"
        client.post(
            f"/accounts/{account.pk}/feedback/new/",
            {"received_on": "2026-11-01", "channel": "callback", "satisfaction": 3, "suggestion": "ok"},
        )
        assert account.feedback.count() == 1

    def test_parent_by_number_must_be_visible(self, client_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager, number="KA99999999")
        response = client_for(manager).post(
            "/accounts/new/",
            {
                "name": "Sub",
                "category": "group",
                "industry": "other",
                "status": "active",
                "owner": manager.pk,
                "parent_number": theirs.number,
            },
        )
        assert "parent_number" in response.context["form"].errors


def test_a_broad_search_stops_counting_at_the_cap(client_for, manager, monkeypatch):
    from core.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "__init__", _small_cap(CappedPaginator.__init__))
    AccountFactory.create_batch(4, owner=manager, name="Apex Co")
    response = client_for(manager).get("/accounts/?q=apex")
    assert response.context["page"].paginator.capped
    assert "More than 3 accounts" in response.content.decode()
    assert len(response.context["page"].object_list) == 4


def _small_cap(original):
    def init(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "cap": 3})

    return init


def test_admin_lists_only_what_the_policy_allows(client_for, make_user, other_manager):
    """A staff account manager sees only their own accounts in Django admin too."""
    manager = make_user(Role.MANAGER, username="staff-manager", is_staff=True)
    mine = AccountFactory(owner=manager, name="Mine In Admin")
    theirs = AccountFactory(owner=other_manager, name="Theirs In Admin")
    client = client_for(manager)
    html = client.get("/admin/accounts/account/").content.decode()
    assert "Mine In Admin" in html and "Theirs In Admin" not in html
    assert client.get(f"/admin/accounts/account/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/accounts/account/{theirs.pk}/change/").status_code == 302  # admin: "does not exist"


class TestListKeepsFiltersSortAndExportTogether:
    def test_htmx_fragment_updates_the_export_links_to_the_filters_on_screen(self, client_for, manager):
        """A filter chosen live (htmx) reaches the export links outside the swapped table."""
        AccountFactory(owner=manager)
        response = client_for(manager).get("/accounts/?status=dormant&q=&sort=name", HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert 'id="export-links" hx-swap-oob="true"' in html
        assert "/accounts/export.csv?status=dormant&amp;sort=name" in html
        assert "/accounts/export.xlsx?status=dormant&amp;sort=name" in html

    def test_the_form_sort_field_follows_a_header_click(self, client_for, manager):
        """Clicking a header (sort=name) updates the filter form's hidden sort field out of band."""
        AccountFactory(owner=manager)
        client = client_for(manager)
        html = client.get("/accounts/?status=active&sort=name", HTTP_HX_REQUEST="true").content.decode()
        assert '<input type="hidden" name="sort" value="name" id="sort-input" hx-swap-oob="true">' in html
        page = client.get("/accounts/?sort=-contact").content.decode()
        assert '<input type="hidden" name="sort" value="-contact" id="sort-input">' in page

    def test_header_links_keep_the_filters(self, client_for, manager):
        AccountFactory(owner=manager, status="active", tier="vip")
        html = client_for(manager).get("/accounts/?status=dormant&status=active&tier=vip&sort=name").content.decode()
        assert 'href="?status=dormant&amp;status=active&amp;tier=vip&amp;sort=-name"' in html
        assert 'href="?status=dormant&amp;status=active&amp;tier=vip&amp;sort=revenue"' in html

    def test_a_filter_change_keeps_the_chosen_sort(self, client_for, manager):
        AccountFactory(owner=manager, name="Zeta", status="active", revenue_12m=100)
        AccountFactory(owner=manager, name="Alpha", status="active", revenue_12m=1)
        # the form submits its hidden sort field with the new filter
        page = client_for(manager).get("/accounts/?status=active&sort=name", HTTP_HX_REQUEST="true").context["page"]
        assert [a.name for a in page.object_list] == ["Alpha", "Zeta"]


class TestOwnerChoices:
    @pytest.fixture
    def team_member(self, make_user, manager):
        from tests.users.factories import TeamFactory

        member = make_user(Role.MANAGER, username="member-t")
        TeamFactory(leader=manager, members=[manager, member])
        return member

    def _data(self, owner, **extra):
        return {"name": "Owner Test Co", "category": "strategic", "industry": "energy", "status": "active",
                "owner": owner.pk, **extra}  # fmt: skip

    def test_a_manager_may_pick_themself_and_members_of_teams_they_lead(
        self, client_for, manager, other_manager, team_member
    ):
        form = client_for(manager).get("/accounts/new/").context["form"]
        assert set(form.fields["owner"].queryset) == {manager, team_member}

    def test_a_director_may_pick_any_active_account_manager(
        self, client_for, director, manager, other_manager, make_user
    ):
        retired = make_user(Role.MANAGER, username="retired-t", is_active=False)
        owners = set(client_for(director).get("/accounts/new/").context["form"].fields["owner"].queryset)
        assert {manager, other_manager} <= owners and retired not in owners and director not in owners

    def test_a_forged_owner_is_refused_and_nothing_saved(self, client_for, manager, other_manager):
        response = client_for(manager).post("/accounts/new/", self._data(other_manager))
        assert response.status_code == 200
        assert response.context["form"].errors["owner"] == [
            "You can assign an account only to yourself or to a member of a team you lead."
        ]
        assert Account.objects.count() == 0

    def test_a_team_member_may_be_assigned_and_the_account_stays_visible(self, client_for, manager, team_member):
        client = client_for(manager)
        response = client.post("/accounts/new/", self._data(team_member))
        account = Account.objects.get(name="Owner Test Co")
        assert account.owner == team_member
        assert client.get(response["Location"]).status_code == 200

    def test_editing_cannot_hand_the_account_to_someone_unseen(self, client_for, manager, other_manager):
        account = AccountFactory(owner=manager)
        data = self._data(other_manager, version=account.version)
        response = client_for(manager).post(f"/accounts/{account.pk}/edit/", data)
        assert "owner" in response.context["form"].errors
        account.refresh_from_db()
        assert account.owner == manager


class TestErrorPagesAndFavicon:
    def test_forbidden_page_uses_the_site_layout(self, client_for, service_agent):
        response = client_for(service_agent).get("/accounts/new/")
        assert response.status_code == 403
        assert "403.html" in [t.name for t in response.templates]
        html = response.content.decode()
        assert 'name="viewport"' in html and 'data-testid="error-403"' in html and 'href="/"' in html

    def test_not_found_page_uses_the_site_layout(self, client_for, manager):
        response = client_for(manager).get("/accounts/999999/")
        assert response.status_code == 404
        assert "404.html" in [t.name for t in response.templates]
        assert 'data-testid="error-404"' in response.content.decode()

    def test_favicon(self, client, client_for, manager):
        response = client.get("/favicon.ico")
        assert response.status_code == 301 and response["Location"].endswith("/img/favicon.svg")
        assert 'rel="icon"' in client_for(manager).get("/").content.decode()


class TestFeedbackAndContactForms:
    def test_satisfaction_is_not_preselected(self, client_for, manager):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        response = client.get(f"/accounts/{account.pk}/feedback/new/")
        assert response.context["form"]["satisfaction"].value() is None
        assert "selected>5 ★" not in response.content.decode()
        response = client.post(
            f"/accounts/{account.pk}/feedback/new/", {"received_on": "2026-11-01", "channel": "callback"}
        )
        assert "satisfaction" in response.context["form"].errors
        assert account.feedback.count() == 0

    @pytest.mark.parametrize("value", ["-1", "0", "6"])
    def test_influence_out_of_range_gets_one_message(self, client_for, manager, value):
        account = AccountFactory(owner=manager)
        data = {"name": "X", "role": "coach", "attitude": "neutral", "influence": value,
                "preferred_channel": "wechat", "birthday_calendar": "gregorian"}  # fmt: skip
        response = client_for(manager).post(f"/accounts/{account.pk}/contacts/new/", data)
        assert response.context["form"].errors["influence"] == ["Enter a whole number from 1 to 5."]
        assert not Contact.objects.filter(account=account).exists()


class TestExportFormatting:
    def _rows(self, response):
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))

    def test_headers_in_the_readers_language(self, client_for, manager):
        from django.utils import translation

        AccountFactory(owner=manager, rfm_segment="champions")
        with translation.override("zh-hans"):
            expected = [translation.gettext("Account no."), translation.gettext("Champions")]
        assert expected[0] != "Account no."
        response = client_for(manager).get("/accounts/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
        rows = self._rows(response)
        assert rows[0][0] == expected[0]
        assert expected[1] in rows[1]

    def test_choice_labels_and_local_datetimes_to_the_minute(self, client_for, manager):
        import datetime

        AccountFactory(
            owner=manager,
            rfm_segment="champions",
            abc_class="A",
            last_contact_at=datetime.datetime(2026, 9, 4, 0, 10, 42, 123456, tzinfo=datetime.UTC),
        )
        client = client_for(manager)
        rows = self._rows(client.get("/accounts/export.csv"))
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["RFM segment"] == "Champions"
        assert row["ABC class"] == "A (top 80% of revenue)"
        assert row["Last contact"] == "2026-09-04 08:10"  # Asia/Shanghai
        sheet = load_workbook(io.BytesIO(client.get("/accounts/export.xlsx").content)).active
        header = [c.value for c in sheet[1]]
        cell = sheet.cell(row=2, column=header.index("Last contact") + 1)
        assert cell.value == datetime.datetime(2026, 9, 4, 8, 10)
        assert sheet.cell(row=2, column=header.index("RFM segment") + 1).value == "Champions"


class TestAccountTransactions:
    def test_the_360_page_shows_the_latest_and_links_to_all(self, client_for, manager):
        from tests.accounts.factories import TransactionFactory

        account = AccountFactory(owner=manager)
        TransactionFactory.create_batch(13, account=account)
        response = client_for(manager).get(f"/accounts/{account.pk}/")
        html = response.content.decode()
        assert len(response.context["transactions"]) == 10
        assert "Latest 10 transactions" in html
        assert f'href="/accounts/{account.pk}/transactions/"' in html
        few = AccountFactory(owner=manager)
        TransactionFactory.create_batch(3, account=few)
        assert "3 transactions" in client_for(manager).get(f"/accounts/{few.pk}/").content.decode()

    def test_all_transactions_paginated(self, client_for, manager, django_assert_max_num_queries):
        from tests.accounts.factories import TransactionFactory

        account = AccountFactory(owner=manager)
        TransactionFactory.create_batch(55, account=account)
        TransactionFactory.create_batch(3)  # another account's
        client = client_for(manager)
        with django_assert_max_num_queries(8):
            response = client.get(f"/accounts/{account.pk}/transactions/")
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 55
        assert len(response.context["page"].object_list) == 50
        assert len(client.get(f"/accounts/{account.pk}/transactions/?page=2").context["page"].object_list) == 5

    def test_another_owners_transactions_answer_404(self, client_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager)
        assert client_for(manager).get(f"/accounts/{theirs.pk}/transactions/").status_code == 404


def test_recording_a_competitor_twice_says_it_updated_the_entry(client_for, manager):
    from django.urls import reverse

    from accounts.models import Competitor, CompetitorPresence

    account = AccountFactory(owner=manager)
    competitor = Competitor.objects.create(name="China Telecom")
    client = client_for(manager)
    url = reverse("accounts:competitor_add", args=[account.pk])
    first = client.post(url, {"competitor": competitor.pk, "strength": "strong", "products": ""}, follow=True)
    assert "Competitor recorded." in first.content.decode()
    second = client.post(url, {"competitor": competitor.pk, "strength": "weak", "products": ""}, follow=True)
    assert "China Telecom was already recorded here: its entry is updated." in second.content.decode()
    assert CompetitorPresence.objects.get(account=account).strength == "weak"
