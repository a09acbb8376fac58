"""The sign-in throttle (scope "auth", per address)."""

from __future__ import annotations

import logging

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from annotator.jobs.services import BACKGROUND_ERRORS

logger = logging.getLogger(__name__)


class SignInThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counting in the cache (Redis). While the cache is away it lets
    requests through: signing in needs no cache to be right, and django-axes still counts
    failed passwords in the database."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except BACKGROUND_ERRORS as error:
            logger.warning("Sign-in throttle skipped, the cache is away: %s", error)
            return True
