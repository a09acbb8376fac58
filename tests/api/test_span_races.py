"""Span writes at the same moment on one layer, over real HTTP from 50 connections (the live
server on PostgreSQL): the layer lock lets one through and tells the others why. Also how many
SQL statements a span create costs."""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotator.accounts.services import token_create
from annotator.layers.services import layer_assign
from annotator.models import Project, Role, Span
from annotator.projects.selectors import project_schema_get
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory
from tests.span_clients import Http

N_CLIENTS = 50
TEXT = "The council said the tram extension would cost £48 million 🚋, a figure critics called fantasy."


def _layer(*, allow_overlap: bool) -> tuple[Any, str]:
    project = ProjectFactory(allow_overlap=allow_overlap)
    user = UserFactory()
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    layer = layer_assign(document=DocumentFactory(project=project, text=TEXT), user=user)
    return layer, token_create(user=user, name=f"client {uuid.uuid4()}")[1]


def _all_at_once(base_url: str, token: str, path: str, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """POST each body to `path` from its own connection, all released together."""
    return _requests_at_once(base_url, token, [(path, body) for body in bodies])


def _requests_at_once(
    base_url: str, token: str, requests: list[tuple[str, dict[str, Any] | None]]
) -> list[tuple[int, Any]]:
    """POST each (path, body) from its own connection, all released together. The connections
    open one by one first: the test server's listen queue is short."""
    clients = [Http(base_url, token) for _ in requests]
    for client in clients:
        client.conn = http.client.HTTPConnection(client.host, client.port, timeout=client.timeout)
        client.conn.connect()
        client.last_used = time.monotonic()
    start = threading.Barrier(len(requests))
    answers: list[tuple[int, Any]] = [(0, None)] * len(requests)

    def send(i: int) -> None:
        start.wait()
        answers[i] = clients[i].call("POST", *requests[i])
        clients[i].close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return answers


@pytest.mark.django_db(transaction=True)
def test_fifty_overlapping_creates_in_a_project_without_overlap_store_exactly_one(live_server):
    layer, token = _layer(allow_overlap=False)
    # Fifty different spans, each overlapping every other one (all cover "tram").
    bodies = []
    for i in range(N_CLIENTS):
        start, end = 13 + i % 8, 35 + i % 5
        bodies.append({"label": "OPINION", "start": start, "end": end, "text": TEXT[start:end]})
    answers = _all_at_once(live_server.url, token, f"/api/v1/assignments/{layer.pk}/spans/", bodies)

    stored = list(Span.objects.filter(layer=layer))
    assert len(stored) == 1
    created = [body for status, body in answers if status == 201]
    assert [body["id"] for body in created] == [stored[0].pk]
    refused = [(status, body) for status, body in answers if status != 201]
    assert len(refused) == N_CLIENTS - 1
    for status, body in refused:
        assert status == 400, body
        assert "this project does not allow overlaps" in body["start"][0]


@pytest.mark.django_db(transaction=True)
def test_fifty_creates_repeating_one_client_uuid_store_one_span_and_every_answer_names_it(live_server):
    layer, token = _layer(allow_overlap=True)
    body = {"client_uuid": str(uuid.uuid4()), "label": "CLAIM", "start": 4, "end": 11, "text": TEXT[4:11]}
    answers = _all_at_once(
        live_server.url, token, f"/api/v1/assignments/{layer.pk}/spans/", [body] * N_CLIENTS
    )

    stored = Span.objects.get(layer=layer)
    assert sorted(status for status, _ in answers) == [200] * (N_CLIENTS - 1) + [201]
    assert {answer["id"] for _, answer in answers} == {stored.pk}
    assert {answer["client_uuid"] for _, answer in answers} == {body["client_uuid"]}


@pytest.mark.django_db(transaction=True)
def test_creates_racing_a_submit_never_leave_an_incomplete_span_in_a_submitted_layer(live_server):
    """CLAIM spans need `evidence` before a layer is submitted. Creates of CLAIM spans without it
    sent at the same moment as the submit either land before it (and the submit is refused,
    naming them) or after it (and are refused): never inside a submitted layer."""
    for trial in range(5):
        layer, token = _layer(allow_overlap=True)
        requests: list[tuple[str, dict[str, Any] | None]] = [
            (f"/api/v1/assignments/{layer.pk}/submit/", None)
        ]
        for i in range(12):
            start = 4 + 6 * i
            body = {"label": "CLAIM", "start": start, "end": start + 4, "text": TEXT[start : start + 4]}
            requests.append((f"/api/v1/assignments/{layer.pk}/spans/", body))
        answers = _requests_at_once(live_server.url, token, requests)

        layer.refresh_from_db()
        stored = Span.objects.filter(layer=layer).count()
        assert {status for status, _ in answers[1:]} <= {201, 409}, (trial, answers)
        if layer.status == "submitted":
            assert answers[0][0] == 200 and stored == 0, (trial, answers)
        else:
            assert answers[0][0] == 400 and stored > 0, (trial, answers)
        assert stored == sum(1 for status, _ in answers[1:] if status == 201)


@pytest.mark.django_db
def test_a_span_create_with_a_token_is_at_most_five_statements_once_the_layer_is_started():
    """Token, the layer with its lock and the caller's role, the nearby spans, the span and its
    history row. The layer's first span also moves it from assigned to in progress, and a
    token's first use notes when it was used. (The
    project's schema is read once per process and version, as here, before the first create.)"""
    layer, token = _layer(allow_overlap=True)
    project_schema_get(project=Project.objects.get(pk=layer.document.project_id))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    path = f"/api/v1/assignments/{layer.pk}/spans/"

    def create(start: int, end: int) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                path, {"label": "CLAIM", "start": start, "end": end, "text": TEXT[start:end]}
            )
        assert response.status_code == 201, response.content
        return [
            q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
        ]

    first = create(4, 11)
    # + the token's first use noted (last_used_at is written at most every five minutes)
    assert len(first) == 7, first
    later = create(12, 16)
    assert len(later) == 5, later
    assert "FOR UPDATE" in later[1]
