"""Reminders: the rules, the exactly-once ledger (which is also the in-app inbox), the users'
channel choices, and outbound webhooks.

The ledger (`Notification`) has one row per (rule, subject, due date, recipient), unique, written
with INSERT ... ON CONFLICT DO NOTHING before anything is sent: a sweep that runs twice, two sweeps
at once, or a sweep catching up after downtime write each reminder once. `sent_at` is empty until
the delivery step has handled the row (e-mailed it, or left it to the daily digest), so a worker
that died between the ledger write and the send leaves rows the next delivery run finds.
"""

import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Recipient(models.TextChoices):
    OWNER = "owner", _("Account manager (owner)")
    ASSIGNEE = "assignee", _("Person responsible (assignee, visit leader, escalation ladder)")
    TEAM_LEADER = "team_leader", _("Team leader of the account manager")
    DIRECTORS = "directors", _("Sales directors")
    FINANCE = "finance", _("Finance")


lead_days_validator = RegexValidator(
    r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$", _("Days as whole numbers separated by commas, e.g. 90, 60, 30.")
)


class Rule(models.Model):
    """One kind of reminder (birthdays, overdue installments ...), switched on or off in admin with
    its lead time and recipients. The rows are made by a data migration; the sweep of each is code
    (reminders/rules.py)."""

    code = models.CharField(_("rule"), max_length=40, unique=True, editable=False)
    enabled = models.BooleanField(_("on"), default=True)
    lead_days = models.CharField(
        _("lead time (days)"),
        max_length=40,
        blank=True,
        validators=[lead_days_validator],
        help_text=_("How many days ahead to remind; several for some rules (e.g. 90, 60, 30). Empty: not used."),
    )
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    email_by_default = models.BooleanField(
        _("e-mail by default"), default=True, help_text=_("Users who have not chosen get e-mails of this rule.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")

    def __str__(self):
        from .rules import RULES

        spec = RULES.get(self.code)
        return str(spec.label) if spec else self.code

    @property
    def lead_list(self) -> list[int]:
        return sorted({int(x) for x in self.lead_days.replace(" ", "").split(",") if x}, reverse=True)


class Notification(models.Model):
    """The ledger: one reminder to one person, written before it is sent; in the app it is the inbox."""

    rule = models.CharField(_("rule"), max_length=40)
    subject_type = models.CharField(_("about (type)"), max_length=100)
    subject_id = models.BigIntegerField(_("about (id)"))
    due_on = models.DateField(_("due on"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,  # a link for the reader; no per-row check when a sweep writes thousands
    )
    data = models.JSONField(_("details"), default=dict)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by e-mail"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "due_on", "recipient"], name="notification_once"
            ),
        ]
        indexes = [
            # the bell: unread count of one user
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True, in_app=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # the delivery step: rows not handled yet
            models.Index(
                fields=["created_at"], name="notification_unsent_idx", condition=models.Q(sent_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.rule} · {self.subject_type}#{self.subject_id} · {self.due_on} → {self.recipient_id}"


class UserSettings(models.Model):
    """A person's delivery settings: the language of their e-mails and the daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="reminder_settings"
    )
    language = models.CharField(_("e-mail language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    email_digest = models.BooleanField(
        _("daily digest"),
        default=False,
        help_text=_("One e-mail a day with all reminders instead of one e-mail per reminder."),
    )

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self):
        return str(self.user)


class ChannelChoice(models.Model):
    """A person's channels for one rule (without a row: in the app, and e-mail if the rule says so)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="reminder_channels"
    )
    rule = models.CharField(_("rule"), max_length=40)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("channel choice")
        verbose_name_plural = _("channel choices")
        constraints = [models.UniqueConstraint(fields=["user", "rule"], name="channel_choice_once")]

    def __str__(self):
        return f"{self.user} · {self.rule}"


# --- outbound webhooks -------------------------------------------------------------------------


class WebhookEvent(models.TextChoices):
    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_UPDATED = "account.updated", _("Account updated")
    TIER_CHANGED = "tier.changed", _("Tier changed")
    REQUEST_OPENED = "service_request.opened", _("Service request opened")
    REQUEST_BREACHED = "service_request.breached", _("Service request breached")
    REQUEST_CLOSED = "service_request.closed", _("Service request closed")
    CONTRACT_ACTIVATED = "contract.activated", _("Contract activated")
    PAYMENT_OVERDUE = "payment.overdue", _("Payment overdue")


def new_secret() -> str:
    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """An integration's address and the events it wants; each delivery is signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        help_text=_("HMAC-SHA256 of the body with this secret is sent in X-CRM-Signature (sha256=HEX)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.name


class OutboundEvent(models.Model):
    """One event for integrations, recorded once (`key` is unique: the timeline row, history row or
    installment it came from)."""

    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent)
    key = models.CharField(_("source"), max_length=120, unique=True)
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbound event")
        verbose_name_plural = _("outbound events")

    def __str__(self):
        return f"{self.event} · {self.key}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        OutboundEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    log = models.JSONField(_("attempt log"), default=list, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_pending_idx", condition=models.Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.endpoint} · {self.event}"


class Cursor(models.Model):
    """How far a reader of another table (the timeline, the account history) has come."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    position = models.BigIntegerField(_("position"), default=0)
    seen_max = models.BigIntegerField(_("newest seen"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("event cursor")
        verbose_name_plural = _("event cursors")

    def __str__(self):
        return f"{self.name}: {self.position}"
