"""Writes to annotation layers: handing out documents, submitting, reopening, skipping, removing.

Document.n_layers counts each document's counted layers (COUNTED_LAYER: annotation layers not
skipped), so queue Next reads one indexed column instead of counting layers. The services here
that add, skip or remove a layer keep it, under the document's row lock; `layers_recount` sets
it from the layers after bulk loads and repairs (manage.py recount_layers). Document.layer_added_at
is when its newest counted layer was made (as `layer_assign` leaves it): how long a document has
waited for a panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotator.calibration.selectors import calibration_due, calibration_items, calibration_paused
from annotator.calibration.services import calibration_score, gate_update, member_failing
from annotator.errors import Conflict
from annotator.jobs.scheduling import layers_changed
from annotator.layers.selectors import layer_reviewed
from annotator.models import (
    ANNOTATOR_LAYER_KINDS,
    Decision,
    DecisionAction,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
)
from annotator.panels.selectors import panel_cap, panels_list
from annotator.spans.services import spans_check_complete

OPEN_STATUSES = (LayerStatus.ASSIGNED, LayerStatus.IN_PROGRESS)
_CANDIDATE_BATCH = 20
# The layers that count toward a document's k: every annotation layer except a skipped one.
COUNTED_LAYER = Q(kind=LayerKind.ANNOTATION) & ~Q(status=LayerStatus.SKIPPED)


def _count_layers(document_id: int, change: int) -> None:
    """Move the document's layer count; the UPDATE holds the document's row lock to the end of
    the caller's transaction."""
    Document.objects.filter(pk=document_id).update(n_layers=F("n_layers") + change)


def layer_assign(
    *, document: Document | int, user: User, panel_id: int | None = None, outside_panel: bool = False
) -> Layer:
    """Give `user` an annotation layer on the document (for their panel, if any) and count it.
    Queue Next hands out layers through this, under the document's lock; so do the demo and
    bulk loads."""
    document_id = document if isinstance(document, int) else document.pk
    with transaction.atomic(savepoint=False):  # inside Next's transaction, or a transaction of its own
        layer = Layer.objects.create(
            document_id=document_id,
            user=user,
            kind=LayerKind.ANNOTATION,
            panel_id=panel_id,
            outside_panel=outside_panel,
        )
        Document.objects.filter(pk=document_id).update(
            n_layers=F("n_layers") + 1, layer_added_at=layer.created_at
        )
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
    """Set Document.n_layers and layer_added_at from the layers (all documents, or those
    given); returns how many rows were written. For bulk loads that write layers directly, and
    for repairs."""
    counted = Layer.objects.filter(COUNTED_LAYER, document=OuterRef("pk")).order_by().values("document")
    documents = Document.objects.all()
    if document_ids is not None:
        documents = documents.filter(pk__in=list(document_ids))
    return documents.update(
        n_layers=Coalesce(
            Subquery(counted.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)
        ),
        layer_added_at=Subquery(counted.annotate(newest=Max("created_at")).values("newest")),
    )


