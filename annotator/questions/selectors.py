"""Reads of article questions and their answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from annotator.models import Answer, Layer, LayerKind, LayerStatus, Question
from annotator.questions.rules import consensus_answer


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


def answers_by_article(
    *, project_id: int, basis: str
) -> dict[int, dict[str, list[tuple[date | None, list[Any]]]]]:
    """Per source, per question key, one entry per article: its publication date and the
    answers that count on `basis`, as the profiles count articles: every submitted annotation
    layer's (all); the answer they agree on where two layers or more were submitted (consensus
    and model: questions.rules.consensus_answer); the adjudicated gold layer's, else the agreed
    one (gold). Articles with no answer that counts are left out."""
    questions = {q.pk: q for q in Question.objects.filter(project_id=project_id)}
    if not questions:
        return {}
    kinds = [LayerKind.ANNOTATION, LayerKind.GOLD] if basis == "gold" else [LayerKind.ANNOTATION]
    answers = Answer.objects.filter(
        layer__document__project_id=project_id, layer__status=LayerStatus.SUBMITTED, layer__kind__in=kinds
    )
    given: dict[tuple[int, int, int], dict[str, list[Any]]] = {}
    published: dict[int, date | None] = {}
    for question_id, document_id, source_id, at, kind, value in answers.order_by(
        "layer__document_id", "layer_id"
    ).values_list(
        "question_id",
        "layer__document_id",
        "layer__document__source_id",
        "layer__document__published_at",
        "layer__kind",
        "value",
    ):
        given.setdefault((source_id, document_id, question_id), {}).setdefault(kind, []).append(value)
        published[document_id] = at.date() if at is not None else None
    out: dict[int, dict[str, list[tuple[date | None, list[Any]]]]] = {}
    for (source_id, document_id, question_id), by_kind in given.items():
        question = questions[question_id]
        values = by_kind.get(LayerKind.ANNOTATION, [])
        if LayerKind.GOLD in by_kind:
            values = by_kind[LayerKind.GOLD][-1:]  # the adjudicated answer
        elif basis != "all":
            agreed = consensus_answer(question.kind, question.points, values) if len(values) >= 2 else None
            values = [] if agreed is None else [agreed]
        if values:
            out.setdefault(source_id, {}).setdefault(question.key, []).append(
                (published[document_id], values)
            )
    return out
