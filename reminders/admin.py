"""Admin: rules (on/off, lead time, recipients), the ledger (read-only), webhook endpoints and
deliveries (replay). Writes go through the services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from users.admin_mixins import ServiceAdminMixin

from . import services
from .forms import RuleAdminForm, WebhookEndpointAdminForm
from .models import ChannelChoice, Notification, OutboundEvent, Rule, UserSettings, WebhookDelivery, WebhookEndpoint
from .rules import RULES


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = RuleAdminForm
    list_display = ("__str__", "code", "enabled", "lead_days", "recipient_list", "email_by_default", "updated_at")
    list_filter = ("enabled", "email_by_default")
    readonly_fields = ("code", "description")
    fields = ("code", "description", "enabled", "lead_days", "recipients", "email_by_default")

    def has_add_permission(self, request):
        return False  # the rules are code; their rows come from the data migration

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what it reminds of"))
    def description(self, obj):
        spec = RULES.get(obj.code)
        return spec.help if spec else ""

    @admin.display(description=_("recipients"))
    def recipient_list(self, obj):
        from .models import Recipient

        labels = dict(Recipient.choices)
        return ", ".join(str(labels.get(code, code)) for code in obj.recipients)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in ("enabled", "lead_days", "recipients", "email_by_default")}
        services.rule_update(actor=request.user, rule=obj, data=data, expected_version=self.expected_version(form))


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "rule",
        "subject_type",
        "subject_id",
        "due_on",
        "recipient",
        "in_app",
        "email",
        "created_at",
        "sent_at",
        "emailed_at",
        "read_at",
    )
    list_filter = ("rule", "in_app", "email", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("recipient__username", "recipient__full_name")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    show_full_result_count = False


@admin.register(UserSettings)
class UserSettingsAdmin(ReadOnlyAdmin):
    list_display = ("user", "language", "email_digest")
    search_fields = ("user__username",)


@admin.register(ChannelChoice)
class ChannelChoiceAdmin(ReadOnlyAdmin):
    list_display = ("user", "rule", "in_app", "email")
    list_filter = ("rule",)
    search_fields = ("user__username",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointAdminForm
    list_display = ("name", "url", "is_active", "event_list", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in ("name", "url", "events", "is_active", "secret")}
        if change:
            services.webhook_endpoint_update(
                actor=request.user, endpoint=obj, data=data, expected_version=self.expected_version(form)
            )
        else:
            created = services.webhook_endpoint_create(actor=request.user, **data)
            obj.pk = created.pk

    def has_delete_permission(self, request, obj=None):
        return False  # switch it off instead: its deliveries stay on record


@admin.register(OutboundEvent)
class OutboundEventAdmin(ReadOnlyAdmin):
    list_display = ("event", "key", "occurred_at", "created_at")
    list_filter = ("event",)
    search_fields = ("key",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "endpoint")
    list_select_related = ("endpoint", "event")
    readonly_fields = (
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "log",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
    actions = ["replay"]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("reminders.change_webhookdelivery")  # the action, not the form

    @admin.action(description=_("Send the selected deliveries again"))
    def replay(self, request, queryset):
        count = 0
        for delivery in queryset:
            services.webhook_delivery_replay(actor=request.user, delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d delivery will be sent again.", "%(count)d deliveries will be sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
