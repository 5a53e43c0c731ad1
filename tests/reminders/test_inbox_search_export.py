"""The inbox's text search and its export (issue 15): the filters on screen are what the file gets;
a constant number of queries for the page and for the export, whatever the number of rows."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from reminders.rules import RULES
from tests.accounts.factories import AccountFactory

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(manager, other_manager):
    hengtong = AccountFactory(owner=manager, name="Hengtong Optics")
    huawei = AccountFactory(owner=manager, name="华为技术")
    quiet = NotificationFactory(account=hengtong)  # "Hengtong Optics: no visit or callback for 40 days"
    overdue = NotificationFactory(
        account=huawei,
        rule="installment_overdue",
        subject_type="contracts.installment",
        data={
            "number": "HT2026000042",
            "account": "华为技术",
            "date": "2026-03-01",
            "open": "1200.00",
            "fee": "24.40",
            "currency": "CNY",
            "as_of": "2026-03-31",
            "contract_id": 42,
        },
    )
    birthday = NotificationFactory(
        account=huawei,
        rule="birthday_today",
        subject_type="accounts.contact",
        data={"contact": "王伟", "account": "华为技术", "date": "2026-03-31", "days": 0},
        read_at=datetime.datetime(2026, 3, 31, 9, 0, tzinfo=datetime.UTC),
    )
    theirs = NotificationFactory(account=AccountFactory(owner=other_manager, name="Hengtong Elsewhere"))
    return {"quiet": quiet, "overdue": overdue, "birthday": birthday, "theirs": theirs}


def listed(client, **params):
    html = client.get(reverse("reminders:inbox"), params).content.decode()
    return html.count('data-testid="notification"'), html


class TestSearch:
    @pytest.mark.parametrize(
        ("term", "expected"),
        [
            ("Hengtong", ["quiet"]),  # the account's name (another manager's Hengtong is not mine)
            ("HT2026000042", ["overdue"]),  # a contract number the reminder carries
            ("王伟", ["birthday"]),  # a contact's name, in Chinese
            ("华为", ["overdue", "birthday"]),
            ("installments overdue", ["overdue"]),  # the kind's label
            ("overdue", ["quiet", "overdue"]),  # "Accounts overdue for contact", "Installments overdue"
            ("contract_id", []),  # the stored details' keys are not searched
            ("cadence", []),
            ("nothing like it", []),
        ],
    )
    def test_the_search_matches_what_the_reminder_says(self, client_for, manager, inbox, term, expected):
        count, html = listed(client_for(manager), q=term)
        assert count == len(expected)
        for key in expected:
            assert f'href="/reminders/{inbox[key].pk}/open/"' in html
        if not expected:
            assert 'data-testid="inbox-empty"' in html and "No reminders match" in html

    def test_the_search_keeps_the_other_filters(self, client_for, manager, inbox):
        client = client_for(manager)
        assert listed(client, q="华为", show="unread")[0] == 1  # the birthday one is read
        assert listed(client, q="华为", rule="birthday_today")[0] == 1
        count, html = listed(client, q="华为", rule="birthday_today", show="unread")
        assert count == 0 and 'data-testid="inbox-empty"' in html

    def test_the_kind_label_is_searched_in_the_readers_language(self, client_for, manager, inbox):
        client = client_for(manager)
        with translation.override("zh-hans"):
            label = str(RULES.get("installment_overdue").label)
        client.cookies["django_language"] = "zh-hans"
        count, _html = listed(client, q=label)
        assert count == 1

    def test_the_fragment_carries_the_filters_into_the_export_links(self, client_for, manager, inbox):
        html = (
            client_for(manager).get(reverse("reminders:inbox"), {"q": "华为"}, HTTP_HX_REQUEST="true").content.decode()
        )
        assert 'id="export-links" hx-swap-oob="true"' in html
        assert "/reminders/export.csv?q=%E5%8D%8E%E4%B8%BA" in html

    def test_constant_queries_with_a_search(self, client_for, manager, django_assert_max_num_queries):
        account = AccountFactory(owner=manager, name="Query count account")
        NotificationFactory.create_batch(2, account=account)
        client = client_for(manager)
        with django_assert_max_num_queries(30) as few:
            client.get(reverse("reminders:inbox"), {"q": "Query count"})
        NotificationFactory.create_batch(23, account=account)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert listed(client, q="Query count")[0] == 25


class TestExport:
    def rows(self, response):
        content = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(content)))

    def test_csv_has_the_filtered_rows_in_the_readers_words(self, client_for, manager, inbox):
        response = client_for(manager).get(reverse("reminders:export", args=["csv"]), {"q": "华为"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = self.rows(response)
        assert rows[0] == ["Received", "Kind", "Reminder", "Due on", "Read at", "Link"]
        kinds = sorted(row[1] for row in rows[1:])
        assert kinds == ["Contact birthdays today", "Installments overdue"]
        texts = " ".join(row[2] for row in rows[1:])
        assert "HT2026000042" in texts and "王伟" in texts
        links = {row[5] for row in rows[1:]}
        assert "http://testserver/contracts/42/" in links

    def test_only_my_reminders_are_exported(self, client_for, manager, inbox):
        rows = self.rows(client_for(manager).get(reverse("reminders:export", args=["csv"])))
        assert len(rows) == 1 + 3
        assert not any("Elsewhere" in row[2] for row in rows)

    def test_xlsx_with_the_unread_filter(self, client_for, manager, inbox):
        response = client_for(manager).get(reverse("reminders:export", args=["xlsx"]), {"show": "unread"})
        assert response["Content-Disposition"].endswith('.xlsx"')
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.title == "Reminders" and sheet.max_row == 1 + 2  # the read birthday left out

    def test_the_export_in_chinese(self, client_for, manager, inbox):
        client = client_for(manager)
        client.cookies["django_language"] = "zh-hans"
        rows = self.rows(client.get(reverse("reminders:export", args=["csv"]), {"q": "王伟"}))
        assert len(rows) == 2 and rows[0][0] != "Received"

    def test_constant_queries(self, client_for, manager, django_assert_max_num_queries):
        account = AccountFactory(owner=manager)
        NotificationFactory.create_batch(2, account=account)
        client = client_for(manager)
        with django_assert_max_num_queries(30) as few:
            self.rows(client.get(reverse("reminders:export", args=["csv"])))
        NotificationFactory.create_batch(40, account=account)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(self.rows(client.get(reverse("reminders:export", args=["csv"])))) == 1 + 42


def test_the_api_list_searches_too(api_for, manager, inbox):
    body = api_for(manager).get("/api/notifications/", {"q": "华为", "unread": "true"}).json()
    assert [n["id"] for n in body["results"]] == [inbox["overdue"].pk]
