"""The span audit trail: every create, change, delete and restore leaves a history row naming
who and when, and optimistic locking is exactly what it was."""

from __future__ import annotations

import pytest

from annotator.errors import Conflict, NotFound, ValidationError
from annotator.layers.services import layer_assign
from annotator.models import Layer, LayerStatus, Role, Span
from annotator.spans.selectors import span_history_list, span_layer_id
from annotator.spans.services import span_create, span_delete, span_restore, span_update
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = "The council said the tram costs rose by 12% last year."


@pytest.fixture
def layer() -> Layer:
    project = ProjectFactory()
    annotator = UserFactory(username="anna")
    MembershipFactory(project=project, user=annotator, role=Role.ANNOTATOR)
    return layer_assign(document=DocumentFactory(project=project, text=TEXT), user=annotator)


def _create(layer: Layer, actor=None, start: int = 4, end: int = 11) -> Span:
    span, _ = span_create(
        layer=layer, label="OPINION", start=start, end=end, text=TEXT[start:end], actor=actor
    )
    return span


def _trail(span_id: int) -> list[tuple[str, str | None, int]]:
    return [
        (row.history_type, row.history_user.username if row.history_user else None, row.version)
        for row in span_history_list(span_id=span_id)
    ]


def test_create_change_and_delete_are_recorded_with_the_actor_and_the_version(layer):
    anna = layer.user
    span = _create(layer, actor=anna)
    span = span_update(span=span, version=1, attributes={"hedged": True}, actor=anna)
    span_delete(span=span, version=2, actor=anna)

    assert _trail(span.pk) == [("+", "anna", 1), ("~", "anna", 2), ("-", "anna", 2)]
    rows = list(span_history_list(span_id=span.pk))
    assert rows[1].attributes == {"hedged": True}
    assert rows[0].history_date <= rows[1].history_date <= rows[2].history_date
    assert all(row.layer_id == layer.pk and row.label.key == "OPINION" for row in rows)


def test_a_change_records_the_new_boundaries_and_label(layer):
    span = _create(layer, actor=layer.user)
    span_update(span=span, version=1, label="CLAIM", start=0, end=11, text=TEXT[:11], actor=layer.user)

    changed = span_history_list(span_id=span.pk).last()
    assert (changed.label.key, changed.start, changed.end, changed.text) == ("CLAIM", 0, 11, TEXT[:11])


def test_a_stale_update_changes_nothing_and_records_nothing(layer):
    span = _create(layer, actor=layer.user)
    span_update(span=span, version=1, attributes={"hedged": True}, actor=layer.user)
    stale = Span.objects.get(pk=span.pk)
    stale.version = 1

    with pytest.raises(Conflict) as conflict:
        span_update(span=stale, version=1, attributes={"hedged": False}, actor=layer.user)

    assert conflict.value.current.version == 2
    assert Span.objects.get(pk=span.pk).attributes == {"hedged": True}
    assert [t for t, _, _ in _trail(span.pk)] == ["+", "~"]


def test_a_stale_delete_deletes_nothing_and_records_nothing(layer):
    span = _create(layer, actor=layer.user)
    span_update(span=span, version=1, attributes={"hedged": True}, actor=layer.user)

    with pytest.raises(Conflict):
        span_delete(span=span, version=1, actor=layer.user)

    assert Span.objects.filter(pk=span.pk).exists()
    assert [t for t, _, _ in _trail(span.pk)] == ["+", "~"]


def test_deleting_a_deleted_span_is_a_conflict_that_says_so(layer):
    span = _create(layer, actor=layer.user)
    span_delete(span=span, version=1, actor=layer.user)
    with pytest.raises(Conflict) as conflict:
        span_delete(span=span, version=1, actor=layer.user)
    assert conflict.value.current is None
    assert [t for t, _, _ in _trail(span.pk)] == ["+", "-"]


def test_writes_without_an_actor_are_recorded_with_no_user(layer):
    span = _create(layer)
    assert _trail(span.pk) == [("+", None, 1)]


def test_the_layer_of_a_deleted_span_is_still_known(layer):
    span = _create(layer, actor=layer.user)
    span_delete(span=span, version=1, actor=layer.user)
    assert span_layer_id(span_id=span.pk) == layer.pk
    assert span_layer_id(span_id=10**9) is None


# -- restore -----------------------------------------------------------------------------------


def _deletion(span_id: int) -> int:
    return Span.history.get(id=span_id, history_type="-").history_id


def test_a_manager_restores_a_deleted_span_under_its_id_at_the_next_version(layer):
    manager = UserFactory(username="max")
    span = _create(layer, actor=layer.user)
    span = span_update(span=span, version=1, attributes={"hedged": True}, actor=layer.user)
    span_delete(span=span, version=2, actor=layer.user)

    restored = span_restore(layer=layer, history_id=_deletion(span.pk), actor=manager)

    assert (restored.pk, restored.client_uuid, restored.version) == (span.pk, span.client_uuid, 3)
    assert (restored.start, restored.end, restored.text, restored.attributes) == (
        4,
        11,
        TEXT[4:11],
        {"hedged": True},
    )
    assert _trail(span.pk) == [("+", "anna", 1), ("~", "anna", 2), ("-", "anna", 2), ("+", "max", 3)]
    last = span_history_list(span_id=span.pk).last()
    assert last.history_change_reason == f"restored from history entry {_deletion(span.pk)}"
    # A client still holding the old version is told, not silently overwritten.
    with pytest.raises(Conflict):
        span_update(span=Span.objects.get(pk=span.pk), version=2, attributes={}, actor=layer.user)


def test_a_span_is_restored_once(layer):
    span = _create(layer, actor=layer.user)
    span_delete(span=span, version=1, actor=layer.user)
    span_restore(layer=layer, history_id=_deletion(span.pk), actor=None)
    with pytest.raises(Conflict):
        span_restore(layer=layer, history_id=_deletion(span.pk), actor=None)


def test_restore_goes_through_the_span_checks(layer):
    span = _create(layer, actor=layer.user)
    span_delete(span=span, version=1, actor=layer.user)
    # The same span was drawn again meanwhile: restoring would duplicate it.
    _create(layer, actor=layer.user)
    with pytest.raises(ValidationError, match="already exists"):
        span_restore(layer=layer, history_id=_deletion(span.pk), actor=None)


def test_restore_into_a_submitted_layer_is_refused_until_it_is_reopened(layer):
    span = _create(layer, actor=layer.user)
    span_delete(span=span, version=1, actor=layer.user)
    Layer.objects.filter(pk=layer.pk).update(status=LayerStatus.SUBMITTED)
    layer.refresh_from_db()
    with pytest.raises(Conflict, match="submitted"):
        span_restore(layer=layer, history_id=_deletion(span.pk), actor=None)
    assert not Span.objects.filter(pk=span.pk).exists()


def test_only_a_deletion_of_this_layer_can_be_restored(layer):
    span = _create(layer, actor=layer.user)
    created = Span.history.get(id=span.pk, history_type="+").history_id
    with pytest.raises(ValidationError, match="not a deletion"):
        span_restore(layer=layer, history_id=created, actor=None)

    other = layer_assign(document=layer.document, user=UserFactory(username="ben"))
    span_delete(span=span, version=1, actor=layer.user)
    with pytest.raises(NotFound):
        span_restore(layer=other, history_id=_deletion(span.pk), actor=None)
