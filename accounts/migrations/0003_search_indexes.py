from django.db import migrations

# (superseded by 0005: one trigram index on Account.search_text)
# Django's icontains on PostgreSQL is UPPER(col::text) LIKE UPPER('%term%'); trigram GIN
# indexes on those expressions let the account search avoid scanning 100k+ rows.
INDEXES = [
    ("accounts_account_name_trgm", "accounts_account", 'UPPER("name"::text)'),
    ("accounts_account_nickname_trgm", "accounts_account", 'UPPER("nickname"::text)'),
    ("accounts_contact_name_trgm", "accounts_contact", 'UPPER("name"::text)'),
    ("accounts_contact_phone_trgm", "accounts_contact", '"phone"'),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expr in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expr}) gin_trgm_ops)')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expr in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
