"""Write use cases for contracts and payments. Pages, API, admin, imports and tasks all call these."""

import datetime
import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import StaleVersionError, require_version, save_versioned
from users.permissions import has_crm_perm
from users.visibility import roles_of

from . import events
from .models import (
    TRANSITIONS,
    Allocation,
    Amendment,
    ApprovalRule,
    ApprovalStep,
    Contract,
    ContractDocument,
    Installment,
    Payment,
)
from .money import LateFeeTerms, allocate, even_schedule, installment_position, terms_for

CONTRACT_EDITABLE = [
    "account",
    "type",
    "title",
    "value",
    "currency",
    "signed_on",
    "start_on",
    "end_on",
    "auto_renew",
    "owner",
    "late_fee_rate",
    "late_fee_cap",
    "grace_days",
    "notes",
]
# what an amendment may change on a contract in force
AMENDABLE = [
    "title",
    "value",
    "end_on",
    "auto_renew",
    "owner",
    "late_fee_rate",
    "late_fee_cap",
    "grace_days",
    "notes",
]
# the terms a late fee is computed with: changing one recomputes the fees kept on paid installments
FEE_TERMS = {"late_fee_rate", "late_fee_cap", "grace_days"}
PAYABLE = {Contract.Status.ACTIVE, Contract.Status.EXPIRING, Contract.Status.EXPIRED, Contract.Status.TERMINATED}
SCHEDULE_CLOSED = {Contract.Status.EXPIRED, Contract.Status.TERMINATED}


class InvalidTransition(ValidationError):
    """A status move the TRANSITIONS map does not allow."""

    def __init__(self, contract: Contract, new_status: str):
        super().__init__(
            _("A contract cannot go from %(old)s to %(new)s.")
            % {"old": contract.get_status_display(), "new": Contract.Status(new_status).label},
            code="invalid_transition",
        )


def expiring_window_days() -> int:
    return int(getattr(settings, "CONTRACTS_EXPIRING_DAYS", 30))


def _today() -> datetime.date:
    return timezone.localdate()


def _in_force_status(contract: Contract, today: datetime.date) -> str:
    """Active, or expiring once the end date is within the window (expired once it passed)."""
    if contract.end_on < today:
        return Contract.Status.EXPIRED
    if contract.end_on <= today + datetime.timedelta(days=expiring_window_days()):
        return Contract.Status.EXPIRING
    return Contract.Status.ACTIVE


def _move(contract: Contract, new_status: str) -> str:
    """Check the move against TRANSITIONS and set it; returns the old status."""
    old = contract.status
    if new_status not in TRANSITIONS[old]:
        raise InvalidTransition(contract, new_status)
    contract.status = new_status
    return old


def _lock(contract: Contract) -> Contract:
    """Re-read the contract under a row lock (serialises payments, schedule edits and decisions)."""
    return Contract.objects.select_for_update().select_related("account").get(pk=contract.pk)


def _check_account(account) -> None:
    if account.is_archived:
        raise ValidationError({"account": _("This account is archived.")})


@transaction.atomic
def contract_create(*, actor, account, **fields) -> Contract:
    _check_account(account)
    contract = Contract(
        account=account, created_by=actor, **{k: v for k, v in fields.items() if k in CONTRACT_EDITABLE}
    )
    if contract.owner_id is None:
        contract.owner_id = account.owner_id
    contract.number = f"tmp-{uuid.uuid4().hex[:16]}"  # replaced by the id-based number below
    _validate_dates(contract)
    contract.full_clean(exclude=["number"])
    contract.save()
    contract.number = f"HT{_today():%Y}{contract.pk:06d}"
    contract.save(update_fields=["number"])
    events.contract_created_event(contract=contract, actor=actor)
    return contract


def _validate_dates(contract: Contract) -> None:
    if contract.start_on and contract.end_on and contract.end_on < contract.start_on:
        raise ValidationError({"end_on": _("The end date cannot be before the start date.")})


@transaction.atomic
def contract_update(*, contract: Contract, actor, expected_version: int | None, data: dict) -> Contract:
    """Edit a draft (or rejected) contract; once approved, terms change only by amendment."""
    require_version(expected_version, actor=actor)
    if not contract.is_editable:
        raise ValidationError(_("An approved contract is changed by an amendment, not edited."), code="not_editable")
    for name, value in data.items():
        if name not in CONTRACT_EDITABLE:
            raise ValidationError({name: _("This field cannot be changed here.")})
        setattr(contract, name, value)
    _check_account(contract.account)
    _validate_dates(contract)
    save_versioned(contract, expected_version=expected_version)
    return contract


