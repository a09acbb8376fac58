"""Hand-composed SQL for the few statements every span request runs (the token lookup, the
layer with the caller's role, the span by id, the layer's nearby spans, a span write with its
history row).

The ORM spends several times longer composing such a query than the database takes to answer
it (about 1 ms against 0.15 ms on a 2-core machine), and a span request used to run five of
them. Column lists come from the models' `_meta`, so they follow every migration; values go
through each field's own conversions (`get_db_prep_save` on the way in, `from_db_value` on the
way out), so JSON, UUIDs and times read and write as the ORM would, on PostgreSQL and SQLite.
Everything else in the project uses the ORM.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


@cache
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    return tuple(model._meta.concrete_fields)


def column(field: Any) -> str:
    column: str = field.column  # concrete fields always have one
    return column


@cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in _fields(model)]


@cache
def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def columns(model: type[Model], alias: str) -> str:
    """`alias."col", ...` for every concrete field of `model`, in `from_row`'s order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(column(field))}" for field in _fields(model))


def width(model: type[Model]) -> int:
    return len(_fields(model))


@cache
def _converters(model: type[Model], vendor: str) -> tuple[tuple[int, Any, tuple[Any, ...]], ...]:
    """(position, column expression, converters) for each field whose raw value needs
    converting: the backend's converters, then the field's, as the ORM's compiler applies them."""
    found = []
    for i, field in enumerate(_fields(model)):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            found.append((i, col, tuple(converters)))
    return tuple(found)


def from_row(model: type[M], row: Sequence[Any], offset: int = 0) -> M:
    """The instance whose fields `row[offset:]` holds, as selected by `columns(model, ...)`."""
    db = connections[DEFAULT_DB_ALIAS]  # not the `connection` proxy: one lookup, not one per use
    names = _attnames(model)
    values = list(row[offset : offset + len(names)])
    for i, col, converters in _converters(model, db.vendor):
        for convert in converters:
            values[i] = convert(values[i], col, db)
    return model.from_db(db.alias, names, values)


def insert_sql(
    model: type[Model],
    instance: Model,
    *,
    with_pk: bool,
    returning: str,
    select_from: str | None = None,
    expressions: Mapping[str, str] | None = None,
) -> tuple[str, list[Any]]:
    """`INSERT INTO ... VALUES (...) RETURNING <returning column>` for `instance`, its values
    prepared by each field; the pk is included only `with_pk`. `expressions` puts SQL in place
    of some fields' values, and `select_from` turns VALUES into `SELECT ... FROM select_from`,
    so a row can take a value from a CTE (a new row's id)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    quote = db.ops.quote_name
    expressions = expressions or {}
    pk = model._meta.pk
    fields = [f for f in _fields(model) if with_pk or f is not pk]
    placeholders, values = [], []
    for field in fields:
        if field.attname in expressions:
            placeholders.append(expressions[field.attname])
        else:
            placeholders.append("%s")
            values.append(field.get_db_prep_save(getattr(instance, field.attname), db))
    rows_sql = (
        f"SELECT {', '.join(placeholders)} FROM {select_from}"  # noqa: S608 (names from _meta)
        if select_from
        else f"VALUES ({', '.join(placeholders)})"
    )
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(quote(column(f)) for f in fields)}) {rows_sql} "
        f"RETURNING {quote(column(model._meta.get_field(returning)))}"
    )
    return sql, values


@contextlib.contextmanager
def hot_cursor() -> Iterator[Any]:
    """A cursor for the statements above. On PostgreSQL it binds parameters on the server, so
    psycopg prepares each statement once it has run a few times on a connection (the settings
    set prepare_threshold; Django's default turns preparing off), and the server stops parsing
    and planning it on every request (about a millisecond a span create); the ORM keeps
    Django's client-side binding, which psycopg never prepares. Prepared statements live in the
    session: a pooler in front of PostgreSQL must pool sessions, not transactions."""
    # The connection itself, not the `connection` proxy, which looks it up on every use.
    db: Any = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What Django's own cursor() does, with a server-binding cursor.
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = ServerBindingCursor(db.connection)  # type: ignore[call-arg]  # stubs: a psycopg Cursor
    db.validate_thread_sharing()
    with db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw) as cursor:
        yield cursor
