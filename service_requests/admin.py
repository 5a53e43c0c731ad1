from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from users.admin_mixins import ServiceAdminMixin, VisibilityAdminMixin

from . import services
from .models import Attachment, Comment, Escalation, ServiceCalendar, ServiceRequest


class ReadOnlyInline(admin.TabularInline):
    """Rows are shown; they are written on the request's page through the services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields  # shown, not edited (an auto_now_add field cannot be a form field)


class CommentInline(ReadOnlyInline, admin.TabularInline):
    model = Comment
    fields = ("created_at", "author", "is_internal", "body")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("uploaded_at", "uploaded_by", "name", "size")


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fields = ("created_at", "clock", "level", "due_at", "notified")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    """Requests are worked on their own pages; here admins find, read and correct them. Saves go
    through the services (intake rules, targets, version)."""

    list_display = (
        "number",
        "subject",
        "account",
        "category",
        "priority",
        "status",
        "assignee",
        "breached",
        "received_at",
    )
    list_filter = ("status", "priority", "category", "channel", "breached", "department")
    search_fields = ("number", "subject", "account__name", "account__number", "external_ref")
    list_select_related = ("account", "assignee")
    raw_id_fields = ("account", "contact")
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [CommentInline, AttachmentInline, EscalationInline]
    fields = (
        "account",
        "contact",
        "channel",
        "category",
        "priority",
        "subject",
        "description",
        "external_ref",
        "change_kind",
        "new_name",
        "new_holder",
        "new_address",
        "new_region",
        "suspend_from",
        "suspend_until",
        "new_capacity",
        "status",
        "department",
        "assignee",
        "tier_at_intake",
        "received_at",
        "next_due_at",
        "breached",
        "resolution",
        "rating",
        "version",
    )
    readonly_fields = (
        "status",
        "department",
        "assignee",
        "tier_at_intake",
        "next_due_at",
        "breached",
        "resolution",
        "rating",
        "version",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["account", "received_at"]
        return fields

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.EDITABLE}
        if not change:
            fields = {f: form.cleaned_data.get(f) for f in services.EDITABLE if f in form.cleaned_data}
            fields.pop("subject", None)
            created = services.request_open(
                actor=request.user,
                account=form.cleaned_data["account"],
                subject=form.cleaned_data["subject"],
                received_at=form.cleaned_data.get("received_at"),
                **fields,
            )
            obj.pk, obj.number, obj.version = created.pk, created.number, created.version
        elif data:
            fresh = ServiceRequest.objects.get(pk=obj.pk)
            services.request_update(
                request=fresh, actor=request.user, expected_version=self.expected_version(form), data=data
            )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceCalendar)
class ServiceCalendarAdmin(SimpleHistoryAdmin):
    list_display = ("department", "business_hours", "workdays", "opens_at", "closes_at")
    list_filter = ("business_hours",)


@admin.register(Escalation)
class EscalationAdmin(VisibilityAdminMixin, admin.ModelAdmin):
    list_display = ("request", "clock", "level", "due_at", "notified", "created_at")
    list_filter = ("clock", "level")
    search_fields = ("request__number",)
    list_select_related = ("request", "notified")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