def matching_rules(contract: Contract):
    return ApprovalRule.objects.filter(is_active=True, min_value__lte=contract.value).filter(
        Q(contract_type="") | Q(contract_type=contract.type)
    )


@transaction.atomic
def contract_submit(*, contract: Contract, actor, expected_version: int | None = None) -> Contract:
    """Ask for approval: one step per matching rule (a director by default when no rule matches)."""
    locked = _lock(contract)
    if expected_version is not None and int(expected_version) != locked.version:
        raise StaleVersionError()
    contract = locked
    _move(contract, Contract.Status.PENDING)
    round_no = (contract.approvals.aggregate(m=Max("round"))["m"] or 0) + 1
    roles = {}
    for rule in matching_rules(contract):
        roles.setdefault(rule.approver_role, rule)
    if not roles:
        roles[getattr(settings, "CONTRACTS_DEFAULT_APPROVER_ROLE", ApprovalRule.ApproverRole.DIRECTOR)] = None
    ApprovalStep.objects.bulk_create(
        ApprovalStep(contract=contract, round=round_no, rule=rule, approver_role=role) for role, rule in roles.items()
    )
    save_versioned(contract, expected_version=None)
    events.contract_submitted_event(contract=contract, actor=actor)
    return contract


@transaction.atomic
def contract_withdraw(*, contract: Contract, actor) -> Contract:
    """Take a pending contract back to draft; its open approval steps are withdrawn."""
    contract = _lock(contract)
    old = _move(contract, Contract.Status.DRAFT)
    contract.approvals.filter(decision=ApprovalStep.Decision.PENDING).update(
        decision=ApprovalStep.Decision.CANCELLED, decided_by=actor, decided_at=timezone.now()
    )
    save_versioned(contract, expected_version=None)
    events.contract_status_changed_event(contract=contract, actor=actor, old=old)
    return contract


def can_decide(*, user, step: ApprovalStep) -> bool:
    return step.decision == ApprovalStep.Decision.PENDING and step.approver_role in roles_of(user)


@transaction.atomic
def approval_decide(*, step: ApprovalStep, actor, approve: bool, comment: str = "") -> ApprovalStep:
    """Approve or reject one step. A rejection needs a comment and rejects the contract; the last
    approval puts the contract in force."""
    contract = _lock(step.contract)
    step = ApprovalStep.objects.select_for_update().get(pk=step.pk)
    if contract.status != Contract.Status.PENDING or step.decision != ApprovalStep.Decision.PENDING:
        raise ValidationError(_("This approval has already been decided."), code="decided")
    if step.approver_role not in roles_of(actor):
        raise ValidationError(
            _("Only a %(role)s can decide this approval.") % {"role": step.get_approver_role_display()},
            code="not_approver",
        )
    if actor is not None and actor.pk in {contract.created_by_id, contract.owner_id}:
        raise ValidationError(_("You cannot approve or reject your own contract."), code="own_contract")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why the contract is rejected.")})
    step.decision = ApprovalStep.Decision.APPROVED if approve else ApprovalStep.Decision.REJECTED
    step.decided_by = actor
    step.decided_at = timezone.now()
    step.comment = comment
    step.save()
    if not approve:
        contract.approvals.filter(round=step.round, decision=ApprovalStep.Decision.PENDING).update(
            decision=ApprovalStep.Decision.CANCELLED
        )
        _move(contract, Contract.Status.REJECTED)
        save_versioned(contract, expected_version=None)
        events.contract_rejected_event(contract=contract, actor=actor, comment=comment)
        return step
    events.contract_approved_event(contract=contract, actor=actor, step=step)
    if not contract.approvals.filter(round=step.round, decision=ApprovalStep.Decision.PENDING).exists():
        status = _in_force_status(contract, _today())
        _move(contract, Contract.Status.ACTIVE if status == Contract.Status.EXPIRED else status)
        save_versioned(contract, expected_version=None)
        events.contract_activated_event(contract=contract, actor=actor)
    return step


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


