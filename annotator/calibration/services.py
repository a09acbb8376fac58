"""Writes for calibration: marking calibration items, scoring calibration layers, the gate.

A calibration layer is scored against its document's gold when its annotator submits it, with
the engine's gold comparison (annotator.agreement.maths.gold): span F1 counts, the label alpha
and the attribute values that match gold's. The member's gate is then read again
(annotator.calibration.maths): falling below it records since when, and marks the member's
annotation layers submitted since their last pass as needing review; while below, each layer
they submit is marked too.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotator.agreement.maths.gold import attribute_matches, gold_annotator_report, gold_statistics
from annotator.agreement.selectors import THRESHOLD, AgreementSchema, agreement_schema_get
from annotator.calibration.maths import GateState
from annotator.calibration.selectors import member_gate
from annotator.errors import ValidationError
from annotator.models import (
    CalibrationScore,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
    Span,
)
from annotator.review.selectors import adjudicated, gold_spans_by_document


def document_calibration_set(*, document: Document, calibration: bool) -> Document:
    """Mark an adjudicated document as a calibration item, or unmark it. Only in blind projects:
    where annotators read each other's layers, a calibration item would show its old layers."""
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("project").get(pk=document.pk)
        if calibration:
            if not document.project.blind:
                raise ValidationError(
                    {
                        "calibration": [
                            "Calibration needs a blind project: annotators would see the item's layers."
                        ]
                    }
                )
            if not Document.objects.filter(adjudicated(), pk=document.pk).exists():
                raise ValidationError(
                    {
                        "calibration": [
                            "Only an adjudicated document (its gold layer submitted) has a known answer."
                        ]
                    }
                )
        document.calibration = calibration
        document.save(update_fields=["calibration"])
    return document


def calibration_score(*, layer: Layer, schema: AgreementSchema | None = None) -> CalibrationScore | None:
    """Score a submitted calibration layer against its document's gold, as of its submission.
    layer_submit calls it (then gate_update), inside its transaction; `schema`, the project's,
    is read when not given. None, and no score, when a reviewer reopened the gold meanwhile:
    the submit goes through as any other, since refusing it would tell the annotator the
    document is a check."""
    if layer.kind != LayerKind.CALIBRATION or layer.submitted_at is None:
        raise ValueError("only submitted calibration layers are scored against gold")
    document = layer.document
    schema = schema or agreement_schema_get(project_id=document.project_id)
    truth = gold_spans_by_document(schema=schema, document_ids=[document.pk]).get(document.pk)
    if truth is None:
        return None
    answer = [
        (start, end, schema.label_keys[label_id], attributes)
        for start, end, label_id, attributes in Span.objects.filter(layer=layer)
        .order_by()
        .values_list("start", "end", "label_id", "attributes")
    ]
    length = len(document.text)
    stats = gold_statistics(
        truth,
        answer,
        schema.labels,
        text_length=length,
        allow_overlap=schema.allow_overlap,
        threshold=THRESHOLD,
    )
    given, agreed = attribute_matches(
        truth,
        answer,
        schema.labels,
        [a.key for a in schema.attributes],
        text_length=length,
        threshold=THRESHOLD,
    )
    alpha = gold_annotator_report(stats)["overall"]["alpha"]["value"]
    score, _ = CalibrationScore.objects.update_or_create(
        layer=layer,
        defaults={
            "project_id": document.project_id,
            "user_id": layer.user_id,
            "scored_at": layer.submitted_at,
            "n_gold_spans": int(stats.spans.n_a.sum()),
            "n_spans": int(stats.spans.n_b.sum()),
            "tp": int(stats.spans.tp_overlap.sum()),
            "label_alpha": alpha,
            "n_attribute_pairs": given,
            "n_attribute_agreed": agreed,
        },
    )
    return score


def calibration_rescore(*, project: Project) -> int:
    """Score every submitted calibration layer of the project again (after a backup import,
    which carries the layers and the gate but not the scores); returns how many."""
    layers = Layer.objects.filter(
        document__project=project, kind=LayerKind.CALIBRATION, status=LayerStatus.SUBMITTED
    ).select_related("document")
    schema = agreement_schema_get(project_id=project.pk)
    for layer in layers:
        calibration_score(layer=layer, schema=schema)
    return len(layers)


def gate_update(*, project: Project, user_id: int) -> GateState:
    """Read the member's gate again and record a change: on falling below it, since when, and
    their annotation layers submitted since they last passed need review; on passing, when."""
    state = member_gate(project=project, user_id=user_id).state
    membership = Membership.objects.select_for_update().filter(project=project, user_id=user_id).first()
    if membership is None or state == GateState.NOT_YET:
        return state
    now = timezone.now()
    if state == GateState.NO_GATE:
        membership.calibration_failing_since = None
    elif state == GateState.PASSING:
        membership.calibration_failing_since = None
        membership.calibration_passed_at = now
    elif membership.calibration_failing_since is None:
        membership.calibration_failing_since = now
        since_pass = Layer.objects.filter(
            document__project=project,
            user_id=user_id,
            kind=LayerKind.ANNOTATION,
            status=LayerStatus.SUBMITTED,
        )
        if membership.calibration_passed_at is not None:
            since_pass = since_pass.filter(submitted_at__gte=membership.calibration_passed_at)
        since_pass.update(needs_review=True)
    membership.save(update_fields=["calibration_failing_since", "calibration_passed_at"])
    return state


def member_failing(*, project_id: int, user_id: int) -> bool:
    """Whether the member is below the gate now (their submitted layers need review)."""
    return Membership.objects.filter(
        project_id=project_id, user_id=user_id, calibration_failing_since__isnull=False
    ).exists()
