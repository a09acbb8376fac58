"""Security of the session and token doors: CSRF on session writes, login throttling
(django-axes), password rules, no public sign-up, the API docs served from our own files, and
the Content-Security-Policy header."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import World, token_attempts
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SPAN = {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"}


# -- CSRF -------------------------------------------------------------------------------------


def _session_client(world: World, who: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[who])
    return client


def test_session_writes_without_the_csrf_token_are_refused(world):
    client = _session_client(world, "annotator")

    post = client.post(
        f"/api/v1/assignments/{world.layer_a.pk}/spans/", json.dumps(SPAN), content_type="application/json"
    )
    patch = client.patch(
        f"/api/v1/spans/{world.span_a.pk}/",
        json.dumps({"version": 1, "attributes": {"evidence": "DATA"}}),
        content_type="application/json",
    )

    assert (post.status_code, patch.status_code) == (403, 403)
    assert "CSRF" in post.json()["detail"]
    assert world.layer_a.spans.count() == 1
    world.span_a.refresh_from_db()
    assert world.span_a.version == 1


def test_session_writes_with_the_csrf_token_are_accepted(world):
    client = _session_client(world, "annotator")
    client.get("/")  # any page with a form sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    post = client.post(
        f"/api/v1/assignments/{world.layer_a.pk}/spans/",
        json.dumps(SPAN),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    patch = client.patch(
        f"/api/v1/spans/{world.span_a.pk}/",
        json.dumps({"version": 1, "attributes": {"evidence": "DATA"}}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert (post.status_code, patch.status_code) == (201, 200)


def test_token_requests_need_no_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    token = client.post("/api/v1/auth/token/", {"username": "anna", "password": DEFAULT_PASSWORD}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    response = client.post(f"/api/v1/assignments/{world.layer_a.pk}/spans/", SPAN, format="json")
    assert response.status_code == 201


def test_page_forms_without_the_csrf_token_are_refused(world):
    client = _session_client(world, "annotator")
    response = client.post(
        "/accounts/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "x", "new_password2": "x"},
    )
    assert response.status_code == 403


# -- login throttling (django-axes) ----------------------------------------------------------


def _sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _cool_off_passes() -> None:
    """Move every recorded failure back past the cool-off, as if 15 minutes went by."""
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )


def test_axes_settings_lock_a_username_and_address_pair_for_fifteen_minutes_after_five_failures():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_wrong_passwords_lock_the_sign_in_out_and_then_the_right_one_is_refused_until_the_cool_off():
    UserFactory(username="lena")
    client = Client()

    codes = [_sign_in(client, "lena", f"wrong-{i}").status_code for i in range(6)]

    # Four wrong passwords get the form again; the fifth reaches the limit and locks the pair.
    assert codes == [200, 200, 200, 200, 429, 429]
    locked = _sign_in(client, "lena", DEFAULT_PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert locked["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session

    _cool_off_passes()
    signed_in = _sign_in(client, "lena", DEFAULT_PASSWORD)
    assert signed_in.status_code == 302
    assert "_auth_user_id" in client.session
    # A success forgets the failures.
    assert not AccessAttempt.objects.filter(username="lena", failures_since_start__gt=0).exists()


def test_a_lockout_is_per_username_and_address():
    UserFactory(username="lena")
    UserFactory(username="omar")
    for i in range(5):
        _sign_in(Client(), "lena", f"wrong-{i}")

    assert _sign_in(Client(), "lena", DEFAULT_PASSWORD).status_code == 429
    # Another username from the same address, and the same username from another address, go on.
    assert _sign_in(Client(), "omar", DEFAULT_PASSWORD).status_code == 302
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert _sign_in(other_address, "lena", DEFAULT_PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_refused_after_the_address_limit(settings):
    settings.ANNOTATOR_SIGN_IN_FAILURES_PER_ADDRESS = 6
    UserFactory(username="lena")
    names = [f"guess{i}" for i in range(6)]
    # One wrong password each: no username reaches its own limit of five.
    assert [_sign_in(Client(), name, "Winter2026!").status_code for name in names] == [200] * 6
    refused = _sign_in(Client(), "lena", DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()
    assert _sign_in(Client(REMOTE_ADDR="192.0.2.7"), "lena", DEFAULT_PASSWORD).status_code == 302
    _cool_off_passes()
    assert _sign_in(Client(), "lena", DEFAULT_PASSWORD).status_code == 302


def test_a_success_resets_the_count_of_failures():
    UserFactory(username="lena")
    client = Client()
    for i in range(4):
        _sign_in(client, "lena", f"wrong-{i}")
    assert _sign_in(client, "lena", DEFAULT_PASSWORD).status_code == 302
    client.logout()
    for i in range(4):
        assert _sign_in(client, "lena", f"again-{i}").status_code == 200


def test_the_token_endpoint_still_trades_a_password_for_a_token_and_is_still_throttled():
    UserFactory(username="scripter")
    client = APIClient()
    codes = token_attempts(client, "scripter", DEFAULT_PASSWORD, times=11)
    # DRF's "auth" scope (10/min) answers the eleventh, though every password was right.
    assert codes == [200] * 10 + [429]
    assert "throttled" in client.post("/api/v1/auth/token/", {}).json()["detail"]


def test_wrong_passwords_at_the_token_endpoint_lock_the_account_out_as_json():
    UserFactory(username="scripter")
    client = APIClient()
    codes = token_attempts(client, "scripter", "nope", times=5)
    assert codes == [401, 401, 401, 401, 429]

    locked = client.post("/api/v1/auth/token/", {"username": "scripter", "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert "Too many failed sign-ins" in locked.json()["detail"]
    # The same pair is locked out of the sign-in page too.
    assert _sign_in(Client(), "scripter", DEFAULT_PASSWORD).status_code == 429


def test_a_forged_x_forwarded_for_escapes_neither_the_token_throttle_nor_the_lockout():
    """With no trusted proxy (the default) X-Forwarded-For is the client's own writing: a new
    address in it for each attempt must not buy a fresh throttle or a fresh lockout count."""
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert settings.AXES_CLIENT_IP_CALLABLE == "config.security.client_address"
    UserFactory(username="scripter")
    client = APIClient()
    codes = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "scripter", "password": DEFAULT_PASSWORD},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(11)
    ]
    assert codes == [200] * 10 + [429]

    UserFactory(username="lena")
    for i in range(5):
        _sign_in(Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"), "lena", f"wrong-{i}")
    assert _sign_in(Client(HTTP_X_FORWARDED_FOR="198.51.100.99"), "lena", DEFAULT_PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_each_client_counts_by_the_address_the_proxy_saw(settings):
    """DJANGO_TRUSTED_PROXY_COUNT=1: everyone arrives from the proxy's address, so the lockout
    and the throttle count the client address the proxy appended instead; one client locked
    out or throttled leaves the others alone."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    UserFactory(username="lena")
    for i in range(5):
        _sign_in(Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1"), "lena", f"wrong-{i}")
    # Spoofed entries before the proxy's own are ignored: the proxy appends the real address last.
    mallory = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.50, 198.51.100.1")
    assert _sign_in(mallory, "lena", DEFAULT_PASSWORD).status_code == 429
    colleague = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert _sign_in(colleague, "lena", DEFAULT_PASSWORD).status_code == 302

    UserFactory(username="scripter")
    body = {"username": "scripter", "password": DEFAULT_PASSWORD}
    busy = [
        APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.3").post("/api/v1/auth/token/", body)
        for _ in range(11)
    ]
    assert [r.status_code for r in busy] == [200] * 10 + [429]
    other = APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.4").post(
        "/api/v1/auth/token/", body
    )
    assert other.status_code == 200


