"""One-statement multi-row inserts for the ingest hot path.

On PostgreSQL the rows travel as one array per column (``INSERT … SELECT * FROM unnest(…)``):
the statement has as many parameters as columns, whatever the batch size, so the driver does not
re-parse a query with thousands of placeholders for every batch. SQLite gets a plain multi-row
``VALUES`` list. Identifiers are the caller's constants; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


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