@transaction.atomic
def contract_amend(
    *, contract: Contract, actor, expected_version: int | None, reason: str, effective_on: datetime.date, data: dict
) -> Amendment:
    """Change a contract in force: the previous values are kept in the amendment."""
    if not contract.is_in_force:
        raise ValidationError(_("Only a contract in force can be amended."), code="not_in_force")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the contract changes.")})
    before = Contract.objects.get(pk=contract.pk)
    changes = {}
    for name, value in data.items():
        if name not in AMENDABLE:
            raise ValidationError({name: _("This field cannot be amended.")})
        old = getattr(before, name)
        if old != value:
            changes[name] = [_display(old), _display(value)]
            setattr(contract, name, value)
    if not changes:
        raise ValidationError(_("Nothing changed: an amendment must change at least one term."), code="no_change")
    _validate_dates(contract)
    if "end_on" in changes:
        new_status = _in_force_status(contract, _today())
        if new_status != contract.status:
            if new_status == Contract.Status.EXPIRED:
                raise ValidationError({"end_on": _("The new end date has passed; terminate the contract instead.")})
            _move(contract, new_status)
    save_versioned(contract, expected_version=expected_version)
    if FEE_TERMS & changes.keys():
        _reallocate(contract)  # the kept late fees of paid installments follow the new terms
    sequence = (contract.amendments.aggregate(m=Max("sequence"))["m"] or 0) + 1
    amendment = Amendment(
        contract=contract,
        sequence=sequence,
        reason=reason.strip(),
        effective_on=effective_on,
        changes=changes,
        created_by=actor,
    )
    amendment.full_clean()
    amendment.save()
    events.contract_amended_event(contract=contract, actor=actor, amendment=amendment)
    return amendment


@transaction.atomic
def contract_terminate(
    *, contract: Contract, actor, expected_version: int | None, reason: str, terminated_on: datetime.date | None = None
) -> Contract:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the contract is terminated.")})
    _move(contract, Contract.Status.TERMINATED)
    contract.termination_reason = reason.strip()
    contract.terminated_on = terminated_on or _today()
    contract.approvals.filter(decision=ApprovalStep.Decision.PENDING).update(decision=ApprovalStep.Decision.CANCELLED)
    save_versioned(contract, expected_version=expected_version)
    events.contract_terminated_event(contract=contract, actor=actor)
    return contract


@transaction.atomic
def contract_renew(*, contract: Contract, actor, **overrides) -> Contract:
    """Draft the successor of a contract (same account, type and terms; it starts the day after)."""
    contract = _lock(contract)
    if contract.status not in {Contract.Status.ACTIVE, Contract.Status.EXPIRING, Contract.Status.EXPIRED}:
        raise ValidationError(_("Only a contract that was in force can be renewed."), code="not_renewable")
    if Contract.objects.filter(renewal_of=contract).exists():
        raise ValidationError(_("This contract already has a renewal."), code="already_renewed")
    length = contract.end_on - contract.start_on
    start = contract.end_on + datetime.timedelta(days=1)
    fields = {
        "type": contract.type,
        "title": contract.title,
        "value": contract.value,
        "currency": contract.currency,
        "start_on": start,
        "end_on": start + length,
        "auto_renew": contract.auto_renew,
        "owner": contract.owner,
        "late_fee_rate": contract.late_fee_rate,
        "late_fee_cap": contract.late_fee_cap,
        "grace_days": contract.grace_days,
        **{k: v for k, v in overrides.items() if k in CONTRACT_EDITABLE and k != "account"},
    }
    successor = contract_create(actor=actor, account=contract.account, **fields)
    successor.renewal_of = contract
    successor.save(update_fields=["renewal_of"])
    events.contract_renewed_event(contract=contract, actor=actor, successor=successor)
    return successor


