"""A small world for API tests: a blind project with one document per annotator, layers with
spans, and one user per role plus an outsider."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from annotator.accounts.services import token_create
from annotator.layers.services import layer_assign
from annotator.models import Layer, Role
from annotator.spans.services import span_create
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, SourceFactory, UserFactory

TEXT = "Tram 🚋 news. 𝐁old move: café vs cafe\u0301.\nThe council said costs rose 12%."
PHRASE = "The council said costs rose 12%."


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


def token_attempts(client: APIClient, username: str, password: str, times: int) -> list[int]:
    """The status of each of `times` requests to trade `username` and `password` for a token."""
    return [
        client.post("/api/v1/auth/token/", {"username": username, "password": password}).status_code
        for _ in range(times)
    ]


@dataclass
class World:
    project: Any
    other_project: Any
    users: dict[str, Any]
    document: Any
    layer_a: Layer
    layer_b: Layer
    span_a: Any
    other_layer: Layer

    def client(self, who: str | None, *, token: bool = False) -> APIClient:
        """A client logged in as `who` (None: anonymous), with an API token if `token`."""
        client = APIClient()
        if who is not None and token:
            key = token_create(user=self.users[who], name=f"client {uuid.uuid4()}")[1]
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        elif who is not None:
            client.force_authenticate(self.users[who])
        return client


@pytest.fixture
def world(db: None) -> World:
    project = ProjectFactory(slug="world", blind=True)
    other_project = ProjectFactory(slug="elsewhere")
    users = {
        "annotator": UserFactory(username="anna"),
        "annotator_b": UserFactory(username="ben"),
        "reviewer": UserFactory(username="rita"),
        "manager": UserFactory(username="max"),
        "outsider": UserFactory(username="olga"),
        "staff": UserFactory(username="root", is_staff=True),
    }
    for who, role in [
        ("annotator", Role.ANNOTATOR),
        ("annotator_b", Role.ANNOTATOR),
        ("reviewer", Role.REVIEWER),
        ("manager", Role.MANAGER),
    ]:
        MembershipFactory(project=project, user=users[who], role=role)
    MembershipFactory(project=other_project, user=users["outsider"], role=Role.MANAGER)
    source = SourceFactory(slug="herald")
    document = DocumentFactory(project=project, source=source, text=TEXT, title="Tram costs")
    layer_a = layer_assign(document=document, user=users["annotator"])
    layer_b = layer_assign(document=document, user=users["annotator_b"])
    start = TEXT.index(PHRASE)
    span_a, _ = span_create(
        layer=layer_a,
        label="CLAIM",
        start=start,
        end=start + len(PHRASE),
        text=PHRASE,
        attributes={"evidence": "NAMED_SOURCE"},
    )
    other_document = DocumentFactory(project=other_project, source=source)
    other_layer = layer_assign(document=other_document, user=users["outsider"])
    return World(project, other_project, users, document, layer_a, layer_b, span_a, other_layer)
