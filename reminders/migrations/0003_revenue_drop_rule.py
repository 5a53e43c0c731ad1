"""The churn-warning rule (top-50 accounts' revenue falling), to the owner and the sales directors."""

from django.db import migrations


def create(apps, schema_editor):
    Rule = apps.get_model("reminders", "Rule")
    Rule.objects.get_or_create(
        code="revenue_drop", defaults={"lead_days": "", "recipients": ["owner", "directors"], "email_by_default": True}
    )


class Migration(migrations.Migration):
    dependencies = [("reminders", "0002_default_rules")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
