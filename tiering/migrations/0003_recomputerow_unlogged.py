from django.db import migrations


def unlogged(apps, schema_editor):
    """Scratch rows need no crash safety: skip the write-ahead log on PostgreSQL."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tiering_recomputerow SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tiering_recomputerow SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("tiering", "0002_default_benefits_and_policy")]
    operations = [migrations.RunPython(unlogged, logged)]
