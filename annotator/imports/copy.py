"""Bulk loads written with COPY on PostgreSQL. bulk_create prepares every value of every row
through its field in Python, which took most of an annotation import's time (about 7,000 spans
and their history rows a second; bench/import_annotations.py); COPY hands psycopg the values as
they are. Other databases (the embedded SQLite) use bulk_create: `copy_supported` says which.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models
from django.db.models import JSONField


def copy_supported(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def allocate_ids(model: type[models.Model], count: int, *, using: str) -> list[int]:
    """`count` primary keys from the table's own sequence, for rows written with COPY that
    other rows must point to (a span's history rows name the span)."""
    if not count:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def copy_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]], *, using: str
) -> int:
    """Write `rows` (one value per name in `fields`, field names as on the model, foreign keys by
    id) into the model's table with COPY; columns not named get their database default. Returns
    the number of rows. Recorded in connection.queries_log like any query when queries are
    logged."""
    from psycopg.types.json import Jsonb  # only PostgreSQL installs need psycopg

    connection = connections[using]
    quote = connection.ops.quote_name
    by_name = {f.name: f for f in model._meta.concrete_fields}
    columns = ", ".join(quote(str(by_name[name].column)) for name in fields)
    json_positions = [n for n, name in enumerate(fields) if isinstance(by_name[name], JSONField)]
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    started = time.monotonic()
    count = 0
    # The COPY goes to psycopg's own cursor: wrap its errors as Django's (IntegrityError...).
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        write_row = copy.write_row
        for row in rows:
            if json_positions:
                values = list(row)
                for position in json_positions:
                    values[position] = Jsonb(values[position])
                row = tuple(values)
            write_row(row)
            count += 1
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {count} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
    return count
