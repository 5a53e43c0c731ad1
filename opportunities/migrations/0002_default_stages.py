"""The default stages: the customer's buying process with a default win probability each.
Admin may rename, reorder, add or retire stages afterwards."""

from django.db import migrations

# kept here (not imported from models): a migration must not change when the code does
STAGES = [
    ("need", "Need identified", 10, 10, "open"),
    ("project", "Project set up", 20, 20, "open"),
    ("information", "Information gathering", 30, 30, "open"),
    ("screening", "Technical screening", 40, 40, "open"),
    ("evaluation", "Evaluation", 50, 60, "open"),
    ("decision", "Decision", 60, 80, "open"),
    ("won", "Won", 70, 100, "won"),
    ("lost", "Lost", 80, 0, "lost"),
]


def create_stages(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    for code, name, order, probability, outcome in STAGES:
        Stage.objects.get_or_create(
            code=code, defaults={"name": name, "order": order, "probability": probability, "outcome": outcome}
        )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]

    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
