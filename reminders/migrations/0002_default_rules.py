"""The reminder rules with their defaults (editable in admin afterwards). A snapshot of
reminders/rules.py's defaults at the time of writing: a rule added later brings its own migration."""

from django.db import migrations

DEFAULTS = [
    # code, lead days, recipients, e-mail by default
    ("birthday_upcoming", "3", ["owner"], True),
    ("birthday_today", "", ["owner"], True),
    ("followup_due", "", ["assignee"], True),
    ("followup_overdue", "", ["assignee"], True),
    ("visit_upcoming", "1", ["assignee"], True),
    ("installment_due", "7", ["owner", "finance"], True),
    ("installment_overdue", "", ["owner", "finance"], True),
    ("contract_expiring", "90,60,30", ["owner"], True),
    ("request_at_risk", "", ["assignee"], True),
    ("request_breached", "", ["assignee"], True),
    ("contact_overdue", "", ["owner"], True),
    ("tier_changed", "", ["owner"], False),
]


def create(apps, schema_editor):
    Rule = apps.get_model("reminders", "Rule")
    for code, lead, recipients, email in DEFAULTS:
        Rule.objects.get_or_create(
            code=code, defaults={"lead_days": lead, "recipients": recipients, "email_by_default": email}
        )


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
