"""Writing many rows in one go, for the two places that need it.

- :func:`insert_rows` — the ingest hot path: a batch of a few hundred rows in one statement. On
  PostgreSQL the rows travel as one array per column (``INSERT … SELECT * FROM unnest(…)``): as
  many parameters as columns, whatever the batch size, with ``ON CONFLICT DO NOTHING`` and
  ``RETURNING`` as needed. SQLite gets a plain multi-row ``VALUES`` list.
- :func:`copy_rows` — imports: up to hundreds of thousands of rows of a model's table, already
  sealed, hashed and derived (plain tuples, no model instances, no per-row ``pre_save``). On
  PostgreSQL the keys are drawn from the table's sequence first (``nextval`` over
  ``generate_series``, safe beside concurrent inserts), then the rows stream in one ``COPY``;
  SQLite inserts batches with ``RETURNING id``. The new keys come back in row order.

Identifiers are the caller's constants or the model's names; every value travels as data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter

#: SQLite allows 32,766 bound parameters per statement; stay well below.
SQLITE_PARAMS = 30_000
#: Field types whose values the driver cannot take as they are. psycopg adapts dates and aware
#: datetimes itself (Django's PostgreSQL backend passes them through unchanged); SQLite's
#: backend turns them into text.
_PREPARED = {"postgresql": {"JSONField"}}
_PREPARED_ELSEWHERE = {"DateField", "DateTimeField", "JSONField"}


def _preparers(model: type[models.Model], columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """Per column, the field's database conversion where the driver needs one (dates, JSON)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    prepared = _PREPARED.get(connection.vendor, _PREPARED_ELSEWHERE)

    def prep(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
        return lambda value: field.get_db_prep_save(value, connection)

    return [prep(fields[name]) if fields[name].get_internal_type() in prepared else None for name in columns]


def _prepared(rows: Iterable[Sequence[Any]], preparers: list[Callable[[Any], Any] | None]) -> Iterator[tuple[Any, ...]]:
    if not any(preparers):
        return (tuple(row) for row in rows)
    return (
        tuple(value if prep is None else prep(value) for value, prep in zip(row, preparers, strict=True))
        for row in rows
    )


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys of ``model``'s table (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, count: int | None = None
) -> list[int]:
    """Insert ``rows`` (values in ``columns`` order, by attname) into ``model``'s table; returns
    the new primary keys in the same order. Runs inside the caller's transaction.

    ``rows`` may be a generator: with ``count`` given, PostgreSQL streams them — the server
    inserts (and maintains indexes) on its own core while this process builds the next rows,
    a background thread feeding the connection.
    """
    if count is None:
        rows = list(rows)
        count = len(rows)
    if not count:
        return []
    prepared = _prepared(rows, _preparers(model, columns))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk.column
    if connection.vendor == "postgresql":
        reserved = reserve_ids(model, count)
        names = ", ".join(quote(c) for c in (pk, *columns))
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({names}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for pk_value, row in zip(reserved, prepared, strict=True):
                    copy.write_row((pk_value, *row))
        return reserved
    names = ", ".join(quote(c) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_batch = max(1, SQLITE_PARAMS // len(columns))
    pending = list(prepared)
    ids: list[int] = []
    with connection.cursor() as cursor:
        for i in range(0, len(pending), per_batch):
            batch = pending[i : i + per_batch]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))} RETURNING {quote(pk)}"  # noqa: S608
            cursor.execute(sql, [value for row in batch for value in row])
            # SQLite returns the rows of a multi-row INSERT in insertion order (Django's bulk_create relies on it too).
            ids += [row[0] for row in cursor.fetchall()]
    if len(ids) != count:
        raise ValueError(f"{model.__name__}: {len(ids)} rows inserted, {count} announced")
    return ids


def insert_rows(
    table: str,
    columns: Sequence[str],
    pg_types: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in ``columns`` order); ``conflict`` columns make it DO NOTHING on
    a duplicate; returns the ``returning`` columns of the rows actually inserted."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    tail = ""
    if conflict:
        tail += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        tail += f" RETURNING {', '.join(quote(c) for c in returning)}"
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in pg_types)
        sql = f"INSERT INTO {quote(table)} ({cols}) SELECT * FROM unnest({arrays}){tail}"  # noqa: S608
        params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    else:
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = f"INSERT INTO {quote(table)} ({cols}) VALUES {', '.join([one] * len(rows))}{tail}"  # noqa: S608
        params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if returning else []
