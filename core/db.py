"""Small database helpers shared by the apps.

- `TrigramIndex`: a PostgreSQL trigram (pg_trgm) GIN index that lives in the model state like any
  other index, and is skipped on the embedded SQLite database (which has no GIN and no trigrams;
  there a search is a plain scan, fine for a laptop's data).
- `execute`, `fetch_all` and the parameter adapters: the set-based jobs are a few raw SQL
  statements over whole tables (DESIGN.md "Set-based work"), written once for PostgreSQL and the
  embedded SQLite.
"""

import re
from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import connection
from django.db.models import F


class TrigramIndex(GinIndex):
    """`TrigramIndex(fields=["text"], name=...)`: GIN over `text gin_trgm_ops`, for `icontains` and
    similarity searches. Needs the `pg_trgm` extension (`TrigramExtension()` in the migration)."""

    def __init__(self, *expressions, fields=(), **kwargs):
        self.trigram_fields = tuple(fields)
        if fields:
            expressions = (*expressions, *(OpClass(F(field), name="gin_trgm_ops") for field in fields))
        super().__init__(*expressions, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        if self.trigram_fields and len(args) == len(self.trigram_fields):
            args, kwargs = (), {**kwargs, "fields": list(self.trigram_fields)}
            kwargs.pop("expressions", None)
        return "core.db.TrigramIndex", args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""  # an empty statement: nothing to create elsewhere
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)


def named(sql: str, params: dict) -> tuple[str, list]:
    """`%(name)s` placeholders to positional `%s` (SQLite and PostgreSQL both take those)."""
    values = []

    def repl(match):
        values.append(params[match.group(1)])
        return "%s"

    return re.sub(r"%\((\w+)\)s", repl, sql), values


def _query(sql: str, params) -> tuple[str, list | tuple | None]:
    if isinstance(params, dict):
        return named(sql, params)
    return sql, params


def execute(sql: str, params: dict | list | tuple | None = None) -> int:
    """Run one statement (named `%(x)s` or positional `%s` parameters); the rows it touched."""
    query, values = _query(sql, params)
    with connection.cursor() as cursor:
        cursor.execute(query, values)
        return cursor.rowcount


def fetch_all(sql: str, params: dict | list | tuple | None = None) -> list[tuple]:
    query, values = _query(sql, params)
    with connection.cursor() as cursor:
        cursor.execute(query, values)
        return cursor.fetchall()


def db_decimal(value) -> Decimal | float:
    """A Decimal parameter as the backend compares it: exact numeric on PostgreSQL, REAL on
    SQLite (where a string would compare as text)."""
    value = Decimal(value)
    return value if connection.vendor == "postgresql" else float(value)


def db_datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def db_date(value):
    return connection.ops.adapt_datefield_value(value)


def json_object_sql(pairs: list[tuple[str, str]]) -> str:
    """A JSON object built in SQL from (key, SQL expression) pairs; the keys are constants."""
    func = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{func}(" + ", ".join(f"'{key}', {expr}" for key, expr in pairs) + ")"
