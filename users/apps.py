from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = _("Staff and roles")
    admin_order = 80  # after the CRM's own apps (core/admin_site.py)
    admin_model_order = ("User", "Team", "Department")

    def ready(self):
        from core.demo import register_demo_step

        from . import signals
        from .demo import seed_users
        from .roles import sync_role_permissions

        # later apps add models (and permissions); keep every role's grants current
        post_migrate.connect(sync_role_permissions, dispatch_uid="users.sync_role_permissions")
        signals.connect()  # cached roles follow group changes
        register_demo_step(name="users", order=10, run=seed_users)
