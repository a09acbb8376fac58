"""Error answers outside DRF's views: JSON for every /api/ path, a 503 rather than a 500 while
the database is away, for pages and API alike. These handlers must not touch the database."""

from __future__ import annotations

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable for a moment; nothing was saved. Please retry."
RETRY_AFTER_SECONDS = "2"


def database_unavailable(exc: BaseException | None) -> bool:
    """The database went away (restart, failover, network): a client should retry, not report
    a bug. A plain DatabaseError is what psycopg raises on a cut connection."""
    return isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get JSON for an unknown path too; people get the page."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(exception) or "Permission denied."}, status=403)
    return defaults.permission_denied(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the session-authenticated API says why in JSON."""
    if _is_api(request):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)


def server_error(request: HttpRequest) -> HttpResponse:
    """An uncaught exception: 503 with Retry-After while the database is away, else 500."""
    if database_unavailable(sys.exc_info()[1]):
        logger.warning("Database unavailable during %s", request.path)
        if _is_api(request):
            response: HttpResponse = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
        else:
            response = HttpResponse(
                "<!doctype html><title>Unavailable</title><h1>Back in a moment</h1>"
                f"<p>{DATABASE_UNAVAILABLE}</p>",
                status=503,
            )
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
