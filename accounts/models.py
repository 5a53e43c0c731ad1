"""Key accounts and everything recorded about them.

Sign rule for money: `Transaction.amount` is always positive; its `kind` gives the sign.
Net revenue = purchases + recharges − refunds.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.db import TrigramIndex
from core.validators import not_future_year, not_in_future

from .validators import validate_phone

MONEY = {"max_digits": 14, "decimal_places": 2}
# One record is at most a billion (yuan); sums of records are kept with 20 digits, so a sum over
# a billion records at the largest amount still fits: no accepted input can fail a recompute.
MAX_AMOUNT = Decimal("1000000000.00")
TOTAL_MONEY = {"max_digits": 20, "decimal_places": 2}
LIVE = models.Q(is_archived=False)
# key accounts first: the order of customer service's callback worklist (its index, made in
# migration 0006, spells out the same CASE)
TIER_RANK = models.Case(models.When(tier="vip", then=0), models.When(tier="regular", then=1), default=2)

# What tiering's set-based recompute writes in this app's tables with raw SQL (tiering/recompute.py),
# stated here, by the owner of the tables, so that SQL is no hidden second owner:
# - UPDATE of these Account columns (of live accounts whose values changed). They are read-only
#   everywhere else: forms, API serializers, admin and imports leave them alone.
RECOMPUTED_FIELDS = ("tier", "abc_class", "rfm_segment", "revenue_12m")
# - INSERT of AccountEvent rows of these kinds (registered by tiering), with subject_type / subject_id.
RECOMPUTE_EVENT_KINDS = ("tier.changed", "tier.override_ended")


class Tier(models.TextChoices):
    """The three service tiers (000). Written by tiering's recompute; read everywhere."""

    VIP = "vip", _("VIP")
    REGULAR = "regular", _("Regular")
    SMALL = "small", _("Small")


# The tier order, highest first, and each tier's level (VIP 3 ... small 1; 0 for an unknown code):
# the one place that says which tier is above which (lists, matrices, promotion or demotion, SQL).
TIER_ORDER = [Tier.VIP, Tier.REGULAR, Tier.SMALL]
TIER_LEVEL = {tier.value: len(TIER_ORDER) - i for i, tier in enumerate(TIER_ORDER)}


def tier_level_sql(column: str) -> str:
    """A tier column's level as SQL (for comparisons inside set-based statements)."""
    whens = " ".join(f"WHEN '{code}' THEN {level}" for code, level in TIER_LEVEL.items())
    return f"(CASE {column} {whens} ELSE 0 END)"


class AbcClass(models.TextChoices):
    # xgettext:no-python-format
    A = "A", _("A (top 80% of revenue)")
    B = "B", _("B (next 15%)")
    C = "C", _("C (last 5%)")


