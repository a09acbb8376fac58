"""Reads of annotation layers."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from annotator.errors import ValidationError
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

# The states a manager follows an annotator's layer through: the stored statuses, and
# "returned": sent back by a reviewer and not yet submitted again.
RETURNED = "returned"
LAYER_STATES = (*LayerStatus.values, RETURNED)


def layer_with_role(*, layer_id: int, user_id: int | None, lock: bool = False) -> Layer | None:
    """The layer with its document (text included) and project, and `member_role`: the role of
    user `user_id` in the project, or None. One query. With `lock`, the layer's row stays locked
    until the caller's transaction ends (SELECT ... FOR UPDATE): every span write holds it."""
    role = Membership.objects.filter(project_id=OuterRef("document__project_id"), user_id=user_id or 0)
    layers = Layer.objects.select_related("document__project").annotate(
        member_role=Subquery(role.values("role")[:1])
    )
    if lock:
        layers = layers.select_for_update(of=("self",))
    return layers.filter(pk=layer_id).first()


def layer_reviewed(*, layer: Layer) -> bool:
    """Whether a reviewer has acted on the layer's document since the layer was submitted, or
    the document is adjudicated: from then on only a reviewer reopens the layer."""
    adjudicated = Layer.objects.filter(
        document_id=layer.document_id, kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED
    ).exists()
    if adjudicated or layer.submitted_at is None:
        return adjudicated
    return Decision.objects.filter(document_id=layer.document_id, created_at__gte=layer.submitted_at).exists()


def _returned() -> Exists:
    """Whether the outer layer is open because a reviewer sent it back: a reopen decision names
    it, and it has not been submitted since (a submit closes the return)."""
    reopens = (
        Decision.objects.filter(document_id=OuterRef("document_id"), action=DecisionAction.REOPEN)
        .annotate(layer_ref=Cast(KeyTextTransform("assignment", "after"), IntegerField()))
        .filter(layer_ref=OuterRef("pk"))
    )
    return Exists(reopens)


def annotator_layers(*, states: tuple[str, ...] = ()) -> QuerySet[Layer]:
    """Annotators' layers with `state` (the status, or "returned"), optionally only those in
    `states`."""
    layers = (
        Layer.objects.filter(kind__in=ANNOTATOR_LAYER_KINDS)
        .annotate(returned=_returned())
        .select_related("user")
        .order_by("pk")
    )
    if not states:
        return layers
    # A submitted layer that was once returned is submitted again: the return is closed.
    wanted = Q(status__in=[state for state in states if state != RETURNED]) & (
        Q(status=LayerStatus.SUBMITTED) | Q(returned=False)
    )
    if RETURNED in states:
        wanted |= Q(returned=True) & ~Q(status=LayerStatus.SUBMITTED)
    return layers.filter(wanted)


def layer_state(layer: Layer) -> str:
    """A layer's state, from a layer read through annotator_layers."""
    if getattr(layer, "returned", False) and layer.status != LayerStatus.SUBMITTED:
        return RETURNED
    return layer.status


_Documents = TypeVar("_Documents", bound=Document)


def documents_with_layers(
    documents: QuerySet[_Documents], *, state: str | None = None, annotator: str | None = None
) -> QuerySet[_Documents]:
    """`documents` with their annotators' layers prefetched (`annotator_layers`), keeping only
    those with a layer in `state` and/or of `annotator` (a user id or username)."""
    if state is not None and state not in LAYER_STATES:
        raise ValidationError(
            {"layer_state": [f"Unknown state {state!r}; use one of {', '.join(LAYER_STATES)}."]}
        )
    if state is not None or annotator is not None:
        chosen = annotator_layers(states=(state,) if state else ())
        if annotator is not None:
            user_id = _user_id_by_ref(annotator)
            chosen = chosen.filter(user_id=user_id)
        documents = documents.filter(pk__in=chosen.values("document_id"))
    return documents.prefetch_related(
        Prefetch("layers", queryset=annotator_layers(), to_attr="annotator_layers")
    )


def _user_id_by_ref(ref: str) -> int:
    users = get_user_model().objects
    found = users.filter(pk=int(ref)) if ref.isdigit() else users.filter(username=ref)
    user_id = found.values_list("pk", flat=True).first()
    if user_id is None:
        raise ValidationError({"annotator": [f"No user has the id or username {ref!r}."]})
    return user_id


@dataclass(frozen=True)
class AnnotatorPace:
    """One annotator's layers by state and how fast they go."""

    user_id: int
    username: str
    states: dict[str, int]
    per_day: float  # layers submitted per day over the window
    median_minutes: float | None  # from assignment to submit, over the window's submits
    last_submitted_at: datetime | None


# The window pace is measured over: long enough to smooth a day off, short enough to be current.
PACE_WINDOW = timedelta(days=14)


def annotator_pace(*, project: Project, now: datetime | None = None) -> list[AnnotatorPace]:
    """Every annotator with a layer in the project: layers per state, layers submitted per day
    over the last PACE_WINDOW, and the median time from assignment to submit. Four queries."""
    since = (now or timezone.now()) - PACE_WINDOW
    layers = annotator_layers().filter(document__project=project)
    counts: dict[int, dict[str, int]] = {}
    # "returned" is annotator_layers' annotation, which the stubs cannot see.
    for row in layers.values("user_id", "status", "returned").annotate(n=Count("pk")).order_by():  # type: ignore[misc]
        state = RETURNED if row["returned"] and row["status"] != LayerStatus.SUBMITTED else row["status"]
        by_state = counts.setdefault(row["user_id"], dict.fromkeys(LAYER_STATES, 0))
        by_state[state] += row["n"]
    durations: dict[int, list[float]] = {}
    recent = layers.filter(
        status=LayerStatus.SUBMITTED, kind=LayerKind.ANNOTATION, submitted_at__gte=since
    ).values_list("user_id", "created_at", "submitted_at")
    for user_id, created_at, submitted_at in recent:
        assert submitted_at is not None  # every submitted layer has its time
        durations.setdefault(user_id, []).append((submitted_at - created_at).total_seconds() / 60)
    last = dict(
        layers.filter(status=LayerStatus.SUBMITTED)
        .values("user_id")
        .annotate(last=Max("submitted_at"))
        .values_list("user_id", "last")
        .order_by()
    )
    names = dict(get_user_model().objects.filter(pk__in=counts).values_list("pk", "username"))
    window_days = PACE_WINDOW.total_seconds() / 86400
    return sorted(
        (
            AnnotatorPace(
                user_id=user_id,
                username=names[user_id],
                states=by_state,
                per_day=len(durations.get(user_id, [])) / window_days,
                median_minutes=statistics.median(durations[user_id]) if durations.get(user_id) else None,
                last_submitted_at=last.get(user_id),
            )
            for user_id, by_state in counts.items()
        ),
        key=lambda pace: pace.username,
    )
