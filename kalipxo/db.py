"""Set-based writes: many rows in one statement, duplicates ignored, inserted keys returned.

Ingestion must not pay one round trip per row. On PostgreSQL the rows travel as a single
JSON parameter expanded by `json_to_recordset`: orjson writes it and PostgreSQL reads it in
C, where binding one array per column made psycopg quote every element in Python (half the
cost of a request). On SQLite, the embedded default, they go as multi-row VALUES in chunks.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import psycopg
from django.db import connection
from django.db.models import Field, ForeignObject, Lookup


def insert_ignoring_conflicts(
    *,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    conflict: str,
    returning: str,
) -> list[Any]:
    """Insert `rows`, skip those that conflict on `conflict`, return `returning` of inserted rows.

    `columns` are (name, PostgreSQL type) pairs in row order. Names are trusted identifiers
    from our own code, never client input. Must run inside the caller's transaction.
    """
    if not rows:
        return []
    names = ", ".join(name for name, _ in columns)
    if connection.vendor == "postgresql":
        record = ", ".join(f"{name} {pg_type}" for name, pg_type in columns)
        sql = (
            f"INSERT INTO {table} ({names}) SELECT {names} FROM json_to_recordset(%s::json) AS r({record}) "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
        )
        keys = [name for name, _ in columns]
        document = json_document(keys, rows)
        return [row[0] for row in execute_bound(sql, [document])]
    rows = _adapt_for_sqlite(columns, rows)
    inserted: list[Any] = []
    width = len(columns)
    chunk = max(1, 30_000 // width)  # stay under SQLite's bound-parameter limit
    placeholder = "(" + ", ".join("%s" for _ in columns) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join(placeholder for _ in part)
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                [value for row in part for value in row],
            )
            inserted.extend(row[0] for row in cursor.fetchall())
    return inserted


def json_document(keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as one JSON array of objects, for `json_to_recordset` (values via `str` if needed)."""
    return orjson.dumps([dict(zip(keys, row, strict=True)) for row in rows], default=str).decode()


def execute_bound(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one PostgreSQL statement with server-side binding and return its rows.

    Django's psycopg cursors bind on the client, pasting a large document into the SQL text
    (and quoting it in Python); here it travels as a parameter. Uses Django's connection,
    so it joins the caller's transaction.
    """
    connection.ensure_connection()
    # Django's wrapper turns psycopg's errors into django.db's, and marks the connection
    # for a health check, as its own cursors do.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:  # type: ignore[arg-type]
        cursor.execute(sql.encode(), params)
        return cursor.fetchall() if cursor.description else []


def _adapt_for_sqlite(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Store values the way Django's SQLite backend does (naive UTC text, hex UUIDs)."""
    ops = connection.ops
    adapters: dict[str, Any] = {
        "timestamptz": ops.adapt_datetimefield_value,
        "date": ops.adapt_datefield_value,
        "uuid": lambda value: None if value is None else value.hex,
        "numeric": lambda value: None if value is None else str(value),
    }
    converters = [adapters.get(pg_type) for _, pg_type in columns]
    return [
        [value if convert is None else convert(value) for convert, value in zip(converters, row, strict=True)]
        for row in rows
    ]


class InJson(Lookup):  # type: ignore[type-arg]
    """`field__in_json=values`: like `__in`, but the values travel as one JSON parameter.

    An `__in` of a thousand ids binds a thousand parameters, each prepared and quoted in
    Python (Django's client-side binding); the live worker paid more for that than for the
    queries. PostgreSQL expands the JSON array itself, SQLite with json_each. Pass a set
    (any iterable but a list or tuple): Django walks a list's or tuple's elements one by
    one looking for expressions, which for a thousand ids cost more than the query.
    """

    lookup_name = "in_json"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        return "%s", (orjson.dumps(list(value)).decode(),)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = (*lhs_params, *rhs_params)
        # lhs and rhs are the compiler's own SQL (a column, a placeholder): no client text.
        if connection.vendor == "postgresql":
            return f"{lhs} IN (SELECT jsonb_array_elements_text({rhs}::jsonb))", params
        return f"{lhs} IN (SELECT value FROM json_each({rhs}))", params  # noqa: S608


Field.register_lookup(InJson)
ForeignObject.register_lookup(InJson)  # foreign keys keep their own lookups
