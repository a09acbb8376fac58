"""API tokens: one named token per client, an optional expiry, listed and revoked by their
owner, and all revoked by a password change or a deactivation."""

from __future__ import annotations

import hashlib
import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.models import ApiToken
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _token(name: str | None = None, **extra) -> dict:
    body = {"username": "sam", "password": DEFAULT_PASSWORD, **extra}
    if name is not None:
        body["name"] = name
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()


def _with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _works(key: str) -> bool:
    status = _with(key).get("/api/v1/projects/").status_code
    assert status in (200, 401)
    return status == 200


@pytest.fixture
def sam():
    return UserFactory(username="sam")


def test_each_client_gets_its_own_named_token_and_only_its_hash_is_kept(sam):
    script = _token("export script")
    notebook = _token("notebook", expires_in_days=30)
    assert script["name"] == "export script" and script["expires_at"] is None
    assert notebook["expires_at"] is not None
    assert _works(script["token"]) and _works(notebook["token"])

    stored = {t.name: t for t in ApiToken.objects.filter(user=sam)}
    assert stored["export script"].key_hash == hashlib.sha256(script["token"].encode()).hexdigest()
    assert not ApiToken.objects.filter(key_hash=script["token"]).exists()

    listed = _with(script["token"]).get("/api/v1/auth/tokens/").json()
    assert [t["name"] for t in listed] == ["export script", "notebook"]
    assert all(set(t) == {"id", "name", "created_at", "expires_at", "last_used_at"} for t in listed)
    assert listed[0]["last_used_at"] is not None  # it was just used


def test_signing_in_again_under_a_name_replaces_that_token_only(sam):
    first = _token("pipeline")
    other = _token("notebook")
    second = _token("pipeline")
    assert not _works(first["token"])
    assert _works(second["token"]) and _works(other["token"])
    # Without a name, the token is called "default", as the one token of earlier releases was.
    assert _token()["name"] == "default"


def test_an_expired_token_is_refused_with_its_reason(sam):
    key = _token("short", expires_in_days=1)["token"]
    ApiToken.objects.filter(name="short").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _with(key).get("/api/v1/projects/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    bad = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "sam", "password": DEFAULT_PASSWORD, "expires_in_days": 0},
        format="json",
    )
    assert bad.status_code == 400 and "expires_in_days" in bad.json()


def test_the_owner_revokes_one_token_and_the_rest_go_on(sam):
    keep, drop = _token("keep")["token"], _token("drop")["token"]
    drop_id = ApiToken.objects.get(name="drop").pk
    assert _with(keep).delete(f"/api/v1/auth/tokens/{drop_id}/").status_code == 204
    assert not _works(drop) and _works(keep)
    assert _with(keep).delete(f"/api/v1/auth/tokens/{drop_id}/").status_code == 404
    # DELETE on auth/token/ signs every client out.
    assert _with(keep).delete("/api/v1/auth/token/").status_code == 204
    assert not _works(keep)


def test_a_password_change_on_the_page_revokes_every_token(sam):
    keys = [_token(name)["token"] for name in ("a", "b")]
    browser = Client()
    browser.force_login(sam)
    fresh = "another-long-passphrase-2026"
    response = browser.post(
        "/accounts/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": fresh, "new_password2": fresh},
    )
    assert response.status_code == 302
    assert not any(_works(key) for key in keys)
    assert not ApiToken.objects.filter(user=sam).exists()


@pytest.mark.parametrize("change", ["set_password", "deactivate"])
def test_a_new_password_or_a_deactivation_by_any_path_revokes_every_token(sam, change):
    key = _token("a")["token"]
    if change == "set_password":
        sam.set_password("yet-another-long-passphrase")
    else:
        sam.is_active = False
    sam.save()
    assert not _works(key)
    assert not ApiToken.objects.filter(user=sam).exists()


def test_saving_other_fields_keeps_the_tokens(sam):
    key = _token("a")["token"]
    sam.first_name = "Sam"
    sam.save()
    sam.last_login = timezone.now()
    sam.save(update_fields=["last_login"])
    assert _works(key)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_plain_text_tokens_of_earlier_releases_working_as_hashes():
    user = UserFactory(username="old")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz, user_id integer)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [old_key, user.pk])
    migration = importlib.import_module("annotator.migrations.0014_api_tokens")
    with connection.schema_editor() as editor:
        migration.keep_existing_tokens(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert ApiToken.objects.get(user=user).name == "default"
    assert _works(old_key)