class RfmSegment(models.TextChoices):
    """Named RFM segments (the classic RFM grid); tiering decides them from R and F+M."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL = "potential", _("Potential loyalists")
    NEW = "new", _("New customers")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    AT_RISK = "at_risk", _("At risk")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")
    NO_PURCHASES = "no_purchases", _("No purchases yet")


class Account(models.Model):
    class Category(models.TextChoices):
        IMPORTANT = "important", _("Important (government / party / military)")
        HIGH_VALUE = "high_value", _("High-value")
        GROUP = "group", _("Group (集团)")
        STRATEGIC = "strategic", _("Strategic")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        CHURNED = "churned", _("Churned")

    class Industry(models.TextChoices):
        GOVERNMENT = "government", _("Government & public sector")
        FINANCE = "finance", _("Banking & finance")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        TELECOM = "telecom", _("Telecom & internet")
        ENERGY = "energy", _("Energy & utilities")
        HEALTHCARE = "healthcare", _("Healthcare")
        EDUCATION = "education", _("Education")
        RETAIL = "retail", _("Retail & consumer")
        LOGISTICS = "logistics", _("Transport & logistics")
        REAL_ESTATE = "real_estate", _("Real estate & construction")
        MEDIA = "media", _("Media & entertainment")
        OTHER = "other", _("Other")

    number = models.CharField(
        _("account no."),
        max_length=20,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Assigned automatically when the account is created."),
    )
    name = models.CharField(_("name"), max_length=200)
    nickname = models.CharField(
        _("short name"),
        max_length=100,
        blank=True,
        help_text=_("What the team calls it, e.g. 'CMB Shenzhen'."),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category, default=Category.HIGH_VALUE)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry, default=Industry.OTHER)
    region = models.CharField(
        _("region"),
        max_length=50,
        blank=True,
        help_text=_("Province or city, e.g. 广东 or Shanghai."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
        help_text=_("For a group: the head company this one belongs to."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_accounts",
        help_text=_("The one person responsible (专人负责)."),
        db_index=False,  # account_owner_archived_idx starts with owner
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PROSPECT)
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Where the account came from: referral, tender, exhibition ..."),
    )
    tags = models.CharField(_("tags"), max_length=300, blank=True, help_text=_("Comma-separated, e.g. 'cloud, 5G'."))
    notes = models.TextField(_("notes"), blank=True)

    # RECOMPUTED_FIELDS: written by tiering's recompute; kept here so every list can filter on them
    tier = models.CharField(_("tier"), max_length=10, choices=Tier, default=Tier.SMALL)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=30, choices=RfmSegment, blank=True)
    revenue_12m = models.DecimalField(
        _("12-month revenue"),
        **TOTAL_MONEY,
        default=Decimal("0"),
        help_text=_("Net revenue over the tier window, as of the last recompute."),
    )
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)

    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["revenue_12m", "version", "updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        # plain b-tree indexes (db_index=True on a CharField adds a second, unused LIKE index on
        # PostgreSQL, and every extra index slows tiering's bulk update); search uses the trigram
        # index of AccountSearch
        indexes = [
            # live only: the revenue sort of the lists and the Pareto curve (an index-only scan)
            models.Index(fields=["-revenue_12m", "id"], name="account_live_revenue_idx", condition=LIVE),
            models.Index(fields=["name", "id"], name="account_name_idx"),
            # partial on live accounts, so a filtered list's COUNT is an index-only scan
            # The included columns let the dashboard, tier and ABC totals (counts and sums over
            # every live account the user sees) and the joins of scores to live accounts read
            # this index alone instead of the wide table.
            models.Index(
                fields=["tier", "status"],
                name="account_live_tier_stats_idx",
                condition=LIVE,
                include=["revenue_12m", "last_contact_at", "abc_class", "owner", "team", "id"],
            ),
            models.Index(fields=["status", "category"], name="account_live_status_idx", condition=LIVE),
            models.Index(fields=["category"], name="account_live_category_idx", condition=LIVE),
            models.Index(fields=["industry"], name="account_live_industry_idx", condition=LIVE),
            models.Index(fields=["region"], name="account_live_region_idx", condition=LIVE),
            models.Index(fields=["abc_class"], name="account_live_abc_idx", condition=LIVE),
            models.Index(fields=["rfm_segment"], name="account_live_rfm_idx", condition=LIVE),
            # The overdue list and the callback worklist read two more indexes, in their exact
            # order (last contact, never contacted first): created by migration 0006 in SQL per
            # database, because SQLite refuses NULLS FIRST in an index (and sorts NULLs first
            # anyway), so they are not declared here.
            models.Index(fields=["owner", "is_archived"], name="account_owner_archived_idx"),
            # the few archived accounts: company-wide revenue figures subtract their share from the
            # rollup's month totals instead of joining every live account
            models.Index(fields=["id"], name="account_archived_idx", condition=models.Q(is_archived=True)),
        ]
        # unique as a constraint rather than unique=True: the field's flag adds a LIKE index on
        # PostgreSQL that no query uses (searches go through AccountSearch), one more index for every
        # row the recompute updates
        constraints = [models.UniqueConstraint(fields=["number"], name="account_number_unique")]

    def __str__(self):
        return f"{self.name} ({self.number})" if self.number else self.name

    def get_absolute_url(self):
        return reverse("accounts:detail", args=[self.pk])

    def clean(self):
        if self.parent_id and self.pk:
            seen = {self.pk}
            node = self.parent
            depth = 0
            while node is not None and depth < 50:
                if node.pk in seen:
                    raise ValidationError(
                        {"parent": _("An account cannot belong to itself or to one of its own subsidiaries.")}
                    )
                seen.add(node.pk)
                node = node.parent
                depth += 1


class AccountSearch(models.Model):
    """The text the account list searches: lower-cased name, short name, number, and the live
    contacts' names and phone digits (see accounts.search). A table of its own, so the trigram
    index on it is not rewritten each time tiering updates the accounts."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="search")
    text = models.TextField(_("search text"), blank=True)

    class Meta:
        verbose_name = _("account search text")
        verbose_name_plural = _("account search texts")
        # the lists filter `search__text__contains` (LIKE '%term%'), which this index serves on PostgreSQL
        indexes = [TrigramIndex(fields=["text"], name="account_search_text_trgm")]

    def __str__(self):
        return self.text[:60]


