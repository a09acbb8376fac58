"""Document.n_layers, kept by the layer services: every service that adds, skips, reopens or
removes a layer keeps it equal to a count of the document's annotation layers that are not
skipped, and recount_layers repairs it after anything else."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from annotator.layers.services import (
    COUNTED_LAYER,
    layer_assign,
    layer_reopen,
    layer_skip,
    layer_submit,
    layers_delete,
    layers_recount,
    queue_next,
)
from annotator.models import Document, Layer, LayerStatus, Role
from annotator.review.services import gold_layer_ensure
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _stored(document: Document) -> int:
    return Document.objects.values_list("n_layers", flat=True).get(pk=document.pk)


def _counted(document: Document) -> int:
    return Layer.objects.filter(COUNTED_LAYER, document=document).count()


def test_every_layer_service_keeps_the_count():
    project = ProjectFactory(slug="counts", annotators_per_document=5)
    first, second = (DocumentFactory(project=project, text=f"Counts {n}.") for n in range(2))
    users = [UserFactory(username=f"count-{n}") for n in range(4)]
    for user in users:
        MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    steps = []

    def check(step: str, expected_first: int) -> None:
        steps.append(step)
        assert (_stored(first), _stored(second)) == (_counted(first), _counted(second)), step
        assert _stored(first) == expected_first, step

    layer = queue_next(project=project, user=users[0])
    assert layer is not None and layer.document_id == first.pk
    check("Next", 1)
    layer_assign(document=first, user=users[1])
    check("assign", 2)
    gold_layer_ensure(document=first, reviewer=users[3])
    check("a gold layer does not count", 2)
    layer_submit(layer=layer)
    check("submit changes nothing", 2)
    layer_reopen(layer=layer, reviewer=users[3])
    check("reopen changes nothing", 2)
    skipped = layer_assign(document=first, user=users[2])
    layer_skip(layer=skipped, reason="not news")
    check("a skip frees its place", 2)
    layer_skip(layer=skipped, reason="still not news")
    check("a second skip frees nothing more", 2)
    layers_delete(layers=[skipped, layer])
    check("removing a skipped and a counted layer", 1)
    assert _stored(second) == 0


def test_recount_sets_every_count_from_the_layers():
    project = ProjectFactory(slug="recount")
    documents = [DocumentFactory(project=project, text=f"Recount {n}.") for n in range(3)]
    for n, document in enumerate(documents):
        for i in range(n):
            layer_assign(document=document, user=UserFactory(username=f"recount-{n}-{i}"))
    Layer.objects.filter(document=documents[2], user__username="recount-2-0").update(
        status=LayerStatus.SKIPPED
    )
    Document.objects.update(n_layers=7)  # a bulk load or a repair left them wrong

    assert layers_recount(document_ids=[documents[0].pk]) == 1
    assert [_stored(d) for d in documents] == [0, 7, 7]
    out = io.StringIO()
    call_command("recount_layers", "--project", "recount", stdout=out)
    assert [_stored(d) for d in documents] == [0, 1, 1]
    assert "Recounted the layers of 3 documents." in out.getvalue()
