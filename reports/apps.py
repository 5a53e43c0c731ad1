from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")
    admin_order = 70

    def ready(self):
        from core.navigation import register_nav_item

        register_nav_item(order=10, label=_("Dashboard"), url_name="dashboard", icon="speedometer2")
