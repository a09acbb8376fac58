"""Small pieces of HTTP security Django 5.2 does not ship: a Content-Security-Policy header, the
answer django-axes gives a locked-out login, and the client address that login throttles and
lockouts count against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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
        f"Too many failed sign-ins for this account from this address. "
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
