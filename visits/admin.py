"""Admin for visits: every save goes through the same services as pages and API."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from users.admin_mixins import ServiceAdminMixin, VisibilityAdminMixin

from . import services
from .models import CalendarFeed, Callback, CoverageTarget, FollowUp, Note, Visit


class ServiceErrorsMixin:
    """Show a service's refusal as a message instead of a server error."""

    def _run(self, request, fn, **kwargs):
        try:
            return fn(**kwargs)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return None


@admin.register(Visit)
class VisitAdmin(ServiceErrorsMixin, ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("purpose", "account", "kind", "status", "planned_start", "owner", "satisfaction")
    list_filter = ("status", "kind", "planned_start")
    search_fields = ("purpose", "account__name", "account__number", "outcome")
    list_select_related = ("account", "owner")
    raw_id_fields = ("account", "contacts")
    autocomplete_fields = ("owner", "participants")
    date_hierarchy = "planned_start"
    show_full_result_count = False
    readonly_fields = (
        "status",
        "status_reason",
        "confirmed_at",
        "happened_at",
        "outcome",
        "satisfaction",
        "suggestions",
        "needs",
        "next_step",
        "follow_up_on",
        "feedback",
        "recorded_by",
        "recorded_at",
        "created_by",
        "version",
        "created_at",
        "updated_at",
    )

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.VISIT_EDITABLE if f in form.cleaned_data}
        if change:
            saved = services.visit_update(
                visit=obj, actor=request.user, expected_version=self.expected_version(form), data=data
            )
        else:
            saved = services.visit_create(actor=request.user, account=form.cleaned_data["account"], **data)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        visit = Visit.objects.get(pk=form.instance.pk)
        if visit.is_open:  # who goes and whom they meet, through the service too
            services.visit_update(
                visit=visit,
                actor=request.user,
                expected_version=visit.version,  # just saved (or made) by save_model in this request
                data={},
                participants=form.cleaned_data.get("participants", []),
                contacts=form.cleaned_data.get("contacts", []),
            )


@admin.register(Callback)
class CallbackAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "occurred_at",
        "account",
        "kind",
        "channel",
        "contact",
        "satisfaction",
        "problem_status",
        "created_by",
    )
    list_filter = ("kind", "channel", "problem_raised", "problem_status", "occurred_at")
    search_fields = ("summary", "problem", "account__name", "account__number", "contact__name")
    list_select_related = ("account", "contact", "created_by")
    raw_id_fields = ("account", "contact")
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    actions = ["resolve_problems"]

    def get_readonly_fields(self, request, obj=None):
        # a logged callback is a record: it is not rewritten (its problem is resolved by the action)
        if obj is not None:
            return [f.name for f in Callback._meta.fields]
        return ["problem_status", "feedback", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        data = {
            k: form.cleaned_data.get(k)
            for k in (
                "contact",
                "kind",
                "channel",
                "occurred_at",
                "summary",
                "satisfaction",
                "problem_raised",
                "problem",
            )
        }
        saved = services.callback_log(actor=request.user, account=form.cleaned_data["account"], **data)
        obj.pk = saved.pk

    @admin.action(description=_("Problem resolved and the customer told"))
    def resolve_problems(self, request, queryset):
        done = 0
        for callback in queryset.filter(problem_status=Callback.ProblemStatus.OPEN):  # handed over: closed there
            services.callback_resolve_problem(callback=callback, actor=request.user)
            done += 1
        messages.success(request, _("%(n)s problem(s) marked resolved.") % {"n": done})


@admin.register(Note)
class NoteAdmin(VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("occurred_at", "account", "body", "created_by")
    search_fields = ("body", "account__name", "account__number")
    list_select_related = ("account", "created_by")
    raw_id_fields = ("account",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Note._meta.fields] if obj is not None else ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        saved = services.note_add(
            actor=request.user,
            account=form.cleaned_data["account"],
            body=form.cleaned_data["body"],
            occurred_at=form.cleaned_data["occurred_at"],
        )
        obj.pk = saved.pk


@admin.register(FollowUp)
class FollowUpAdmin(ServiceAdminMixin, VisibilityAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "account", "assignee", "due_on", "done_at")
    list_filter = ("due_on", ("done_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "account__name", "account__number")
    list_select_related = ("account", "assignee")
    raw_id_fields = ("account", "visit", "callback")
    autocomplete_fields = ("assignee",)
    readonly_fields = ("done_at", "done_by", "created_by", "version", "created_at", "updated_at")
    show_full_result_count = False
    actions = ["mark_done"]

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.FOLLOW_UP_EDITABLE if f in form.cleaned_data}
        if change:
            services.follow_up_update(
                follow_up=obj, actor=request.user, expected_version=self.expected_version(form), data=data
            )
        else:
            saved = services.follow_up_create(
                actor=request.user,
                account=form.cleaned_data["account"],
                visit=form.cleaned_data.get("visit"),
                callback=form.cleaned_data.get("callback"),
                **data,
            )
            obj.pk = saved.pk

    @admin.action(description=_("Mark done"))
    def mark_done(self, request, queryset):
        done = 0
        for follow_up in queryset.filter(done_at__isnull=True):
            services.follow_up_complete(follow_up=follow_up, actor=request.user)
            done += 1
        messages.success(request, _("%(n)s follow-up(s) marked done.") % {"n": done})


@admin.register(CoverageTarget)
class CoverageTargetAdmin(SimpleHistoryAdmin):
    list_display = ("dimension", "value", "percent")
    list_filter = ("dimension",)
    list_editable = ("percent",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at")
    search_fields = ("user__username", "user__full_name")
    readonly_fields = ("user", "created_at")
    exclude = ("token",)

    def has_add_permission(self, request):
        return False
