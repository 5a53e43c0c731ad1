from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin, PeriodicTaskAdmin
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .models import Heartbeat, ImportJob


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_run_at", "run_count", "hostname")
    readonly_fields = ("name", "last_run_at", "run_count", "hostname")

    def has_add_permission(self, request):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: imports are made on the import pages (which check permissions and visibility)."""

    list_display = ("created_at", "kind", "file_name", "status", "requested_by", "invalid_rows", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("file_name", "requested_by__username")
    list_select_related = ("requested_by",)
    exclude = ("content",)
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Third parties' admins, with the column headers and labels they leave in English (not marked for
# translation upstream) given translated ones; everything else is theirs, unchanged.
class CrmAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("Status"))
    def status(self, obj):
        return super().status(obj)


class CrmPeriodicTaskAdmin(PeriodicTaskAdmin):
    @admin.display(description=_("Scheduler"))
    def scheduler(self, obj):
        return obj.scheduler

    @admin.display(description=_("Human readable"))
    def crontab_translation(self, obj):
        return super().crontab_translation(obj)


class CrmCrontabScheduleAdmin(CrontabScheduleAdmin):
    list_display = ("__str__", "human_readable_text")
    fields = ("human_readable_text", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("human_readable_text",)

    @admin.display(description=_("Human readable"))
    def human_readable_text(self, obj):
        return obj.human_readable


for model, model_admin in (
    (AccessAttempt, CrmAccessAttemptAdmin),
    (PeriodicTask, CrmPeriodicTaskAdmin),
    (CrontabSchedule, CrmCrontabScheduleAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
