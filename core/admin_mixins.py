"""Admin pages of importable models: an Import button (our import pages, with their checks) and
an action that exports the selected rows in the import's columns (so the file imports again)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .export import export_response
from .imports import export_rows, get_importer, template_headers


@admin.action(description=_("Export the selected rows (Excel, import columns)"), permissions=["view"])
def export_selected(modeladmin, request, queryset):
    importer = get_importer(modeladmin.importer_key)
    related = [c.key for c in importer.columns if c.key in {"owner", "parent", "account"}]
    return export_response(
        fmt="xlsx",
        filename=modeladmin.importer_key.replace(".", "-"),
        sheet=str(importer.label),
        headers=template_headers(importer),
        rows=export_rows(importer, queryset.select_related(*related).iterator(chunk_size=2000)),
    )


class ImportAdminMixin:
    """Set `importer_key` ("accounts.account"). Importing needs the model's add AND change
    permissions and runs through the app's services (core.imports), never around them."""

    importer_key = ""
    change_list_template = "admin/core/change_list_import.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            actions["export_selected"] = self.get_action(export_selected)
        return actions

    def changelist_view(self, request, extra_context=None):
        importer = get_importer(self.importer_key)
        extra_context = extra_context or {}
        if importer is not None and importer.can_import(request.user):
            extra_context["import_url"] = reverse("imports:start", args=[self.importer_key])
        return super().changelist_view(request, extra_context=extra_context)
