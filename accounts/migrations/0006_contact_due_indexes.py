"""Two indexes in the exact order of the overdue-for-contact list and the callback worklist (last
contact with the never-contacted first, revenue, id; the worklist puts key accounts first with
`accounts.models.TIER_RANK`'s CASE), so PostgreSQL reads a page in index order instead of sorting
every match. They replace the plain last-contact index.

Written as SQL per database: SQLite refuses NULLS FIRST in an index (and sorts NULLs first in
ascending order anyway), so the same statement cannot serve both, and the indexes are not
declared on the model (SQLite's table rebuilds would re-create them from the model).
"""

from django.db import migrations

TIER_RANK = "(CASE WHEN \"tier\" = 'vip' THEN 0 WHEN \"tier\" = 'regular' THEN 1 ELSE 2 END)"
INDEXES = {
    "account_live_contact_due_idx": '"last_contact_at" ASC{nulls}, "revenue_12m" DESC, "id"',
    "account_live_callback_due_idx": TIER_RANK + ', "last_contact_at" ASC{nulls}, "revenue_12m" DESC, "id"',
}


def create(apps, schema_editor):
    nulls = " NULLS FIRST" if schema_editor.connection.vendor == "postgresql" else ""
    for name, columns in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "accounts_account" ({columns.format(nulls=nulls)}) '
            'WHERE NOT "is_archived"'
        )


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_search_text_main_phone"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="account", name="account_last_contact_idx"),
        migrations.RunPython(create, drop, elidable=False),
    ]