def contracts_sweep_statuses(*, today: datetime.date | None = None, batch_size: int = 500) -> dict:
    """Move contracts in force along by date: active → expiring (within the window) → expired.

    Selects by state and date with skip_locked, in bounded batches; a rerun changes nothing more.
    Auto-renewing contracts get their renewal draft when they start expiring."""
    today = today or _today()
    horizon = today + datetime.timedelta(days=expiring_window_days())
    counts = {"expiring": 0, "expired": 0, "renewed": 0}
    moves = [
        (
            Contract.Status.EXPIRED,
            {"status__in": [Contract.Status.ACTIVE, Contract.Status.EXPIRING], "end_on__lt": today},
        ),
        (Contract.Status.EXPIRING, {"status": Contract.Status.ACTIVE, "end_on__lte": horizon, "end_on__gte": today}),
    ]
    for new_status, lookup in moves:
        while True:
            with transaction.atomic():
                batch = list(
                    Contract.objects.select_for_update(skip_locked=True)
                    .select_related("account")
                    .filter(**lookup)
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                old = {}
                for contract in batch:
                    old[contract.pk] = _move(contract, new_status)
                    contract.version += 1
                    contract.updated_at = timezone.now()
                Contract.objects.bulk_update(batch, ["status", "version", "updated_at"])
                for contract in batch:
                    events.contract_status_changed_event(contract=contract, actor=None, old=old[contract.pk])
                    renew = new_status == Contract.Status.EXPIRING and contract.auto_renew
                    if renew and not Contract.objects.filter(renewal_of=contract).exists():
                        contract_renew(contract=contract, actor=None)
                        counts["renewed"] += 1
                counts[new_status] += len(batch)
            if len(batch) < batch_size:
                break
    return counts


# --- payment schedule -----------------------------------------------------------------------


def _check_schedule_open(contract: Contract) -> None:
    if contract.status in SCHEDULE_CLOSED:
        raise ValidationError(_("The payment schedule of an expired or terminated contract is closed."), code="closed")


@transaction.atomic
def schedule_generate_even(
    *, contract: Contract, actor, count: int, first_due_on: datetime.date, every_months: int = 1
) -> list[Installment]:
    """Replace the schedule with `count` equal installments adding up to the contract's value."""
    contract = _lock(contract)
    _check_schedule_open(contract)
    if not 1 <= count <= 120:
        raise ValidationError({"count": _("Between 1 and 120 installments.")})
    if not 1 <= every_months <= 24:
        raise ValidationError({"every_months": _("Between 1 and 24 months apart.")})
    Allocation.objects.filter(installment__contract=contract).delete()
    contract.installments.all().delete()
    rows = [
        Installment(contract=contract, due_on=due_on, amount=amount)
        for due_on, amount in even_schedule(
            total=contract.value, count=count, first_due_on=first_due_on, every_months=every_months
        )
    ]
    Installment.objects.bulk_create(rows)
    _reallocate(contract)
    return list(contract.installments.all())


@transaction.atomic
def installment_create(
    *, contract: Contract, actor, due_on: datetime.date, amount: Decimal, note: str = ""
) -> Installment:
    contract = _lock(contract)
    _check_schedule_open(contract)
    installment = Installment(contract=contract, due_on=due_on, amount=amount, note=note)
    installment.full_clean()
    installment.save()
    _reallocate(contract)
    installment.refresh_from_db()
    return installment


@transaction.atomic
def installment_update(*, installment: Installment, actor, data: dict) -> Installment:
    contract = _lock(installment.contract)
    _check_schedule_open(contract)
    for name, value in data.items():
        if name not in {"due_on", "amount", "note"}:
            raise ValidationError({name: _("This field cannot be changed here.")})
        setattr(installment, name, value)
    installment.paid_amount = Decimal("0")  # the allocation below sets it again
    installment.full_clean()
    installment.save()
    _reallocate(contract)
    installment.refresh_from_db()
    return installment


@transaction.atomic
def installment_delete(*, installment: Installment, actor) -> None:
    contract = _lock(installment.contract)
    _check_schedule_open(contract)
    installment.delete()
    _reallocate(contract)


def _reallocate(contract: Contract) -> None:
    """Apply the contract's payments to its installments, oldest open installment first.

    Recomputed from scratch (a contract has tens of rows) so a schedule edit or a back-dated
    payment always leaves the allocation as if everything had been entered in order."""
    installments = list(Installment.objects.filter(contract=contract).order_by("due_on", "pk"))
    payments = list(Payment.objects.filter(contract=contract, voided_at__isnull=True).order_by("received_on", "pk"))
    Allocation.objects.filter(payment__contract=contract).delete()
    parts = allocate(
        installments=[(i.pk, i.amount) for i in installments],
        payments=[(p.pk, p.amount) for p in payments],
    )
    dates = {p.pk: p.received_on for p in payments}
    Allocation.objects.bulk_create(
        Allocation(payment_id=pid, installment_id=iid, amount=amount, received_on=dates[pid])
        for pid, iid, amount in parts
    )
    received: dict[int, list[tuple[datetime.date, Decimal]]] = {}
    for pid, iid, amount in parts:
        received.setdefault(iid, []).append((dates[pid], amount))
    terms = terms_for(contract)
    for inst in installments:
        parts_of = received.get(inst.pk, [])
        inst.paid_amount = sum((amount for _day, amount in parts_of), Decimal("0"))
        inst.paid_on = max(day for day, _amount in parts_of) if inst.paid_amount == inst.amount else None
        inst.settled_late_fee = settled_late_fee(
            amount=inst.amount, due_on=inst.due_on, paid_on=inst.paid_on, allocations=parts_of, terms=terms
        )
    Installment.objects.bulk_update(installments, ["paid_amount", "paid_on", "settled_late_fee"])


def settled_late_fee(
    *,
    amount: Decimal,
    due_on: datetime.date,
    paid_on: datetime.date | None,
    allocations: list[tuple[datetime.date, Decimal]],
    terms: LateFeeTerms,
) -> Decimal | None:
    """The late fee an installment paid in full on `paid_on` ran up — the figure its statement shows
    on that day and on every day after (the fee stops accruing once it is paid); None while open.
    Kept on the installment so that receivables find in SQL the contracts that owe only late fees."""
    if paid_on is None:
        return None
    return installment_position(
        amount=amount, due_on=due_on, allocations=allocations, as_of=paid_on, terms=terms
    ).late_fee


def kept_late_fees_refresh(*, batch: int = 1000) -> int:
    """Compute again the late fee each installment paid in full keeps, from its allocations and its
    contract's terms now, and store those that differ; returns how many changed.

    The payment allocation keeps them as it goes; this is for a change of the company's default
    terms (CONTRACTS_LATE_FEE_* / CONTRACTS_GRACE_DAYS in settings), which statements apply at
    once to every contract without terms of its own (`manage.py refresh_kept_late_fees`). In
    batches of installments, a few queries a batch, each batch in its own transaction."""
    changed = 0
    paid = Installment.objects.filter(paid_on__isnull=False).select_related("contract").order_by("pk")
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(paid.filter(pk__gt=last_pk).select_for_update(of=("self",))[:batch])
            if not rows:
                return changed
            last_pk = rows[-1].pk
            received: dict[int, list[tuple[datetime.date, Decimal]]] = {}
            for installment_id, day, amount in Allocation.objects.filter(
                installment_id__in=[i.pk for i in rows]
            ).values_list("installment_id", "received_on", "amount"):
                received.setdefault(installment_id, []).append((day, amount))
            stale = []
            for inst in rows:
                fee = settled_late_fee(
                    amount=inst.amount,
                    due_on=inst.due_on,
                    paid_on=inst.paid_on,
                    allocations=received.get(inst.pk, []),
                    terms=terms_for(inst.contract),
                )
                if fee != inst.settled_late_fee:
                    inst.settled_late_fee = fee
                    stale.append(inst)
            Installment.objects.bulk_update(stale, ["settled_late_fee"])
            changed += len(stale)


# --- payments -------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    actor,
    contract: Contract,
    received_on: datetime.date,
    amount: Decimal,
    method: str = Payment.Method.BANK,
    reference: str = "",
    note: str = "",
) -> tuple[Payment, bool]:
    """Record a payment received and allocate it. Idempotent on `reference`: the same reference
    again answers the payment already recorded (created False) if it matches, an error if not."""
    reference = (reference or "").strip()
    if reference:
        existing = Payment.objects.filter(reference=reference, voided_at__isnull=True).first()
        if existing is not None:
            if existing.contract_id != contract.pk or existing.amount != Decimal(amount):
                raise ValidationError(
                    {"reference": _("Reference %(ref)s is already used by another payment.") % {"ref": reference}},
                    code="duplicate_reference",
                )
            return existing, False
    contract = _lock(contract)
    if contract.status not in PAYABLE:
        raise ValidationError(_("Payments are recorded only for approved contracts."), code="not_payable")
    payment = Payment(
        contract=contract,
        account=contract.account,
        received_on=received_on,
        amount=amount,
        method=method,
        reference=reference,
        note=note,
        recorded_by=actor,
    )
    payment.full_clean()
    payment.save()
    _reallocate(contract)
    events.payment_received_event(payment=payment, actor=actor)
    return payment, True


