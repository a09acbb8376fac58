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
