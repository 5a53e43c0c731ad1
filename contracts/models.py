"""Contracts, their approval, amendments, documents, payment schedules and payments.

Money rules (DESIGN.md): amounts are Decimal (14, 2); an installment's due date is a local date;
a payment is allocated to the oldest open installment first (see `services._reallocate`), and
what is left over is the contract's credit. Late fees are computed (`money.py`); an installment
paid in full keeps the fee it ran up (`Installment.settled_late_fee`, written by the allocation),
so that lists can find in SQL the contracts that owe only late fees.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.validators import not_in_future

MONEY = {"max_digits": 14, "decimal_places": 2}
POSITIVE = [MinValueValidator(Decimal("0.01"))]


class ContractType(models.TextChoices):
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    FRAMEWORK = "framework", _("Framework")
    SUPPLY = "supply", _("Supply")


class Currency(models.TextChoices):
    CNY = "CNY", _("CNY (¥)")
    USD = "USD", _("USD ($)")
    EUR = "EUR", _("EUR (€)")
    HKD = "HKD", _("HKD (HK$)")


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending approval")
        REJECTED = "rejected", _("Rejected")
        ACTIVE = "active", pgettext_lazy("contract status", "Active")
        EXPIRING = "expiring", _("Expiring")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    number = models.CharField(_("contract no."), max_length=20, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="contracts"
    )
    type = models.CharField(_("type"), max_length=12, choices=ContractType, default=ContractType.SALES)
    title = models.CharField(_("title"), max_length=200)
    value = models.DecimalField(_("value"), **MONEY, validators=POSITIVE, help_text=_("Total contract value."))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency, default=Currency.CNY)
    signed_on = models.DateField(_("signed on"), null=True, blank=True, validators=[not_in_future])
    start_on = models.DateField(_("start date"))
    end_on = models.DateField(_("end date"))
    auto_renew = models.BooleanField(
        _("auto-renew"),
        default=False,
        help_text=_("When it starts expiring, a renewal draft is prepared automatically (it still needs approval)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contracts",
        help_text=_("Who looks after this contract; usually the account manager."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.DRAFT, db_index=True)
    late_fee_rate = models.DecimalField(
        _("late fee (percent a day)"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Percent of the overdue amount per day, e.g. 0.05. Empty: the company default."),
    )
    late_fee_cap = models.DecimalField(
        _("late fee cap (percent of the installment)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The late fee of one installment never exceeds this share of it. Empty: the company default."),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        null=True,
        blank=True,
        help_text=_("Days after the due date without a late fee. Empty: the company default."),
    )
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.TextField(_("termination reason"), blank=True)
    renewal_of = models.OneToOneField(
        "self",
        verbose_name=_("renewal of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewed_by",
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["status", "end_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="contract_value_positive"),
            models.CheckConstraint(
                condition=models.Q(end_on__gte=models.F("start_on")), name="contract_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("contracts:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        """Terms are edited freely only before approval; afterwards they change by amendment."""
        return self.status in {self.Status.DRAFT, self.Status.REJECTED}

    @property
    def is_in_force(self) -> bool:
        return self.status in {self.Status.ACTIVE, self.Status.EXPIRING}


class ApprovalRule(models.Model):
    """Who must approve a contract: every rule whose type and value match adds one approval step."""

    class ApproverRole(models.TextChoices):
        DIRECTOR = "Sales director", _("Sales director")
        FINANCE = "Finance", _("Finance")
        ADMIN = "Administrator", _("Administrator")

    name = models.CharField(_("name"), max_length=100)
    contract_type = models.CharField(
        _("contract type"), max_length=12, choices=ContractType, blank=True, help_text=_("Empty: every type.")
    )
    min_value = models.DecimalField(
        _("from value"), **MONEY, default=Decimal("0"), help_text=_("Applies to contracts worth at least this much.")
    )
    approver_role = models.CharField(_("approver role"), max_length=30, choices=ApproverRole)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["min_value", "name"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")

    def __str__(self):
        return self.name


class ApprovalStep(models.Model):
    """One approval a submitted contract needs (from a rule); all must approve, one rejection rejects."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Withdrawn")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="approvals"
    )
    round = models.PositiveSmallIntegerField(_("submission"), default=1)
    rule = models.ForeignKey(ApprovalRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL)
    approver_role = models.CharField(_("approver role"), max_length=30, choices=ApprovalRule.ApproverRole)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [models.Index(fields=["approver_role", "decision"])]

    def __str__(self):
        return f"{self.contract} · {self.get_approver_role_display()}"


