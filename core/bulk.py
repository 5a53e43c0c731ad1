"""Fast bulk loading for seeding and benchmarks: COPY on PostgreSQL, executemany elsewhere."""

import json
from collections.abc import Iterable, Sequence

from django.db import connection

# bandit B608 ("# nosec B608" below): table and column names come from the model's own metadata,
# quoted by the connection; every value travels as a query parameter (or COPY data).


def bulk_insert(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain tuples (values in `columns` order, db column names) without model overhead."""
    table = model._meta.db_table
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JSON columns go as text; the others as they are (no per-value type test: a million
            # rows spent seconds on it)
            json_columns = {f.column for f in model._meta.concrete_fields if f.get_internal_type() == "JSONField"}
            as_json = [i for i, c in enumerate(columns) if c in json_columns]
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    if as_json:
                        row = list(row)
                        for i in as_json:
                            if row[i] is not None:
                                row[i] = json.dumps(row[i])
                    copy.write_row(row)
                    count += 1
        else:
            sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"  # nosec B608
            by_column = {f.column: f for f in model._meta.concrete_fields}
            fields = [by_column[c] for c in columns]
            batch = []
            for row in rows:
                batch.append([f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)])
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def reset_sequence(model) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequence past them."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT MAX({pk}) FROM {table}), 1))",  # nosec B608
            [table, pk],
        )


def bulk_update_fields(model, objs: Sequence, field_names: Sequence[str], batch_size: int = 1000) -> int:
    """Write `field_names` of many rows in one UPDATE per batch (PostgreSQL: UPDATE ... FROM VALUES,
    much faster than Django's bulk_update, whose CASE WHEN per row and field grows quadratically).
    Elsewhere, Django's bulk_update."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        return model.objects.bulk_update(objs, field_names, batch_size=batch_size)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    columns = [pk, *fields]
    casts = [f"%s::{f.db_type(connection)}" for f in columns]
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields)
    names = ", ".join(qn(f.column) for f in columns)
    count = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            row_sql = "(" + ", ".join(casts) + ")"
            params = []
            for obj in chunk:
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns)
            cursor.execute(
                f"UPDATE {qn(model._meta.db_table)} AS t SET {assignments} "  # nosec B608
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({names}) "
                f"WHERE t.{qn(pk.column)} = v.{qn(pk.column)}",
                params,
            )
            count += cursor.rowcount
    return count


def bulk_history_insert(model, objs: Sequence, *, history_type: str, user, date) -> int:
    """django-simple-history rows ("+" created, "~" changed) for records written in bulk: one COPY
    on PostgreSQL instead of building a historical model instance per record."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.history.bulk_history_create(
            objs, batch_size=1000, update=history_type == "~", default_user=user, default_date=date
        )
        return len(objs)
    history = model.history.model
    fields = [f for f in history._meta.fields if f.name != "history_id"]
    fixed = {
        "history_date": date,
        "history_change_reason": None,
        "history_type": history_type,
        "history_user": user.pk if user is not None else None,
    }

    def rows():
        for obj in objs:
            yield [fixed[f.name] if f.name in fixed else getattr(obj, f.attname) for f in fields]

    return bulk_insert(history, [f.column for f in fields], rows())
