"""DRF's token authentication ("Authorization: Token <key>"), reading the named, expiring tokens
of annotator.accounts instead of DRF's one plain-text token per user."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from annotator.accounts.services import token_authenticate
from annotator.errors import NotFound


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        try:
            token = token_authenticate(key=key)
        except NotFound as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
