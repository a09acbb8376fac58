"""OpenAPI generation: every operation documents the error answers it can give, so clients and
schema-driven tests know them. Error bodies are JSON: {"detail": ...} or a message list per field."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

ERROR_BODY = {
    "type": "object",
    "description": '{"detail": "..."} or {"<field>": ["message", ...]}',
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: a message per field.",
    "401": "Not signed in: send a token (Authorization: Token ...) or a session cookie.",
    "403": "Signed in, but your role in the project does not allow this.",
    "404": "No such object, or one you may not see.",
    "415": "Unsupported request body type; send JSON (or multipart for file uploads).",
    "409": "Conflict with the current state (a stale version, a submitted layer); `current` holds the object now.",
    "429": "Too many requests; retry after the time in Retry-After.",
    "503": "The database is briefly unavailable; nothing was saved. Retry.",
}
# Answers any operation can give whatever it declares itself.
ALWAYS = ("401", "404", "429", "503")


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        codes = [*ALWAYS, "400", "403"]
        if self.method != "GET":
            codes += ["409", "415"]
        for code in codes:
            responses.setdefault(
                code, {"description": ERRORS[code], "content": {"application/json": {"schema": ERROR_BODY}}}
            )
        return responses
