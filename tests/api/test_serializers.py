"""Text fields check their length as sent."""

from __future__ import annotations

import pytest
from rest_framework import serializers

pytestmark = pytest.mark.django_db


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
