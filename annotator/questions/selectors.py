"""Reads of article questions and their answers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotator.models import Answer, Layer, LayerKind, LayerStatus, Question


def layer_answers(*, layer: Layer) -> QuerySet[Answer]:
    """The layer's answers, in the questions' order, with their questions."""
    return layer.answers.select_related("question").order_by("question__order", "question_id")


def answers_missing(*, layer: Layer) -> list[dict[str, Any]]:
    """The required questions the layer has not answered, as {"key", "name"}."""
    answered = layer.answers.values("question_id")
    missing = Question.objects.filter(project_id=layer.document.project_id, required=True).exclude(
        pk__in=answered
    )
    return [
        {"key": key, "name": name} for key, name in missing.order_by("order", "pk").values_list("key", "name")
    ]


def submitted_answers(*, project_id: int) -> list[tuple[int, int, int, str | None, Any]]:
    """Every answer in the project's submitted annotation layers, as (question id, document id,
    source id, the layer's panel key or None, value), in document order."""
    return list(
        Answer.objects.filter(
            layer__document__project_id=project_id,
            layer__kind=LayerKind.ANNOTATION,
            layer__status=LayerStatus.SUBMITTED,
        )
        .order_by("layer__document_id", "layer_id", "question_id")
        .values_list(
            "question_id", "layer__document_id", "layer__document__source_id", "layer__panel__key", "value"
        )
    )
