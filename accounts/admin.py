from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from users.admin_mixins import VisibilityAdminMixin

from .models import (
    Account,
    AccountEvent,
    AccountSearch,
    Competitor,
    CompetitorPresence,
    Contact,
    Feedback,
    Transaction,
)
from .resources import AccountResource, ContactResource, TransactionResource
from .search import refresh_search_text


class ContactInline(admin.TabularInline):
    model = Contact
    fields = (
        "name",
        "title",
        "role",
        "phone",
        "is_primary",
        "is_archived",
    )
    extra = 0
    show_change_link = True  # attitude, influence, birthday ... on the contact's own page
    can_delete = False  # contacts are archived (the "archived" box), never deleted


class PresenceInline(admin.TabularInline):
    model = CompetitorPresence
    fields = ("competitor", "products", "strength", "since")
    extra = 0


@admin.register(Account)
class AccountAdmin(VisibilityAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [AccountResource]
    list_display = (
        "number",
        "name",
        "category",
        "tier",
        "status",
        "owner",
        "team",
        "region",
        "revenue_12m",
        "is_archived",
    )
    list_filter = ("category", "status", "tier", "abc_class", "industry", "is_archived", "team")
    search_fields = ("number", "name", "nickname", "phone", "contacts__name", "contacts__phone")
    list_select_related = ("owner", "team")
    raw_id_fields = ("parent",)
    autocomplete_fields = ("owner",)
    readonly_fields = (
        "number",
        "tier",
        "abc_class",
        "rfm_segment",
        "revenue_12m",
        "last_contact_at",
        "version",
        "status_changed_on",
        "archived_at",
        "created_at",
        "updated_at",
    )
    inlines = [ContactInline, PresenceInline]
    actions = ["archive_selected"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        from django.db import transaction

        from . import services

        with transaction.atomic():
            if not change:
                data = {f: form.cleaned_data.get(f) for f in services.ACCOUNT_EDITABLE if f in form.cleaned_data}
                created = services.account_create(actor=request.user, **data)
                obj.pk, obj.number = created.pk, created.number
            else:
                data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.ACCOUNT_EDITABLE}
                services.account_update(
                    account=obj,
                    actor=request.user,
                    expected_version=form.cleaned_data.get("expected_version"),
                    data=data,
                )

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The change form carries the version it was opened at; the service refuses a save
        without it (400-like message) or with a stale one."""
        from django import forms

        if obj is not None:
            version = forms.IntegerField(widget=forms.HiddenInput, initial=obj.version, required=False)
            kwargs["form"] = type("VersionedAdminForm", (kwargs.get("form", self.form),), {"expected_version": version})
        return super().get_form(request, obj, change=change, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.http import HttpResponseRedirect

        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:  # a stale or missing version, or another rule: nothing saved
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # inline contacts
        refresh_search_text([form.instance.pk])

    @admin.action(description=_("Archive selected accounts"), permissions=["change"])
    def archive_selected(self, request, queryset):
        from django.core.exceptions import ValidationError

        from . import services

        done = 0
        for account in queryset.filter(is_archived=False):
            try:
                services.account_archive(account=account, actor=request.user, reason=_("Archived in admin"))
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{account}: {' '.join(exc.messages)}", level="error")
        self.message_user(request, ngettext("%(n)d account archived.", "%(n)d accounts archived.", done) % {"n": done})


@admin.register(Contact)
class ContactAdmin(VisibilityAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [ContactResource]
    list_display = (
        "name",
        "account",
        "title",
        "role",
        "phone",
        "is_primary",
        "is_archived",
    )
    list_filter = ("role", "attitude", "birthday_calendar", "is_archived", "preferred_channel")
    search_fields = ("name", "phone", "email", "account__name", "account__number")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    readonly_fields = ("version",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_search_text([obj.account_id])


@admin.register(Transaction)
class TransactionAdmin(VisibilityAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [TransactionResource]
    list_display = (
        "occurred_at",
        "account",
        "kind",
        "amount",
        "product_line",
        "source_system",
        "external_ref",
    )
    list_filter = ("kind", "source_system", "product_line")
    search_fields = ("external_ref", "account__name", "account__number")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(Feedback)
class FeedbackAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("received_on", "account", "satisfaction", "channel", "status", "handler")
    list_filter = ("status", "channel", "satisfaction")
    search_fields = ("suggestion", "account__name", "account__number")
    list_select_related = ("account", "handler")
    raw_id_fields = ("account", "contact")


@admin.register(Competitor)
class CompetitorAdmin(SimpleHistoryAdmin):
    list_display = ("name", "website")
    search_fields = ("name",)


@admin.register(CompetitorPresence)
class CompetitorPresenceAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("competitor", "account", "strength", "products", "since")
    list_filter = ("strength", "competitor")
    search_fields = ("account__name", "competitor__name", "products")
    list_select_related = ("account", "competitor")
    raw_id_fields = ("account",)


@admin.register(AccountEvent)
class AccountEventAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "account", "kind", "subject_type", "subject_id", "actor")
    list_filter = ("kind", "subject_type")
    search_fields = ("account__name", "account__number")
    list_select_related = ("account", "actor")
    raw_id_fields = ("account",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(AccountSearch)
class AccountSearchAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    """Read-only: the services keep this text current. Only administrators see it in the menu
    (it is an internal table, not something finance or directors work with)."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    list_display = ("account", "text")
    search_fields = ("text",)
    list_select_related = ("account",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
