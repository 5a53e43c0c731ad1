"""Voiding a wrongly recorded payment (issue 14): one service for the page, the API and admin; the
money afterwards checked against figures computed by hand.

The case: a contract of 3,000.00 in three installments of 1,000.00 due 1 Jan, 1 Feb and 1 Mar 2026,
late fee 0.05 % a day, no grace period, no cap. Payments: P1 1,000.00 on 1 Jan (on the due date,
on time), P2 1,500.00 on 20 Jan (recorded by mistake), P3 800.00 on 10 Feb.

Before voiding, as of 31 Mar 2026: P1 settles the first installment, P2 the second (early) and
500.00 of the third, P3 the rest of the third (early) and leaves 300.00 credit. Paid 3,300.00,
outstanding 0, overdue 0, late fees 0, credit 300.00.

After voiding P2, the others are allocated again, oldest installment first: P1 → first (1,000.00),
P3 → second (800.00 of 1,000.00), nothing for the third.
- outstanding = 200.00 (second) + 1,000.00 (third) = 1,200.00; all of it overdue on 31 Mar.
- second's late fee: 1,000.00 × 9 days (1 Feb → 10 Feb) + 200.00 × 49 days (10 Feb → 31 Mar:
  18 + 31) = 18,800 × 0.05 % = 9.40
- third's late fee: 1,000.00 × 30 days (1 Mar → 31 Mar) × 0.05 % = 15.00
- late fees 24.40; credit 0; balance 1,224.40; paid 1,800.00.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import AccountEvent
from contracts import selectors, services
from contracts.models import Allocation, Payment
from core.locking import StaleVersionError
from tests.accounts.factories import AccountFactory

from .factories import ContractFactory

D = datetime.date
AS_OF = D(2026, 3, 31)
pytestmark = pytest.mark.django_db


@pytest.fixture
def case(manager, finance_user):
    account = AccountFactory(owner=manager)
    contract = ContractFactory(account=account, value=Decimal("3000.00"), late_fee_rate=Decimal("0.05"), grace_days=0)
    services.schedule_generate_even(contract=contract, actor=finance_user, count=3, first_due_on=D(2026, 1, 1))

    def pay(day, amount, ref):
        return services.payment_record(
            actor=finance_user, contract=contract, received_on=day, amount=Decimal(amount), reference=ref
        )[0]

    p1 = pay(D(2026, 1, 1), "1000.00", "BANK-1")
    p2 = pay(D(2026, 1, 20), "1500.00", "BANK-2")
    p3 = pay(D(2026, 2, 10), "800.00", "BANK-3")
    return {"contract": contract, "p1": p1, "p2": p2, "p3": p3}


def figures(contract):
    st = selectors.contract_statement(contract=contract, as_of=AS_OF)
    return {
        "paid": st.paid,
        "outstanding": st.outstanding,
        "overdue": st.overdue,
        "late_fees": st.late_fees,
        "credit": st.credit,
        "balance": st.balance,
    }


BEFORE = {
    "paid": Decimal("3300.00"),
    "outstanding": Decimal("0.00"),
    "overdue": Decimal("0.00"),
    "late_fees": Decimal("0.00"),
    "credit": Decimal("300.00"),
    "balance": Decimal("-300.00"),
}
AFTER = {
    "paid": Decimal("1800.00"),
    "outstanding": Decimal("1200.00"),
    "overdue": Decimal("1200.00"),
    "late_fees": Decimal("24.40"),
    "credit": Decimal("0.00"),
    "balance": Decimal("1224.40"),
}


class TestService:
    def test_the_money_before_and_after_matches_the_hand_computed_figures(self, case, finance_user):
        contract = case["contract"]
        assert figures(contract) == BEFORE
        preview = selectors.payment_void_preview(payment=case["p2"], as_of=AS_OF)
        assert preview["before"].balance == BEFORE["balance"] and preview["after"].balance == AFTER["balance"]
        assert preview["after"].late_fees == AFTER["late_fees"]

        voided = services.payment_void(
            actor=finance_user, payment=case["p2"], expected_version=1, reason="Recorded on the wrong contract"
        )

        assert voided.is_voided and voided.voided_by == finance_user and voided.version == 2
        assert voided.void_reason == "Recorded on the wrong contract"
        assert figures(contract) == AFTER
        st = selectors.contract_statement(contract=contract, as_of=AS_OF)
        lines = [(line.paid, line.overdue, line.days_overdue, line.late_fee) for line in st.lines]
        assert lines == [
            (Decimal("1000.00"), Decimal("0.00"), 0, Decimal("0.00")),
            (Decimal("800.00"), Decimal("200.00"), 58, Decimal("9.40")),
            (Decimal("0.00"), Decimal("1000.00"), 30, Decimal("15.00")),
        ]
        first, second, third = contract.installments.order_by("due_on")
        assert (first.paid_amount, first.paid_on) == (Decimal("1000.00"), D(2026, 1, 1))
        assert (second.paid_amount, second.paid_on) == (Decimal("800.00"), None)
        assert (third.paid_amount, third.paid_on) == (Decimal("0.00"), None)
        assert not Allocation.objects.filter(payment=voided).exists()

    def test_the_receivables_and_reminders_selectors_see_the_money_owed_again(self, case, finance_user):
        contract = case["contract"]
        assert not selectors.receivables(user=finance_user, as_of=AS_OF).filter(pk=contract.pk).exists()
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Duplicate entry")
        row = selectors.receivables(user=finance_user, as_of=AS_OF).get(pk=contract.pk)
        assert (row.outstanding, row.overdue_amount) == (Decimal("1200.00"), Decimal("1200.00"))
        overdue = selectors.installments_overdue(as_of=AS_OF).filter(contract=contract)
        assert sorted(i.open_balance for i in overdue) == [Decimal("200.00"), Decimal("1000.00")]

    def test_the_voided_payment_stays_listed_and_an_event_is_on_the_timeline(self, case, finance_user):
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Typo in the amount")
        contract = case["contract"]
        assert contract.payments.count() == 3
        assert selectors.payment_list(user=finance_user).filter(pk=case["p2"].pk, voided_at__isnull=False).exists()
        event = AccountEvent.objects.get(account=contract.account, kind="payment.voided")
        assert event.actor == finance_user
        assert event.data["reason"] == "Typo in the amount" and event.data["amount"] == "1500.00"

    def test_a_second_void_is_refused_clearly(self, case, finance_user, director):
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Wrong contract")
        with pytest.raises(ValidationError, match=rf"already voided on .* by {re.escape(str(finance_user))}\.") as exc:
            services.payment_void(actor=director, payment=case["p2"], expected_version=2, reason="Again")
        assert exc.value.code == "already_voided"
        assert figures(case["contract"]) == AFTER  # nothing changed twice

    def test_a_stale_version_is_refused_and_changes_nothing(self, case, finance_user):
        Payment.objects.filter(pk=case["p2"].pk).update(version=3)  # someone changed it meanwhile
        with pytest.raises(StaleVersionError, match="Someone else changed this record"):
            services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Wrong")
        assert figures(case["contract"]) == BEFORE
        assert Payment.objects.get(pk=case["p2"].pk).voided_at is None

    def test_the_reason_is_required(self, case, finance_user):
        with pytest.raises(ValidationError, match="Say why this payment is voided"):
            services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="   ")

    def test_account_managers_cannot_void(self, case, manager):
        with pytest.raises(PermissionDenied, match="Only finance can void a payment"):
            services.payment_void(actor=manager, payment=case["p2"], expected_version=1, reason="Mine")
        assert figures(case["contract"]) == BEFORE

    def test_the_reference_is_free_again_for_the_right_payment(self, case, finance_user):
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Wrong amount")
        right, created = services.payment_record(
            actor=finance_user,
            contract=case["contract"],
            received_on=D(2026, 1, 20),
            amount=Decimal("1000.00"),
            reference="BANK-2",
        )
        assert created and right.pk != case["p2"].pk
        # P1 → first, the right P2 → second, P3 → third (800.00 of 1,000.00): 200.00 overdue since 1 Mar,
        # 200.00 × 30 days × 0.05 % = 3.00
        st = selectors.contract_statement(contract=case["contract"], as_of=AS_OF)
        assert (st.outstanding, st.late_fees, st.credit) == (Decimal("200.00"), Decimal("3.00"), Decimal("0.00"))

    def test_reconciliation_does_not_match_a_voided_payment(self, case, finance_user):
        from contracts import reconcile

        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Wrong amount")
        rows = [
            reconcile.Row(line=2, reference="BANK-1", received_on=D(2026, 1, 1), amount=Decimal("1000.00")),
            reconcile.Row(
                line=3,
                reference="BANK-2",
                received_on=D(2026, 1, 20),
                amount=Decimal("1000.00"),
                contract_number=case["contract"].number,
            ),
        ]
        result = reconcile.classify(user=finance_user, rows=rows)
        assert [r.status for r in result.rows] == ["matched", "new"]  # BANK-2 is the right payment, recorded anew
        assert reconcile.reconciliation_apply(actor=finance_user, rows=rows)["recorded"] == 1
        assert Payment.objects.filter(reference="BANK-2").count() == 2  # the voided one and the right one


class TestApi:
    def url(self, payment):
        return f"/api/payments/{payment.pk}/void/"

    def test_finance_voids_with_the_version(self, case, api_for, finance_user):
        response = api_for(finance_user).post(
            self.url(case["p2"]), {"version": 1, "reason": "Wrong contract"}, format="json"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["is_voided"] and body["void_reason"] == "Wrong contract" and body["version"] == 2
        assert body["voided_by"] == finance_user.pk
        statement = api_for(finance_user).get(
            f"/api/contracts/{case['contract'].pk}/statement/", {"as_of": "2026-03-31"}
        )
        assert statement.json()["late_fees"] == "24.40" and statement.json()["balance"] == "1224.40"
        listed = api_for(finance_user).get("/api/payments/", {"contract": case["contract"].pk, "voided": "true"})
        assert [p["id"] for p in listed.json()["results"]] == [case["p2"].pk]

    def test_a_second_void_and_a_stale_version_are_refused(self, case, api_for, finance_user):
        client = api_for(finance_user)
        stale = client.post(self.url(case["p2"]), {"version": 7, "reason": "Wrong"}, format="json")
        assert stale.status_code == 409
        assert "Someone else changed" in str(stale.json())
        assert client.post(self.url(case["p2"]), {"version": 1, "reason": "Wrong"}, format="json").status_code == 200
        again = client.post(self.url(case["p2"]), {"version": 2, "reason": "Wrong"}, format="json")
        assert again.status_code == 400
        assert "already voided" in str(again.json())

    def test_version_and_reason_are_required(self, case, api_for, finance_user):
        client = api_for(finance_user)
        no_version = client.post(self.url(case["p2"]), {"reason": "Wrong"}, format="json")
        assert no_version.status_code == 400 and "version" in no_version.json()["fields"]
        no_reason = client.post(self.url(case["p2"]), {"version": 1, "reason": ""}, format="json")
        assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
        assert Payment.objects.get(pk=case["p2"].pk).voided_at is None

    def test_managers_cannot_void_and_another_managers_payment_answers_404(self, case, api_for, manager, other_manager):
        body = {"version": 1, "reason": "Mine"}
        assert api_for(manager).post(self.url(case["p2"]), body, format="json").status_code == 403
        assert api_for(other_manager).post(self.url(case["p2"]), body, format="json").status_code == 404
        assert Payment.objects.get(pk=case["p2"].pk).voided_at is None


class TestPage:
    def url(self, payment):
        return reverse("contracts:payment_void", args=[payment.pk])

    def test_the_page_shows_what_changes_and_voids(self, case, client_for, finance_user):
        client = client_for(finance_user)
        page = client.get(self.url(case["p2"]))
        assert page.status_code == 200
        assert 'data-testid="void-preview"' in page.content.decode()
        response = client.post(self.url(case["p2"]), {"version": 1, "reason": "Recorded twice"}, follow=True)
        html = response.content.decode()
        assert "voided; the contract" in html
        assert 'data-testid="voided-payment"' in html and "Recorded twice" in html
        assert figures(case["contract"]) == AFTER

    def test_an_empty_reason_and_a_stale_form_are_refused_with_messages(self, case, client_for, finance_user):
        client = client_for(finance_user)
        empty = client.post(self.url(case["p2"]), {"version": 1, "reason": ""})
        assert empty.status_code == 200 and "This field is required" in empty.content.decode()
        Payment.objects.filter(pk=case["p2"].pk).update(version=2)
        stale = client.post(self.url(case["p2"]), {"version": 1, "reason": "Wrong"})
        assert stale.status_code == 200 and "Someone else changed this record" in stale.content.decode()
        assert Payment.objects.get(pk=case["p2"].pk).voided_at is None

    def test_the_contract_page_offers_void_to_finance_only(self, case, client_for, finance_user, manager):
        url = case["contract"].get_absolute_url()
        assert 'data-testid="void-payment-link"' in client_for(finance_user).get(url).content.decode()
        assert 'data-testid="void-payment-link"' not in client_for(manager).get(url).content.decode()

    def test_managers_get_403_on_their_own_and_404_on_another_managers(self, case, client_for, manager, other_manager):
        assert client_for(manager).get(self.url(case["p2"])).status_code == 403
        assert client_for(other_manager).get(self.url(case["p2"])).status_code == 404
        assert client_for(other_manager).post(self.url(case["p2"]), {"version": 1, "reason": "x"}).status_code == 404

    def test_the_payments_list_query_count_is_constant_with_voided_payments(
        self, case, client_for, finance_user, django_assert_max_num_queries
    ):
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Duplicate")
        client = client_for(finance_user)
        with django_assert_max_num_queries(20) as few:
            client.get(reverse("contracts:payments"))
        for n in range(8):
            extra = services.payment_record(
                actor=finance_user,
                contract=case["contract"],
                received_on=D(2026, 3, 1),
                amount=Decimal("1.00"),
                reference=f"EXTRA-{n}",
            )[0]
            if n % 2:
                services.payment_void(actor=finance_user, payment=extra, expected_version=1, reason="Test")
        with django_assert_max_num_queries(len(few.captured_queries)):
            html = client.get(reverse("contracts:payments")).content.decode()
        assert html.count('data-testid="voided-payment"') == 5

    def test_the_payments_list_strikes_a_voided_payment_through(self, case, client_for, finance_user):
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Duplicate")
        client = client_for(finance_user)
        html = client.get(reverse("contracts:payments")).content.decode()
        assert html.count('data-testid="voided-payment"') == 1 and "<del>" in html and "Duplicate" in html
        voided_only = client.get(reverse("contracts:payments"), {"voided": "yes"}).content.decode()
        assert voided_only.count("<tr") == 2 and "Duplicate" in voided_only  # the header and the voided one
        counted = client.get(reverse("contracts:payments"), {"voided": "no"}).content.decode()
        assert counted.count("<tr") == 3 and 'data-testid="voided-payment"' not in counted


class TestAdmin:
    def change_url(self, payment):
        return f"/admin/contracts/payment/{payment.pk}/change/"

    def form_data(self, user, payment, **changes):
        request = RequestFactory().get("/")
        request.user = user
        model_admin = admin.site._registry[Payment]
        form = model_admin.get_form(request, payment, change=True)(instance=payment)
        data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
        return {**data, **changes}

    def test_finance_voids_in_admin_through_the_service(self, case, client_for, finance_user):
        data = self.form_data(finance_user, case["p2"], void_reason="Entered in admin by mistake")
        response = client_for(finance_user).post(self.change_url(case["p2"]), data)
        assert response.status_code == 302
        payment = Payment.objects.get(pk=case["p2"].pk)
        assert payment.is_voided and payment.voided_by == finance_user and payment.version == 2
        assert figures(case["contract"]) == AFTER
        assert AccountEvent.objects.filter(kind="payment.voided").count() == 1

    def test_a_stale_admin_save_is_refused(self, case, client_for, finance_user):
        data = self.form_data(finance_user, case["p2"], void_reason="Wrong")
        Payment.objects.filter(pk=case["p2"].pk).update(version=4)
        response = client_for(finance_user).post(self.change_url(case["p2"]), data, follow=True)
        assert "Someone else changed this record" in response.content.decode()
        assert Payment.objects.get(pk=case["p2"].pk).voided_at is None

    def test_a_voided_payment_is_read_only_in_admin(self, case, client_for, finance_user):
        services.payment_void(actor=finance_user, payment=case["p2"], expected_version=1, reason="Wrong")
        page = client_for(finance_user).get(self.change_url(case["p2"])).content.decode()
        assert 'name="void_reason"' not in page and "Wrong" in page