def queue_next(*, project: Project, user: User) -> Layer | None:
    """The user's next layer in this project (with its document, source and user): an
    unfinished one first; else, now and then, a calibration item (annotator.calibration); else a
    new layer on the document closest to complete that the user has not had. None when nothing
    is left.

    Two annotators asking at once never push a document past k: candidate documents are locked
    (FOR UPDATE SKIP LOCKED on PostgreSQL) and their layer count is read again under the lock.
    Counts are Document.n_layers (COUNTED_LAYER), kept by the services of this module.

    With panel balance on, a panel takes at most its share of a document's layers
    (`panel_cap`) until the document has waited `Project.panel_wait_minutes` for the others; each
    further wait lets one more layer go outside its panel, so the panels with fewest layers on
    it come first and no document waits for ever.

    One user asking several times at once (a double click, two tabs) gets one layer: the calls
    hold the user's row lock in turn, so the later ones find the layer the first one made."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        unfinished = (
            Layer.objects.filter(
                document__project=project, user=user, kind__in=ANNOTATOR_LAYER_KINDS, status__in=OPEN_STATUSES
            )
            .select_related("document__source", "user")
            .order_by("created_at", "pk")
            .first()
        )
        if unfinished is not None:
            return unfinished
        panel_id, failing_since = None, None
        if project.panel_balance or project.calibration_every or project.calibration_pause:
            panel_id, failing_since = Membership.objects.filter(project=project, user=user).values_list(
                "panel_id", "calibration_failing_since"
            ).first() or (None, None)
        paused = calibration_paused(project=project, failing_since=failing_since)
        if paused or calibration_due(project=project):
            layer = _calibration_layer(project=project, user=user, panel_id=panel_id)
            if layer is not None or paused:
                return layer
        return _next_layer(project=project, user=user, panel_id=panel_id)


@dataclass(frozen=True)
class _PanelRule:
    """Panel balance for one user's Next: their panel, its share of a document's k layers, and
    how long a document waits for its other panels before each layer beyond the share."""

    panel_id: int
    k: int
    cap: int
    wait: timedelta

    @classmethod
    def of(cls, *, project: Project, panel_id: int | None) -> _PanelRule | None:
        if not project.panel_balance:
            return None
        if panel_id is None:
            if project.panel_question:
                raise Conflict("Choose your panel first: answer the project's question on its page.")
            raise Conflict("A manager has not placed you in a panel yet; this project balances its panels.")
        k = project.annotators_per_document
        n_panels = panels_list(project=project).count()
        return cls(
            panel_id, k, panel_cap(k=k, n_panels=n_panels), timedelta(minutes=project.panel_wait_minutes)
        )

    def layers_of_panel(self) -> Coalesce:
        """A document's counted layers of this panel (for annotate(panel_layers=...))."""
        mine = (
            Layer.objects.filter(COUNTED_LAYER, document=OuterRef("pk"), panel_id=self.panel_id)
            .order_by()
            .values("document")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(mine, output_field=IntegerField()), Value(0))

    def room(self, now: datetime) -> Q:
        """The documents (annotated with panel_layers) this panel may take a layer of at `now`:
        within its share, or beyond it (`waited`). As `admits`, in SQL."""
        return Q(panel_layers__lt=self.cap) | self.waited(now)

    def waited(self, now: datetime) -> Q:
        """The documents whose next layer of this panel goes beyond its share: the n-th beyond it
        once n waits have passed since the document's last layer. Every term also asks for one
        wait at least, a plain column test, so documents that have not waited are passed over
        before their layers are counted."""
        waited = Q()
        for beyond in range(1, self.k - self.cap + 1):
            waited |= Q(panel_layers=self.cap + beyond - 1, layer_added_at__lte=now - beyond * self.wait)
        return Q(layer_added_at__lte=now - self.wait) & waited

    def admits(self, *, panel_layers: int, layer_added_at: datetime | None, now: datetime) -> bool | None:
        """Whether this panel may take a layer of a document holding `panel_layers` of its
        layers: True within its share, False (outside it) once the waits have passed, None not
        yet."""
        if panel_layers < self.cap:
            return True
        beyond = panel_layers - self.cap + 1
        waited = layer_added_at is not None and layer_added_at <= now - beyond * self.wait
        return False if waited else None


def _next_layer(*, project: Project, user: User, panel_id: int | None) -> Layer | None:
    k = project.annotators_per_document
    rule = _PanelRule.of(project=project, panel_id=panel_id)
    now = timezone.now()
    not_mine = ~Exists(Layer.objects.filter(user=user, document=OuterRef("pk")))
    with_room = Document.objects.filter(not_mine, project=project, n_layers__lt=k)
    untouched = with_room.filter(n_layers=0).order_by("pk")
    if rule is None:
        candidate_sets = [with_room.filter(n_layers__gt=0).order_by("-n_layers", "pk"), untouched]
    else:
        counted = with_room.annotate(panel_layers=rule.layers_of_panel())
        with_room = counted.filter(rule.room(now))
        candidate_sets = [
            counted.filter(n_layers__gt=0, panel_layers__lt=rule.cap).order_by("-n_layers", "pk"),
            # Documents that waited for another panel: the fewest of this panel's layers first.
            counted.filter(rule.waited(now)).order_by("panel_layers", "layer_added_at", "pk"),
            untouched,
        ]
    # queue_next's transaction holds every row lock taken here until it commits; the loop's
    # blocks need no savepoints of their own (each would cost two statements).
    while True:
        with transaction.atomic(savepoint=False):
            ids: list[int] = []
            if connection.features.has_select_for_update_skip_locked:
                ids = _unlocked_candidates(candidate_sets)
            if not ids:
                # Every candidate may be locked by someone else's Next right now: wait for one
                # rather than answer "nothing left" while documents still have room.
                ids = _locked(with_room.order_by("-n_layers", "pk"), limit=1)
            if not ids:
                return None
            # Counts again, now that the rows are locked: a layer committed meanwhile is seen here.
            for document_id, outside_panel in _admitted(ids, k=k, rule=rule, now=now):
                created = layer_assign(
                    document=document_id,
                    user=user,
                    panel_id=panel_id,
                    outside_panel=outside_panel,
                )
                return _with_document(created.pk)
        # Every locked candidate filled up meanwhile: look again.


