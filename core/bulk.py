"""Fast bulk loading for seeding and benchmarks: COPY on PostgreSQL, executemany elsewhere."""

import json
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction

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


# ---- COPY text format --------------------------------------------------------------------------
# One row = its values joined by tabs, ending in a newline; NULL is \N; backslash, tab, newline and
# carriage return inside a value are written as \\, \t, \n and \r. Callers that make millions of
# rows write these lines themselves (one f-string a row) instead of adapting value by value.

COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}


def copy_escape(value) -> str:
    """One value as COPY text: None -> \\N, booleans t/f, text with its special characters escaped."""
    if value is None:
        return COPY_NULL
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def copy_unescape(text: str) -> str | None:
    """The value of one COPY text field (the inverse of `copy_escape` for text)."""
    if text == COPY_NULL:
        return None
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(_COPY_UNESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def copy_line(values: Sequence) -> str:
    """One row as a COPY text line (for the few rows not worth a hand-made f-string)."""
    return "\t".join(copy_escape(v) for v in values) + "\n"


def _joined_in_chunks(lines: Iterable[str], chunk_bytes: int) -> Iterator[tuple[str, int]]:
    """(whole lines joined, how many) in chunks of about `chunk_bytes` characters."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= chunk_bytes:
            yield "".join(chunk), len(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk), len(chunk)


class LinesInBackground:
    """COPY text lines made by a thread, joined and encoded in chunks of about `chunk_bytes`.

    psycopg waits for the server with the GIL released: while the connection is busy (an index
    build, another table's COPY), this thread makes the next table's rows on the other core.
    Start it only when nothing else touches what the generator uses (its random generator)
    until the lines are consumed; iterate it once, to the end (bulk_insert_text does)."""

    _DONE = object()

    def __init__(self, lines: Iterable[str], *, chunk_bytes: int = 1 << 20):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(lines, chunk_bytes), daemon=True)
        self._thread.start()

    def _run(self, lines, chunk_bytes) -> None:
        try:
            for text, count in _joined_in_chunks(lines, chunk_bytes):
                if self._stop.is_set():
                    return
                self._queue.put((text.encode(), count))
        except BaseException as exc:  # handed to the consumer
            self._error = exc
        finally:
            self._queue.put(self._DONE)

    def chunks(self) -> Iterator[tuple[bytes, int]]:
        """(UTF-8 bytes of whole lines, number of lines) as the thread makes them."""
        try:
            while (item := self._queue.get()) is not self._DONE:
                yield item
        finally:
            self._stop.set()
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __iter__(self) -> Iterator[str]:
        for data, _count in self.chunks():
            *lines, rest = data.decode().split("\n")  # not splitlines: it also cuts at \x1c, \u2028...
            for line in lines:
                yield line + "\n"
            if rest:
                yield rest


def bulk_insert_text(
    model, columns: Sequence[str], lines: Iterable[str] | LinesInBackground, *, chunk_bytes: int = 1 << 20
) -> int:
    """Insert rows given as COPY text lines (see `copy_line`), values in `columns` order.

    PostgreSQL: the lines go to COPY as they are, joined into chunks of about `chunk_bytes`,
    through psycopg's writer thread (QueuedLibpqWriter): the Python that makes the next lines
    runs while the server parses the previous ones. Elsewhere the lines are parsed back into
    values and inserted by `bulk_insert`, so the same generator serves SQLite."""
    if connection.vendor != "postgresql":
        by_column = {f.column: f for f in model._meta.concrete_fields}
        fields = [by_column[c] for c in columns]
        convert = [json.loads if f.get_internal_type() == "JSONField" else f.to_python for f in fields]

        def rows():
            for line in lines:
                values = line[:-1].split("\t") if line.endswith("\n") else line.split("\t")
                yield [
                    None if (raw := copy_unescape(v)) is None else conv(raw)
                    for conv, v in zip(convert, values, strict=True)
                ]

        return bulk_insert(model, columns, rows())
    from psycopg.copy import QueuedLibpqWriter

    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN"  # nosec B608
        with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
            if isinstance(lines, LinesInBackground):
                for data, lines_in_chunk in lines.chunks():
                    copy.write(data)
                    count += lines_in_chunk
                return count
            for text, lines_in_chunk in _joined_in_chunks(lines, chunk_bytes):
                copy.write(text)
                count += lines_in_chunk
    return count


# ---- indexes and foreign keys dropped for a bulk load ------------------------------------------


def _table_names(models) -> list[str]:
    return [m if isinstance(m, str) else m._meta.db_table for m in models]


def load_definitions(models) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """What `indexes_dropped` drops and re-creates for these tables (PostgreSQL):
    (table, index name, CREATE INDEX statement) of each index that backs no constraint and that
    no foreign key leans on, and (table, constraint name, definition) of each foreign key and each unique
    constraint that no foreign key leans on. Primary keys stay."""
    tables = _table_names(models)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class c ON c.oid = x.indrelid
            WHERE c.relname = ANY(%s) AND c.relnamespace = to_regnamespace(current_schema())::oid
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)
            ORDER BY c.relname, i.relname
            """,
            [tables],
        )
        indexes = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(
            """
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), k.contype
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            WHERE c.relname = ANY(%s) AND c.relnamespace = to_regnamespace(current_schema())::oid
              AND (k.contype = 'f'
                   OR (k.contype = 'u' AND NOT EXISTS (
                       SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid)))
            ORDER BY k.contype = 'f', c.relname, k.conname
            """,
            [tables],
        )
        constraints = [(table, name, definition) for table, name, definition, _kind in cursor.fetchall()]
    return indexes, constraints


class DroppedIndexes:
    """What `indexes_dropped` took away; `rebuild(models)` builds some tables' back early (so that
    the connection builds them while Python makes the next table's rows)."""

    def __init__(self, indexes, constraints, maintenance_work_mem: str):
        self.indexes, self.constraints = list(indexes), list(constraints)
        self.maintenance_work_mem = maintenance_work_mem

    @staticmethod
    def _run_pending_checks(cursor) -> None:
        # PostgreSQL refuses to alter a table that has deferred trigger events pending (a foreign
        # key check of a row written earlier in the transaction, on this table or one it
        # references): run them now, then defer again, the state every deferrable constraint of
        # this schema starts in (Django's foreign keys are all DEFERRABLE INITIALLY DEFERRED).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def drop(self) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            self._run_pending_checks(cursor)
            for table, name, _definition in reversed(self.constraints):  # foreign keys first
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            for _table, name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {qn(name)}")

    def rebuild(self, models=None) -> None:
        """Create again the indexes, then the unique constraints, then the foreign keys of these
        models' tables (all that are still dropped when None)."""
        tables = None if models is None else set(_table_names(models))
        indexes = [i for i in self.indexes if tables is None or i[0] in tables]
        constraints = [c for c in self.constraints if tables is None or c[0] in tables]
        if not indexes and not constraints:
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('maintenance_work_mem')")
            (kept,) = cursor.fetchone()
            cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [self.maintenance_work_mem])
            self._run_pending_checks(cursor)
            for _table, _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in constraints:  # unique constraints, then foreign keys
                cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [kept])
        self.indexes = [i for i in self.indexes if i not in indexes]
        self.constraints = [c for c in self.constraints if c not in constraints]


