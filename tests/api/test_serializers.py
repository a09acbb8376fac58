"""The serializers rendered by hand for speed (SpanSerializer, AssignmentSerializer) give
exactly what DRF's generic rendering of their declared fields gives; the input serializers that
share their bound fields (InputSerializer) check each body on its own, on any thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from annotator.models import Assignment, AssignmentStatus, Span
from annotator.services.spans import span_create
from api.serializers import AssignmentSerializer, SpanCreateSerializer, SpanSerializer, SpanUpdateSerializer
from tests.factories import AssignmentFactory, DocumentFactory

pytestmark = pytest.mark.django_db
TEXT = "Tram 🚋 news. The council said costs rose 12%. “Fantasy”, critics said."


def _generic(serializer_class, instance):
    """What the declared fields render, through DRF's own Serializer.to_representation."""
    return serializers.Serializer.to_representation(serializer_class(instance), instance)


@pytest.mark.parametrize("published", [None, datetime(2026, 3, 1, 8, 30, tzinfo=UTC)])
def test_hand_rendered_spans_and_layers_equal_the_generic_rendering(project, published):
    document = DocumentFactory(
        project=project, text=TEXT, published_at=published, url="https://example.org/a"
    )
    layer = AssignmentFactory(document=document)
    span_create(
        assignment=layer, label="CLAIM", start=14, end=46, text=TEXT[14:46], attributes={"evidence": "DATA"}
    )
    span_create(assignment=layer, label="OPINION", start=48, end=57, text=TEXT[48:57])
    for span in Span.objects.select_related("label"):
        assert SpanSerializer(span).data == _generic(SpanSerializer, span)
    layer = Assignment.objects.select_related("document__source", "user").get(pk=layer.pk)
    assert AssignmentSerializer(layer).data == _generic(AssignmentSerializer, layer)
    Assignment.objects.filter(pk=layer.pk).update(
        status=AssignmentStatus.SUBMITTED, submitted_at=datetime(2026, 3, 2, tzinfo=UTC)
    )
    layer = Assignment.objects.select_related("document__source", "user").get(pk=layer.pk)
    rendered = AssignmentSerializer(layer).data
    assert rendered == _generic(AssignmentSerializer, layer)
    assert (rendered["status"], rendered["submitted_at"]) == ("submitted", "2026-03-02T00:00:00Z")


def _checked(serializer_class, body):
    serializer = serializer_class(data=body)
    return (True, dict(serializer.validated_data)) if serializer.is_valid() else (False, serializer.errors)


@pytest.mark.django_db(False)
def test_input_serializers_share_fields_bound_to_no_request():
    first, second = SpanCreateSerializer(data={"label": "CLAIM"}), SpanCreateSerializer(data={})
    assert first.fields is second.fields
    assert first.fields["label"].parent is not first and not hasattr(
        first.fields["label"].parent, "initial_data"
    )
    assert SpanUpdateSerializer().fields is not first.fields
    assert list(first.fields) == ["client_uuid", "label", "start", "end", "text", "attributes"]


@pytest.mark.django_db(False)
def test_input_serializers_check_bodies_on_many_threads_each_on_its_own():
    def body(n):
        if n % 3 == 0:  # a bad body: its errors name its own fields only
            return {"label": n, "start": "x", "end": n, "text": "t"}
        return {"label": f"L{n}", "start": n, "end": n + 5, "text": f"text {n}", "attributes": {"n": n}}

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: _checked(SpanCreateSerializer, body(n)), range(400)))
    for n, (ok, found) in enumerate(results):
        if n % 3 == 0:
            assert not ok and set(found) == {"label", "start"}, found
        else:
            assert ok and found == {
                "label": f"L{n}",
                "start": n,
                "end": n + 5,
                "text": f"text {n}",
                "attributes": {"n": n},
            }


@pytest.mark.parametrize("sent", [" " + "x" * 200, "x" * 200 + "\n", "\t" + "🚋" * 200])
def test_text_fields_check_their_length_as_sent_before_trimming(sent):
    """The schema's maxLength is about the text sent: whitespace that DRF trims afterwards does
    not buy room (schemathesis found a 201-character name with a leading space accepted)."""
    from api.serializers import StrictCharField

    field = StrictCharField(max_length=200)
    with pytest.raises(serializers.ValidationError) as refused:
        field.run_validation(sent)
    assert refused.value.detail == ["Ensure this field has no more than 200 characters."]
    assert field.run_validation(" " + "x" * 199) == "x" * 199


def test_a_source_name_over_its_length_with_a_leading_space_is_a_400_and_nothing_is_written(world):
    from annotator.models import Source

    before = Source.objects.count()
    response = world.client("manager").post(
        "/api/v1/sources/", {"name": " 9_\U000ac17a" + "*" * 197, "slug": "long-one"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"name": ["Ensure this field has no more than 200 characters."]}
    assert Source.objects.count() == before
