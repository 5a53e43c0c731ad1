"""Opportunities: the key-account sales process from a customer's need to its decision (MISSION.md §6).

Stages follow the customer's buying process and are kept in admin; each has a default win
probability. An opportunity's probability follows its stage unless someone sets it by hand.
Every stage move is a `StageChange` row with its time, so the time spent in each stage is known.
Quotes have lines (Decimal arithmetic in `quote_math.py`), revisions, a validity date and an
approval when a discount exceeds the company's limit (`QuoteSettings`, kept in admin); an accepted
quote drafts a contract. A quote still in play when its validity date passes is marked expired by
the daily sweep (`services.quotes_expire`); it can then only be revised.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext, pgettext_lazy
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 14, "decimal_places": 2}
MAX_AMOUNT = Decimal("1000000000.00")
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]

# The stages the data migration creates: the customer's buying process (code, name, default
# probability, outcome). Their names are translated when shown, unless admin renamed them.
DEFAULT_STAGES = [
    ("need", gettext_noop("Need identified"), 10, "open"),
    ("project", gettext_noop("Project set up"), 20, "open"),
    ("information", gettext_noop("Information gathering"), 30, "open"),
    ("screening", gettext_noop("Technical screening"), 40, "open"),
    ("evaluation", gettext_noop("Evaluation"), 60, "open"),
    ("decision", gettext_noop("Decision"), 80, "open"),
    ("won", gettext_noop("Won"), 100, "won"),
    ("lost", gettext_noop("Lost"), 0, "lost"),
]
DEFAULT_STAGE_NAMES = frozenset(name for _code, name, _p, _o in DEFAULT_STAGES)
STAGE_CONTEXT = "opportunity stage"
# for makemessages: the default names are translated in the stage context (pgettext), where
# "Won" and "Lost" are a deal's outcome, not a customer's
_STAGE_NAMES = [
    pgettext_lazy("opportunity stage", "Need identified"),
    pgettext_lazy("opportunity stage", "Project set up"),
    pgettext_lazy("opportunity stage", "Information gathering"),
    pgettext_lazy("opportunity stage", "Technical screening"),
    pgettext_lazy("opportunity stage", "Evaluation"),
    pgettext_lazy("opportunity stage", "Decision"),
    pgettext_lazy("opportunity stage", "Won"),
    pgettext_lazy("opportunity stage", "Lost"),
]


class Stage(models.Model):
    """One step of the customer's buying process (configurable in admin)."""

    class Outcome(models.TextChoices):
        OPEN = "open", pgettext_lazy("opportunity outcome", "Open")
        WON = "won", pgettext_lazy("opportunity outcome", "Won")
        LOST = "lost", pgettext_lazy("opportunity outcome", "Lost")

    code = models.SlugField(_("code"), max_length=30, unique=True, help_text=_("A short fixed key, e.g. evaluation."))
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Position on the pipeline board."))
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"),
        validators=PERCENT,
        help_text=_("The chance of winning an opportunity in this stage, unless set by hand."),
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=5,
        choices=Outcome,
        default=Outcome.OPEN,
        help_text=_("Won and lost stages close the opportunity and need a reason."),
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive stages take no new moves."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100), name="stage_probability_0_100"
            )
        ]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        """The stage's name in the reader's language when it is one of the defaults, unrenamed."""
        return pgettext(STAGE_CONTEXT, self.name) if self.name in DEFAULT_STAGE_NAMES else self.name

    @property
    def is_closed(self) -> bool:
        return self.outcome != self.Outcome.OPEN


class CloseReason(models.TextChoices):
    PRICE = "price", _("Price")
    PRODUCT = "product", _("Product or technical fit")
    RELATIONSHIP = "relationship", _("Relationship")
    SERVICE = "service", _("Service and support")
    TIMING = "timing", _("Timing or budget")
    NO_DECISION = "no_decision", _("No decision / project stopped")
    OTHER = "other", _("Other")


