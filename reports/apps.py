from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")
    admin_order = 70

    def ready(self):
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm

        from .definitions import register_reports

        register_nav_item(order=10, label=_("Dashboard"), url_name="dashboard", icon="speedometer2")
        register_nav_item(
            order=80,
            label=_("Reports"),
            url_name="report_index",
            icon="graph-up",
            visible=lambda user: has_crm_perm(user, "reports.view_report"),
        )
        register_reports()
