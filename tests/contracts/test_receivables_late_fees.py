"""Receivables keep the customers who owe only late fees.

The case: a contract of 2,000.00 in two installments of 1,000.00 due 1 Jan and 1 Feb 2026, late
fee 0.05 % a day, no grace period, no cap. Both are paid in full, but late, and nothing more:
- P1 1,000.00 on 21 Jan settles the first, 20 days late: 1,000.00 × 20 × 0.05 % = 10.00
- P2 1,000.00 on 11 Feb settles the second, 10 days late: 1,000.00 × 10 × 0.05 % = 5.00
As of 31 Mar 2026: outstanding 0, late fees 15.00, credit 0, balance 15.00 — the customer owes
15.00 and the receivables list must say so (it used to select only outstanding > 0).

Each installment keeps its late fee once paid in full (`settled_late_fee`, settled on `paid_on`),
so the list finds such contracts in SQL.
"""

import csv
import datetime
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.utils import timezone

from contracts import money, selectors, services
from contracts.models import Contract, Installment
from tests.accounts.factories import AccountFactory

from .factories import ContractFactory, InstallmentFactory, PaymentFactory

D = datetime.date
AS_OF = D(2026, 3, 31)
pytestmark = pytest.mark.django_db


@pytest.fixture
def case(manager, finance_user):
    account = AccountFactory(owner=manager)
    contract = ContractFactory(
        account=account, value=Decimal("2000.00"), late_fee_rate=Decimal("0.05"), late_fee_cap=None, grace_days=0
    )
    services.schedule_generate_even(contract=contract, actor=finance_user, count=2, first_due_on=D(2026, 1, 1))
    p1 = pay(contract, finance_user, D(2026, 1, 21), "1000.00", "LATE-1")
    p2 = pay(contract, finance_user, D(2026, 2, 11), "1000.00", "LATE-2")
    first, second = contract.installments.order_by("due_on")
    return {"contract": contract, "p1": p1, "p2": p2, "first": first, "second": second}


def pay(contract, actor, day, amount, reference):
    return services.payment_record(
        actor=actor, contract=contract, received_on=day, amount=Decimal(amount), reference=reference
    )[0]


def listed(user, as_of=AS_OF, qs=None):
    return {c.pk: c for c in selectors.receivables(user=user, as_of=as_of, qs=qs)}


# --- the kept fee ------------------------------------------------------------------------------


def test_an_installment_paid_in_full_keeps_its_late_fee_as_the_statement_shows_it(case):
    first, second = (Installment.objects.get(pk=case[k].pk) for k in ("first", "second"))
    assert (first.paid_on, first.settled_late_fee) == (D(2026, 1, 21), Decimal("10.00"))
    assert (second.paid_on, second.settled_late_fee) == (D(2026, 2, 11), Decimal("5.00"))
    # the same figure as contracts.money and the statement, on any later date
    terms = money.terms_for(case["contract"])
    for inst in (first, second):
        pinned = money.installment_position(
            amount=inst.amount,
            due_on=inst.due_on,
            allocations=[(a.received_on, a.amount) for a in inst.allocations.all()],
            as_of=D(2026, 11, 30),
            terms=terms,
        )
        assert pinned.late_fee == inst.settled_late_fee
    st = selectors.contract_statement(contract=case["contract"], as_of=AS_OF)
    assert {line.installment_id: line.late_fee for line in st.lines} == {
        first.pk: first.settled_late_fee,
        second.pk: second.settled_late_fee,
    }
    assert (st.outstanding, st.late_fees, st.credit, st.balance) == (0, Decimal("15.00"), 0, Decimal("15.00"))


def test_a_partly_paid_installment_keeps_no_fee_until_the_payment_that_completes_it(finance_user):
    contract = ContractFactory(value=Decimal("1000.00"), late_fee_cap=None, grace_days=0)
    services.schedule_generate_even(contract=contract, actor=finance_user, count=1, first_due_on=D(2026, 1, 1))
    pay(contract, finance_user, D(2026, 1, 11), "400.00", "PART-1")
    inst = contract.installments.get()
    assert (inst.paid_on, inst.settled_late_fee) == (None, None)
    pay(contract, finance_user, D(2026, 1, 21), "600.00", "PART-2")
    inst.refresh_from_db()
    # 1,000.00 × 10 days + 600.00 × 10 days = 16,000 × 0.05 % = 8.00
    assert (inst.paid_on, inst.settled_late_fee) == (D(2026, 1, 21), Decimal("8.00"))