VOID_REASON_MAX = 300


def can_void_payment(*, user, payment: Payment) -> bool:
    """Finance (and directors, administrators) void payments; account managers only read them."""
    return payment.voided_at is None and has_crm_perm(user, "contracts.change_payment")


@transaction.atomic
def payment_void(*, actor, payment: Payment, expected_version: int | None, reason: str) -> Payment:
    """Void a wrongly recorded payment. It stays on file (who, when, why) but no longer counts: its
    allocations are undone and the contract's remaining payments are allocated again, oldest
    installment first, so paid amounts, overdue amounts, late fees and credit are as if it had
    never been recorded. Its reference is freed for the right payment. Cannot be undone."""
    if not has_crm_perm(actor, "contracts.change_payment"):
        raise PermissionDenied(_("Only finance can void a payment."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this payment is voided.")}, code="required")
    if len(reason) > VOID_REASON_MAX:
        raise ValidationError({"reason": _("At most %(n)s characters.") % {"n": VOID_REASON_MAX}}, code="max_length")
    contract = _lock(payment.contract)  # the same lock as payments and schedule edits
    payment = Payment.objects.select_for_update(of=("self",)).select_related("voided_by").get(pk=payment.pk)
    if payment.voided_at is not None:
        raise ValidationError(
            _("This payment was already voided on %(day)s by %(who)s.")
            % {
                "day": timezone.localtime(payment.voided_at).strftime("%Y-%m-%d %H:%M"),
                "who": payment.voided_by or _("someone"),
            },
            code="already_voided",
        )
    if expected_version is not None and int(expected_version) != payment.version:
        raise StaleVersionError()
    payment.voided_at = timezone.now()
    payment.voided_by = actor
    payment.void_reason = reason
    save_versioned(payment, expected_version=None)  # checked above, under the same row lock
    _reallocate(contract)
    events.payment_voided_event(payment=payment, actor=actor)
    return payment


# --- documents ------------------------------------------------------------------------------

ALLOWED_DOCUMENTS = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".txt": (b"",),
}


def document_max_bytes() -> int:
    return int(getattr(settings, "CONTRACTS_DOCUMENT_MAX_MB", 20)) * 1024 * 1024


def check_document(upload) -> None:
    """Size and type: an allowed extension whose content starts as that type of file does."""
    if upload.size > document_max_bytes():
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB.") % {"mb": document_max_bytes() // (1024 * 1024)}},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    ext = os.path.splitext(upload.name)[1].lower()
    signatures = ALLOWED_DOCUMENTS.get(ext)
    if signatures is None:
        raise ValidationError(
            {"file": _("Allowed file types: %(types)s.") % {"types": ", ".join(sorted(ALLOWED_DOCUMENTS))}},
            code="file_type",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in signatures):
        raise ValidationError({"file": _("The file's content is not a %(ext)s file.") % {"ext": ext}}, code="file_type")


@transaction.atomic
def document_upload(*, contract: Contract, actor, upload, kind: str = ContractDocument.Kind.ATTACHMENT, name: str = ""):
    check_document(upload)
    document = ContractDocument(
        contract=contract,
        kind=kind,
        name=(name or os.path.basename(upload.name))[:200],
        size=upload.size,
        content_type=getattr(upload, "content_type", "") or "",
        uploaded_by=actor,
    )
    document.file.save(os.path.basename(upload.name), upload, save=False)  # through the storage API
    document.full_clean()
    document.save()
    return document


@transaction.atomic
def document_archive(*, document: ContractDocument, actor) -> ContractDocument:
    """Documents are archived (hidden), never deleted: the signed copy stays on file."""
    document.is_archived = True
    document.save(update_fields=["is_archived"])
    return document


TRANSITIONS_TO_TERMINATED = {status for status, moves in TRANSITIONS.items() if Contract.Status.TERMINATED in moves}
RENEWABLE = {Contract.Status.ACTIVE, Contract.Status.EXPIRING, Contract.Status.EXPIRED}
