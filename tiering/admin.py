from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.jobs import BrokerUnavailable
from users.admin_mixins import ServiceAdminMixin

from . import services
from .models import AccountScore, RecomputeJob, TierBenefit, TierChange, TierOverride, TierPolicy

QUEUE_DOWN = _("The job queue is not answering; nothing was started (the job is marked failed). Try again later.")


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    """Saving a policy never edits it: every save is a new version (the old one stays)."""

    list_display = [
        "version",
        "name",
        "method",
        "window_months",
        "vip_percent",
        "regular_percent",
        "demotion_streak",
        "is_active",
        "created_by",
        "created_at",
    ]
    list_filter = ["method", "is_active"]
    search_fields = ["name", "note"]
    readonly_fields = ["version", "created_by", "created_at"]
    actions = ["recompute_now", "dry_run"]
    fieldsets = [
        (None, {"fields": ["version", "name", "method", "window_months", "is_active", "note"]}),
        (_("Revenue rank"), {"fields": ["vip_percent", "regular_percent", "min_vip_revenue"]}),
        (_("Thresholds"), {"fields": ["vip_threshold", "regular_threshold"]}),
        (_("RFM"), {"fields": ["rfm_vip_score", "rfm_regular_score"]}),
        (_("ABC and stability"), {"fields": ["abc_a_percent", "abc_b_percent", "demotion_streak"]}),
        (_("Record"), {"fields": ["created_by", "created_at"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        new = services.tier_policy_new_version(actor=request.user, base=obj)
        obj.pk, obj.version = new.pk, new.version
        if change:
            messages.info(
                request, _("Saved as a new version (v%(v)s); the earlier version is kept.") % {"v": new.version}
            )

    @admin.action(description=_("Recompute tiers now (in the background)"))
    def recompute_now(self, request, queryset):
        try:
            job = services.recompute_job_request(actor=request.user, trigger="admin")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return
        except BrokerUnavailable:
            messages.error(request, QUEUE_DOWN)
            return
        messages.success(request, _("Recompute #%(id)s queued.") % {"id": job.pk})

    @admin.action(description=_("Dry run: count the moves without writing"))
    def dry_run(self, request, queryset):
        try:
            job = services.recompute_job_request(actor=request.user, dry_run=True, trigger="admin")
        except BrokerUnavailable:
            messages.error(request, QUEUE_DOWN)
            return
        messages.success(request, _("Dry run #%(id)s queued.") % {"id": job.pk})


@admin.register(TierBenefit)
class TierBenefitAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "tier",
        "response_hours",
        "resolution_hours",
        "visit_cadence_days",
        "callback_cadence_days",
        "served_by",
        "updated_at",
    ]
    service_readonly_on_change = ("tier",)

    def has_add_permission(self, request):
        return False  # one row per tier, made by the migration

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.BENEFIT_EDITABLE}
        services.tier_benefit_update(benefit=obj, actor=request.user, data=data)


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    list_display = ["account", "previous_tier", "new_tier", "kind", "reason_text", "policy_version", "actor", "at"]
    list_filter = ["new_tier", "previous_tier", "kind", "policy_version"]
    search_fields = ["account__name", "account__number", "reason"]
    list_select_related = ["account", "actor"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in TierChange._meta.fields] + ["reason_text"]
    raw_id_fields = ["account"]

    @admin.display(description=_("Reason"))
    def reason_text(self, obj):
        return obj.reason_text

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TierOverride)
class TierOverrideAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """Pins are set and ended through the services; a pin in place is never edited (set a new one,
    which replaces it, or end it with the action)."""

    list_display = ["account", "tier", "ends_on", "active", "created_by", "created_at", "ended_at"]
    list_filter = ["tier", "active"]
    search_fields = ["account__name", "account__number", "reason"]
    list_select_related = ["account", "created_by"]
    raw_id_fields = ["account"]
    readonly_fields = ["created_by", "created_at", "ended_at", "ended_by", "active"]
    service_readonly_on_change = ("account", "tier", "reason", "ends_on")
    actions = ["end_pins"]

    def has_delete_permission(self, request, obj=None):
        return False  # the pin is history: end it instead

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable on a pin in place
        new = services.tier_override_set(
            account=obj.account, tier=obj.tier, reason=obj.reason, ends_on=obj.ends_on, actor=request.user
        )
        obj.pk = new.pk

    @admin.action(description=_("End the selected pins now"))
    def end_pins(self, request, queryset):
        ended = 0
        for override in queryset.filter(active=True):
            services.tier_override_clear(override=override, actor=request.user, reason=str(_("ended in admin")))
            ended += 1
        messages.success(request, ngettext("%(n)s pin ended.", "%(n)s pins ended.", ended) % {"n": ended})


@admin.register(AccountScore)
class AccountScoreAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "revenue",
        "rank",
        "ranked_count",
        "r",
        "f",
        "m",
        "segment",
        "abc_class",
        "computed_tier",
        "pending_tier",
        "pending_streak",
        "computed_at",
    ]
    list_filter = ["segment", "abc_class", "computed_tier", "pending_tier"]
    search_fields = ["account__name", "account__number"]
    list_select_related = ["account"]
    readonly_fields = [f.name for f in AccountScore._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RecomputeJob)
class RecomputeJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "status",
        "dry_run",
        "trigger",
        "progress",
        "policy",
        "requested_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "dry_run", "trigger"]
    list_select_related = ["policy", "requested_by"]
    readonly_fields = [f.name for f in RecomputeJob._meta.fields]
    actions = ["recompute_now", "mark_failed"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Recompute tiers now (in the background)"))
    def recompute_now(self, request, queryset):
        try:
            job = services.recompute_job_request(actor=request.user, trigger="admin")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return
        except BrokerUnavailable:
            messages.error(request, QUEUE_DOWN)
            return
        messages.success(request, _("Recompute #%(id)s queued.") % {"id": job.pk})

    @admin.action(description=_("Mark as failed (its worker is gone)"))
    def mark_failed(self, request, queryset):
        """Ends queued or running jobs that will not finish; a finished job is left as it is."""
        ended = []
        for job in queryset.order_by("pk"):
            try:
                services.recompute_job_mark_failed(job=job, actor=request.user)
            except ValidationError as exc:
                messages.warning(request, " ".join(exc.messages))
            else:
                ended.append(f"#{job.pk}")
        if ended:
            messages.success(request, _("Marked failed: %(jobs)s.") % {"jobs": ", ".join(ended)})