def test_voiding_the_late_payment_clears_the_kept_fee_and_the_contract_is_listed_by_what_is_open(
    case, finance_user, manager
):
    services.payment_void(actor=finance_user, payment=case["p2"], expected_version=case["p2"].version, reason="wrong")
    second = Installment.objects.get(pk=case["second"].pk)
    assert (second.paid_amount, second.paid_on, second.settled_late_fee) == (0, None, None)
    assert Installment.objects.get(pk=case["first"].pk).settled_late_fee == Decimal("10.00")
    row = listed(manager)[case["contract"].pk]
    assert row.outstanding == Decimal("1000.00")


def test_changing_the_fee_terms_by_amendment_recomputes_the_kept_fees(case, manager):
    contract = Contract.objects.get(pk=case["contract"].pk)
    services.contract_amend(
        contract=contract,
        actor=manager,
        expected_version=contract.version,
        reason="Negotiated",
        effective_on=D(2026, 4, 1),
        data={"late_fee_rate": Decimal("0.1000")},
    )
    kept = dict(Installment.objects.filter(contract=contract).values_list("pk", "settled_late_fee"))
    st = selectors.contract_statement(contract=contract, as_of=AS_OF)
    assert kept == {line.installment_id: line.late_fee for line in st.lines}
    assert kept[case["first"].pk] == Decimal("20.00")


def test_after_the_default_terms_change_the_command_recomputes_the_kept_fees(manager, finance_user, settings):
    """A contract on the company's default terms: its statement follows a change of the settings at
    once; `manage.py refresh_kept_late_fees` brings the kept fees (and so receivables) in line,
    and leaves contracts with terms of their own alone."""
    from django.core.management import call_command

    settings.CONTRACTS_LATE_FEE_RATE_PERCENT = "0.05"
    settings.CONTRACTS_LATE_FEE_CAP_PERCENT = None
    settings.CONTRACTS_GRACE_DAYS = 0
    on_defaults = ContractFactory(
        account=AccountFactory(owner=manager),
        value=Decimal("1000.00"),
        late_fee_rate=None,
        late_fee_cap=None,
        grace_days=None,
    )
    own_terms = ContractFactory(
        account=AccountFactory(owner=manager),
        value=Decimal("1000.00"),
        late_fee_rate=Decimal("0.05"),
        late_fee_cap=None,
        grace_days=0,
    )
    for contract, reference in ((on_defaults, "DEF-1"), (own_terms, "OWN-1")):
        services.schedule_generate_even(contract=contract, actor=finance_user, count=1, first_due_on=D(2026, 1, 1))
        pay(contract, finance_user, D(2026, 1, 21), "1000.00", reference)
    kept = lambda contract: Installment.objects.get(contract=contract).settled_late_fee  # noqa: E731
    assert kept(on_defaults) == kept(own_terms) == Decimal("10.00")

    settings.CONTRACTS_LATE_FEE_RATE_PERCENT = "0.10"
    out = io.StringIO()
    call_command("refresh_kept_late_fees", stdout=out)
    assert "1 installments" in out.getvalue()
    assert (
        kept(on_defaults)
        == Decimal("20.00")
        == selectors.contract_statement(contract=on_defaults, as_of=AS_OF).late_fees
    )
    assert kept(own_terms) == Decimal("10.00")
    assert services.kept_late_fees_refresh() == 0  # nothing left to change


# --- the receivables selector ------------------------------------------------------------------


def test_a_customer_who_owes_only_late_fees_is_listed(case, manager, finance_user):
    for user in (manager, finance_user):
        row = listed(user)[case["contract"].pk]
        assert (row.outstanding, row.overdue_amount) == (0, 0)
        assert (row.settled_fees, row.credit) == (Decimal("15.00"), 0)
        (row,) = selectors.with_late_fees([row], as_of=AS_OF)
        assert (row.statement.late_fees, row.statement.balance) == (Decimal("15.00"), Decimal("15.00"))


