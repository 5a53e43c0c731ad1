"""Contract and finance pages: render, filters, 404 for another manager, constant queries, forms."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Transaction
from contracts import services
from contracts.models import ApprovalStep, Contract, ContractDocument, Payment
from tests.accounts.factories import AccountFactory

from .factories import ContractFactory, InstallmentFactory, PaymentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _today_at_each_test():
    """Today as each test starts: a run that crosses midnight in Shanghai must not keep the day
    the module was imported on."""
    global TODAY
    TODAY = timezone.localdate()


@pytest.fixture
def mine(manager):
    # ends well after any "expiring within 30 days" window, whatever day the suite runs
    return ContractFactory(
        account=AccountFactory(owner=manager), title="Mine", end_on=TODAY + datetime.timedelta(days=400)
    )


@pytest.fixture
def theirs(other_manager):
    return ContractFactory(account=AccountFactory(owner=other_manager), title="Theirs")


def test_list_is_scoped_filtered_and_sorted(client_for, manager, mine, theirs):
    ContractFactory(account=mine.account, title="Ends soon", end_on=TODAY + datetime.timedelta(days=10))
    client = client_for(manager)
    html = client.get("/contracts/").content.decode()
    assert "Mine" in html and "Theirs" not in html
    soon = client.get("/contracts/?expiring_days=30").content.decode()
    assert "Ends soon" in soon and ">Mine<" not in soon
    assert client.get("/contracts/?sort=-value&status=active").status_code == 200
    assert b'data-testid="empty-state"' in client.get("/contracts/?q=nothing-like-it").content


def test_overdue_filter(client_for, finance_user):
    late = ContractFactory(title="Late payer")
    InstallmentFactory(contract=late, due_on=TODAY - datetime.timedelta(days=3))
    on_time = ContractFactory(title="Good payer")
    InstallmentFactory(contract=on_time, due_on=TODAY)  # due today: not overdue
    html = client_for(finance_user).get("/contracts/?overdue=true").content.decode()
    assert "Late payer" in html and "Good payer" not in html


def test_list_query_count_is_constant(client_for, manager, django_assert_max_num_queries):
    account = AccountFactory(owner=manager)
    ContractFactory.create_batch(3, account=account)
    client = client_for(manager)
    with django_assert_max_num_queries(12) as small:
        client.get("/contracts/")
    ContractFactory.create_batch(25, account=account)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/contracts/")
    assert len(response.context["page"].object_list) == 25


def test_receivables_query_count_is_constant(client_for, finance_user, django_assert_max_num_queries):
    def owing():
        contract = ContractFactory()
        InstallmentFactory(contract=contract, due_on=TODAY - datetime.timedelta(days=5))
        PaymentFactory(contract=contract, amount=Decimal("10"), received_on=TODAY - datetime.timedelta(days=1))
        services._reallocate(contract)

    for _ in range(2):
        owing()
    client = client_for(finance_user)
    with django_assert_max_num_queries(14) as small:
        client.get("/contracts/receivables/")
    for _ in range(10):
        owing()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/contracts/receivables/")
    assert len(response.context["rows"]) == 12
    assert response.context["rows"][0].statement.late_fees > 0


def test_receivables_export_carries_the_late_fees_and_only_what_the_user_sees(
    client_for, manager, mine, theirs, django_assert_max_num_queries
):
    import csv
    import io

    for contract in (mine, theirs):
        InstallmentFactory(contract=contract, due_on=TODAY - datetime.timedelta(days=30), amount=Decimal("10000"))
        services._reallocate(contract)
    client = client_for(manager)
    page = client.get("/contracts/receivables/")
    fee = page.context["rows"][0].statement.late_fees
    assert fee > 0
    for _ in range(5):  # more rows, the same number of queries (late fees for all rows at once)
        InstallmentFactory(contract=ContractFactory(account=mine.account), due_on=TODAY - datetime.timedelta(days=9))
    with django_assert_max_num_queries(12):
        response = client.get("/contracts/receivables/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, data = rows[0], rows[1:]
    assert "Late fees" in header and len(data) == 6
    numbers = {row[0]: row for row in data}
    assert theirs.number not in numbers
    assert Decimal(numbers[mine.number][header.index("Late fees")]) == fee


def test_statement_lists_the_payments_it_counts_and_can_be_printed(client_for, manager, mine):
    """A statement sent to a customer shows what was received as well as what is due: payments
    received by the statement's date, not voided ones, with their total."""
    InstallmentFactory(contract=mine, due_on=TODAY - datetime.timedelta(days=40), amount=Decimal("1000"))
    day = TODAY - datetime.timedelta(days=5)
    PaymentFactory(contract=mine, amount=Decimal("600.00"), received_on=day, reference="BANK-IN-1")
    PaymentFactory(contract=mine, amount=Decimal("300.00"), received_on=day, reference="BANK-VOID")
    Payment.objects.filter(reference="BANK-VOID").update(voided_at=timezone.now(), void_reason="typo")
    later = TODAY + datetime.timedelta(days=1)
    PaymentFactory(contract=mine, amount=Decimal("50.00"), received_on=later, reference="LATER")
    services._reallocate(mine)
    response = client_for(manager).get(f"/contracts/{mine.pk}/statement/")
    table = response.content.decode().split('data-testid="statement-payments"')[1].split("</table>")[0]
    assert "BANK-IN-1" in table and "BANK-VOID" not in table and "LATER" not in table
    assert [p.reference for p in response.context["payments"]] == ["BANK-IN-1"]
    assert "¥600.00" in table  # the total received, as the statement counts it
    assert "data-print" in response.content.decode()


