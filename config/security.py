"""Small pieces of HTTP security Django 5.2 does not ship: a Content-Security-Policy header, the
answer django-axes gives a locked-out login, the client address that login throttles and
lockouts count against, and a per-address limit on failed sign-ins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.throttling import BaseThrottle


class ContentSecurityPolicyMiddleware:
    """Sets settings.CONTENT_SECURITY_POLICY on every response that has none of its own (a
    view may set a narrower one). An empty setting turns the header off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: 429 with Retry-After, as JSON for the API (scripts
    read `detail`) and as a page for people."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Too many failed sign-ins for this account or from this address. "
        f"Try again in {minutes} minutes, or ask a site admin to unlock the account."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "frontend/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def client_address(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the address DRF's throttles use too, so the login
    lockout and the token endpoint's throttle agree. With DJANGO_TRUSTED_PROXY_COUNT = 0 (the
    default) it is REMOTE_ADDR and X-Forwarded-For is ignored: a client cannot pick a new address
    for each attempt. Behind n proxies that each append to X-Forwarded-For, it is the address
    the outermost of them saw (DRF's NUM_PROXIES rule)."""
    # DRF's own rule, given the Django request: it reads only request.META.
    address: str | None = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    return address


class SignInHandler(AxesDatabaseHandler):
    """django-axes' database handler (AXES_HANDLER) with one more limit. Axes counts failures
    per username and address; this also refuses an address once its failures across every
    username reach ANNOTATOR_SIGN_IN_FAILURES_PER_ADDRESS within the cool-off, so one address
    cannot try a common password on many accounts."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        failures = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]  # set by axes
            attempt_time__gte=since,
        ).aggregate(n=Sum("failures_since_start"))["n"]
        if failures and failures >= settings.ANNOTATOR_SIGN_IN_FAILURES_PER_ADDRESS:
            # Axes answers with the lockout response when the request carries this mark; its
            # own check sets it only from the per-username count.
            request.axes_locked_out = True  # type: ignore[attr-defined]
            return True
        return False
