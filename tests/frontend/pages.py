"""Helpers for the page tests: a test client signed in as a demo user, and a page's HTML."""

from __future__ import annotations

from typing import Any


def client_for(client: Any, username: str) -> Any:
    """The test client, signed in as the existing user `username`."""
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username=username))
    return client


def page_html(client: Any, username: str, path: str) -> str:
    """The page at `path` as `username` sees it, which must render (200)."""
    page = client_for(client, username).get(path)
    assert page.status_code == 200
    return page.content.decode()
