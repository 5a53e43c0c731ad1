from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Reminders")

    def ready(self):
        from django.db.models.signals import post_migrate

        from core.demo import register_demo_step

        from .demo import seed_reminders
        from .rules import register_default_rules

        register_default_rules()
        # the data migrations make the rule rows; a flushed database (transactional tests) gets
        # them back after its post_migrate
        post_migrate.connect(ensure_default_rules, sender=self)
        register_demo_step(name="reminders", order=90, run=seed_reminders)


def ensure_default_rules(sender=None, using="default", **kwargs):
    from .services import rules_ensure_defaults

    rules_ensure_defaults()
