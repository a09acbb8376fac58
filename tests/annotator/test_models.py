"""Database constraints for what must never be false."""

from __future__ import annotations

import hashlib

import pytest
from django.db import IntegrityError, transaction

from annotator.models import Document, Layer, Membership, Role, Span
from tests.factories import DocumentFactory, LayerFactory, SourceFactory, SpanFactory, UserFactory

pytestmark = pytest.mark.django_db


def _violates(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_span_end_must_be_after_start():
    span = SpanFactory()
    assert _violates(lambda: Span.objects.filter(pk=span.pk).update(end=span.start))
    assert _violates(lambda: SpanFactory(layer=span.layer, start=5, end=3, text="x"))


def test_span_client_uuid_is_unique_within_a_layer():
    span = SpanFactory()
    assert _violates(lambda: SpanFactory(layer=span.layer, client_uuid=span.client_uuid))
    # The same uuid in another layer is a different span.
    SpanFactory(client_uuid=span.client_uuid)


def test_a_layer_holds_one_span_per_label_and_offsets():
    span = SpanFactory()
    assert _violates(lambda: SpanFactory(layer=span.layer))
    # Another label on the same stretch, or the same span in another layer, is a different span.
    SpanFactory(layer=span.layer, label=span.layer.document.project.labels.get(key="OPINION"))
    SpanFactory()


def test_a_layer_has_a_known_status_and_kind():
    layer = LayerFactory()
    assert _violates(lambda: Layer.objects.filter(pk=layer.pk).update(status="finished"))
    assert _violates(lambda: Layer.objects.filter(pk=layer.pk).update(kind="draft"))


def test_document_text_is_unique_within_a_project_but_not_across_projects():
    document = DocumentFactory()
    assert _violates(
        lambda: Document.objects.create(
            project=document.project,
            source=document.source,
            text=document.text,
            text_sha256=document.text_sha256,
        )
    )
    other = DocumentFactory(
        text=document.text, text_sha256=hashlib.sha256(document.text.encode()).hexdigest()
    )
    assert other.project != document.project


def test_one_layer_per_document_user_and_kind():
    layer = LayerFactory()
    assert _violates(lambda: Layer.objects.create(document=layer.document, user=layer.user))
    Layer.objects.create(document=layer.document, user=layer.user, kind="gold")


def test_one_membership_per_project_and_user(project):
    user = UserFactory()
    Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
    assert _violates(lambda: Membership.objects.create(project=project, user=user, role=Role.MANAGER))


def test_a_source_with_documents_cannot_be_deleted():
    from django.db.models import ProtectedError

    source = SourceFactory()
    DocumentFactory(source=source)
    with pytest.raises(ProtectedError):
        source.delete()
