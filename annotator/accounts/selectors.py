"""Reads of API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from annotator.models import ApiToken


def api_tokens_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, by name (their keys are not stored)."""
    return ApiToken.objects.filter(user=user).order_by("name", "pk")
