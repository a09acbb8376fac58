"""Writes to annotation layers: handing out documents, submitting, reopening, skipping, removing.

Document.n_layers counts each document's counted layers (COUNTED_LAYER: annotation layers not
skipped), so queue Next reads one indexed column instead of counting layers. The services here
that add, skip or remove a layer keep it, under the document's row lock; `layers_recount` sets
it from the layers after bulk loads and repairs (manage.py recount_layers).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotator.errors import Conflict
from annotator.jobs.scheduling import layers_changed
from annotator.models import (
    Decision,
    DecisionAction,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Project,
)
from annotator.spans.services import spans_check_complete

OPEN_STATUSES = (LayerStatus.ASSIGNED, LayerStatus.IN_PROGRESS)
_CANDIDATE_BATCH = 20
# The layers that count toward a document's k: every annotation layer except a skipped one.
COUNTED_LAYER = Q(kind=LayerKind.ANNOTATION) & ~Q(status=LayerStatus.SKIPPED)


def _count_layers(document_id: int, change: int) -> None:
    """Move the document's layer count; the UPDATE holds the document's row lock to the end of
    the caller's transaction."""
    Document.objects.filter(pk=document_id).update(n_layers=F("n_layers") + change)


def layer_assign(*, document: Document | int, user: User) -> Layer:
    """Give `user` an annotation layer on the document and count it. Queue Next hands out
    layers through this, under the document's lock; so do the demo and bulk loads."""
    document_id = document if isinstance(document, int) else document.pk
    with transaction.atomic():
        layer = Layer.objects.create(document_id=document_id, user=user, kind=LayerKind.ANNOTATION)
        _count_layers(document_id, +1)
    return layer


def layers_delete(*, layers: Iterable[Layer]) -> None:
    """Remove layers with their spans (the admin's delete), uncounting the counted ones."""
    with transaction.atomic():
        for layer in layers:
            locked = Layer.objects.select_for_update().filter(pk=layer.pk).first()
            if locked is None:
                continue
            counted = Layer.objects.filter(COUNTED_LAYER, pk=locked.pk).exists()
            locked.delete()
            if counted:
                _count_layers(locked.document_id, -1)


