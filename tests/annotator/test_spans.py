"""The span validation service: the offset contract, the schema, the layer rules."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from annotator.errors import Conflict
from annotator.models import LayerStatus, Span
from annotator.spans.services import span_create, span_delete, span_update
from tests.factories import DocumentFactory, LayerFactory

pytestmark = pytest.mark.django_db

# An emoji and a mathematical letter (astral: two UTF-16 units each), a combining mark and a
# line break all come before the phrase, so UTF-16 or byte offsets would drift.
TEXT = "Tram 🚋 news. 𝐁old move: café vs cafe\u0301.\nThe council said costs rose 12%."
PHRASE = "The council said costs rose 12%."


@pytest.fixture
def layer(project):
    return LayerFactory(document=DocumentFactory(project=project, text=TEXT))


def _create(layer, **overrides):
    start = TEXT.index(PHRASE)
    fields = {
        "label": "CLAIM",
        "start": start,
        "end": start + len(PHRASE),
        "text": PHRASE,
        "attributes": {"evidence": "NAMED_SOURCE"},
    }
    fields.update(overrides)
    return span_create(layer=layer, **fields)


def _messages(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_offsets_are_code_points_after_astral_characters_and_combining_marks(layer):
    span, created = _create(layer)
    assert created
    assert (span.start, span.end) == (39, 71)
    assert TEXT[span.start : span.end] == PHRASE
    # In UTF-16 the same phrase starts two units later (two astral characters before it).
    assert len(TEXT[: span.start].encode("utf-16-le")) // 2 == span.start + 2


def test_text_that_does_not_match_the_offsets_is_refused_showing_both(layer):
    with pytest.raises(ValidationError) as excinfo:
        # Where a client counting UTF-16 units would put the phrase's start.
        _create(layer, start=41, end=69, text=PHRASE[:-4])
    message = _messages(excinfo)["text"][0]
    assert "text does not match the document at [41, 69)" in message
    assert repr(PHRASE[:-4]) in message
    assert repr(TEXT[41:69]) in message
    assert not Span.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (-1, 4, "start", "start -1 is negative"),
        (5, 5, "end", "must be greater than start 5"),
        (6, 2, "end", "must be greater than start 6"),
        (0, len(TEXT) + 1, "end", f"lies past the end of the text ({len(TEXT)} code points)"),
    ],
)
def test_bad_offsets_are_refused(layer, start, end, field, message):
    with pytest.raises(ValidationError) as excinfo:
        _create(layer, start=start, end=end, text="Tram")
    assert message in _messages(excinfo)[field][0]


def test_unknown_label_is_refused(layer):
    with pytest.raises(ValidationError) as excinfo:
        _create(layer, label="RUMOUR")
    assert (
        _messages(excinfo)["label"][0] == "unknown label 'RUMOUR'; the schema has CLAIM, OPINION, DISCLAIMER."
    )


@pytest.mark.parametrize(
    ("attributes", "field", "message"),
    [
        ({"tone": "ANGRY"}, "attributes.tone", "unknown attribute 'tone'"),
        ({"evidence": "GUT_FEELING"}, "attributes.evidence", "'GUT_FEELING' is not one of NAMED_SOURCE"),
        ({"hedged": "yes"}, "attributes.hedged", "must be true or false"),
        ({"stance": {"target": "Harbour City Council"}}, "attributes.stance", "must be a list"),
        (
            {"stance": [{"target": "Aliens", "stance": "FAVOR"}]},
            "attributes.stance",
            "unknown target 'Aliens'",
        ),
        (
            {"stance": [{"target": "Harbour City Council", "stance": "LOVE"}]},
            "attributes.stance",
            "stance 'LOVE' is not one of FAVOR, AGAINST, NEUTRAL",
        ),
        (
            {"stance": [{"target": "Tramline Extension", "stance": "FAVOR"}] * 2},
            "attributes.stance",
            "appears twice",
        ),
        ({"stance": [{"target": "Tramline Extension"}]}, "attributes.stance", "each entry must be"),
    ],
)
def test_attribute_values_must_be_in_the_schema(layer, attributes, field, message):
    with pytest.raises(ValidationError) as excinfo:
        _create(layer, attributes=attributes)
    assert message in _messages(excinfo)[field][0]


def test_attribute_that_does_not_apply_to_the_label_is_refused(layer):
    with pytest.raises(ValidationError) as excinfo:
        _create(layer, label="DISCLAIMER", attributes={"evidence": "DATA"})
    assert _messages(excinfo)["attributes.evidence"] == ["evidence does not apply to DISCLAIMER spans."]


def test_valid_attributes_are_kept_and_unanswered_ones_dropped(layer):
    stance = [
        {"target": "Harbour City Council", "stance": "AGAINST"},
        {"target": "Tramline Extension", "stance": "NEUTRAL"},
    ]
    span, _ = _create(
        layer,
        attributes={
            "evidence": "QUOTE",
            "stance": stance,
            "hedged": False,
            "voice": None,
            "check_worthy": True,
        },
    )
    assert span.attributes == {"evidence": "QUOTE", "stance": stance, "hedged": False, "check_worthy": True}


def test_required_attribute_may_be_missing_while_annotating(layer):
    span, _ = _create(layer, attributes={})
    assert span.attributes == {}


def test_repeating_a_client_uuid_returns_the_first_span(layer):
    client_uuid = uuid.uuid4()
    first, created = _create(layer, client_uuid=client_uuid)
    again, created_again = _create(layer, client_uuid=client_uuid)
    assert created and not created_again
    assert again.pk == first.pk
    assert Span.objects.count() == 1


def test_exact_duplicate_span_in_one_layer_is_refused(layer):
    _create(layer)
    with pytest.raises(ValidationError, match="already exists in this layer"):
        _create(layer)


def test_overlap_is_refused_when_the_project_forbids_it(layer):
    project = layer.document.project
    project.allow_overlap = False
    project.save()
    _create(layer)
    start = TEXT.index("council")
    with pytest.raises(ValidationError, match=r"overlaps the span at \[39, 71\)"):
        _create(layer, label="OPINION", start=start, end=start + 7, text="council")


def test_overlap_is_allowed_when_the_project_allows_it(layer):
    _create(layer)
    start = TEXT.index("council")
    span, _ = _create(layer, label="OPINION", start=start, end=start + 7, text="council", attributes={})
    assert span.pk


def test_first_span_marks_the_layer_in_progress(layer):
    assert layer.status == LayerStatus.ASSIGNED
    _create(layer)
    layer.refresh_from_db()
    assert layer.status == LayerStatus.IN_PROGRESS


def test_submitted_layer_is_read_only(layer):
    span, _ = _create(layer)
    layer.status = LayerStatus.SUBMITTED
    layer.save()
    with pytest.raises(Conflict, match="read-only"):
        _create(layer, label="OPINION", attributes={})
    with pytest.raises(Conflict, match="read-only"):
        span_update(span=span, version=1, attributes={"evidence": "DATA"})
    with pytest.raises(Conflict, match="read-only"):
        span_delete(span=span, version=1)


def test_update_bumps_the_version_and_rechecks_everything(layer):
    span, _ = _create(layer)
    span = span_update(span=span, version=1, label="OPINION", attributes={"hedged": True})
    assert (span.version, span.label.key, span.attributes) == (2, "OPINION", {"hedged": True})
    with pytest.raises(ValidationError, match="does not match"):
        span_update(span=span, version=2, start=span.start + 1, text=PHRASE)


def test_new_boundaries_need_the_new_text(layer):
    span, _ = _create(layer)
    with pytest.raises(ValidationError, match="Send the new text"):
        span_update(span=span, version=1, end=span.end - 1)
    span = span_update(span=span, version=1, end=span.end - 1, text=PHRASE[:-1])
    assert span.text == PHRASE[:-1]


def test_stale_version_is_a_conflict_carrying_the_current_span(layer):
    span, _ = _create(layer)
    span_update(span=span, version=1, attributes={"evidence": "DATA"})
    with pytest.raises(Conflict) as excinfo:
        span_update(span=span, version=1, attributes={"evidence": "QUOTE"})
    assert excinfo.value.current.version == 2
    assert excinfo.value.current.attributes == {"evidence": "DATA"}
    with pytest.raises(Conflict):
        span_delete(span=span, version=1)
    span_delete(span=span, version=2)
    assert not Span.objects.exists()
