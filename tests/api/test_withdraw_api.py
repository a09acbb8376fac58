"""An annotator takes back their own submitted layer (POST .../reopen/) until a reviewer has
acted on the document or it is adjudicated; after that only a reviewer reopens it, and the
taking back is not logged as a review decision."""

from __future__ import annotations

from annotator.layers.services import layer_submit
from annotator.models import Decision, Layer
from annotator.review.services import review_reject


def _reopen(world, who: str, layer: Layer):
    return world.client(who).post(f"/api/v1/assignments/{layer.pk}/reopen/", {}, format="json")


def test_an_annotator_takes_back_a_layer_no_reviewer_has_looked_at(world):
    layer_submit(layer=world.layer_a)
    answer = _reopen(world, "annotator", world.layer_a)
    assert answer.status_code == 200, answer.json()
    world.layer_a.refresh_from_db()
    assert (world.layer_a.status, world.layer_a.submitted_at) == ("in_progress", None)
    assert not Decision.objects.exists()
    layer_submit(layer=world.layer_a)  # and submits it again
    # Not another annotator's layer, though.
    assert _reopen(world, "annotator_b", world.layer_a).status_code == 404


def test_once_a_reviewer_has_acted_only_a_reviewer_reopens(world):
    layer_submit(layer=world.layer_a)
    review_reject(document=world.document, reviewer=world.users["reviewer"], span_id=world.span_a.pk, note="")
    answer = _reopen(world, "annotator", world.layer_a)
    assert answer.status_code == 409
    assert "ask a reviewer to reopen it" in answer.json()["detail"]
    assert _reopen(world, "reviewer", world.layer_a).status_code == 200


def test_the_reviewer_sees_what_changed_since_a_layer_was_sent_back(world):
    from annotator.review.services import review_reopen
    from annotator.spans.services import span_create, span_update
    from tests.api.conftest import TEXT

    layer_submit(layer=world.layer_a)
    layer_submit(layer=world.layer_b)
    review_reopen(
        document=world.document, reviewer=world.users["reviewer"], layer_id=world.layer_a.pk, note="More."
    )
    world.span_a.refresh_from_db()
    span_update(span=world.span_a, version=world.span_a.version, attributes={"evidence": "DATA"})
    word = TEXT.split()[0]
    added, _ = span_create(layer=world.layer_a, label="OPINION", start=0, end=len(word), text=word)
    world.layer_a.refresh_from_db()
    layer_submit(layer=world.layer_a)
    layers = world.client("reviewer").get(f"/api/v1/documents/{world.document.pk}/review/").json()["layers"]
    since = {layer["username"]: layer["since_return"] for layer in layers}
    assert since["ben"] is None  # never sent back
    assert (since["anna"]["added"], since["anna"]["removed"], since["anna"]["changed"]) == (
        [added.pk],
        [],
        [world.span_a.pk],
    )
