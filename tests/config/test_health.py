"""Liveness and readiness: /healthz/ answers while the process runs; /readyz/ answers 200 only
while PostgreSQL and Redis do, and 503 naming what is away otherwise. The services that are away
are real closed ports, in a process of its own."""

from __future__ import annotations

import json
import socket

import pytest

from tests.config.test_settings import _run

PROBE = (
    "import json, django; django.setup(); from django.test import Client; "
    "live = Client().get('/healthz/'); ready = Client().get('/readyz/'); "
    "print(json.dumps({'live': live.status_code, 'ready': ready.status_code, 'body': ready.json()}))"
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("database", "redis", "expected"),
    [
        ("up", "up", {"database": "ok", "cache": "ok"}),
        ("away", "up", {"database": "unavailable", "cache": "ok"}),
        ("up", "away", {"database": "ok", "cache": "unavailable"}),
    ],
)
def test_readyz_checks_postgresql_and_redis_and_healthz_only_the_process(database, redis, expected):
    database_url = "postgres://postgres@127.0.0.1:5432/postgres"  # on every server
    if database == "away":
        database_url = f"postgres://postgres@127.0.0.1:{_closed_port()}/annotator"
    redis_url = "redis://127.0.0.1:6379/3" if redis == "up" else f"redis://127.0.0.1:{_closed_port()}/3"
    result = _run(
        PROBE,
        "config.settings.base",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    ready = expected == {"database": "ok", "cache": "ok"}
    assert probe["live"] == 200
    assert probe["ready"] == (200 if ready else 503)
    assert probe["body"] == {"status": "ok" if ready else "unavailable", "checks": expected}
