"""Errors the domain raises. The API maps them to HTTP answers in one place (api/exceptions.py);
the pages and commands show their messages as they are."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

__all__ = ["BackgroundUnavailable", "Conflict", "IncompleteLayer", "NotFound", "ValidationError"]


class NotFound(Exception):
    """The object does not exist, or the user may not see it: the two are never told apart."""

    def __init__(self, what: str = "Not found.") -> None:
        super().__init__(what)


class Conflict(Exception):
    """A write based on a stale read (an old `version`): `current` is the object as it is now."""

    def __init__(self, message: str, current: Any = None) -> None:
        super().__init__(message)
        self.current = current


class IncompleteLayer(Exception):
    """Submit refused: `spans` lists each span that lacks a required attribute, `questions`
    each required article question not yet answered."""

    def __init__(self, spans: list[dict[str, Any]], questions: list[dict[str, Any]] | None = None) -> None:
        questions = questions or []
        super().__init__(
            f"{len(spans)} span(s) lack a required attribute; {len(questions)} required question(s) unanswered."
        )
        self.spans = spans
        self.questions = questions


class BackgroundUnavailable(Exception):
    """The broker (Redis) did not take a background job. Nothing of the job was kept, so the
    same request can simply be made again once Redis answers."""

    def __init__(self) -> None:
        super().__init__(
            "The job queue is not answering, so the job was not started and nothing was kept. "
            "Try again in a minute."
        )
