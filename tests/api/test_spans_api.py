"""Span writes over HTTP: the offset contract, idempotent creates, optimistic locking, submit."""

from __future__ import annotations

import uuid

import pytest

from annotator.models import LayerStatus, Span
from tests.api.conftest import PHRASE, TEXT


@pytest.fixture
def anna(world):
    return world.client("annotator")


def _spans_url(world):
    return f"/api/v1/assignments/{world.layer_a.pk}/spans/"


def test_span_after_emoji_and_astral_letter_is_stored_at_code_point_offsets(world, anna):
    start = TEXT.index("council said")
    body = {"label": "OPINION", "start": start, "end": start + 12, "text": "council said"}
    response = anna.post(_spans_url(world), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["start"] == 43
    assert response.json()["end"] == 55
    assert TEXT[43:55] == "council said"


def test_utf16_offsets_are_refused_with_both_texts_in_the_message(world, anna):
    start16 = len(TEXT[: TEXT.index("council said")].encode("utf-16-le")) // 2
    body = {"label": "OPINION", "start": start16, "end": start16 + 12, "text": "council said"}
    response = anna.post(_spans_url(world), body, format="json")
    assert response.status_code == 400
    message = response.json()["text"][0]
    assert "'council said'" in message
    assert repr(TEXT[start16 : start16 + 12]) in message
    assert Span.objects.filter(layer=world.layer_a).count() == 1


def test_span_past_the_end_of_the_text_is_refused(world, anna):
    body = {"label": "OPINION", "start": len(TEXT) - 2, "end": len(TEXT) + 3, "text": "%.xyz"}
    response = anna.post(_spans_url(world), body, format="json")
    assert response.status_code == 400
    assert "past the end of the text" in response.json()["end"][0]


def test_missing_and_mistyped_fields_get_a_message_each(world, anna):
    response = anna.post(_spans_url(world), {"start": "four"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"label", "start", "end", "text"}


@pytest.mark.parametrize(("start", "end", "field"), [(0.5, 4, "start"), (0, 4.5, "end"), (True, 4, "start")])
def test_offsets_that_are_not_whole_numbers_are_refused_by_name(world, anna, start, end, field):
    before = Span.objects.count()
    body = {"label": "OPINION", "start": start, "end": end, "text": TEXT[0:4]}
    response = anna.post(_spans_url(world), body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert Span.objects.count() == before


def test_repeated_client_uuid_returns_the_existing_span_not_a_duplicate(world, anna):
    client_uuid = str(uuid.uuid4())
    body = {"client_uuid": client_uuid, "label": "OPINION", "start": 0, "end": 4, "text": "Tram"}
    first = anna.post(_spans_url(world), body, format="json")
    again = anna.post(_spans_url(world), body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Span.objects.filter(client_uuid=client_uuid).count() == 1


def test_update_with_a_stale_version_is_409_with_the_current_span(world, anna):
    url = f"/api/v1/spans/{world.span_a.pk}/"
    ok = anna.patch(url, {"version": 1, "attributes": {"evidence": "DATA"}}, format="json")
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = anna.patch(url, {"version": 1, "attributes": {"evidence": "QUOTE"}}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["current"]["attributes"] == {"evidence": "DATA"}
    assert anna.delete(f"{url}?version=1").status_code == 409
    assert anna.delete(url, {"version": 2}, format="json").status_code == 204


def test_delete_needs_the_version(world, anna):
    response = anna.delete(f"/api/v1/spans/{world.span_a.pk}/")
    assert response.status_code == 400
    assert "version" in response.json()


def test_boundary_change_carries_the_new_text(world, anna):
    url = f"/api/v1/spans/{world.span_a.pk}/"
    response = anna.patch(
        url, {"version": 1, "end": world.span_a.end - 1, "text": PHRASE[:-1]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["text"] == PHRASE[:-1]


def test_submit_lists_each_incomplete_span_then_succeeds_once_fixed(world, anna):
    opinion = anna.post(
        _spans_url(world), {"label": "CLAIM", "start": 0, "end": 4, "text": "Tram"}, format="json"
    ).json()
    response = anna.post(f"/api/v1/assignments/{world.layer_a.pk}/submit/")
    assert response.status_code == 400
    assert response.json()["incomplete"] == [
        {"id": opinion["id"], "label": "CLAIM", "start": 0, "end": 4, "text": "Tram", "missing": ["evidence"]}
    ]
    world.layer_a.refresh_from_db()
    assert world.layer_a.status == LayerStatus.IN_PROGRESS
    anna.patch(
        f"/api/v1/spans/{opinion['id']}/", {"version": 1, "attributes": {"evidence": "NONE"}}, format="json"
    )
    response = anna.post(f"/api/v1/assignments/{world.layer_a.pk}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_submitted_layer_is_read_only_until_a_reviewer_reopens_it(world, anna):
    anna.post(f"/api/v1/assignments/{world.layer_a.pk}/submit/")
    body = {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"}
    response = anna.post(_spans_url(world), body, format="json")
    assert response.status_code == 409
    assert "read-only" in response.json()["detail"]
    reopened = world.client("reviewer").post(
        f"/api/v1/assignments/{world.layer_a.pk}/reopen/", {"note": "Check the footer"}, format="json"
    )
    assert reopened.status_code == 200
    assert anna.post(_spans_url(world), body, format="json").status_code == 201
    assert world.layer_a.document.decisions.get().note == "Check the footer"


def test_span_list_is_cursor_paginated_in_reading_order(world, anna):
    for start in (20, 5, 10):
        anna.post(
            _spans_url(world),
            {"label": "OPINION", "start": start, "end": start + 1, "text": TEXT[start]},
            format="json",
        )
    page = anna.get(_spans_url(world), {"page_size": 2}).json()
    assert [s["start"] for s in page["results"]] == [5, 10]
    rest = anna.get(page["next"]).json()
    assert [s["start"] for s in rest["results"]] == [20, 39]
    assert rest["next"] is None
