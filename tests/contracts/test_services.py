"""Contract services: approval, transitions, amendments, versions, payments, sweep, documents."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AccountEvent
from contracts import services
from contracts.models import ApprovalRule, ApprovalStep, Contract, Installment
from contracts.selectors import contract_statement
from core.locking import StaleVersionError
from tests.accounts.factories import AccountFactory
from users.roles import Role

from .factories import ApprovalRuleFactory, ContractFactory

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def account(manager):
    return AccountFactory(owner=manager)


@pytest.fixture
def draft(account, manager):
    today = timezone.localdate()
    return services.contract_create(
        actor=manager,
        account=account,
        type="service",
        title="Support 2026",
        value=Decimal("600000.00"),
        start_on=today - datetime.timedelta(days=30),
        end_on=today + datetime.timedelta(days=335),
    )


@pytest.fixture
def rules(db):
    return [
        ApprovalRuleFactory(approver_role=ApprovalRule.ApproverRole.FINANCE),
        ApprovalRuleFactory(approver_role=ApprovalRule.ApproverRole.DIRECTOR, min_value=Decimal("500000")),
        ApprovalRuleFactory(
            approver_role=ApprovalRule.ApproverRole.ADMIN, contract_type="framework", min_value=Decimal("0")
        ),
    ]


def approve_all(contract, *, finance, director):
    for step in contract.approvals.filter(decision=ApprovalStep.Decision.PENDING):
        actor = finance if step.approver_role == Role.FINANCE.value else director
        services.approval_decide(step=step, actor=actor, approve=True)
    contract.refresh_from_db()
    return contract


def test_create_gives_a_number_owner_and_timeline_event(draft, manager, account):
    assert draft.number == f"HT{timezone.localdate():%Y}{draft.pk:06d}"
    assert draft.status == Contract.Status.DRAFT
    assert draft.owner == manager
    assert AccountEvent.objects.filter(account=account, kind="contract.created").exists()


def test_submit_creates_one_step_per_matching_rule(draft, manager, rules):
    services.contract_submit(contract=draft, actor=manager)
    draft.refresh_from_db()
    assert draft.status == Contract.Status.PENDING
    roles = set(draft.approvals.values_list("approver_role", flat=True))
    assert roles == {Role.FINANCE.value, Role.DIRECTOR.value}  # the framework-only rule does not apply


def test_small_contract_needs_only_finance(account, manager, rules):
    small = services.contract_create(
        actor=manager,
        account=account,
        title="Small",
        value=Decimal("1000"),
        start_on=D(2026, 1, 1),
        end_on=D(2026, 6, 30),
    )
    services.contract_submit(contract=small, actor=manager)
    assert list(small.approvals.values_list("approver_role", flat=True)) == [Role.FINANCE.value]


def test_without_rules_a_director_must_approve(draft, manager):
    services.contract_submit(contract=draft, actor=manager)
    assert list(draft.approvals.values_list("approver_role", flat=True)) == [Role.DIRECTOR.value]


def test_contract_becomes_active_only_when_every_step_approves(draft, manager, rules, finance_user, director):
    services.contract_submit(contract=draft, actor=manager)
    finance_step = draft.approvals.get(approver_role=Role.FINANCE.value)
    services.approval_decide(step=finance_step, actor=finance_user, approve=True, comment="OK")
    draft.refresh_from_db()
    assert draft.status == Contract.Status.PENDING  # the director has not decided yet
    services.approval_decide(step=draft.approvals.get(approver_role=Role.DIRECTOR.value), actor=director, approve=True)
    draft.refresh_from_db()
    assert draft.status == Contract.Status.ACTIVE
    assert AccountEvent.objects.filter(kind="contract.activated").count() == 1


def test_a_draft_cannot_become_active_directly(draft):
    with pytest.raises(services.InvalidTransition, match="cannot go from Draft to Active"):
        services._move(draft, Contract.Status.ACTIVE)


def test_payments_refused_before_approval(draft, finance_user):
    with pytest.raises(ValidationError, match="only for approved contracts"):
        services.payment_record(actor=finance_user, contract=draft, received_on=D(2026, 1, 1), amount=Decimal("1"))


def test_rejection_needs_a_reason_and_says_why(draft, manager, rules, finance_user):
    services.contract_submit(contract=draft, actor=manager)
    step = draft.approvals.get(approver_role=Role.FINANCE.value)
    with pytest.raises(ValidationError, match="Say why the contract is rejected"):
        services.approval_decide(step=step, actor=finance_user, approve=False, comment="  ")
    services.approval_decide(step=step, actor=finance_user, approve=False, comment="Late-fee clause missing")
    draft.refresh_from_db()
    assert draft.status == Contract.Status.REJECTED
    assert draft.approvals.get(pk=step.pk).comment == "Late-fee clause missing"
    assert not draft.approvals.filter(decision=ApprovalStep.Decision.PENDING).exists()  # the director's is withdrawn
    event = AccountEvent.objects.get(kind="contract.rejected")
    assert event.data["comment"] == "Late-fee clause missing"
    # fixed and resubmitted: a new round of steps
    services.contract_update(contract=draft, actor=manager, expected_version=draft.version, data={"notes": "clause 9"})
    services.contract_submit(contract=draft, actor=manager)
    assert draft.approvals.filter(round=2, decision=ApprovalStep.Decision.PENDING).count() == 2


def test_only_the_rule_role_decides_and_never_on_own_contract(draft, manager, rules, director, make_user):
    services.contract_submit(contract=draft, actor=manager)
    finance_step = draft.approvals.get(approver_role=Role.FINANCE.value)
    with pytest.raises(ValidationError, match="Only a Finance can decide"):
        services.approval_decide(step=finance_step, actor=director, approve=True)
    owner_in_finance = make_user([Role.FINANCE, Role.MANAGER], username="dual")
    Contract.objects.filter(pk=draft.pk).update(owner=owner_in_finance)
    with pytest.raises(ValidationError, match="your own contract"):
        services.approval_decide(step=finance_step, actor=owner_in_finance, approve=True)


def test_amendment_keeps_previous_values(draft, manager, finance_user, director):
    services.contract_submit(contract=draft, actor=manager)
    approve_all(draft, finance=finance_user, director=director)
    old_end = draft.end_on
    new_end = old_end + datetime.timedelta(days=90)
    amendment = services.contract_amend(
        contract=draft,
        actor=manager,
        expected_version=draft.version,
        reason="Scope extended",
        effective_on=timezone.localdate(),
        data={"value": Decimal("650000.00"), "end_on": new_end, "title": draft.title},
    )
    assert amendment.sequence == 1
    assert amendment.changes == {"value": ["600000.00", "650000.00"], "end_on": [str(old_end), str(new_end)]}
    draft.refresh_from_db()
    assert draft.value == Decimal("650000.00")
    assert draft.history.count() >= 3  # every save is kept


def test_approved_contract_is_not_edited_but_amended(draft, manager, finance_user, director):
    services.contract_submit(contract=draft, actor=manager)
    approve_all(draft, finance=finance_user, director=director)
    with pytest.raises(ValidationError, match="changed by an amendment"):
        services.contract_update(contract=draft, actor=manager, expected_version=draft.version, data={"title": "x"})
    with pytest.raises(ValidationError, match="Nothing changed"):
        services.contract_amend(
            contract=draft,
            actor=manager,
            expected_version=draft.version,
            reason="r",
            effective_on=D(2026, 1, 1),
            data={"title": draft.title},
        )


def test_second_save_of_the_same_version_is_refused(draft, manager):
    first = Contract.objects.get(pk=draft.pk)
    second = Contract.objects.get(pk=draft.pk)
    services.contract_update(contract=first, actor=manager, expected_version=first.version, data={"title": "A"})
    with pytest.raises(StaleVersionError, match="Someone else changed this record"):
        services.contract_update(contract=second, actor=manager, expected_version=second.version, data={"title": "B"})
    assert Contract.objects.get(pk=draft.pk).title == "A"


def test_terminate_needs_a_reason(finance_user):
    contract = ContractFactory()
    with pytest.raises(ValidationError, match="Say why"):
        services.contract_terminate(contract=contract, actor=finance_user, expected_version=contract.version, reason="")
    services.contract_terminate(
        contract=contract, actor=finance_user, expected_version=contract.version, reason="Merged"
    )
    contract.refresh_from_db()
    assert contract.status == Contract.Status.TERMINATED and contract.termination_reason == "Merged"
    with pytest.raises(services.InvalidTransition, match="from Terminated to Terminated"):
        services.contract_terminate(contract=contract, actor=finance_user, expected_version=None, reason="again")


def test_payments_spanning_installments_and_overpayment(finance_user):
    contract = ContractFactory(value=Decimal("3000"))
    services.schedule_generate_even(contract=contract, actor=finance_user, count=3, first_due_on=D(2026, 1, 1))
    services.payment_record(
        actor=finance_user, contract=contract, received_on=D(2026, 1, 5), amount=Decimal("1500"), reference="A"
    )
    first, second, third = contract.installments.order_by("due_on")
    assert (first.paid_amount, first.paid_on) == (Decimal("1000"), D(2026, 1, 5))
    assert (second.paid_amount, second.paid_on) == (Decimal("500"), None)
    services.payment_record(
        actor=finance_user, contract=contract, received_on=D(2026, 2, 1), amount=Decimal("1800"), reference="B"
    )
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.paid_on == D(2026, 2, 1) and third.paid_amount == Decimal("1000")

    st = contract_statement(contract=contract, as_of=D(2026, 3, 31))
    assert st.credit == Decimal("300.00")
    assert st.outstanding == 0
    assert st.late_fees == Decimal("2.00")  # the first was paid 4 days late: 1,000 × 4 × 0.05 %


def test_back_dated_payment_reallocates_oldest_first(finance_user):
    contract = ContractFactory(value=Decimal("2000"))
    services.schedule_generate_even(contract=contract, actor=finance_user, count=2, first_due_on=D(2026, 1, 1))
    services.payment_record(actor=finance_user, contract=contract, received_on=D(2026, 2, 1), amount=Decimal("1000"))
    services.payment_record(actor=finance_user, contract=contract, received_on=D(2026, 1, 1), amount=Decimal("1000"))
    first = contract.installments.order_by("due_on").first()
    assert first.paid_on == D(2026, 1, 1)  # the earlier payment settles the older installment


def test_payment_reference_is_idempotent(finance_user):
    contract = ContractFactory()
    p1, created1 = services.payment_record(
        actor=finance_user, contract=contract, received_on=D(2026, 1, 1), amount=Decimal("100"), reference="BANK-1"
    )
    p2, created2 = services.payment_record(
        actor=finance_user, contract=contract, received_on=D(2026, 1, 1), amount=Decimal("100"), reference="BANK-1"
    )
    assert (created1, created2) == (True, False) and p1.pk == p2.pk
    with pytest.raises(ValidationError, match="already used by another payment"):
        services.payment_record(
            actor=finance_user, contract=contract, received_on=D(2026, 1, 1), amount=Decimal("999"), reference="BANK-1"
        )


def test_schedule_closed_after_termination(finance_user):
    contract = ContractFactory(status=Contract.Status.TERMINATED)
    with pytest.raises(ValidationError, match="schedule of an expired or terminated contract is closed"):
        services.installment_create(contract=contract, actor=finance_user, due_on=D(2026, 1, 1), amount=Decimal("1"))


def test_sweep_moves_by_end_date_and_prepares_auto_renewals():
    today = D(2026, 6, 1)
    keeps = ContractFactory(end_on=D(2026, 12, 31))
    soon = ContractFactory(end_on=D(2026, 6, 20), auto_renew=True)
    past = ContractFactory(end_on=D(2026, 5, 31), status=Contract.Status.EXPIRING)
    counts = services.contracts_sweep_statuses(today=today)
    assert counts == {"expiring": 1, "expired": 1, "renewed": 1}
    statuses = dict(Contract.objects.filter(pk__in=[keeps.pk, soon.pk, past.pk]).values_list("pk", "status"))
    assert statuses == {keeps.pk: "active", soon.pk: "expiring", past.pk: "expired"}
    renewal = Contract.objects.get(renewal_of=soon)
    assert renewal.status == Contract.Status.DRAFT and renewal.start_on == D(2026, 6, 21)
    assert services.contracts_sweep_statuses(today=today) == {"expiring": 0, "expired": 0, "renewed": 0}


def test_renewal_links_the_successor_once(manager):
    contract = ContractFactory(start_on=D(2026, 1, 1), end_on=D(2026, 12, 31))
    successor = services.contract_renew(contract=contract, actor=manager)
    assert successor.renewal_of == contract
    assert (successor.start_on, successor.end_on) == (D(2027, 1, 1), D(2027, 12, 31))
    with pytest.raises(ValidationError, match="already has a renewal"):
        services.contract_renew(contract=contract, actor=manager)


def test_document_size_and_type_checks(manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    contract = ContractFactory()
    pdf = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    doc = services.document_upload(contract=contract, actor=manager, upload=pdf, kind="signed")
    assert doc.size == len(b"%PDF-1.4 test") and doc.file.storage.exists(doc.file.name)
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", content_type="application/pdf")
    with pytest.raises(ValidationError, match="not a .pdf file"):
        services.document_upload(contract=contract, actor=manager, upload=fake)
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError, match="Allowed file types"):
        services.document_upload(contract=contract, actor=manager, upload=exe)
    settings.CONTRACTS_DOCUMENT_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        services.document_upload(contract=contract, actor=manager, upload=big)


def test_installment_amount_cannot_be_zero(finance_user):
    contract = ContractFactory()
    with pytest.raises(ValidationError, match="greater than or equal to 0.01"):
        services.installment_create(contract=contract, actor=finance_user, due_on=D(2026, 1, 1), amount=Decimal("0"))
    assert not Installment.objects.exists()
