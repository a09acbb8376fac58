"""The annotation queue: unfinished first, never the same document twice, never past k."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from annotator.layers.services import layer_assign
from annotator.models import Layer, LayerKind, Role
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory


def _annotators(project, n):
    users = [UserFactory(username=f"{project.slug}-a{i}") for i in range(n)]
    for user in users:
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    return users


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_next_returns_the_unfinished_layer_first_then_a_new_document():
    project = ProjectFactory(annotators_per_document=2)
    documents = [DocumentFactory(project=project) for _ in range(3)]
    (user,) = _annotators(project, 1)
    client = _client(user)
    url = f"/api/v1/projects/{project.pk}/queue/next/"
    first = client.post(url).json()
    assert client.post(url).json()["id"] == first["id"]
    assert first["document"]["text"] == documents[0].text
    client.post(f"/api/v1/assignments/{first['id']}/submit/")
    second = client.post(url).json()
    assert second["document"]["id"] == documents[1].pk


@pytest.mark.django_db
def test_documents_closest_to_complete_are_handed_out_first():
    project = ProjectFactory(annotators_per_document=3)
    fresh, started = DocumentFactory(project=project), DocumentFactory(project=project)
    first, second = _annotators(project, 2)
    layer_assign(document=started, user=first)
    assert (
        _client(second).post(f"/api/v1/projects/{project.pk}/queue/next/").json()["document"]["id"]
        == started.pk
    )
    assert fresh.pk


@pytest.mark.django_db
def test_skipped_document_is_not_handed_out_again_and_frees_its_place():
    project = ProjectFactory(annotators_per_document=1)
    document = DocumentFactory(project=project)
    first, second = _annotators(project, 2)
    url = f"/api/v1/projects/{project.pk}/queue/next/"
    layer = _client(first).post(url).json()
    assert _client(second).post(url).status_code == 204
    _client(first).post(f"/api/v1/assignments/{layer['id']}/skip/", {"reason": "Paywalled"}, format="json")
    assert _client(first).post(url).status_code == 204
    assert _client(second).post(url).json()["document"]["id"] == document.pk


@pytest.mark.django_db
def test_nothing_left_answers_204():
    project = ProjectFactory(annotators_per_document=1)
    (user,) = _annotators(project, 1)
    assert _client(user).post(f"/api/v1/projects/{project.pk}/queue/next/").status_code == 204


@pytest.mark.django_db(transaction=True)
def test_concurrent_annotators_never_push_a_document_past_k():
    k, n_documents, n_annotators = 2, 6, 10
    project = ProjectFactory(annotators_per_document=k)
    for _ in range(n_documents):
        DocumentFactory(project=project)
    users = _annotators(project, n_annotators)
    barrier = threading.Barrier(n_annotators)
    errors: list[BaseException] = []

    def annotate(user):
        try:
            client = _client(user)
            barrier.wait()
            while True:
                response = client.post(f"/api/v1/projects/{project.pk}/queue/next/")
                if response.status_code == 204:
                    return
                assert response.status_code == 200, response.content
                submitted = client.post(f"/api/v1/assignments/{response.json()['id']}/submit/")
                assert submitted.status_code == 200, submitted.content
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=annotate, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    layers = Layer.objects.filter(document__project=project, kind=LayerKind.ANNOTATION)
    per_document = Counter(layers.values_list("document_id", flat=True))
    assert sorted(per_document.values()) == [k] * n_documents
    pairs = Counter(layers.values_list("document_id", "user_id"))
    assert max(pairs.values()) == 1


@pytest.mark.django_db(transaction=True)
def test_one_user_pressing_next_ten_times_at_once_gets_one_layer():
    """A double click, or two tabs: every call answers the same layer, and the user holds one."""
    project = ProjectFactory(annotators_per_document=3)
    for _ in range(5):
        DocumentFactory(project=project)
    (user,) = _annotators(project, 1)
    barrier = threading.Barrier(10)
    answers: list[tuple[int, object]] = []

    def press() -> None:
        try:
            client = _client(user)
            barrier.wait()
            response = client.post(f"/api/v1/projects/{project.pk}/queue/next/")
            answers.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    held = Layer.objects.filter(document__project=project, user=user)
    assert held.count() == 1
    assert answers == [(200, held.get().pk)] * 10
