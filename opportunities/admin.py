"""Admin: every model, with history; writes go through the services (one write path).

Stages are the buying process's master data, kept here by administrators and directors; the
quote settings (the discount limit that needs a director's approval) by administrators.
Stage moves, contacts, quotes and their decisions happen on the pages (through the services);
here they are read-only."""

from django.contrib import admin
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from users.admin_mixins import ServiceAdminMixin, VisibilityAdminMixin

from . import services
from .models import Opportunity, OpportunityContact, Quote, QuoteLine, QuoteSettings, Stage, StageChange


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactInline(ReadOnlyInline):
    model = OpportunityContact
    fields = ("contact", "role", "note")
    readonly_fields = fields


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ("from_stage", "to_stage", "changed_at", "changed_by")
    readonly_fields = fields


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ("position", "product", "quantity", "unit_price", "discount_percent", "line_total")
    readonly_fields = fields


@admin.register(Stage)
class StageAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "order", "probability", "outcome", "is_active")
    list_editable = ("order", "probability", "is_active")
    list_filter = ("outcome", "is_active")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        return False  # retire a stage (active off): opportunities and their history point at it


@admin.register(Opportunity)
class OpportunityAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "account", "stage", "amount", "probability", "expected_close_on", "owner", "is_archived")
    list_filter = ("stage", "is_archived", "close_reason")
    search_fields = ("title", "account__name", "account__number")
    list_select_related = ("account", "stage", "owner")
    raw_id_fields = ("account", "owner")
    date_hierarchy = "expected_close_on"
    fields = (
        "account",
        "title",
        "stage",
        "amount",
        "probability",
        "probability_is_custom",
        "expected_close_on",
        "owner",
        "next_step",
        "next_step_on",
        "description",
        "close_reason",
        "close_note",
        "lost_to",
        "closed_on",
        "stage_entered_at",
        "is_archived",
        "version",
        "created_by",
        "created_at",
    )
    readonly_fields = (
        "probability_is_custom",
        "close_reason",
        "close_note",
        "lost_to",
        "closed_on",
        "stage_entered_at",
        "is_archived",
        "version",
        "created_by",
        "created_at",
    )
    service_readonly_on_change = ("account", "stage")
    inlines = [ContactInline, StageChangeInline]
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "probability" in form.base_fields:
            form.base_fields["probability"].required = False  # empty: the stage's default
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with transaction.atomic():
            if not change:
                created = services.opportunity_create(
                    actor=request.user,
                    account=data["account"],
                    title=data["title"],
                    amount=data["amount"],
                    expected_close_on=data["expected_close_on"],
                    stage=data.get("stage"),
                    probability=data.get("probability"),
                    owner=data.get("owner"),
                    next_step=data.get("next_step") or "",
                    next_step_on=data.get("next_step_on"),
                    description=data.get("description") or "",
                )
                obj.pk = created.pk
            else:
                changes = {
                    f: data[f] for f in form.changed_data if f in [*services.OPPORTUNITY_EDITABLE, "probability"]
                }
                services.opportunity_update(
                    opportunity=obj, actor=request.user, expected_version=self.expected_version(form), data=changes
                )

    def has_delete_permission(self, request, obj=None):
        return False  # archived on the opportunity page, never deleted


@admin.register(Quote)
class QuoteAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "revision", "opportunity", "status", "total", "max_discount", "valid_until", "contract")
    list_filter = ("status",)
    search_fields = ("number", "opportunity__title", "opportunity__account__name")
    list_select_related = ("opportunity", "contract")
    inlines = [QuoteLineInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # made, decided and accepted on the quote page, through the services

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageChange)
class StageChangeAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    list_display = ("opportunity", "from_stage", "to_stage", "changed_at", "changed_by")
    list_filter = ("to_stage",)
    search_fields = ("opportunity__title",)
    list_select_related = ("opportunity", "from_stage", "to_stage", "changed_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpportunityContact)
class OpportunityContactAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("opportunity", "contact", "role")
    list_filter = ("role",)
    search_fields = ("opportunity__title", "contact__name")
    list_select_related = ("opportunity", "contact")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # linked on the opportunity page


@admin.register(QuoteLine)
class QuoteLineAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    list_display = ("quote", "position", "product", "quantity", "unit_price", "discount_percent", "line_total")
    search_fields = ("product", "quote__number")
    list_select_related = ("quote",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuoteSettings)
class QuoteSettingsAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """One row: the list opens it (or the form that makes it); saved through the service."""

    fields = ("discount_limit_percent", "current_limit", "version", "updated_by", "updated_at")
    readonly_fields = ("current_limit", "version", "updated_by", "updated_at")

    @admin.display(description=_("limit in force (%)"))
    def current_limit(self, obj):
        return services.discount_limit()

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not QuoteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False  # empty the limit to go back to the server's setting

    def changelist_view(self, request, extra_context=None):
        row = QuoteSettings.objects.filter(pk=QuoteSettings.SINGLETON_PK).first()
        if row is not None:
            return redirect("admin:opportunities_quotesettings_change", row.pk)
        if self.has_add_permission(request):
            return redirect("admin:opportunities_quotesettings_add")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        saved = services.quote_settings_update(
            actor=request.user,
            discount_limit_percent=form.cleaned_data.get("discount_limit_percent"),
            expected_version=self.expected_version(form) if change else None,
        )
        obj.pk = saved.pk
