from django.contrib import admin

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