def test_fees_covered_by_an_overpayment_are_not_listed(case, finance_user):
    pay(case["contract"], finance_user, D(2026, 3, 1), "15.00", "EXTRA")
    assert case["contract"].pk not in listed(finance_user)
    assert selectors.contract_statement(contract=case["contract"], as_of=AS_OF).balance == 0
    # before the extra money came in, the fees were owed
    assert case["contract"].pk in listed(finance_user, as_of=D(2026, 2, 28))


def test_fees_partly_covered_by_credit_leave_the_rest_listed(case, finance_user):
    pay(case["contract"], finance_user, D(2026, 3, 1), "5.00", "EXTRA")
    row = listed(finance_user)[case["contract"].pk]
    assert row.credit == Decimal("5.00")
    (row,) = selectors.with_late_fees([row], as_of=AS_OF)
    assert row.statement.balance == Decimal("10.00")


def test_a_voided_overpayment_no_longer_covers_the_fees(case, finance_user):
    extra = pay(case["contract"], finance_user, D(2026, 3, 1), "15.00", "EXTRA")
    services.payment_void(actor=finance_user, payment=extra, expected_version=extra.version, reason="bounced")
    assert listed(finance_user)[case["contract"].pk].credit == 0


@pytest.mark.parametrize(
    ("as_of", "outstanding", "fees", "is_listed"),
    [
        (D(2025, 12, 31), 0, 0, False),  # nothing due yet
        (D(2026, 1, 10), Decimal("1000.00"), 0, True),  # the first is due and open
        (D(2026, 1, 25), 0, Decimal("10.00"), True),  # the first settled late, the second not yet due
        (D(2026, 2, 5), Decimal("1000.00"), Decimal("10.00"), True),  # the second is due and open
        (D(2026, 2, 11), 0, Decimal("15.00"), True),  # the day the second was settled
    ],
)
def test_as_of_a_date_the_fees_count_from_the_day_each_installment_was_settled(
    case, finance_user, as_of, outstanding, fees, is_listed
):
    rows = listed(finance_user, as_of=as_of)
    assert (case["contract"].pk in rows) is is_listed
    if is_listed:
        row = rows[case["contract"].pk]
        assert (row.outstanding, row.settled_fees) == (outstanding, fees)
        st = selectors.contract_statement(contract=case["contract"], as_of=as_of)
        assert st.balance > 0 and st.outstanding == outstanding


def test_another_managers_fee_only_debtor_is_not_listed(case, other_manager):
    assert case["contract"].pk not in listed(other_manager)


def test_the_most_overdue_report_still_lists_only_overdue_installments(case, finance_user):
    """The fee-only debtor is in the receivables list, not among the most overdue (nothing overdue)."""
    rows = selectors.receivables(user=finance_user, as_of=AS_OF).filter(overdue_amount__gt=0)
    assert case["contract"].pk not in {c.pk for c in rows}


# --- pages --------------------------------------------------------------------------------------


def test_the_receivables_page_shows_the_fee_only_debtor_with_fees_and_balance(client_for, case, finance_user):
    client = client_for(finance_user)
    response = client.get(f"/contracts/receivables/?as_of={AS_OF}")
    rows = {c.pk: c for c in response.context["rows"]}
    row = rows[case["contract"].pk]
    assert (row.statement.late_fees, row.statement.balance) == (Decimal("15.00"), Decimal("15.00"))
    html = response.content.decode()
    assert case["contract"].number in html
    assert 'data-testid="balance"' in html and "15.00" in html
    assert 'data-testid="balance-on-phone"' in html  # the balance column is hidden on a phone
    assert "Balance due" in html
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/contracts/receivables/?as_of={AS_OF}").content.decode()
    assert "应付余额" in html and "滞纳金" in html


