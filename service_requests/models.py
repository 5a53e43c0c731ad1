"""Service requests and complaints (MISSION.md §4): intake from every channel, routing, SLA clocks
by tier and priority, escalation, change requests and the customer's rating.

Allowed status moves are listed once in `TRANSITIONS`; the services refuse anything else.
Deadlines are stored on the request (recomputed by the services on every move) so the queues,
the at-risk and breached lists and the escalation sweep filter on indexed columns.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Tier

from . import sla


class ServiceCalendar(models.Model):
    """Business hours of a department: its SLA clocks run only inside them (calendar hours otherwise)."""

    department = models.OneToOneField(
        "users.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="service_calendar",
    )
    business_hours = models.BooleanField(
        _("count business hours only"),
        default=False,
        help_text=_("Off: the clocks count every hour of the day. On: only the working days and hours below."),
    )
    workdays = models.CharField(
        _("working days"),
        max_length=20,
        default="0,1,2,3,4",
        help_text=_("Comma-separated weekday numbers, 0 = Monday ... 6 = Sunday."),
    )
    opens_at = models.TimeField(_("opens at"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(18, 0))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="calendar_closes_after")
        ]

    def __str__(self):
        return str(self.department)

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            days = self.weekdays
        except ValueError:
            raise ValidationError({"workdays": _("Use weekday numbers 0-6 separated by commas.")}) from None
        if not days:
            raise ValidationError({"workdays": _("Name at least one working day.")})

    @property
    def weekdays(self) -> frozenset[int]:
        days = frozenset(int(part) for part in self.workdays.split(",") if part.strip())
        if any(d < 0 or d > 6 for d in days):
            raise ValueError("weekday out of range")
        return days

    def working_hours(self) -> sla.WorkingHours | None:
        if not self.business_hours:
            return sla.CALENDAR_HOURS
        return sla.WorkingHours(weekdays=self.weekdays, start=self.opens_at, end=self.closes_at)


class ServiceRequest(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        CALLBACK = "callback", _("Callback")
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web")
        API = "api", _("API")

    class Category(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        FAULT = "fault", _("Fault")
        COMPLAINT = "complaint", _("Complaint")
        CHANGE = "change", _("Change request")
        OTHER = "other", _("Other")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        DISPATCHED = "dispatched", _("Dispatched")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class ChangeKind(models.TextChoices):
        RENAME = "rename", _("Rename")
        TRANSFER = "transfer", _("Transfer of ownership")
        RELOCATION = "relocation", _("Relocation")
        SUSPENSION = "suspension", _("Temporary suspension")
        CAPACITY = "capacity", _("Capacity change")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="service_requests"
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
        help_text=_("Who raised it, if known."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.PHONE)
    category = models.CharField(
        pgettext_lazy("request category", "category"), max_length=15, choices=Category, default=Category.CONSULTATION
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority, default=Priority.NORMAL)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        "users.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
        help_text=_("The department responsible for it."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests_assigned",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.NEW)
    # the SLA: targets fixed at intake from the tier the account had then
    tier_at_intake = models.CharField(_("tier at intake"), max_length=10, choices=Tier, editable=False)
    response_target_minutes = models.PositiveIntegerField(_("respond within (minutes)"), editable=False)
    resolution_target_minutes = models.PositiveIntegerField(_("resolve within (minutes)"), editable=False)
    business_hours = models.BooleanField(
        _("business hours"), default=False, editable=False, help_text=_("Whether the clocks count business hours.")
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True, editable=False)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(
        _("clock paused since"), null=True, blank=True, editable=False, help_text=_("While waiting on the customer.")
    )
    paused_minutes = models.PositiveIntegerField(_("paused (minutes)"), default=0, editable=False)
    dispatch_due_at = models.DateTimeField(_("dispatch due"), null=True, blank=True, editable=False)
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, editable=False)
    # the earliest running deadline and its 80% mark: what the queues and the sweep filter on
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True, editable=False)
    at_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True, editable=False)
    breached = models.BooleanField(_("SLA breached"), default=False, editable=False)
    # change requests (更名、过户、迁移、暂拆)
    change_kind = models.CharField(_("change"), max_length=12, choices=ChangeKind, blank=True)
    new_name = models.CharField(
        _("new name"), max_length=200, blank=True, help_text=_("Rename and transfer: the account's new name.")
    )
    new_holder = models.CharField(
        _("new holder"), max_length=200, blank=True, help_text=_("Transfer: the person or company taking over.")
    )
    new_address = models.CharField(_("new address"), max_length=300, blank=True, help_text=_("Relocation."))
    new_region = models.CharField(_("new region"), max_length=100, blank=True, help_text=_("Relocation."))
    suspend_from = models.DateField(_("suspend from"), null=True, blank=True)
    suspend_until = models.DateField(_("suspend until"), null=True, blank=True)
    new_capacity = models.CharField(
        _("new capacity"), max_length=200, blank=True, help_text=_("Capacity change, e.g. '200 Mbps'.")
    )
    change_applied_at = models.DateTimeField(_("change applied at"), null=True, blank=True, editable=False)
    # closing
    resolution = models.TextField(_("resolution"), blank=True)
    customer_informed = models.BooleanField(_("customer informed"), default=False)
    rating = models.PositiveSmallIntegerField(
        _("customer's rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 = very unhappy, 5 = very happy."),
    )
    customer_unreachable = models.BooleanField(_("customer unreachable"), default=False)
    contact_attempts = models.TextField(
        _("contact attempts"), blank=True, help_text=_("When and how you tried to reach the customer.")
    )
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0, editable=False)
    external_ref = models.CharField(
        _("external reference"), max_length=100, blank=True, help_text=_("The caller system's ticket number.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["account", "-received_at"], name="sr_account_received_idx"),
            models.Index(fields=["assignee", "status"], name="sr_assignee_status_idx"),
            models.Index(fields=["department", "status"], name="sr_department_status_idx"),
            models.Index(fields=["status", "-received_at"], name="sr_status_received_idx"),
            # the at-risk / breached queues and the escalation sweep: open requests by deadline
            models.Index(
                fields=["at_risk_at"],
                name="sr_open_at_risk_idx",
                condition=~models.Q(status__in=["resolved", "closed"]),
            ),
            models.Index(
                fields=["next_due_at"],
                name="sr_open_due_idx",
                condition=~models.Q(status__in=["resolved", "closed"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="sr_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed")
                | models.Q(customer_informed=True)
                | models.Q(customer_unreachable=True),
                name="sr_closed_customer_told",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    def get_absolute_url(self):
        return reverse("service_requests:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def next_due_passed(self) -> bool:
        return self.next_due_at is not None and self.next_due_at <= timezone.now()

    @property
    def sla_state(self) -> str:
        """breached / done / paused / at_risk / on_track, as the lists show it."""
        if self.breached:
            return "breached"
        if not self.is_open:
            return "done"
        if self.paused_at is not None:
            return "paused"
        if self.at_risk_at is not None and self.at_risk_at <= timezone.now():
            return "at_risk"
        return "on_track"


# The request's flow (django-oscar style): anything else is refused by the services.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ServiceRequest.Status.NEW: (ServiceRequest.Status.DISPATCHED,),
    ServiceRequest.Status.DISPATCHED: (ServiceRequest.Status.IN_PROGRESS,),
    ServiceRequest.Status.IN_PROGRESS: (ServiceRequest.Status.WAITING, ServiceRequest.Status.RESOLVED),
    ServiceRequest.Status.WAITING: (ServiceRequest.Status.IN_PROGRESS, ServiceRequest.Status.RESOLVED),
    ServiceRequest.Status.RESOLVED: (ServiceRequest.Status.CLOSED, ServiceRequest.Status.IN_PROGRESS),
    ServiceRequest.Status.CLOSED: (ServiceRequest.Status.IN_PROGRESS,),
}

# Priority scales the tier's targets (TierBenefit hours are for a normal request).
PRIORITY_FACTORS = {
    ServiceRequest.Priority.URGENT: 0.25,
    ServiceRequest.Priority.HIGH: 0.5,
    ServiceRequest.Priority.NORMAL: 1.0,
    ServiceRequest.Priority.LOW: 2.0,
}
# Until an administrator sets a tier's benefits (tiering.TierBenefit), these hours apply.
DEFAULT_TARGET_HOURS = {Tier.VIP: (2, 24), Tier.REGULAR: (8, 72), Tier.SMALL: (24, 120)}


class Comment(models.Model):
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    is_internal = models.BooleanField(
        _("internal"), default=True, help_text=_("Internal notes are for staff; others were told to the customer.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self):
        return self.body[:60]


def attachment_path(instance, filename):
    return f"service_requests/{instance.request_id}/{filename}"


class Attachment(models.Model):
    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


class Escalation(models.Model):
    """One notice that a clock is at risk or breached, to one person; unique, so a sweep that runs
    twice (or two at once) escalates once."""

    class Clock(models.TextChoices):
        DISPATCH = "dispatch", _("Dispatch")
        RESPONSE = "response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Level(models.TextChoices):
        AT_RISK = "at_risk", _("At risk (80%)")
        BREACHED = "breached", _("Breached")
        CRITICAL = "critical", _("Breached long ago (150%)")

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="escalations"
    )
    clock = models.CharField(_("clock"), max_length=12, choices=Clock)
    level = models.CharField(_("level"), max_length=10, choices=Level)
    due_at = models.DateTimeField(_("deadline"))
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("notified"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["request", "clock", "level", "due_at"], name="escalation_once"),
        ]

    def __str__(self):
        return f"{self.request.number} {self.get_clock_display()} {self.get_level_display()}"
