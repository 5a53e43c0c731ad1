"""Visits, callbacks, notes and follow-ups: every contact with a key account (MISSION.md §3).

Status moves of a visit are listed once in `VISIT_TRANSITIONS` (services refuse anything else).
A date-only value (a follow-up's due date) is a local date in TIME_ZONE (Asia/Shanghai).
"""

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import MONEY

SATISFACTION = [MinValueValidator(1), MaxValueValidator(5)]
# The longest a visit may last (the services refuse longer ones). It also bounds the start of any
# visit that overlaps a day, so "what overlaps these days" is a range read of the start index
# instead of every earlier visit.
MAX_VISIT_LENGTH = datetime.timedelta(days=7)


class Visit(models.Model):
    """A visit plan and, once it happened, its record and the customer's feedback form."""

    class Kind(models.TextChoices):
        ON_SITE = "on_site", _("On-site")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video")
        EVENT = "event", _("Event")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CONFIRMED = "confirmed", _("Confirmed with the customer")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        MISSED = "missed", _("Missed")

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="visits"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("led by"),
        on_delete=models.PROTECT,
        related_name="visits_led",
        help_text=_("The person responsible for the visit."),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("also going"),
        blank=True,
        related_name="visits_joined",
        help_text=_("Colleagues who go too."),
    )
    contacts = models.ManyToManyField(
        "accounts.Contact",
        verbose_name=_("people to meet"),
        blank=True,
        related_name="visits",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.ON_SITE)
    purpose = models.CharField(_("purpose"), max_length=300, help_text=_("The goal of the visit, prepared beforehand."))
    planned_start = models.DateTimeField(_("starts"))
    planned_end = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=300, blank=True)
    materials = models.CharField(
        _("gifts and materials"), max_length=300, blank=True, help_text=_("What to bring: brochures, samples, gifts.")
    )
    materials_cost = models.DecimalField(
        _("cost of gifts and materials"),
        **MONEY,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    preparation = models.TextField(_("preparation notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PLANNED)
    status_reason = models.CharField(
        _("reason"), max_length=300, blank=True, help_text=_("Why the visit was cancelled or missed.")
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # the record after the visit
    happened_at = models.DateTimeField(_("happened at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=SATISFACTION,
        help_text=_("1 = very unhappy, 5 = very happy."),
    )
    suggestions = models.TextField(_("suggestions"), blank=True)
    needs = models.TextField(_("needs discovered"), blank=True)
    feedback = models.ForeignKey(
        "accounts.Feedback",
        verbose_name=_("feedback"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"], m2m_fields=[participants, contacts])

    class Meta:
        ordering = ["-planned_start", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["account", "-planned_start"], name="visit_account_start_idx"),
            models.Index(fields=["owner", "planned_start"], name="visit_owner_start_idx"),
            models.Index(fields=["planned_start"], name="visit_start_idx"),
            models.Index(fields=["status", "planned_start"], name="visit_status_start_idx"),
            # coverage: the visits done in a month
            models.Index(fields=["happened_at"], name="visit_done_at_idx", condition=models.Q(status="done")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")), name="visit_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="visit_satisfaction_1_5",
            ),
            models.CheckConstraint(condition=models.Q(materials_cost__gte=0), name="visit_materials_cost_positive"),
        ]

    def __str__(self):
        return f"{self.purpose} @ {self.account}"

    def get_absolute_url(self):
        return reverse("visits:visit_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PLANNED, self.Status.CONFIRMED)


# the allowed status moves (django-oscar style); services refuse anything else
VISIT_TRANSITIONS: dict[str, set[str]] = {
    Visit.Status.PLANNED: {Visit.Status.CONFIRMED, Visit.Status.DONE, Visit.Status.CANCELLED, Visit.Status.MISSED},
    Visit.Status.CONFIRMED: {Visit.Status.DONE, Visit.Status.CANCELLED, Visit.Status.MISSED},
    Visit.Status.DONE: set(),
    Visit.Status.CANCELLED: set(),
    Visit.Status.MISSED: set(),
}


class Callback(models.Model):
    """A callback (回访) or call logged by customer service or an account manager."""

    class Kind(models.TextChoices):
        CALLBACK = "callback", _("Callback (回访)")
        CALL = "call", _("Call")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("In person")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")

    class ProblemStatus(models.TextChoices):
        NONE = "", _("No problem")
        OPEN = "open", pgettext_lazy("problem status", "Open")
        HANDED_OVER = "handed_over", _("Handed over")
        RESOLVED = "resolved", _("Resolved, customer told")

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="callbacks"
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.CALLBACK)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.PHONE)
    occurred_at = models.DateTimeField(_("when"))
    summary = models.TextField(_("summary"), help_text=_("What was said, in a sentence or two."))
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=SATISFACTION,
        help_text=_("1 = very unhappy, 5 = very happy."),
    )
    problem_raised = models.BooleanField(
        _("problem raised"), default=False, help_text=_("The customer raised a problem that someone must act on.")
    )
    problem = models.TextField(_("problem"), blank=True)
    problem_status = models.CharField(
        _("problem status"), max_length=12, choices=ProblemStatus, default=ProblemStatus.NONE, blank=True
    )
    feedback = models.ForeignKey(
        "accounts.Feedback",
        verbose_name=_("feedback"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    service_request = models.ForeignKey(
        "service_requests.ServiceRequest",
        verbose_name=_("service request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text=_("Opened in the same save when the callback raised a problem."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks_logged",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [
            models.Index(fields=["account", "-occurred_at"], name="callback_account_at_idx"),
            models.Index(fields=["-occurred_at", "-id"], name="callback_recent_idx"),
            models.Index(fields=["created_by", "-occurred_at"], name="callback_agent_at_idx"),
            models.Index(
                fields=["problem_status"], name="callback_open_problem_idx", condition=models.Q(problem_raised=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="callback_satisfaction_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.account} {self.occurred_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("visits:callback_detail", args=[self.pk])


class Note(models.Model):
    """A free note about an account, for the timeline."""

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="notes_logged"
    )
    body = models.TextField(_("note"))
    occurred_at = models.DateTimeField(_("when"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["account", "-occurred_at"], name="note_account_at_idx")]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return reverse("accounts:detail", args=[self.account_id])


class FollowUp(models.Model):
    """Something someone must do by a date: from a visit's next step, a callback's problem, or by hand."""

    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    title = models.CharField(pgettext_lazy("follow-up", "what"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("from visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    callback = models.ForeignKey(
        Callback,
        verbose_name=_("from callback"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(
                fields=["assignee", "due_on"],
                name="followup_open_assignee_idx",
                condition=models.Q(done_at__isnull=True),
            ),
            models.Index(fields=["account", "due_on"], name="followup_account_due_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("visits:followup_detail", args=[self.pk])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class CoverageTarget(models.Model):
    """The share of accounts that should be contacted each month, e.g. 30% of group accounts (003).

    One row per (dimension, value); a blank value is the default for that dimension."""

    class Dimension(models.TextChoices):
        TIER = "tier", _("Tier")
        CATEGORY = "category", _("Category")
        OWNER = "owner", _("Account manager")

    dimension = models.CharField(_("by"), max_length=10, choices=Dimension)
    value = models.CharField(
        pgettext_lazy("coverage target", "value"),
        max_length=30,
        blank=True,
        help_text=_("A tier (vip, regular, small) or category code (group, important ...); blank: every other value."),
    )
    percent = models.DecimalField(
        _("target (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["dimension", "value"]
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "value"], name="coverage_target_unique"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="coverage_target_percent_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.get_dimension_display()} {self.value or '*'}: {self.percent}%"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's secret iCalendar address (phones subscribe to it); a new token revokes the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=_new_token, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
