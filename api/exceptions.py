"""Domain errors to HTTP answers, in one place. Every error body is JSON: `detail` for a
message, or a message list per field for validation errors."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotator.errors import BackgroundUnavailable, Conflict, IncompleteLayer, NotFound
from annotator.models import Answer, Span
from config.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, database_unavailable

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, NotFound):
        return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IncompleteLayer):
        return Response(
            {
                "detail": "Some spans lack a required attribute or a required question is unanswered; "
                "complete them and submit again.",
                "incomplete": exc.spans,
                "unanswered": exc.questions,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Conflict):
        from api.serializers import AnswerSerializer, SpanSerializer

        body: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc.current, Span):
            body["current"] = SpanSerializer(exc.current).data
        elif isinstance(exc.current, Answer):
            body["current"] = AnswerSerializer(exc.current).data
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, BackgroundUnavailable):
        logger.warning("Job queue unavailable during %s", context.get("view"))
        return Response(
            {"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"}
        )
    if database_unavailable(exc):
        logger.warning("Database unavailable during %s: %s", context.get("view"), exc)
        return Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return drf_exception_handler(exc, context)
