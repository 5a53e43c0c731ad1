import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Account, Contact
from tests.accounts.factories import AccountFactory, ContactFactory, FeedbackFactory
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
        tiers_recompute()  # a recomputed account, as every account is after the nightly job
        client = client_for(manager)
        with django_assert_max_num_queries(12):
            response = client.get(f"/accounts/{account.pk}/")
        html = response.content.decode()
        assert "More bandwidth" in html and "Subsidiary One" in html and "Economic buyer" in html

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


def test_dashboard_renders_for_each_role(client_for, manager, director, service_agent, finance_user, admin_user):
    AccountFactory(owner=manager, revenue_12m=5000)
    for user in (manager, director, service_agent, finance_user, admin_user):
        response = client_for(user).get("/")
        assert response.status_code == 200
        assert response.context["summary"]["accounts"] == 1


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
