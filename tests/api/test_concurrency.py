"""Concurrency, nothing lost: many annotators at once over real HTTP (the live server on
PostgreSQL), each keeping a model of what the server acknowledged (tests/span_clients.py).
Afterwards the database holds every acknowledged operation exactly once and nothing else, and
the queue never gave a document more than k layers."""

from __future__ import annotations

import random
from typing import Any

import pytest

from annotator.layers.services import layer_assign
from annotator.models import Layer, LayerKind, LayerStatus, Role, Span
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, SourceFactory, UserFactory
from tests.span_clients import (
    Annotator,
    ClientLayer,
    Http,
    ledger_problems,
    queue_problems,
    run_all,
    token_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

N_ANNOTATORS = 16
OPERATIONS = 200
N_QUEUE_ANNOTATORS = 8
N_QUEUE_DOCUMENTS = 30
K = 2

SENTENCES = [
    "The council said the tram extension would cost £48 million – a figure critics called “fantasy”.",
    "Officials, speaking anonymously, expect delays of 12 months. 🚋 Passengers are not convinced.",
    "𝐁old claims about café prices (cafe\u0301 in the old spelling) went unchecked.",
    "The mayor may resign, a person familiar with the talks said.\n",
]


def article(seed: int, sentences: int = 30) -> str:
    rng = random.Random(seed)
    return f"Story {seed}. " + " ".join(rng.choice(SENTENCES) for _ in range(sentences))


def test_sixteen_annotators_at_once_lose_nothing_and_the_queue_never_passes_k(live_server):
    source = SourceFactory(slug="harbour-herald")
    # Sixteen layers on one document: every client writes its own layer of the same rows.
    project = ProjectFactory(slug="busy", annotators_per_document=N_ANNOTATORS, allow_overlap=True)
    document = DocumentFactory(project=project, source=source, text=article(0))
    annotators, layers = [], []
    for i in range(N_ANNOTATORS):
        user = UserFactory(username=f"busy-{i}")
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
        created = layer_assign(document=document, user=user)
        annotator = Annotator(Http(live_server.url, token_for(user)), seed=i)
        layer = annotator.layers[created.pk] = ClientLayer(created.pk, document.text)
        annotators.append(annotator)
        layers.append(layer)

    # A second project with k = 2, where several annotators press Next at once until it is done.
    queue_project = ProjectFactory(slug="queue", annotators_per_document=K)
    for i in range(N_QUEUE_DOCUMENTS):
        DocumentFactory(project=queue_project, source=source, text=article(100 + i, sentences=3))
    queue_clients = []
    for i in range(N_QUEUE_ANNOTATORS):
        user = UserFactory(username=f"queue-{i}")
        MembershipFactory(project=queue_project, user=user, role=Role.ANNOTATOR)
        queue_clients.append(Annotator(Http(live_server.url, token_for(user)), seed=1000 + i))

    def annotate(annotator: Annotator, layer: Any) -> Any:
        def run() -> None:
            for _ in range(OPERATIONS):
                annotator.step(layer)
            annotator.http.close()

        return run

    skipped: list[int] = []

    def press_next(annotator: Annotator) -> Any:
        def run() -> None:
            while (layer := annotator.next_layer(queue_project.pk)) is not None:
                if annotator.rng.random() < 0.1:
                    status, _ = annotator.http.call(
                        "POST", f"/api/v1/assignments/{layer.layer_id}/skip/", {"reason": "off topic"}
                    )
                    assert status == 200
                    skipped.append(layer.layer_id)
                elif not annotator.submit(layer):
                    return
            annotator.http.close()

        return run

    run_all(
        [annotate(a, layer) for a, layer in zip(annotators, layers, strict=True)]
        + [press_next(a) for a in queue_clients]
    )

    everyone = annotators + queue_clients
    assert [u for a in everyone for u in a.unexpected] == []
    operations = sum((a.operations for a in annotators), start=type(annotators[0].operations)())
    assert sum(operations.values()) >= N_ANNOTATORS * OPERATIONS
    assert operations["create-retried"] > 100 and operations["update-stale"] > 100, operations
    assert ledger_problems(annotators) == []
    assert Span.objects.filter(layer__document=document).count() == sum(len(x.spans) for x in layers)

    # The queue: every document got exactly k counted layers, never more, each from another user.
    assert queue_problems(project_id=queue_project.pk, k=K) == []
    counted = Layer.objects.filter(document__project=queue_project, kind=LayerKind.ANNOTATION).exclude(
        status=LayerStatus.SKIPPED
    )
    assert counted.count() == K * N_QUEUE_DOCUMENTS
    assert set(counted.values_list("status", flat=True)) == {LayerStatus.SUBMITTED}
    assert Layer.objects.filter(pk__in=skipped, status=LayerStatus.SKIPPED).count() == len(skipped)
