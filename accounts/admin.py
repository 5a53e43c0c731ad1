from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import ImportAdminMixin
from core.money import format_money
from users.admin_mixins import ReadOnlyInlineMixin, ServiceAdminMixin, VisibilityAdminMixin

from . import services
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


class ContactInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Shown here; edited on the contact's own page, which saves through the service."""

    model = Contact
    fields = ("name", "title", "role", "phone", "is_primary", "is_archived")


class PresenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = CompetitorPresence
    fields = ("competitor", "products", "strength", "since")


@admin.register(Account)
class AccountAdmin(ServiceAdminMixin, ImportAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    importer_key = "accounts.account"
    list_display = (
        "number",
        "name",
        "category",
        "tier",
        "status",
        "owner",
        "team",
        "region",
        "revenue_12m_display",
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

    @admin.display(description=Account._meta.get_field("revenue_12m").verbose_name, ordering="revenue_12m")
    def revenue_12m_display(self, account):
        """As the pages show money (currency sign, thousands separators), not a bare decimal."""
        return format_money(account.revenue_12m)

    def save_model(self, request, obj, form, change):
        if not change:
            data = {f: form.cleaned_data.get(f) for f in services.ACCOUNT_EDITABLE if f in form.cleaned_data}
            created = services.account_create(actor=request.user, **data)
            obj.pk, obj.number, obj.version = created.pk, created.number, created.version
        else:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.ACCOUNT_EDITABLE}
            services.account_update(
                account=obj, actor=request.user, expected_version=self.expected_version(form), data=data
            )

    @admin.action(description=_("Archive selected accounts"), permissions=["change"])
    def archive_selected(self, request, queryset):
        from django.core.exceptions import ValidationError

        done = 0
        for account in queryset.filter(is_archived=False):
            try:
                services.account_archive(account=account, actor=request.user, reason=_("Archived in admin"))
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{account}: {' '.join(exc.messages)}", level="error")
        self.message_user(request, ngettext("%(n)d account archived.", "%(n)d accounts archived.", done) % {"n": done})


@admin.register(Contact)
class ContactAdmin(ServiceAdminMixin, ImportAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    importer_key = "accounts.contact"
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
    readonly_fields = ("version", "is_archived")
    service_readonly_on_change = ("account",)  # a contact never moves to another account
    actions = ["archive_selected"]

    def save_model(self, request, obj, form, change):
        if not change:
            data = {f: form.cleaned_data[f] for f in services.CONTACT_EDITABLE if f in form.cleaned_data}
            created = services.contact_create(account=form.cleaned_data["account"], actor=request.user, **data)
            obj.pk, obj.version = created.pk, created.version
        else:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.CONTACT_EDITABLE}
            services.contact_update(
                contact=obj, actor=request.user, expected_version=self.expected_version(form), data=data
            )

    @admin.action(description=_("Archive selected contacts"), permissions=["change"])
    def archive_selected(self, request, queryset):
        done = 0
        for contact in queryset.filter(is_archived=False):
            services.contact_archive(contact=contact, actor=request.user)
            done += 1
        self.message_user(request, ngettext("%(n)d contact archived.", "%(n)d contacts archived.", done) % {"n": done})


@admin.register(Transaction)
class TransactionAdmin(ServiceAdminMixin, ImportAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    """Recorded through the service; a stored record is not edited (a correction is a refund)."""

    importer_key = "accounts.transaction"
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
    service_readonly_on_change = Transaction.RECORDED_FIELDS
    exclude = ("created_by",)

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only once recorded
        fields = ("account", "kind", "amount", "occurred_at", "product_line", "source_system", "external_ref", "note")
        created = services.transaction_record(actor=request.user, **{f: form.cleaned_data[f] for f in fields})
        obj.pk = created.pk


@admin.register(Feedback)
class FeedbackAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    """Recorded through the service; the status moves only along its flow (the actions)."""

    list_display = ("received_on", "account", "satisfaction", "channel", "status", "handler")
    list_filter = ("status", "channel", "satisfaction")
    search_fields = ("suggestion", "account__name", "account__number")
    list_select_related = ("account", "handler")
    raw_id_fields = ("account", "contact")
    readonly_fields = ("status", "handler", "created_by")
    service_readonly_on_change = ("account", "contact", "received_on", "channel", "satisfaction", "suggestion")
    actions = ["mark_acknowledged", "mark_done"]

    def save_model(self, request, obj, form, change):
        if change:
            return  # feedback is a record of what the customer said; only its status moves
        fields = ("contact", "received_on", "channel", "satisfaction", "suggestion")
        created = services.feedback_create(
            account=form.cleaned_data["account"],
            actor=request.user,
            **{f: form.cleaned_data[f] for f in fields if f in form.cleaned_data},
        )
        obj.pk = created.pk

    def _move(self, request, queryset, status):
        from django.contrib import messages
        from django.core.exceptions import ValidationError

        done = 0
        for feedback in queryset:
            try:
                services.feedback_set_status(feedback=feedback, actor=request.user, status=status)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{feedback}: {' '.join(exc.messages)}", messages.ERROR)
        self.message_user(request, ngettext("%(n)d feedback updated.", "%(n)d feedback updated.", done) % {"n": done})

    @admin.action(description=_("Mark as acknowledged"), permissions=["change"])
    def mark_acknowledged(self, request, queryset):
        self._move(request, queryset, Feedback.Status.ACKNOWLEDGED)

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        self._move(request, queryset, Feedback.Status.DONE)


@admin.register(Competitor)
class CompetitorAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "website")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.COMPETITOR_EDITABLE if f in form.cleaned_data}
        if change:
            services.competitor_update(competitor=obj, actor=request.user, data=data)
        else:
            obj.pk = services.competitor_create(actor=request.user, **data).pk

    def has_delete_permission(self, request, obj=None):
        return False  # presences point at it; its history stays


@admin.register(CompetitorPresence)
class CompetitorPresenceAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("competitor", "account", "strength", "products", "since")
    list_filter = ("strength", "competitor")
    search_fields = ("account__name", "competitor__name", "products")
    list_select_related = ("account", "competitor")
    raw_id_fields = ("account",)
    service_readonly_on_change = ("account", "competitor")

    def save_model(self, request, obj, form, change):
        fields = ("products", "strength", "since", "notes")
        saved = services.competitor_presence_save(
            account=obj.account,
            competitor=obj.competitor,
            actor=request.user,
            **{f: form.cleaned_data[f] for f in fields if f in form.cleaned_data},
        )
        obj.pk = saved.pk


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
    """Read-only: the services keep this text current. An internal table: in no one's menu;
    only administrators may open it (by URL), finance and directors never."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_model_perms(self, request):
        return {}  # an internal table: not in the menu; administrators reach it by URL

    list_display = ("search_account", "text")
    fields = readonly_fields = ("search_account", "text")
    search_fields = ("text",)
    list_select_related = ("account",)

    @admin.display(description=_("Account"), ordering="account")
    def search_account(self, obj):
        return obj.account

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