def test_contract_page_shows_money_and_schedule_difference(client_for, manager, mine, django_assert_max_num_queries):
    InstallmentFactory(contract=mine, due_on=TODAY - datetime.timedelta(days=10), amount=Decimal("10000"))
    client = client_for(manager)
    with django_assert_max_num_queries(16):
        response = client.get(f"/contracts/{mine.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="schedule-difference"' in html  # 10,000 scheduled of 120,000
    assert "50.00" in html  # 10,000 × 0.05 % × 10 days


def test_another_managers_contracts_payments_and_documents_answer_404(client_for, manager, theirs, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    document = services.document_upload(
        contract=theirs, actor=None, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")
    )
    installment = InstallmentFactory(contract=theirs)
    PaymentFactory(contract=theirs, reference="THEIRS-1")
    client = client_for(manager)
    for path in (
        f"/contracts/{theirs.pk}/",
        f"/contracts/{theirs.pk}/edit/",
        f"/contracts/{theirs.pk}/amend/",
        f"/contracts/{theirs.pk}/terminate/",
        f"/contracts/{theirs.pk}/schedule/",
        f"/contracts/{theirs.pk}/documents/new/",
        f"/contracts/{theirs.pk}/statement/",
        f"/contracts/documents/{document.pk}/",
        f"/contracts/accounts/{theirs.account_id}/statement/",
        f"/accounts/{theirs.account_id}/panels/contracts.contracts/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/contracts/{theirs.pk}/submit/",
        f"/contracts/{theirs.pk}/renew/",
        f"/contracts/installments/{installment.pk}/delete/",
        f"/contracts/documents/{document.pk}/archive/",
    ):
        assert client.post(path).status_code == 404, path
    assert "THEIRS-1" not in client.get("/contracts/payments/").content.decode()


def test_document_download_through_storage(client_for, manager, mine, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(manager)
    upload = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = client.post(f"/contracts/{mine.pk}/documents/new/", {"kind": "signed", "name": "", "file": upload})
    assert response.status_code == 302
    document = ContractDocument.objects.get(contract=mine)
    download = client.get(f"/contracts/documents/{document.pk}/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 signed"
    bad = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    html = client.post(f"/contracts/{mine.pk}/documents/new/", {"kind": "signed", "file": bad}).content.decode()
    assert "Allowed file types" in html


def test_draft_submit_and_approve_through_pages(client_for, manager, finance_user, director, make_user):
    account = AccountFactory(owner=manager)
    client = client_for(manager)
    response = client.post(
        "/contracts/new/",
        {
            "account": account.pk,
            "type": "sales",
            "title": "Page contract",
            "value": "1000.00",
            "currency": "CNY",
            "start_on": "2026-01-01",
            "end_on": str(TODAY + datetime.timedelta(days=200)),
            "owner": manager.pk,
        },
    )
    assert response.status_code == 302, response.content
    contract = Contract.objects.get(title="Page contract")
    client.post(f"/contracts/{contract.pk}/submit/", {"version": contract.version})
    step = ApprovalStep.objects.get(contract=contract)
    inbox = client_for(director).get("/contracts/approvals/").content.decode()
    assert "Page contract" in inbox
    response = client_for(director).post(
        f"/contracts/approvals/{step.pk}/decide/", {"decision": "reject", "comment": ""}
    )
    contract.refresh_from_db()
    assert contract.status == Contract.Status.PENDING  # a rejection without a reason is refused
    client_for(director).post(f"/contracts/approvals/{step.pk}/decide/", {"decision": "approve", "next": "inbox"})
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_stale_edit_is_refused_with_a_message(client_for, manager):
    contract = ContractFactory(account=AccountFactory(owner=manager), status=Contract.Status.DRAFT, version=3)
    data = {
        "account": contract.account_id,
        "type": "sales",
        "title": "Changed",
        "value": "1000.00",
        "currency": "CNY",
        "start_on": "2026-01-01",
        "end_on": "2026-12-31",
        "owner": manager.pk,
        "version": 2,
    }
    html = client_for(manager).post(f"/contracts/{contract.pk}/edit/", data).content.decode()
    assert "Someone else changed this record" in html
    contract.refresh_from_db()
    assert contract.title != "Changed"


def test_amendment_page_shows_previous_values(client_for, manager, mine):
    client = client_for(manager)
    data = {
        "title": mine.title,
        "value": "130000.00",
        "end_on": str(mine.end_on),
        "owner": manager.pk,
        "late_fee_rate": "0.05",
        "grace_days": "0",
        "reason": "More sites",
        "effective_on": str(TODAY),
        "version": mine.version,
    }
    assert client.post(f"/contracts/{mine.pk}/amend/", data).status_code == 302
    html = client.get(f"/contracts/{mine.pk}/").content.decode()
    assert "More sites" in html and "120000.00" in html and "130000.00" in html


def test_finance_records_payment_and_transaction(client_for, finance_user):
    contract = ContractFactory()
    client = client_for(finance_user)
    response = client.post(
        "/contracts/payments/new/",
        {
            "account": contract.account_id,
            "contract": contract.pk,
            "received_on": str(TODAY),
            "amount": "250.00",
            "method": "bank",
            "reference": "PAGE-1",
        },
        follow=True,
    )
    assert response.redirect_chain[0][1] == 302
    assert Payment.objects.get(reference="PAGE-1").amount == Decimal("250.00")
    # the message reads as money ('Payment of 250.00' before)
    assert f"Payment of ¥250.00 recorded for {contract.number}." in response.content.decode()
    response = client.post(
        "/contracts/transactions/new/",
        {
            "account": contract.account_id,
            "kind": "recharge",
            "amount": "800.00",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "product_line": "Cloud",
        },
        follow=True,
    )
    assert response.redirect_chain[0][1] == 302 and "of ¥800.00 recorded for" in response.content.decode()
    assert Transaction.objects.get(account=contract.account, kind="recharge").amount == Decimal("800.00")


def test_account_lookup_is_scoped(client_for, manager, other_manager):
    AccountFactory(owner=manager, name="Alpha Mine")
    AccountFactory(owner=other_manager, name="Alpha Theirs")
    html = client_for(manager).get("/contracts/lookup/accounts/?account_q=alpha").content.decode()
    assert "Alpha Mine" in html and "Alpha Theirs" not in html


def test_reconciliation_applies_all_or_nothing(client_for, finance_user):
    contract = ContractFactory(number="HT-REC-1")
    PaymentFactory(contract=contract, reference="BANK-1", amount=Decimal("100.00"))
    client = client_for(finance_user)

    def upload(text):
        f = SimpleUploadedFile("bank.csv", text.encode(), content_type="text/csv")
        return client.post("/contracts/reconcile/", {"file": f})

    bad = upload("reference,date,amount,contract\nBANK-1,2026-03-01,100.00,\nBANK-2,2026-03-02,abc,HT-REC-1\n")
    assert bad.context["result"].of_error and not bad.context["result"].can_apply
    client.post("/contracts/reconcile/", {"apply": "1"})
    assert Payment.objects.count() == 1 and not Payment.objects.get().reconciled_at  # nothing half-applied
    good = upload(
        "reference,date,amount,contract\nBANK-1,2026-03-01,100.00,\nBANK-2,2026-03-02,50.00,HT-REC-1\nBANK-3,2026-03-02,9.00,\n"
    )
    result = good.context["result"]
    assert [r.status for r in result.rows] == ["matched", "new", "unmatched"]
    assert client.post("/contracts/reconcile/", {"apply": "1"}).status_code == 302
    assert Payment.objects.get(reference="BANK-1").reconciled_at is not None
    assert Payment.objects.get(reference="BANK-2").amount == Decimal("50.00")
    assert not Payment.objects.filter(reference="BANK-3").exists()


def test_account_page_panel_loads_lazily(client_for, manager, mine, service_agent):
    InstallmentFactory(contract=mine, due_on=TODAY - datetime.timedelta(days=2), amount=Decimal("1000"))
    client = client_for(manager)
    page = client.get(f"/accounts/{mine.account_id}/").content.decode()
    panel_url = f"/accounts/{mine.account_id}/panels/contracts.contracts/"
    assert panel_url in page and mine.number not in page  # only the placeholder
    panel = client.get(panel_url).content.decode()
    assert mine.number in panel and 'data-testid="account-balance"' in panel
    agent = client_for(service_agent)
    assert panel_url not in agent.get(f"/accounts/{mine.account_id}/").content.decode()
    assert agent.get(panel_url).status_code == 404  # customer service does not see contracts


def test_export_is_scoped(client_for, manager, mine, theirs):
    response = client_for(manager).get("/contracts/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert mine.number in body and theirs.number not in body


def test_receivables_say_what_they_count(client_for, finance_user):
    """The list counts installments due by the date and unpaid; the dashboard's aging also counts
    those not yet due ("Current"): the page says so, in both languages."""
    contract = ContractFactory()
    InstallmentFactory(contract=contract, due_on=TODAY - datetime.timedelta(days=5))
    client = client_for(finance_user)
    html = client.get("/contracts/receivables/").content.decode()
    assert f"Installments due by {TODAY:%Y-%m-%d} and not paid" in html
    client.cookies["django_language"] = "zh-hans"
    assert "已到期未收的分期款" in client.get("/contracts/receivables/").content.decode()


def test_payment_form_from_a_receivable_shows_what_is_owed_and_offers_it(client_for, finance_user):
    """Opened from a receivables row (?contract=), the payment form says what is owed now —
    due and unpaid, overdue, late fees — and fills the amount with what is due."""
    from django.urls import reverse

    contract = ContractFactory()
    InstallmentFactory(contract=contract, due_on=TODAY - datetime.timedelta(days=5), amount=Decimal("750.00"))
    InstallmentFactory(contract=contract, due_on=TODAY + datetime.timedelta(days=30), amount=Decimal("900.00"))
    response = client_for(finance_user).get(reverse("contracts:payment_create"), {"contract": contract.pk})
    html = response.content.decode()
    assert 'data-testid="owed-now"' in html and "¥750.00 due and unpaid, of which ¥750.00 overdue" in html
    assert response.context["form"].initial["amount"] == Decimal("750.00")
    assert (
        'data-testid="owed-now"'
        not in client_for(finance_user).get(reverse("contracts:payment_create")).content.decode()
    )


def test_on_a_phone_the_days_overdue_read_n_days_in_chinese(client_for, finance_user):
    """The schedule row's phone line said '逾期 60,000.00 · 天 117' (the word before the number)."""
    contract = ContractFactory()
    InstallmentFactory(contract=contract, due_on=TODAY - datetime.timedelta(days=117), amount=Decimal("600.00"))
    client = client_for(finance_user)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "117 天" in html and "天 <span" not in html


def test_payments_export_has_the_lists_filters_and_only_visible_payments(client_for, manager, mine, theirs):
    import io

    import openpyxl

    PaymentFactory(contract=mine, reference="MINE-1", amount=Decimal("1234.50"))
    PaymentFactory(contract=mine, reference="MINE-VOID", voided_at=timezone.now(), void_reason="Typed twice")
    PaymentFactory(contract=theirs, reference="THEIRS-1")
    client = client_for(manager)

    def csv(query=""):
        response = client.get(f"/contracts/payments/export.csv{query}")
        assert response.status_code == 200
        return b"".join(response.streaming_content).decode("utf-8-sig")

    page = client.get("/contracts/payments/", {"voided": "no"}).content.decode()
    assert 'href="/contracts/payments/export.csv?' in page and "voided=no" in page.split("export.csv?")[1][:80]
    every = csv()
    assert "MINE-1" in every and "1234.50" in every and mine.number in every
    assert "MINE-VOID" in every and "Typed twice" in every
    assert "THEIRS-1" not in every and theirs.number not in every
    counted = csv("?voided=no")
    assert "MINE-1" in counted and "MINE-VOID" not in counted
    assert "MINE-1" not in csv("?q=void") and "MINE-VOID" in csv("?q=void")

    response = client.get("/contracts/payments/export.xlsx", {"q": "THEIRS"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:2] == ["Received on", "Contract no."]
    assert sheet.max_row == 1  # the header only: another manager's payment is not exported


@pytest.mark.parametrize("path", ["/contracts/payments/", "/contracts/payments/export.csv", "statement"])
def test_payment_lists_make_a_fixed_number_of_queries(client_for, manager, mine, path, django_assert_max_num_queries):
    """The payments list, its export and a statement's payments: the same queries for 2 payments or 22."""
    url = f"/contracts/{mine.pk}/statement/" if path == "statement" else path
    client = client_for(manager)

    def get():
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    PaymentFactory.create_batch(2, contract=mine, received_on=TODAY - datetime.timedelta(days=3))
    get()
    with django_assert_max_num_queries(20) as few:
        get()
    PaymentFactory.create_batch(20, contract=mine, received_on=TODAY - datetime.timedelta(days=3))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = get()
    assert response.status_code == 200
