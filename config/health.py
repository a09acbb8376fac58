"""Probes for whatever runs the service: /healthz/ says the process answers (liveness), /readyz/
says it can serve requests (readiness): PostgreSQL and the cache's Redis answer."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.get("readyz")  # the embedded default's in-memory cache always answers


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache}


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503 naming the ones that failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except (DatabaseError, RedisError, OSError) as error:
            logger.warning("Readiness check %s failed: %s", name, error)
            results[name] = "unavailable"
    ready = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )
