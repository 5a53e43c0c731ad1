"""Imports of accounts, contacts and transactions: permissions, visibility, the services' rules,
all-or-nothing or only the good rows, errors a user can act on, the pages and admin."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import Account, AccountEvent, AccountSearch, Contact, Transaction
from core import services as core_services
from core import tasks as core_tasks
from core.models import ImportJob
from tests.accounts.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    sent = []
    monkeypatch.setattr(core_tasks.run_import_job, "delay", lambda job_id: sent.append(job_id))
    return sent


def csv_bytes(text: str, encoding="utf-8-sig") -> bytes:
    return text.encode(encoding)


def check(actor, kind, content, name="file.csv"):
    job = core_services.import_job_create(actor=actor, kind=kind, file_name=name, content=content)
    job.refresh_from_db()
    return core_services.import_job_run(job=ImportJob.objects.select_related("requested_by").get(pk=job.pk))


def run_import(actor, kind, content, only_valid_rows=False, name="file.csv"):
    job = check(actor, kind, content, name)
    assert job.status == ImportJob.Status.CHECKED, job.error
    core_services.import_job_confirm(job=job, actor=actor, only_valid_rows=only_valid_rows)
    job = ImportJob.objects.select_related("requested_by").get(pk=job.pk)
    return core_services.import_job_run(job=job)


class TestPermissions:
    def test_finance_cannot_import_accounts_or_contacts(self, finance_user):
        """Finance reads accounts: importing them needs add AND change (issue 8, item 1)."""
        for kind in ("accounts.account", "accounts.contact"):
            with pytest.raises(PermissionDenied):
                core_services.import_job_create(actor=finance_user, kind=kind, file_name="a.csv", content=b"Name\nX\n")
        assert not ImportJob.objects.exists()

    def test_finance_can_import_transactions(self, finance_user):
        account = AccountFactory()
        job = run_import(
            finance_user,
            "accounts.transaction",
            csv_bytes(
                f"Account no.,Kind,Amount,Occurred at,Reference\n{account.number},Purchase,100,2026-10-01 10:00,R1\n"
            ),
        )
        assert job.status == ImportJob.Status.DONE and job.counts["created"] == 1

    def test_the_import_pages_answer_403_without_the_permissions(self, client_for, finance_user, service_agent):
        assert client_for(finance_user).get("/imports/accounts.account/").status_code == 403
        assert client_for(service_agent).get("/imports/accounts.transaction/").status_code == 403
        response = client_for(finance_user).post("/imports/accounts.account/", {"file": io.BytesIO(b"Name\nX\n")})
        assert response.status_code == 403
        assert client_for(finance_user).get("/imports/accounts.transaction/").status_code == 200
        assert client_for(finance_user).get("/imports/nothing.here/").status_code == 404

    def test_admin_offers_import_only_to_who_may_import(self, client_for, finance_user, admin_user):
        html = client_for(finance_user).get("/admin/accounts/account/").content.decode()
        assert "/imports/accounts.account/" not in html
        html = client_for(finance_user).get("/admin/accounts/transaction/").content.decode()
        assert "/imports/accounts.transaction/" in html
        html = client_for(admin_user).get("/admin/accounts/account/").content.decode()
        assert "/imports/accounts.account/" in html
        # the old django-import-export endpoint is gone (admin reads "import" as an object id)
        response = client_for(finance_user).post("/admin/accounts/account/import/", {"import_file": b"Name\nX\n"})
        assert response.status_code in (302, 404) and not Account.objects.exists()

    def test_another_users_import_job_answers_404(self, client_for, manager, other_manager):
        job = check(manager, "accounts.account", csv_bytes("Name\nX\n"))
        for url in (f"/imports/jobs/{job.pk}/", f"/imports/jobs/{job.pk}/errors.csv"):
            assert client_for(other_manager).get(url).status_code == 404
        for url in (f"/imports/jobs/{job.pk}/confirm/", f"/imports/jobs/{job.pk}/discard/"):
            assert client_for(other_manager).post(url).status_code == 404
        job.refresh_from_db()
        assert job.status == ImportJob.Status.CHECKED


class TestAccountImport:
    def test_a_managers_import_cannot_touch_another_teams_account(self, manager, other_manager):
        theirs = AccountFactory(owner=other_manager, name="Theirs")
        job = check(manager, "accounts.account", csv_bytes(f"Account no.,Name\n{theirs.number},Mine now\n"))
        assert job.invalid_rows == 1
        assert job.errors == [
            {
                "line": 2,
                "column": "Account no.",
                "value": theirs.number,
                "message": f"No account you can see has the number {theirs.number}.",
            }
        ]
        with pytest.raises(ValidationError, match="1 rows have errors"):
            core_services.import_job_confirm(job=job, actor=manager)
        theirs.refresh_from_db()
        assert theirs.name == "Theirs" and theirs.version == 1

    def test_a_manager_cannot_give_an_account_to_another_teams_manager(self, manager, other_manager):
        job = check(manager, "accounts.account", csv_bytes(f"Name,Account manager\nNew,{other_manager.username}\n"))
        assert [(e["column"], e["message"]) for e in job.errors] == [
            ("Account manager", "You cannot give this account to that account manager.")
        ]

    def test_recompute_fields_are_never_imported(self, director, manager):
        """Tier, ABC class, RFM and 12-month revenue belong to the recompute: ignored, and said so."""
        account = AccountFactory(owner=manager, name="Old")
        content = csv_bytes(
            "Account no.,Name,Tier,12-month revenue,ABC class,RFM segment,Team\n"
            f"{account.number},Renamed,VIP,123456789,A,Champions,X\n"
        )
        job = run_import(director, "accounts.account", content)
        assert job.status == ImportJob.Status.DONE
        assert job.ignored_columns == ["Tier", "12-month revenue", "ABC class", "RFM segment", "Team"]
        account.refresh_from_db()
        assert account.name == "Renamed"
        assert (account.tier, account.revenue_12m, account.abc_class, account.rfm_segment) == (
            "small",
            Decimal("0"),
            "",
            "",
        )

    def test_new_and_changed_accounts_go_through_the_services_rules(self, director, manager):
        account = AccountFactory(owner=manager, name="Old name", status="prospect")
        content = csv_bytes(
            "Account no.,Name,Status,Account manager,Category\n"
            f"{account.number.lower()},New name,Active,{manager.username},\n"
            f",Fresh Co,Prospect,{manager.username},Strategic\n"
        )
        job = run_import(director, "accounts.account", content)
        assert job.counts == {"rows": 2, "new": 1, "update": 1, "created": 1, "updated": 1, "skipped": 0}
        account.refresh_from_db()
        assert (account.name, account.status, account.version) == ("New name", "active", 2)
        assert account.category != ""  # blank cell: left as it was
        fresh = Account.objects.get(name="Fresh Co")
        assert fresh.number == f"KA{fresh.pk:08d}" and fresh.category == "strategic" and fresh.owner == manager
        kinds = set(AccountEvent.objects.values_list("account_id", "kind"))
        assert {(fresh.pk, "account.created"), (account.pk, "account.status_changed")} <= kinds
        assert "fresh co" in AccountSearch.objects.get(account=fresh).text
        assert "new name" in AccountSearch.objects.get(account=account).text
        assert fresh.history.count() == 1 and account.history.first().name == "New name"

    def test_a_managers_new_account_without_owner_is_theirs(self, manager):
        job = run_import(manager, "accounts.account", csv_bytes("Name\nMine\n"))
        assert job.status == ImportJob.Status.DONE
        assert Account.objects.get(name="Mine").owner == manager

    def test_all_or_nothing_or_only_the_good_rows(self, director):
        content = csv_bytes("Name,Phone,Status\nGood One,13800138000,Active\nBad,12,Nope\nGood Two,,\n")
        job = check(director, "accounts.account", content)
        assert job.invalid_rows == 1 and job.valid_rows == 2
        # every error of the row, with its line, column and value
        assert [(e["line"], e["column"], e["value"]) for e in job.errors] == [(3, "Status", "Nope"), (3, "Phone", "12")]
        with pytest.raises(ValidationError, match="nothing is imported"):
            core_services.import_job_confirm(job=job, actor=director)
        assert Account.objects.count() == 0
        core_services.import_job_confirm(job=job, actor=director, only_valid_rows=True)
        job = core_services.import_job_run(job=ImportJob.objects.get(pk=job.pk))
        assert job.status == ImportJob.Status.DONE and job.counts["created"] == 2 and job.counts["skipped"] == 1
        assert sorted(Account.objects.values_list("name", flat=True)) == ["Good One", "Good Two"]

    def test_errors_in_the_users_language_for_a_gbk_file(self, director):
        """What Chinese Excel saves: GBK, Chinese headers and values; errors in Chinese."""
        with translation.override("zh-hans"):
            name, status, active = (translation.gettext(s) for s in ("Name", "Status", "Active"))
            content = f"{name},{status}\n华信科技,{active}\n坏的,不存在\n".encode("gbk")
            job = check(director, "accounts.account", content)
            expected = translation.gettext("Not one of the allowed values: %(values)s.")
        assert job.language == "zh-hans"
        assert job.counts["new"] == 1 and job.invalid_rows == 1
        error = job.errors[0]
        assert error["line"] == 3 and error["column"] == status and error["value"] == "不存在"
        assert error["message"].startswith(expected.split("%")[0]) and active in error["message"]

    def test_a_duplicate_number_in_the_file_names_the_first_line(self, director):
        account = AccountFactory()
        job = check(
            director, "accounts.account", csv_bytes(f"Account no.,Name\n{account.number},A\n{account.number},B\n")
        )
        assert job.errors[0]["line"] == 3 and "line 2" in job.errors[0]["message"]

    def test_an_exported_file_imports_again_unchanged(self, client_for, director, manager):
        AccountFactory(owner=manager, name="Round trip", region="广东")
        response = client_for(director).get("/accounts/export.xlsx")
        job = run_import(director, "accounts.account", response.content, name="accounts.xlsx")
        assert job.status == ImportJob.Status.DONE and job.counts["update"] == 1 and job.counts["new"] == 0
        assert Account.objects.get(name="Round trip").region == "广东"

    @pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite allows 999 parameters a statement, so its bulk inserts go in batches of about 30 rows",
    )
    def test_ten_thousand_accounts_write_with_few_queries(self, director, manager, django_assert_max_num_queries):
        """Set-based: the number of queries does not grow with the rows."""
        lines = ["Name,Account manager"] + [f"Co {i},{manager.username}" for i in range(600)]
        job = check(director, "accounts.account", csv_bytes("\n".join(lines) + "\n"))
        core_services.import_job_confirm(job=job, actor=director)
        job = ImportJob.objects.select_related("requested_by").get(pk=job.pk)
        with django_assert_max_num_queries(40):
            core_services.import_job_run(job=job)
        assert Account.objects.count() == 600


class TestContactImport:
    def test_contacts_are_created_and_updated_with_one_primary(self, director):
        account = AccountFactory()
        old = ContactFactory(account=account, name="Old", is_primary=True)
        with translation.override("zh-hans"):
            name_header = translation.pgettext("person", "Name")
        assert name_header == "姓名"
        content = csv_bytes(
            f"Contact no.,Account no.,{name_header},Buying role,Primary contact,Phone\n"
            f",{account.number},张伟,Economic buyer,是,13800138000\n"
            f"{old.pk},{account.number},Old renamed,,否,\n"
        )
        job = run_import(director, "accounts.contact", content)
        assert job.status == ImportJob.Status.DONE, job.errors
        new = Contact.objects.get(name="张伟")
        old.refresh_from_db()
        assert new.is_primary and new.role == "economic"
        assert old.name == "Old renamed" and not old.is_primary and old.version == 2
        assert "张伟" in AccountSearch.objects.get(account=account).text

    def test_a_contact_never_moves_and_other_accounts_are_invisible(self, manager, other_manager):
        mine = AccountFactory(owner=manager)
        other = AccountFactory(owner=manager)
        theirs = AccountFactory(owner=other_manager)
        contact = ContactFactory(account=mine)
        content = csv_bytes(
            f"Contact no.,Account no.,Name\n{contact.pk},{other.number},Moved\n,{theirs.number},Sneaky\n"
        )
        job = check(manager, "accounts.contact", content)
        assert [(e["line"], e["message"]) for e in job.errors] == [
            (2, "A contact cannot move to another account."),
            (3, f"No account you can see has the number {theirs.number}."),
        ]


class TestTransactionImport:
    def test_idempotent_on_the_reference_and_refunds_by_kind(self, finance_user):
        account = AccountFactory()
        content = csv_bytes(
            "Account no.,Kind,Amount,Occurred at,Reference,Source system\n"
            f'{account.number},Purchase,"1,000.00",2026-10-01 10:00,R1,\n'
            f"{account.number},Refund,10,2026-10-02,R2,erp\n"
        )
        first = run_import(finance_user, "accounts.transaction", content)
        second = run_import(finance_user, "accounts.transaction", content)
        assert first.counts["created"] == 2 and second.counts["existing"] == 2
        assert Transaction.objects.count() == 2
        assert set(Transaction.objects.values_list("source_system", "amount")) == {
            ("import", Decimal("1000.00")),
            ("erp", Decimal("10.00")),
        }

    def test_bad_rows_name_line_column_and_value(self, finance_user):
        account = AccountFactory()
        content = csv_bytes(
            "Account no.,Kind,Amount,Occurred at,Reference\n"
            f"{account.number},Purchase,-5,2099-01-01,R1\n"
            f"{account.number},Purchase,5,2026-01-01,\n"
            f"KA99999999,Gift,abc,yesterday,R1\n"
        )
        job = check(finance_user, "accounts.transaction", content)
        by_line = {}
        for e in job.errors:
            by_line.setdefault(e["line"], []).append(e["column"])
        assert set(by_line[2]) == {"Amount", "Occurred at"}  # negative, in the future
        assert by_line[3] == ["Reference"]  # required
        # every error of the row: unknown kind, not a number, not a date, no such account, a repeat
        assert set(by_line[4]) == {"Kind", "Amount", "Occurred at", "Account no.", "Reference"}


class TestPages:
    def test_upload_check_confirm_and_result(self, client_for, director, _no_worker):
        client = client_for(director)
        page = client.get("/imports/accounts.account/")
        html = page.content.decode()
        assert page.status_code == 200 and "Strategic" in html and "template.xlsx" in html
        upload = io.BytesIO(csv_bytes("Name,Status\nPage Co,Active\n"))
        upload.name = "accounts.csv"
        response = client.post("/imports/accounts.account/", {"file": upload})
        job = ImportJob.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
        assert "every 1s" in client.get(f"/imports/jobs/{job.pk}/").content.decode()  # checking: polls
        core_services.import_job_run(job=ImportJob.objects.get(pk=job.pk))
        html = client.get(f"/imports/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
        assert 'data-testid="confirm-import"' in html
        client.post(f"/imports/jobs/{job.pk}/confirm/")
        core_services.import_job_run(job=ImportJob.objects.get(pk=job.pk))
        html = client.get(f"/imports/jobs/{job.pk}/").content.decode()
        assert 'data-status="done"' in html and Account.objects.filter(name="Page Co").exists()

    def test_the_template_lists_columns_and_allowed_values(self, client_for, director):
        response = client_for(director).get("/imports/accounts.account/template.xlsx")
        book = load_workbook(io.BytesIO(response.content))
        data, help_sheet = book.worksheets
        assert data.title == "Accounts" and data["A1"].value == "Account no."
        rows = {r[0]: r for r in help_sheet.iter_rows(min_row=2, values_only=True)}
        assert "Strategic" in rows["Category"][2]
        body = b"".join(client_for(director).get("/imports/accounts.account/template.csv").streaming_content)
        assert body.decode("utf-8-sig").startswith("Account no.,Name,")

    def test_errors_download_and_admin_export_action(self, client_for, director):
        job = check(director, "accounts.account", csv_bytes("Name,Status\n=cmd(),Nope\n"))
        body = b"".join(client_for(director).get(f"/imports/jobs/{job.pk}/errors.csv").streaming_content)
        assert "Nope" in body.decode("utf-8-sig")
        account = AccountFactory(name="=HYPERLINK(1)", owner=None)
        response = client_for(director).post(
            "/admin/accounts/account/",
            {"action": "export_selected", "_selected_action": [account.pk]},
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet["B2"].value == "=HYPERLINK(1)" and sheet["B2"].data_type == "s"


def test_a_new_account_without_a_name_is_an_error_on_its_line(director):
    job = check(director, "accounts.account", csv_bytes("Name,Status\nGood,Active\n,Prospect\n"))
    assert job.counts["new"] == 1 and job.invalid_rows == 1
    assert [(e["line"], e["column"]) for e in job.errors] == [(3, "Name")]


def test_an_oversized_or_unknown_file_is_refused_on_the_page(client_for, director, monkeypatch):
    import core.imports

    monkeypatch.setattr(core.imports, "MAX_FILE_BYTES", 10)
    upload = io.BytesIO(b"Name\nA long enough file\n")
    upload.name = "big.csv"
    response = client_for(director).post("/imports/accounts.account/", {"file": upload})
    assert response.status_code == 200 and "larger than" in response.content.decode()
    monkeypatch.setattr(core.imports, "MAX_FILE_BYTES", 1000)
    upload = io.BytesIO(b"MZ\x90\x00")
    upload.name = "tool.exe"
    response = client_for(director).post("/imports/accounts.account/", {"file": upload})
    assert "Upload a CSV or Excel" in response.content.decode()
    assert not ImportJob.objects.exists()
