"""config.postgresql: the health check of a kept connection asks the server only when the
socket says something happened to it. The statement a backend last ran is read from
pg_stat_activity through a second connection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction


@pytest.fixture
def watcher() -> Iterator[Any]:
    """A second connection to the test database."""
    other = connections.create_connection("default")
    try:
        yield other
    finally:
        other.close()


def _last_statement(watcher: Any, pid: int) -> str:
    with watcher.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("in_transaction", "last_statement"),
    [(False, "SELECT 'the last statement'"), (True, "SELECT 1")],
    ids=["idle: not asked", "in a transaction: asked"],
)
def test_a_live_connection_is_asked_only_inside_a_transaction(watcher, in_transaction, last_statement):
    with transaction.atomic() if in_transaction else contextlib.nullcontext():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'the last statement'")
        assert connection.is_usable()
        assert _last_statement(watcher, connection.connection.info.backend_pid) == last_statement


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_fails_and_the_next_query_reconnects(watcher):
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with watcher.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        assert cursor.fetchone()[0] is True
    assert not connection.is_usable()

    # What Django does at the first query of a request: check, close, connect afresh.
    connection.health_check_done = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


@pytest.mark.django_db
def test_sessions_run_without_jit_compilation():
    """Request queries are short: compiling them cost more than it saved (settings)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
