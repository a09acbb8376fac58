"""The API tokens page: make a token (its key shown once), list, revoke; only one's own."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from annotator.accounts.services import token_create
from annotator.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/projects/").status_code == 200


def test_a_person_makes_lists_and_revokes_their_tokens():
    sam = UserFactory(username="sam")
    browser = Client()
    browser.force_login(sam)
    page = browser.get("/accounts/tokens/")
    assert page.status_code == 200
    assert "No tokens yet." in page.content.decode()

    made = browser.post("/accounts/tokens/", {"name": "export script", "expires_in_days": "30"})
    html = made.content.decode()
    assert made["Cache-Control"].startswith("max-age=0") and "no-store" in made["Cache-Control"]
    key = re.search(r'<pre id="new-key" class="key">([^<]+)</pre>', html).group(1)
    assert _works(key)
    assert "export script" in html
    # Shown once: the next visit lists the token but not its key.
    assert key not in browser.get("/accounts/tokens/").content.decode()

    token = ApiToken.objects.get(user=sam)
    assert browser.post("/accounts/tokens/", {"revoke": str(token.pk)}).status_code == 302
    assert not _works(key)


def test_nobody_revokes_another_persons_token_and_strangers_must_sign_in():
    owner = UserFactory(username="owner")
    token, key = token_create(user=owner, name="pipeline")
    browser = Client()
    browser.force_login(UserFactory(username="other"))
    response = browser.post("/accounts/tokens/", {"revoke": str(token.pk)}, follow=True)
    assert "No such token of yours." in response.content.decode()
    assert _works(key)
    assert Client().get("/accounts/tokens/").status_code == 302