class Opportunity(models.Model):
    account = models.ForeignKey(
        "accounts.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="opportunities"
    )
    title = models.CharField(_("title"), max_length=200)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    amount = models.DecimalField(
        _("amount"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("Expected deal value."),
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=PERCENT, help_text=_("Empty: the stage's default.")
    )
    probability_is_custom = models.BooleanField(
        _("probability set by hand"),
        default=False,
        help_text=_("When off, the probability follows the stage's default at every move."),
    )
    expected_close_on = models.DateField(_("expected close date"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_opportunities",
    )
    contacts = models.ManyToManyField(
        "accounts.Contact",
        through="OpportunityContact",
        verbose_name=_("contacts involved"),
        related_name="opportunities",
        blank=True,
    )
    competitors = models.ManyToManyField(
        "accounts.Competitor", verbose_name=_("competitors in the deal"), related_name="opportunities", blank=True
    )
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    close_reason = models.CharField(_("won/lost reason"), max_length=20, choices=CloseReason, blank=True)
    close_note = models.TextField(_("won/lost notes"), blank=True)
    lost_to = models.ForeignKey(
        "accounts.Competitor",
        verbose_name=_("lost to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="won_opportunities",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False, db_index=True)
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
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["expected_close_on", "pk"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["account", "stage"]),
            models.Index(fields=["stage", "expected_close_on"]),
            models.Index(fields=["owner", "expected_close_on"]),
            models.Index(fields=["closed_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100), name="opportunity_probability_0_100"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("opportunities:detail", args=[self.pk])

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))


class OpportunityContact(models.Model):
    """A contact of the account involved in the deal, with their part in this decision."""

    class Role(models.TextChoices):
        ECONOMIC = "economic", _("Economic buyer")
        DECISION = "decision", _("Decision maker")
        TECHNICAL = "technical", _("Technical buyer")
        USER = "user", _("User")
        FINANCIAL = "financial", _("Financial buyer")
        COACH = "coach", _("Coach")

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="contact_roles"
    )
    contact = models.ForeignKey(
        "accounts.Contact", verbose_name=_("contact"), on_delete=models.PROTECT, related_name="opportunity_roles"
    )
    role = models.CharField(_("role in this deal"), max_length=20, choices=Role, default=Role.USER)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "pk"]
        verbose_name = _("contact involved")
        verbose_name_plural = _("contacts involved")
        constraints = [models.UniqueConstraint(fields=["opportunity", "contact"], name="opportunity_contact_once")]

    def __str__(self):
        return f"{self.contact} ({self.get_role_display()})"


# the roles that make up the buying centre's deciding side (the gaps warning looks for them)
DECIDING_ROLES = (OpportunityContact.Role.ECONOMIC, OpportunityContact.Role.DECISION)


class StageChange(models.Model):
    """One move of an opportunity into a stage (the first row is its creation)."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, verbose_name=_("from stage"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["opportunity", "changed_at"])]

    def __str__(self):
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"


class Quote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Awaiting discount approval")
        APPROVED = "approved", _("Ready to send")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Superseded")
        EXPIRED = "expired", _("Expired")

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="quotes"
    )
    number = models.CharField(_("quote no."), max_length=20, editable=False)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1, editable=False)
    previous = models.OneToOneField(
        "self", verbose_name=_("revises"), null=True, blank=True, on_delete=models.PROTECT, related_name="revised_by"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.DRAFT, db_index=True)
    valid_until = models.DateField(_("valid until"))
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=Decimal("0"), editable=False)
    max_discount = models.DecimalField(
        _("largest discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), editable=False
    )
    notes = models.TextField(_("notes"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("discount approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("discount approved at"), null=True, blank=True)
    decided_on = models.DateField(_("customer decided on"), null=True, blank=True)
    contract = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quote",
    )
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
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision_unique"),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="quote_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.number} r{self.revision}"

    def get_absolute_url(self):
        return reverse("opportunities:quote", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_expired(self) -> bool:
        """Expired, or still in play past its validity date (the daily sweep has not run yet)."""
        from django.utils import timezone

        in_play = (self.Status.DRAFT, self.Status.PENDING, self.Status.APPROVED, self.Status.SENT)
        return self.status == self.Status.EXPIRED or (
            self.status in in_play and self.valid_until < timezone.localdate()
        )


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    product = models.CharField(_("product or service"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000000"))],
    )
    unit_price = models.DecimalField(
        _("unit price"), **MONEY, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)]
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    line_total = models.DecimalField(_("line total"), max_digits=16, decimal_places=2, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self):
        return self.product


class QuoteSettings(models.Model):
    """The company's quote rules, changed by an administrator in admin without a deploy. One row
    (pk 1); while it is missing or a value is empty, the server's setting applies."""

    SINGLETON_PK = 1

    discount_limit_percent = models.DecimalField(
        _("discount limit (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "A quote with a line discounted above this percent waits for a sales director's approval. "
            "Empty: the server's setting (OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT)."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("quote settings")
        verbose_name_plural = _("quote settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="quote_settings_single_row"),
            models.CheckConstraint(
                condition=models.Q(discount_limit_percent__gte=0, discount_limit_percent__lte=100)
                | models.Q(discount_limit_percent__isnull=True),
                name="quote_settings_limit_0_100",
            ),
        ]

    def __str__(self):
        return str(_("Quote settings"))
