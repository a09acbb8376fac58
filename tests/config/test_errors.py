"""Error answers outside DRF: JSON on /api/ paths, 503 (not 500) while the database is away."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def database_away():
    """The server's database connection points at a port nothing listens on, as while
    PostgreSQL restarts; restored afterwards."""
    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/api/v1/projects/"])
def test_a_request_while_the_database_is_away_is_a_503_to_retry(path, request):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    request.getfixturevalue("database_away")
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    body = response.content.decode()
    assert "database is unavailable" in body
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/json"


def test_a_bad_request_on_an_api_path_is_json(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/api/v1/projects/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
    page = client.get("/", HTTP_HOST="elsewhere.example")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_an_unknown_api_path_is_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