def layers_recount(*, document_ids: Iterable[int] | None = None) -> int:
    """Set Document.n_layers from the layers (all documents, or those given); returns how many
    rows were written. For bulk loads that write layers directly, and for repairs."""
    counted = (
        Layer.objects.filter(COUNTED_LAYER, document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    documents = Document.objects.all()
    if document_ids is not None:
        documents = documents.filter(pk__in=list(document_ids))
    return documents.update(n_layers=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))


def queue_next(*, project: Project, user: User) -> Layer | None:
    """The user's next layer in this project (with its document, source and user): an
    unfinished one first, else a new one on the document closest to complete that the user has
    not had. None when nothing is left.

    Two annotators asking at once never push a document past k: candidate documents are locked
    (FOR UPDATE SKIP LOCKED on PostgreSQL) and their layer count is read again under the lock.
    Counts are Document.n_layers (COUNTED_LAYER), kept by the services of this module.

    One user asking several times at once (a double click, two tabs) gets one layer: the calls
    hold the user's row lock in turn, so the later ones find the layer the first one made."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        return _next_layer(project=project, user=user)


def _next_layer(*, project: Project, user: User) -> Layer | None:
    unfinished = (
        Layer.objects.filter(
            document__project=project, user=user, kind=LayerKind.ANNOTATION, status__in=OPEN_STATUSES
        )
        .select_related("document__source", "user")
        .order_by("created_at", "pk")
        .first()
    )
    if unfinished is not None:
        return unfinished
    k = project.annotators_per_document
    not_mine = ~Exists(Layer.objects.filter(user=user, kind=LayerKind.ANNOTATION, document=OuterRef("pk")))
    with_room = Document.objects.filter(not_mine, project=project, n_layers__lt=k)
    while True:
        with transaction.atomic():
            ids: list[int] = []
            if connection.features.has_select_for_update_skip_locked:
                ids = _unlocked_candidates(with_room)
            if not ids:
                # Every candidate may be locked by someone else's Next right now: wait for one
                # rather than answer "nothing left" while documents still have room.
                ids = list(
                    with_room.order_by("-n_layers", "pk")
                    .select_for_update(of=("self",))
                    .values_list("pk", flat=True)[:1]
                )
            if not ids:
                return None
            # Counts again, now that the rows are locked: a layer committed meanwhile is seen here.
            counts = dict(Document.objects.filter(pk__in=ids).values_list("pk", "n_layers"))
            for document_id in ids:
                if counts[document_id] < k:
                    created = layer_assign(document=document_id, user=user)
                    return _with_document(created.pk)
        # Every locked candidate filled up meanwhile: look again.


def _with_document(layer_id: int) -> Layer:
    """The layer as Next answers it: with its document, the document's source, and its user."""
    return Layer.objects.select_related("document__source", "user").get(pk=layer_id)


def _unlocked_candidates(with_room: QuerySet[Document]) -> list[int]:
    """Up to _CANDIDATE_BATCH documents with room that the user has not had, locked (SKIP
    LOCKED), in the queue's order: started documents first, most layers first, then untouched
    ones by id. Each step is a range scan of the document_queue index (project, -n_layers, id)."""
    started = (
        with_room.filter(n_layers__gt=0)
        .order_by("-n_layers", "pk")
        .select_for_update(skip_locked=True, of=("self",))
    )
    ids = list(started.values_list("pk", flat=True)[:_CANDIDATE_BATCH])
    if len(ids) < _CANDIDATE_BATCH:
        untouched = (
            with_room.filter(n_layers=0).order_by("pk").select_for_update(skip_locked=True, of=("self",))
        )
        ids += untouched.values_list("pk", flat=True)[: _CANDIDATE_BATCH - len(ids)]
    return ids


def layer_submit(*, layer: Layer) -> Layer:
    """Freeze a layer. Refused, listing each span, while a span lacks a required attribute."""
    with transaction.atomic():
        layer = Layer.objects.select_for_update().get(pk=layer.pk)
        if layer.status == LayerStatus.SUBMITTED:
            return layer
        if layer.status == LayerStatus.SKIPPED:
            raise Conflict("This document was skipped; there is nothing to submit.")
        spans_check_complete(layer=layer)
        layer.status = LayerStatus.SUBMITTED
        layer.submitted_at = timezone.now()
        layer.save(update_fields=["status", "submitted_at", "updated_at"])
        _agreement_changed(layer)
    return layer


def _agreement_changed(layer: Layer) -> None:
    """Count the change for agreement and profiles, which refresh once it is committed
    (annotation layers only; gold changes through the review actions)."""
    if layer.kind == LayerKind.ANNOTATION:
        layers_changed(document_id=layer.document_id, project_id=layer.document.project_id)


def layer_reopen(*, layer: Layer, reviewer: User, note: str = "") -> Layer:
    """Let the annotator edit a submitted layer again; the reopening is kept as a Decision."""
    with transaction.atomic():
        layer = Layer.objects.select_for_update().get(pk=layer.pk)
        if layer.status != LayerStatus.SUBMITTED:
            raise Conflict("Only a submitted layer can be reopened.")
        layer.status = LayerStatus.IN_PROGRESS
        layer.submitted_at = None
        layer.save(update_fields=["status", "submitted_at", "updated_at"])
        Decision.objects.create(
            document_id=layer.document_id,
            reviewer=reviewer,
            action=DecisionAction.REOPEN,
            note=note,
            before={"assignment": layer.pk, "status": LayerStatus.SUBMITTED},
            after={"assignment": layer.pk, "status": LayerStatus.IN_PROGRESS},
        )
        _agreement_changed(layer)
    return layer


def layer_skip(*, layer: Layer, reason: str) -> Layer:
    """Give a document back with a reason; it no longer counts toward k, and the user will not
    be handed it again."""
    with transaction.atomic():
        locked = Layer.objects.select_for_update().get(pk=layer.pk)
        if locked.status == LayerStatus.SUBMITTED:
            raise Conflict("A submitted layer cannot be skipped.")
        was_counted = Layer.objects.filter(COUNTED_LAYER, pk=locked.pk).exists()
        layer.status = LayerStatus.SKIPPED
        layer.skip_reason = reason
        layer.save(update_fields=["status", "skip_reason", "updated_at"])
        if was_counted:
            _count_layers(layer.document_id, -1)
    return layer