class Contact(models.Model):
    class Role(models.TextChoices):
        ECONOMIC = "economic", _("Economic buyer")
        TECHNICAL = "technical", _("Technical buyer")
        USER = "user", _("User")
        FINANCIAL = "financial", _("Financial buyer")
        COACH = "coach", _("Coach")

    class Attitude(models.TextChoices):
        SUPPORTER = "supporter", _("Supporter")
        NEUTRAL = "neutral", _("Neutral")
        OPPONENT = "opponent", _("Opponent")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        VISIT = "visit", _("In person")

    class Calendar(models.TextChoices):
        GREGORIAN = "gregorian", _("Gregorian")
        LUNAR = "lunar", _("Chinese lunar (农历)")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    role = models.CharField(
        _("buying role"),
        max_length=20,
        choices=Role,
        default=Role.USER,
        help_text=_("Their part in the buying decision."),
    )
    attitude = models.CharField(_("attitude"), max_length=20, choices=Attitude, default=Attitude.NEUTRAL)
    influence = models.PositiveSmallIntegerField(
        _("influence"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 = little say, 5 = decides."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    birthday_calendar = models.CharField(
        _("birthday calendar"), max_length=10, choices=Calendar, default=Calendar.GREGORIAN
    )
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"),
        null=True,
        blank=True,
        help_text=_("Optional."),
        validators=[MinValueValidator(1900), not_future_year],
    )
    birth_month = models.PositiveSmallIntegerField(
        _("birth month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    birth_day = models.PositiveSmallIntegerField(
        _("birth day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    birth_leap_month = models.BooleanField(
        _("leap month"),
        default=False,
        help_text=_("Lunar birthdays only: born in a leap month (闰月)."),
    )
    interests = models.CharField(_("interests"), max_length=300, blank=True)
    family_notes = models.TextField(_("family notes"), blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel, default=Channel.PHONE)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_archived = models.BooleanField(_("archived"), default=False, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["version", "updated_at"])

    class Meta:
        ordering = ["-is_primary", "-influence", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["birth_month", "birth_day"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5), name="contact_influence_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(birth_month__isnull=True, birth_day__isnull=True)
                | models.Q(birth_month__isnull=False, birth_day__isnull=False),
                name="contact_birthday_month_and_day",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:detail", args=[self.account_id]) + f"#contact-{self.pk}"

    def clean(self):
        from .birthdays import birthday_error

        error = birthday_error(self)
        if error:
            raise ValidationError({"birth_day": error})

    @property
    def birthday_display(self) -> str:
        from .birthdays import format_birthday

        return format_birthday(self)


# A contact's fields that people fill in, in the order forms show them: the one list that the
# form, the API, the import/export and the update service use.
CONTACT_FIELDS = [
    "name",
    "title",
    "department",
    "role",
    "attitude",
    "influence",
    "phone",
    "email",
    "preferred_channel",
    "birthday_calendar",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_leap_month",
    "interests",
    "family_notes",
    "is_primary",
]


class Transaction(models.Model):
    class Kind(models.TextChoices):
        RECHARGE = "recharge", _("Recharge")
        PURCHASE = "purchase", _("Purchase")
        REFUND = "refund", _("Refund")

    # what a recorded transaction carries: the push inserts these (and created_at); the admin
    # shows them read-only once saved (corrections go through the service)
    RECORDED_FIELDS = (
        "account",
        "kind",
        "amount",
        "occurred_at",
        "product_line",
        "source_system",
        "external_ref",
        "note",
        "created_by",
    )

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,  # the (account, occurred_at) index serves every lookup by account
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.PURCHASE)
    amount = models.DecimalField(
        _("amount"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("Always positive, at most 1,000,000,000.00; a refund subtracts by its kind."),
    )
    occurred_at = models.DateTimeField(_("occurred at"), validators=[not_in_future])
    product_line = models.CharField(_("product line"), max_length=100, blank=True)
    source_system = models.CharField(
        _("source system"),
        max_length=50,
        default="manual",
        help_text=_("The system that sent it: erp, billing, import, manual ..."),
    )
    external_ref = models.CharField(
        _("external reference"),
        max_length=100,
        blank=True,
        help_text=_("The record's id in the source system; a second push with the same one is ignored."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed where set only (Meta.indexes): pushed and imported rows have none
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        # every index here is written by each push, import row and seed row: each serves a query
        # (db_index=True on the product line added a LIKE index nothing uses)
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            # time ranges over every account (last year's days for the director's month, the
            # recompute window's edge days) sum net revenue per account from this index alone:
            # half a month at a million accounts 449 → 36 ms
            models.Index(fields=["occurred_at"], include=["account", "kind", "amount"], name="transaction_time_cover"),
            models.Index(fields=["product_line"], name="transaction_product_line_idx"),
            models.Index(
                fields=["created_by"], name="transaction_created_by_idx", condition=models.Q(created_by__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transaction_amount_positive"),
            models.UniqueConstraint(
                fields=["source_system", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="transaction_unique_source_ref",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} @ {self.occurred_at:%Y-%m-%d}"

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.REFUND else self.amount


class Feedback(models.Model):
    """Satisfaction and suggestions collected over time (满意程度, 建议收集)."""

    class Channel(models.TextChoices):
        CALLBACK = "callback", _("Callback")
        VISIT = "visit", _("Visit")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        SURVEY = "survey", _("Survey")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DONE = "done", _("Done")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="feedback")
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    received_on = models.DateField(_("date"), validators=[not_in_future])
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.CALLBACK)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 = very unhappy, 5 = very happy."),
    )
    suggestion = models.TextField(_("suggestion"), blank=True)
    status = models.CharField(_("status"), max_length=15, choices=Status, default=Status.NEW, db_index=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_feedback",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [
            models.Index(fields=["account", "received_on"]),
            # newest first across accounts (feedback lists, the dashboard's unhappy customers):
            # read in order and stop at the page, instead of joining every account first
            models.Index(fields=["-received_on", "-id"], name="feedback_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="feedback_satisfaction_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.received_on}: {self.satisfaction}/5"


class Competitor(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    website = models.URLField(_("website"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")

    def __str__(self):
        return self.name


class CompetitorPresence(models.Model):
    """A competitor active at one account (竞争对手动态管理)."""

    class Strength(models.TextChoices):
        WEAK = "weak", _("Weak")
        MEDIUM = "medium", _("Medium")
        STRONG = "strong", _("Strong")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="competitor_presences",
    )
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("competitor"), on_delete=models.PROTECT, related_name="presences"
    )
    products = models.CharField(_("their products here"), max_length=300, blank=True)
    strength = models.CharField(_("strength"), max_length=10, choices=Strength, default=Strength.MEDIUM)
    since = models.DateField(_("present since"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("competitor presence")
        verbose_name_plural = _("competitor presences")
        constraints = [
            models.UniqueConstraint(fields=["account", "competitor"], name="presence_unique_account_competitor")
        ]

    def __str__(self):
        return f"{self.competitor} @ {self.account}"


class AccountEvent(models.Model):
    """One entry on the account timeline. Every app's services write these (Saleor-style events);
    the kind's registered renderer turns `data` into words in the reader's language."""

    # (account, -occurred_at) below serves both the account's lookups and its timeline order;
    # one index less to write on every event (the tier recompute writes tens of thousands).
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="events", db_index=False
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=50)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed where set only (ACTOR_SET below)
    )
    # what the event is about: "<app_label>.<model>" and its id ("contracts.contract", 12), so
    # "the events of contract 12" is one indexed query; the link is built when shown (the
    # kind's `link` function), never stored
    subject_type = models.CharField(_("subject type"), max_length=100, blank=True)
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        indexes = [
            models.Index(fields=["account", "-occurred_at"]),
            models.Index(fields=["subject_type", "subject_id"], name="account_event_subject_idx"),
            # for a user's deletion (SET_NULL) only: events written by jobs have no actor, and a
            # whole-table index of NULLs is a cost on each of a recompute's thousands of rows
            models.Index(fields=["actor"], name="account_event_actor_idx", condition=models.Q(actor__isnull=False)),
        ]

    def __str__(self):
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d}"


class MonthlyRevenue(models.Model):
    """Net revenue of one account in one local calendar month, kept by `accounts.revenue`
    in the same transaction as every transaction written (push, import, correction).

    The 360° chart and the tier recompute's window read these rows instead of every
    transaction; the recompute checks them against the raw transactions (accounts.revenue)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="monthly_revenue", db_index=False)
    month = models.DateField(_("month"), help_text=_("The first day of the local calendar month."))
    revenue = models.DecimalField(_("net revenue"), max_digits=16, decimal_places=2, default=Decimal("0"))
    purchases = models.IntegerField(_("purchases and recharges"), default=0)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly revenue")
        verbose_name_plural = _("monthly revenue")
        # on PostgreSQL this index also carries revenue, purchases and last purchase (migration
        # 0012): the recompute sums the rollup per account from the index alone, in order
        constraints = [models.UniqueConstraint(fields=["account", "month"], name="monthly_revenue_account_month")]
        # a month's rows are spread over the whole table (it is kept in account order): the
        # company's month totals read them from this index alone (185,000 rows at a million
        # accounts: 146 → 23 ms), at the price of a non-HOT update per upsert
        indexes = [models.Index(fields=["month"], include=["account", "revenue"], name="monthly_revenue_month_cover")]

    def __str__(self):
        return f"{self.account_id} {self.month:%Y-%m}: {self.revenue}"
