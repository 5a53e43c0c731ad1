"""The (account, month) unique index of the monthly revenue rollup also carries the summed columns
on PostgreSQL, so the tier recompute sums the rollup per account from the index alone, in order
(tiering.window). Django's UniqueConstraint(include=...) would drop the constraint altogether on
SQLite (models.W039), so the model keeps the plain constraint and PostgreSQL gets the covering
one under the same name here: the upserts' ON CONFLICT (account_id, month) is unchanged."""

from django.db import migrations

COVERING = (
    "CREATE UNIQUE INDEX monthly_revenue_account_month_cover ON accounts_monthlyrevenue "
    "(account_id, month) INCLUDE (revenue, purchases, last_purchase_at)"
)
PLAIN = "CREATE UNIQUE INDEX monthly_revenue_account_month_plain ON accounts_monthlyrevenue (account_id, month)"


def _swap(schema_editor, create: str, index: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(create)
    schema_editor.execute("ALTER TABLE accounts_monthlyrevenue DROP CONSTRAINT monthly_revenue_account_month")
    schema_editor.execute(
        f"ALTER TABLE accounts_monthlyrevenue ADD CONSTRAINT monthly_revenue_account_month UNIQUE USING INDEX {index}"
    )


def forwards(apps, schema_editor):
    _swap(schema_editor, COVERING, "monthly_revenue_account_month_cover")


def backwards(apps, schema_editor):
    _swap(schema_editor, PLAIN, "monthly_revenue_account_month_plain")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0011_covering_time_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
