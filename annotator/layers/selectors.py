"""Reads of annotation layers."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from annotator.models import Decision, Layer, LayerKind, LayerStatus, Membership


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