def test_the_receivables_export_carries_the_fee_only_debtor(client_for, case, manager):
    response = client_for(manager).get(f"/contracts/receivables/export.csv?as_of={AS_OF}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, data = rows[0], {row[0]: row for row in rows[1:]}
    row = data[case["contract"].number]
    assert Decimal(row[header.index("Outstanding")]) == 0
    assert Decimal(row[header.index("Late fees")]) == Decimal("15.00")
    assert Decimal(row[header.index("Credit")]) == 0
    assert Decimal(row[header.index("Balance due")]) == Decimal("15.00")


def test_the_xlsx_export_carries_the_fee_only_debtor(client_for, case, finance_user):
    import openpyxl

    response = client_for(finance_user).get(f"/contracts/receivables/export.xlsx?as_of={AS_OF}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    row = next(r for r in values[1:] if r[0] == case["contract"].number)
    assert Decimal(str(row[header.index("Balance due")])) == Decimal("15.00")


def test_another_manager_sees_neither_the_row_nor_the_contract(client_for, case, other_manager):
    client = client_for(other_manager)
    page = client.get(f"/contracts/receivables/?as_of={AS_OF}")
    assert case["contract"].pk not in {c.pk for c in page.context["rows"]}
    export = client.get(f"/contracts/receivables/export.csv?as_of={AS_OF}")
    assert case["contract"].number not in b"".join(export.streaming_content).decode("utf-8-sig")
    assert client.get(f"/contracts/{case['contract'].pk}/").status_code == 404
    assert client.get(f"/contracts/{case['contract'].pk}/statement/").status_code == 404


def test_receivables_with_fee_only_rows_make_a_constant_number_of_queries(
    client_for, finance_user, django_assert_max_num_queries
):
    today = timezone.localdate()

    def fee_only():
        contract = ContractFactory(late_fee_cap=None)
        InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=20), amount=Decimal("1000"))
        PaymentFactory(contract=contract, amount=Decimal("1000"), received_on=today - datetime.timedelta(days=5))
        services._reallocate(contract)

    for _ in range(2):
        fee_only()
    client = client_for(finance_user)
    with django_assert_max_num_queries(14) as small:
        client.get("/contracts/receivables/")
    for _ in range(10):
        fee_only()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/contracts/receivables/")
    assert len(response.context["rows"]) == 12
    assert all(row.statement.balance == Decimal("7.50") for row in response.context["rows"])


# --- admin, API, migration ----------------------------------------------------------------------


def test_admin_shows_the_kept_fee_read_only(client_for, admin_user, case):
    model_admin = admin.site._registry[Installment]
    assert "settled_late_fee" in model_admin.get_readonly_fields(None, case["first"])
    html = client_for(admin_user).get(f"/admin/contracts/installment/{case['first'].pk}/change/").content.decode()
    assert 'name="settled_late_fee"' not in html and "10.00" in html


def test_the_api_returns_the_kept_fee_read_only(api_for, finance_user, case):
    client = api_for(finance_user)
    body = client.get(f"/api/installments/?contract={case['contract'].pk}").json()
    items = body["results"] if isinstance(body, dict) else body
    assert sorted(Decimal(i["settled_late_fee"]) for i in items) == [Decimal("5.00"), Decimal("10.00")]
    response = client.patch(
        f"/api/installments/{case['first'].pk}/", {"settled_late_fee": "0.00", "note": "x"}, format="json"
    )
    assert Installment.objects.get(pk=case["first"].pk).settled_late_fee == Decimal("10.00"), response.content


def test_the_migration_backfills_the_kept_fees_of_installments_already_paid(case, finance_user):
    open_one = InstallmentFactory(contract=case["contract"], due_on=D(2026, 6, 1), amount=Decimal("500.00"))
    Installment.objects.filter(contract=case["contract"]).update(settled_late_fee=None)
    migration = importlib.import_module("contracts.migrations.0003_installment_settled_late_fee")
    migration.keep_settled_late_fees(django_apps, None)
    kept = dict(Installment.objects.filter(contract=case["contract"]).values_list("pk", "settled_late_fee"))
    assert kept == {case["first"].pk: Decimal("10.00"), case["second"].pk: Decimal("5.00"), open_one.pk: None}
    st = selectors.contract_statement(contract=case["contract"], as_of=AS_OF)
    assert {line.installment_id: line.late_fee for line in st.lines if line.is_paid} == {
        case["first"].pk: Decimal("10.00"),
        case["second"].pk: Decimal("5.00"),
    }


def test_the_payment_form_from_a_fee_only_row_offers_the_late_fees_owed(client_for, case, finance_user):
    """The receivables row's Payment button: nothing is due, so the form offers the balance (the
    late fees less any credit) and says so."""
    pay(case["contract"], finance_user, D(2026, 3, 1), "5.00", "EXTRA")
    response = client_for(finance_user).get(f"/contracts/payments/new/?contract={case['contract'].pk}")
    assert response.context["form"].initial["amount"] == Decimal("10.00")
    assert "late fees still owed, less the credit" in response.content.decode()