@contextmanager
def indexes_dropped(models, *, maintenance_work_mem: str = "1GB"):
    """Drop the secondary indexes, unique constraints and foreign keys of these models' tables for
    the block (a bulk load), and create them again after it, from their own definitions
    (`load_definitions`: pg_get_indexdef and pg_get_constraintdef, read before dropping).

    This is what pg_restore does: building an index once over the loaded rows (one sort) is far
    cheaper than maintaining it row by row, and one foreign-key check over the whole table (a
    join) far cheaper than a trigger per row. Primary keys stay (other tables' foreign keys lean
    on them, and rows come in id order, the cheap case for a b-tree), and so do check constraints
    (cheap, per row) and any index a foreign key leans on. All of it happens inside one
    transaction (a savepoint when nested): an error in the block, or a rebuild that fails (a
    duplicate, a row whose foreign key points nowhere), leaves the tables as they were. The
    rebuild runs with `maintenance_work_mem` raised for this transaction only. The block gets a
    `DroppedIndexes`; `rebuild(models)` builds some tables' back before the end. Foreign-key
    checks still pending from earlier in the transaction run when it starts (see
    `_run_pending_checks`).
    Elsewhere than PostgreSQL it does nothing (and its `rebuild` neither)."""
    if connection.vendor != "postgresql":
        yield DroppedIndexes([], [], maintenance_work_mem)
        return
    with transaction.atomic():
        dropped = DroppedIndexes(*load_definitions(models), maintenance_work_mem)
        dropped.drop()
        yield dropped
        dropped.rebuild()
