from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders")

    def ready(self):
        from core.demo import register_demo_step

        from .demo import seed_reminders
        from .rules import register_default_rules

        register_default_rules()
        register_demo_step(name="reminders", order=90, run=seed_reminders)
