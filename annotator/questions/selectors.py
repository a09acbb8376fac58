"""Reads of article questions and their answers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotator.models import Answer, Layer, Question


def layer_answers(*, layer: Layer) -> QuerySet[Answer]:
    """The layer's answers, in the questions' order, with their questions."""
    return layer.answers.select_related("question").order_by("question__order", "question_id")


def answers_missing(*, layer: Layer) -> list[dict[str, Any]]:
    """The required questions the layer has not answered, as {"key", "name"}."""
    answered = layer.answers.values("question_id")
    missing = Question.objects.filter(project_id=layer.document.project_id, required=True).exclude(
        pk__in=answered
    )
    return list(missing.order_by("order", "pk").values("key", "name"))
