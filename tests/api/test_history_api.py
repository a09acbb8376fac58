"""The audit trail over the API: history rows name the API user (token or session), a layer's
history includes deleted spans, and managers restore deleted spans."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from annotator.models import Span
from tests.factories import DEFAULT_PASSWORD

NEW_SPAN = {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"}


def _token_client(username: str) -> APIClient:
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": username, "password": DEFAULT_PASSWORD}).json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _delete_span_a(world) -> int:
    """The annotator deletes the world's span; the history id of the deletion."""
    world.client("annotator").delete(f"/api/v1/spans/{world.span_a.pk}/?version=1")
    return Span.history.get(id=world.span_a.pk, history_type="-").history_id


def _restore(world, layer, history_id: int):
    """A manager's request to restore the span deleted at `history_id` into `layer`."""
    return world.client("manager").post(
        f"/api/v1/assignments/{layer.pk}/spans/restore/", {"history_id": history_id}, format="json"
    )


def _actions(rows: list[dict]) -> list[tuple[str, str | None, int]]:
    return [(row["action"], row["user"], row["version"]) for row in rows]


def test_token_authenticated_writes_are_recorded_with_the_api_user(world):
    anna = _token_client("anna")
    created = anna.post(f"/api/v1/assignments/{world.layer_a.pk}/spans/", NEW_SPAN, format="json").json()
    anna.patch(
        f"/api/v1/spans/{created['id']}/", {"version": 1, "attributes": {"hedged": True}}, format="json"
    )
    assert anna.delete(f"/api/v1/spans/{created['id']}/?version=2").status_code == 204

    rows = world.client("reviewer").get(f"/api/v1/spans/{created['id']}/history/").json()

    assert _actions(rows) == [("created", "anna", 1), ("changed", "anna", 2), ("deleted", "anna", 2)]
    assert rows[1]["attributes"] == {"hedged": True}
    assert rows[0]["label"] == "OPINION"
    assert [r["span_id"] for r in rows] == [created["id"]] * 3


def test_session_authenticated_writes_are_recorded_with_the_signed_in_user(world):
    client = Client()
    client.force_login(world.users["annotator"])
    response = client.patch(
        f"/api/v1/spans/{world.span_a.pk}/",
        {"version": 1, "attributes": {"evidence": "DATA"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    rows = world.client("manager").get(f"/api/v1/spans/{world.span_a.pk}/history/").json()
    # The world's span was made outside any request: nobody is named for it.
    assert _actions(rows) == [("created", None, 1), ("changed", "anna", 2)]


def test_a_layers_history_includes_its_deleted_spans_and_the_annotator_reads_their_own(world):
    anna = world.client("annotator")
    other = anna.post(f"/api/v1/assignments/{world.layer_a.pk}/spans/", NEW_SPAN, format="json").json()
    anna.delete(f"/api/v1/spans/{world.span_a.pk}/?version=1")

    page = anna.get(f"/api/v1/assignments/{world.layer_a.pk}/history/").json()

    assert [(r["span_id"], r["action"]) for r in page["results"]] == [
        (world.span_a.pk, "created"),
        (other["id"], "created"),
        (world.span_a.pk, "deleted"),
    ]
    assert page["next"] is None
    # The deleted span's own history is still there.
    assert anna.get(f"/api/v1/spans/{world.span_a.pk}/history/").status_code == 200


def test_a_manager_restores_a_deleted_span_and_the_history_says_who(world):
    deletion = _delete_span_a(world)

    response = _restore(world, world.layer_a, deletion)

    assert response.status_code == 201
    span = response.json()
    assert (span["id"], span["version"], span["text"]) == (world.span_a.pk, 2, world.span_a.text)
    rows = world.client("reviewer").get(f"/api/v1/spans/{world.span_a.pk}/history/").json()
    assert _actions(rows) == [("created", None, 1), ("deleted", "anna", 1), ("restored", "max", 2)]
    assert rows[-1]["reason"] == f"restored from history entry {deletion}"
    # Twice is a conflict; an unknown entry is not found; a non-deletion is a field error.
    assert _restore(world, world.layer_a, deletion).status_code == 409
    assert _restore(world, world.layer_a, 10**9).status_code == 404
    created = Span.history.filter(id=world.span_a.pk, history_type="+").first().history_id
    not_deletion = _restore(world, world.layer_a, created)
    assert not_deletion.status_code == 400
    assert "history_id" in not_deletion.json()


def test_a_deletion_in_another_layer_cannot_be_restored_into_this_one(world):
    assert _restore(world, world.layer_b, _delete_span_a(world)).status_code == 404
    assert not Span.objects.filter(pk=world.span_a.pk).exists()


def test_history_of_an_unknown_span_is_404(world):
    assert world.client("manager").get("/api/v1/spans/999999999/history/").status_code == 404
