"""Tier policy (versioned), the latest scores per account, tier history, overrides, benefits
and recompute jobs.

`Account.tier`, `abc_class`, `rfm_segment` and `revenue_12m` live on the account (accounts app)
so every list can filter on them; the set-based recompute in `services.py` writes them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import TIER_LEVEL, TOTAL_MONEY, AbcClass, RfmSegment, Tier  # noqa: F401 - re-exported

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class TierPolicyQuerySet(models.QuerySet):
    def active(self):
        """The policy in force: the newest active version (None if there is none)."""
        return self.filter(is_active=True).order_by("-version").first()


class TierPolicy(models.Model):
    """How tiers are decided. Never edited in place: each change is saved as a new version
    (`services.tier_policy_new_version`), so every tier change names the rules it followed."""

    class Method(models.TextChoices):
        # xgettext:no-python-format
        REVENUE_RANK = "revenue_rank", _("Revenue rank (top % of accounts)")
        THRESHOLDS = "thresholds", _("Revenue thresholds")
        RFM = "rfm", _("RFM score")

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, default="Default")
    method = models.CharField(_("method"), max_length=20, choices=Method, default=Method.REVENUE_RANK)
    window_months = models.PositiveSmallIntegerField(
        _("window (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Revenue is summed over this many months up to the day of the recompute."),
    )
    vip_percent = models.DecimalField(
        _("VIP share of accounts (%)"),
        **PERCENT,
        default=Decimal("20"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Revenue rank: the top this-many percent of accounts with revenue are VIP."),
    )
    regular_percent = models.DecimalField(
        _("regular share of accounts (%)"),
        **PERCENT,
        default=Decimal("30"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Revenue rank: the next this-many percent are regular; the rest are small."),
    )
    min_vip_revenue = models.DecimalField(
        _("minimum revenue for VIP"),
        **MONEY,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("An account below this is never VIP, whatever its rank or score."),
    )
    vip_threshold = models.DecimalField(
        _("VIP from revenue"),
        **MONEY,
        default=Decimal("1000000"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Thresholds method: window revenue at or above this is VIP."),
    )
    regular_threshold = models.DecimalField(
        _("regular from revenue"),
        **MONEY,
        default=Decimal("100000"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Thresholds method: window revenue at or above this is regular."),
    )
    rfm_vip_score = models.PositiveSmallIntegerField(
        _("VIP from RFM score"),
        default=13,
        validators=[MinValueValidator(3), MaxValueValidator(15)],
        help_text=_("RFM method: R+F+M (3–15) at or above this is VIP."),
    )
    rfm_regular_score = models.PositiveSmallIntegerField(
        _("regular from RFM score"),
        default=9,
        validators=[MinValueValidator(3), MaxValueValidator(15)],
        help_text=_("RFM method: R+F+M at or above this is regular."),
    )
    abc_a_percent = models.DecimalField(
        # xgettext:no-python-format
        _("class A up to (% of revenue)"),
        **PERCENT,
        default=Decimal("80"),
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    abc_b_percent = models.DecimalField(
        # xgettext:no-python-format
        _("class B up to (% of revenue)"),
        **PERCENT,
        default=Decimal("95"),
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    demotion_streak = models.PositiveSmallIntegerField(
        _("recomputes before a demotion"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_(
            "A demotion takes effect only after the account qualified for the lower tier on this "
            "many recompute days in a row. Promotions are immediate."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TierPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(vip_percent__gte=0, regular_percent__gte=0)
                & models.Q(vip_percent__lte=100 - models.F("regular_percent")),
                name="tierpolicy_percent_sum_le_100",
            ),
            models.CheckConstraint(
                condition=models.Q(vip_threshold__gte=models.F("regular_threshold")),
                name="tierpolicy_vip_threshold_ge_regular",
            ),
            models.CheckConstraint(
                condition=models.Q(rfm_vip_score__gte=models.F("rfm_regular_score")),
                name="tierpolicy_rfm_vip_ge_regular",
            ),
            models.CheckConstraint(
                condition=models.Q(abc_b_percent__gte=models.F("abc_a_percent")),
                name="tierpolicy_abc_b_ge_a",
            ),
            models.CheckConstraint(condition=models.Q(demotion_streak__gte=1), name="tierpolicy_streak_ge_1"),
        ]

    def __str__(self):
        return _("Tier policy v%(version)s (%(method)s)") % {
            "version": self.version,
            "method": self.get_method_display(),
        }

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if (
            self.vip_percent is not None
            and self.regular_percent is not None
            and self.vip_percent + self.regular_percent > 100
        ):
            errors["regular_percent"] = _("VIP and regular shares together cannot exceed 100%.")
        if (
            self.vip_threshold is not None
            and self.regular_threshold is not None
            and self.vip_threshold < self.regular_threshold
        ):
            errors["vip_threshold"] = _("The VIP threshold must be at least the regular threshold.")
        if (
            self.rfm_vip_score is not None
            and self.rfm_regular_score is not None
            and self.rfm_vip_score < self.rfm_regular_score
        ):
            errors["rfm_vip_score"] = _("The VIP score must be at least the regular score.")
        if (
            self.abc_a_percent is not None
            and self.abc_b_percent is not None
            and self.abc_b_percent < self.abc_a_percent
        ):
            errors["abc_b_percent"] = _("Class B must reach at least as far as class A.")
        if errors:
            raise ValidationError(errors)


class TierBenefit(models.Model):
    """What a tier is entitled to (三优服务). Other apps read it through
    `selectors.tier_benefits_for(tier)`: SLA clocks, visit and callback cadence."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier, unique=True)
    response_hours = models.PositiveIntegerField(_("respond within (hours)"), validators=[MinValueValidator(1)])
    resolution_hours = models.PositiveIntegerField(_("resolve within (hours)"), validators=[MinValueValidator(1)])
    visit_cadence_days = models.PositiveIntegerField(_("visit every (days)"), validators=[MinValueValidator(1)])
    callback_cadence_days = models.PositiveIntegerField(_("callback every (days)"), validators=[MinValueValidator(1)])
    served_by = models.CharField(_("served by"), max_length=200, blank=True, help_text=_("Who serves this tier."))
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["tier"]
        verbose_name = _("tier benefit")
        verbose_name_plural = _("tier benefits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolution_hours__gte=models.F("response_hours")),
                name="tierbenefit_resolve_after_respond",
            ),
        ]

    def __str__(self):
        return str(self.get_tier_display())


class RecomputeJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Manual")
        NIGHTLY = "nightly", _("Nightly")
        ADMIN = "admin", _("Admin action")
        API = "api", _("API")
        DEMO = "demo", _("Demo data")

    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED, db_index=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger, default=Trigger.MANUAL)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    step = models.CharField(_("step"), max_length=100, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    matrix = models.JSONField(_("movement matrix"), default=dict, blank=True, help_text=_("{from tier: {to tier: n}}"))
    policy = models.ForeignKey(
        TierPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    progress_at = models.DateTimeField(
        _("last progress at"),
        null=True,
        blank=True,
        help_text=_("Stamped at every step; a job without progress for a few minutes counts as abandoned."),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recompute job")
        verbose_name_plural = _("recompute jobs")
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="recomputejob_progress_le_100")
        ]

    def __str__(self):
        return _("Recompute #%(id)s (%(status)s)") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class TierOverride(models.Model):
    """A tier pinned by an admin or director, with a reason, until an end date (inclusive)."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tier_overrides",
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier)
    reason = models.TextField(_("reason"))
    ends_on = models.DateField(
        _("ends on"), help_text=_("The pin holds through this day; the next recompute after it ends it.")
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pinned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(active=True),
                name="tieroverride_one_active_per_account",
            ),
        ]

    def __str__(self):
        return f"{self.account} → {self.get_tier_display()} ({self.ends_on})"


class TierChange(models.Model):
    """One change of an account's tier, with its reason in numbers (`details`) and the policy
    version that decided it. Written only when the tier actually changes."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("Recomputed")
        OVERRIDE = "override", _("Pinned by hand")
        OVERRIDE_EXPIRED = "override_expired", _("Pin ended")
        OVERRIDE_CLEARED = "override_cleared", _("Pin removed")

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tier_changes",
        db_index=False,  # (account, -at) below serves it
    )
    previous_tier = models.CharField(_("from"), max_length=10, choices=Tier)
    new_tier = models.CharField(_("to"), max_length=10, choices=Tier)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.COMPUTED)
    reason = models.TextField(_("reason"), blank=True, help_text=_("The person's words (pins)."))
    details = models.JSONField(_("numbers"), default=dict, blank=True)
    # Policy and job are references for the reader, written by the tens of thousands per
    # recompute: no database constraint (a per-row check at COMMIT) and no index on the policy.
    # Django still enforces PROTECT / SET_NULL when one is deleted; policies are never deleted
    # (every change is a new version) and policy_version keeps the number regardless.
    policy = models.ForeignKey(
        TierPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    policy_version = models.PositiveIntegerField(_("policy version"), null=True, blank=True)
    job = models.ForeignKey(
        RecomputeJob,
        verbose_name=_("recompute"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
        db_constraint=False,
    )
    override = models.ForeignKey(
        TierOverride,
        verbose_name=_("pin"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
        db_index=False,  # indexed where set only (Meta.indexes)
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed where set only (Meta.indexes)
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        indexes = [
            models.Index(fields=["account", "-at"]),
            # the history lists, newest first: a recompute writes thousands of rows with the same
            # `at`, so the id is part of the order (no sort of a whole recompute's rows)
            models.Index(fields=["-at", "-id"], name="tierchange_recent_idx"),
            models.Index(fields=["new_tier", "-at", "-id"], name="tierchange_new_tier_at"),
            # a pin's changes and a user's deletion (SET_NULL) look rows up by these; most rows of a
            # recompute have neither, so only the rows that have one are indexed
            models.Index(
                fields=["override"], name="tierchange_override_idx", condition=models.Q(override__isnull=False)
            ),
            models.Index(fields=["actor"], name="tierchange_actor_idx", condition=models.Q(actor__isnull=False)),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.previous_tier} → {self.new_tier} @ {self.at:%Y-%m-%d}"

    @property
    def is_promotion(self) -> bool:
        return TIER_LEVEL[self.new_tier] > TIER_LEVEL[self.previous_tier]

    @property
    def reason_text(self) -> str:
        from .reasons import describe_reason

        return describe_reason(self.details, reason=self.reason)


class AccountScore(models.Model):
    """The latest recompute's numbers for one account: revenue and rank, RFM scores and segment,
    ABC class, the tier the policy gives and any pending demotion."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="tier_score",
        # Scores are the recompute's cache, rewritten for every live account each run (100,000
        # rows on a first run): no per-row constraint check at COMMIT; Django cascades deletes.
        db_constraint=False,
    )
    revenue = models.DecimalField(_("window revenue"), **TOTAL_MONEY, default=Decimal("0"))
    frequency = models.PositiveIntegerField(_("purchases in window"), default=0)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("revenue rank"), null=True, blank=True)
    ranked_count = models.PositiveIntegerField(_("accounts ranked"), default=0)
    r = models.PositiveSmallIntegerField(_("R"), null=True, blank=True)
    f = models.PositiveSmallIntegerField(_("F"), null=True, blank=True)
    m = models.PositiveSmallIntegerField(_("M"), null=True, blank=True)
    segment = models.CharField(_("RFM segment"), max_length=30, choices=RfmSegment, blank=True)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass, blank=True)
    computed_tier = models.CharField(_("tier by policy"), max_length=10, choices=Tier, blank=True)
    pending_tier = models.CharField(_("pending demotion to"), max_length=10, choices=Tier, blank=True)
    pending_streak = models.PositiveSmallIntegerField(_("recomputes qualified"), default=0)
    pending_on = models.DateField(_("last counted on"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), null=True, blank=True)
    computed_at = models.DateTimeField(
        _("changed at"), null=True, blank=True, help_text=_("The recompute that last changed these numbers.")
    )

    class Meta:
        verbose_name = _("account score")
        verbose_name_plural = _("account scores")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(r__isnull=True) | models.Q(r__gte=1, r__lte=5, f__gte=1, f__lte=5))
                & (models.Q(m__isnull=True) | models.Q(m__gte=1, m__lte=5)),
                name="accountscore_rfm_1_5",
            ),
        ]
        indexes = [
            # only the few accounts with a pending demotion are in it (the pending list)
            models.Index(fields=["pending_tier"], name="accountscore_pending", condition=~models.Q(pending_tier="")),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.rfm_code or '-'} {self.abc_class}"

    @property
    def rfm_code(self) -> str:
        return f"{self.r}{self.f}{self.m}" if self.r else ""

    @property
    def rfm_score(self) -> int | None:
        return (self.r + self.f + self.m) if self.r else None


class ScopeFigure(models.Model):
    """Figures over all accounts, kept by each real recompute so that the tier overview, the ABC
    list and the RFM grid read a bounded number of rows whatever the number of accounts.

    One row per (owner, team) of the accounts and per figure key, plus the same figures over
    every account (`all_accounts`): an account manager's figures add up the (owner, team) rows
    the visibility policy gives them (users.visibility.manager_scope), anyone who sees every
    account reads the `all_accounts` rows. Kinds: "tier" (key: the tier), "abc" (the class),
    "rfm" (r:f:segment), "pareto" (a revenue bucket: revenues within 2% of each other),
    "pending" (pending demotions). Replaced as a whole by each real recompute."""

    all_accounts = models.BooleanField(default=False)
    owner_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=10)
    key = models.CharField(max_length=40)
    accounts = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("figure per account manager and team")
        verbose_name_plural = _("figures per account manager and team")
        indexes = [
            models.Index(fields=["all_accounts", "kind"], name="scope_figure_all_idx"),
            models.Index(fields=["owner_id", "kind"], name="scope_figure_owner_idx"),
            models.Index(fields=["team_id", "kind"], name="scope_figure_team_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.key}: {self.accounts}"