# -- passwords, tokens, accounts -------------------------------------------------------------


def test_password_change_refuses_a_common_password_with_the_validators_message():
    user = UserFactory(username="lena")
    client = Client()
    client.force_login(user)

    response = client.post(
        "/accounts/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "password123", "new_password2": "password123"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_revoked_token_no_longer_works_and_another_can_be_made():
    UserFactory(username="scripter")
    client = APIClient()
    first = client.post("/api/v1/auth/token/", {"username": "scripter", "password": DEFAULT_PASSWORD}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/projects/").status_code == 401

    client.credentials()
    second = client.post("/api/v1/auth/token/", {"username": "scripter", "password": DEFAULT_PASSWORD}).json()
    assert second["token"] != first["token"]


@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/register/", "/signup/", "/register/", "/accounts/create/"]
)
def test_there_is_no_public_sign_up(path):
    assert Client().get(path).status_code == 404
    assert Client().post(path, {"username": "mallory", "password1": "x", "password2": "x"}).status_code in (
        403,
        404,
    )


# -- headers and the API docs ---------------------------------------------------------------


def test_pages_and_api_answers_carry_the_content_security_policy(world):
    client = Client()
    client.force_login(world.users["annotator"])
    for path in ["/", "/accounts/password/", "/api/v1/projects/", f"/api/v1/spans/{world.span_a.pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy


def test_api_docs_load_swagger_ui_from_our_own_static_files():
    page = Client().get("/api/docs/")
    html = page.content.decode()

    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # the start-up script is a file too (the CSP allows no inline script)
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
