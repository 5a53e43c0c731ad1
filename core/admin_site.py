"""The admin site for what administrators do here: the CRM's own apps first (in the order
their AppConfig states with `admin_order`, models in `admin_model_order`), people and roles
next, the system's and third parties' tables last; every heading translated.

A model admin hides an internal table from the index with `get_model_perms` returning {}
(its pages stay reachable by URL for those allowed)."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

#: headings of third-party apps that have no (translated) verbose name of their own
APP_NAMES = {
    "axes": _("Sign-in lockouts"),
    "authtoken": _("API tokens"),
    "django_celery_beat": _("Scheduled jobs"),
    "auth": _("Roles (groups)"),
}
THIRD_PARTY_ORDER = 1000


class CrmAdminSite(admin.AdminSite):
    site_header = _("Key-account CRM administration")
    site_title = _("Key-account CRM")
    index_title = _("Administration")

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            if app["app_label"] in APP_NAMES:
                app["name"] = str(APP_NAMES[app["app_label"]])
            config = apps.get_app_config(app["app_label"])
            model_order = {name.lower(): i for i, name in enumerate(getattr(config, "admin_model_order", ()))}
            app["models"].sort(key=lambda m: (model_order.get(m["object_name"].lower(), len(model_order)), m["name"]))
        return sorted(
            app_list,
            key=lambda a: (getattr(apps.get_app_config(a["app_label"]), "admin_order", THIRD_PARTY_ORDER), a["name"]),
        )


class CrmAdminConfig(AdminConfig):
    """In INSTALLED_APPS instead of "django.contrib.admin": makes CrmAdminSite the default site."""

    default_site = "core.admin_site.CrmAdminSite"