def _admitted(
    ids: list[int], *, k: int, rule: _PanelRule | None, now: datetime
) -> Iterator[tuple[int, bool]]:
    """The locked candidates that still have room for the user, in order, each with whether its
    layer goes outside the user's panel."""
    documents = Document.objects.filter(pk__in=ids)
    if rule is None:
        counts = dict(documents.values_list("pk", "n_layers"))
        yield from ((pk, False) for pk in ids if counts[pk] < k)
        return
    rows = {
        pk: (n_layers, panel_layers, added)
        for pk, n_layers, panel_layers, added in documents.annotate(
            panel_layers=rule.layers_of_panel()
        ).values_list("pk", "n_layers", "panel_layers", "layer_added_at")
    }
    for pk in ids:
        n_layers, panel_layers, added = rows[pk]
        admitted = rule.admits(panel_layers=panel_layers, layer_added_at=added, now=now)
        if n_layers < k and admitted is not None:
            yield pk, not admitted


def _with_document(layer_id: int) -> Layer:
    """The layer as Next answers it: with its document, the document's source, and its user."""
    return Layer.objects.select_related("document__source", "user").get(pk=layer_id)


def _locked(candidates: QuerySet[Document], *, limit: int, skip_locked: bool = False) -> list[int]:
    locked = candidates.select_for_update(skip_locked=skip_locked, of=("self",))
    return list(locked.values_list("pk", flat=True)[:limit])


def _unlocked_candidates(candidate_sets: list[QuerySet[Document]]) -> list[int]:
    """Up to _CANDIDATE_BATCH documents from the candidate sets in turn, locked (SKIP LOCKED):
    started documents first, most layers first, then untouched ones by id. Without panels each
    step is a range scan of the document_queue index (project, -n_layers, id)."""
    ids: list[int] = []
    for candidates in candidate_sets:
        if len(ids) == _CANDIDATE_BATCH:
            break
        ids += _locked(candidates, limit=_CANDIDATE_BATCH - len(ids), skip_locked=True)
    return ids


def _calibration_layer(*, project: Project, user: User, panel_id: int | None) -> Layer | None:
    """A layer on a calibration item the user has never had, picked at random; it counts
    toward nothing (not k, agreement or profiles) and is scored when submitted."""
    document_id = (
        calibration_items(project=project)
        .exclude(layers__user=user)
        .order_by("?")
        .values_list("pk", flat=True)
        .first()
    )
    if document_id is None:
        return None
    return _with_document(calibration_assign(document=document_id, user=user, panel_id=panel_id).pk)


def calibration_assign(*, document: Document | int, user: User, panel_id: int | None = None) -> Layer:
    """Give `user` a calibration layer on a calibration item: Next does, now and then; so does
    the demo."""
    document_id = document if isinstance(document, int) else document.pk
    return Layer.objects.create(
        document_id=document_id, user=user, kind=LayerKind.CALIBRATION, panel_id=panel_id
    )


def layer_submit(*, layer: Layer) -> Layer:
    """Freeze a layer. Refused, listing each span, while a span lacks a required attribute."""
    with transaction.atomic():
        layer = (
            Layer.objects.select_for_update(of=("self",)).select_related("document__project").get(pk=layer.pk)
        )
        if layer.status == LayerStatus.SUBMITTED:
            return layer
        if layer.status == LayerStatus.SKIPPED:
            raise Conflict("This document was skipped; there is nothing to submit.")
        spans_check_complete(layer=layer)
        layer.status = LayerStatus.SUBMITTED
        layer.submitted_at = timezone.now()
        project = layer.document.project
        gated = project.calibration_gate is not None  # else nobody is below a gate
        if (
            gated
            and layer.kind == LayerKind.ANNOTATION
            and member_failing(project_id=project.pk, user_id=layer.user_id)
        ):
            layer.needs_review = True
        layer.save(update_fields=["status", "submitted_at", "updated_at", "needs_review"])
        if layer.kind == LayerKind.CALIBRATION:
            calibration_score(layer=layer)
            gate_update(project=project, user_id=layer.user_id)
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


def layer_withdraw(*, layer: Layer) -> Layer:
    """The annotator takes back their submitted layer to change it, which they may until a
    reviewer has acted on the document or it is adjudicated (layer_reviewed); after that a
    reviewer reopens it. Not a review decision, so nothing is logged as one."""
    with transaction.atomic():
        layer = Layer.objects.select_for_update().get(pk=layer.pk)
        if layer.status != LayerStatus.SUBMITTED:
            raise Conflict("Only a submitted layer can be taken back.")
        if layer_reviewed(layer=layer):
            raise Conflict(
                "A reviewer has already worked on this document (or it is adjudicated): ask a reviewer to reopen it."
            )
        layer.status = LayerStatus.IN_PROGRESS
        layer.submitted_at = None
        layer.save(update_fields=["status", "submitted_at", "updated_at"])
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
