"""Token authentication with the lookup as one precomposed query (it runs on every API request;
see annotator.rows). Same answers as DRF's: an unknown key or an inactive user is a 401."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from annotator import rows


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        sql = (
            f"SELECT {rows.columns(Token, 't')}, {rows.columns(User, 'u')} FROM {rows.table(Token)} t "  # noqa: S608 (names from _meta)
            f"JOIN {rows.table(User)} u ON u.id = t.user_id WHERE t.key = %s"
        )
        with rows.hot_cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = rows.from_row(Token, row)
        token.user = rows.from_row(User, row, rows.width(Token))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
