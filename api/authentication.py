"""Token authentication with the lookup as one precomposed query (it runs on every API request;
see annotator.rows). Same answers as DRF's: an unknown key or an inactive user is a 401.

A request whose URL names a layer (`assignment_id`: span lists and creates, submit, the layer
itself) reads that layer, with the token user's role, in the same statement, and leaves it on
the user as `layer_read` for access.access_assignment, which then applies its rules to it
without a query of its own: one round trip less on every span create."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from annotator import rows
from annotator.selectors import LayerRead, layer_from_row, layer_sql


class TokenAuthentication(authentication.TokenAuthentication):
    layer_id: int | None = None

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # DRF makes an authenticator for each request, so this is the request's own.
        self.layer_id = request.parser_context.get("kwargs", {}).get("assignment_id")
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        select = f"{rows.columns(Token, 't')}, {rows.columns(User, 'u')}"
        joins = f"{rows.table(Token)} t JOIN {rows.table(User)} u ON u.id = t.user_id"
        params: list[Any] = []
        if self.layer_id is not None:
            layer_select, layer_joins = layer_sql("t.user_id")
            select += f", {layer_select}"
            joins += f" LEFT JOIN ({layer_joins}) ON a.id = %s"
            params.append(self.layer_id)
        with rows.hot_cursor() as cursor:
            cursor.execute(f"SELECT {select} FROM {joins} WHERE t.key = %s", [*params, key])  # noqa: S608 (names from _meta)
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = rows.from_row(Token, row)
        token.user = rows.from_row(User, row, rows.width(Token))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if self.layer_id is not None:
            offset = rows.width(Token) + rows.width(User)
            found = row[offset] is not None  # the layer's id, NULL when the left join found none
            token.user.layer_read = LayerRead(self.layer_id, layer_from_row(row, offset) if found else None)
        return token.user, token