class Amendment(models.Model):
    """A change to a contract in force: what changed (old and new values), why, from when, by whom."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="amendments"
    )
    sequence = models.PositiveSmallIntegerField(_("no."))
    reason = models.TextField(_("reason"))
    effective_on = models.DateField(_("effective on"))
    changes = models.JSONField(_("changes"), default=dict, help_text=_("field -> [previous, new]"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["contract", "sequence"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        constraints = [models.UniqueConstraint(fields=["contract", "sequence"], name="amendment_unique_sequence")]

    def __str__(self):
        return f"{self.contract.number} #{self.sequence}"


def document_path(instance, filename):
    return f"contracts/{instance.contract_id}/{filename}"


class ContractDocument(models.Model):
    class Kind(models.TextChoices):
        SIGNED = "signed", _("Signed copy")
        ATTACHMENT = "attachment", _("Attachment")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.ATTACHMENT)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("contracts:document_download", args=[self.pk])


class Installment(models.Model):
    """One due amount of a contract's payment schedule. `paid_amount` is kept by the allocation."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="installments"
    )
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY, validators=POSITIVE)
    paid_amount = models.DecimalField(_("paid"), **MONEY, default=Decimal("0"), editable=False)
    paid_on = models.DateField(
        _("paid in full on"), null=True, blank=True, editable=False, help_text=_("Date of the payment that settled it.")
    )
    settled_late_fee = models.DecimalField(
        _("late fee when settled"),
        **MONEY,
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The late fee this installment ran up until it was paid in full (on the date above); it no longer "
            "changes after that. Empty while the installment is open. Kept by the payment allocation."
        ),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "due_on", "id"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        indexes = [
            # open installments by due date: the overdue selectors and reminders read this
            models.Index(fields=["due_on"], condition=models.Q(paid_on__isnull=True), name="installment_open_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="installment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0) & models.Q(paid_amount__lte=models.F("amount")),
                name="installment_paid_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(settled_late_fee__gte=0), name="installment_settled_late_fee_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.contract.number} · {self.due_on:%Y-%m-%d} · {self.amount}"

    @property
    def open_amount(self) -> Decimal:
        return self.amount - self.paid_amount


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")
        OTHER = "other", _("Other")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="payments"
    )
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="contract_payments"
    )
    received_on = models.DateField(_("received on"), validators=[not_in_future])
    amount = models.DecimalField(_("amount"), **MONEY, validators=POSITIVE)
    method = models.CharField(pgettext_lazy("payment", "method"), max_length=10, choices=Method, default=Method.BANK)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("The bank's or ERP's reference; a second payment with the same reference is not recorded again."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # A wrongly recorded payment is voided, never deleted: it stays listed (struck through) with
    # who voided it, when and why, and no longer counts anywhere (allocations, statements, credit).
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    void_reason = models.CharField(
        _("reason for voiding"),
        max_length=300,
        blank=True,
        help_text=_("Why this payment was recorded wrongly. Voiding cannot be undone; record the right payment anew."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["contract", "received_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            # a voided payment frees its reference: the right payment may be recorded with it
            models.UniqueConstraint(
                fields=["reference"],
                condition=~models.Q(reference="") & models.Q(voided_at__isnull=True),
                name="payment_unique_reference",
            ),
        ]

    def __str__(self):
        return f"{self.contract.number} · {self.amount} @ {self.received_on:%Y-%m-%d}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Allocation(models.Model):
    """The part of a payment that settles an installment (oldest open installment first)."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="allocations"
    )
    installment = models.ForeignKey(
        Installment, verbose_name=_("installment"), on_delete=models.CASCADE, related_name="allocations"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received on"), help_text=_("The payment's date, copied for as-of sums."))

    class Meta:
        ordering = ["installment", "received_on", "id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        indexes = [models.Index(fields=["installment", "received_on"])]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_positive")]

    def __str__(self):
        return f"{self.payment} → {self.installment}"


S = Contract.Status
# The allowed status moves (django-oscar style); services refuse anything else with InvalidTransition.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.PENDING, S.TERMINATED},
    S.PENDING: {S.ACTIVE, S.EXPIRING, S.REJECTED, S.DRAFT},
    S.REJECTED: {S.PENDING, S.DRAFT, S.TERMINATED},
    S.ACTIVE: {S.EXPIRING, S.EXPIRED, S.TERMINATED},
    S.EXPIRING: {S.ACTIVE, S.EXPIRED, S.TERMINATED},
    S.EXPIRED: set(),
    S.TERMINATED: set(),
}
