"""Writes of a layer's answers to its project's article questions. Like span writes they run in
the transaction that holds the layer's row lock (access.access_layer(lock=True)), so an answer
never lands in a layer a concurrent submit has frozen."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from annotator.errors import Conflict, NotFound, ValidationError
from annotator.models import Answer, Layer, LayerStatus, Question
from annotator.questions.rules import answer_problem


def _ensure_open(layer: Layer) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("answer writes run in the transaction that holds their layer's lock")
    if layer.status == LayerStatus.SUBMITTED:
        raise Conflict("This layer is submitted and read-only; a reviewer can reopen it.")
    if layer.status == LayerStatus.SKIPPED:
        raise Conflict("This document was skipped; take it up again before answering.")


def _question(layer: Layer, key: str) -> Question:
    question = Question.objects.filter(project_id=layer.document.project_id, key=key).first()
    if question is None:
        raise NotFound(f"This project asks no question {key!r}.")
    return question


def answer_set(*, layer: Layer, key: str, value: Any, version: int | None) -> tuple[Answer, bool]:
    """Answer question `key` in `layer`: `version` is the answer's version the caller read, or
    None for a first answer. A stale version (or None where an answer exists with another
    value) is a Conflict carrying the current answer. Returns the answer and whether it is new."""
    _ensure_open(layer)
    question = _question(layer, key)
    problem = answer_problem(question.kind, question.points, value)
    if problem:
        raise ValidationError({"value": [f"{question.name}: {problem}."]})
    answer = Answer.objects.select_for_update().filter(layer=layer, question=question).first()
    if answer is None:
        if version is not None:
            raise Conflict("This answer was cleared since you read it.", current=None)
        answer = Answer.objects.create(layer=layer, question=question, value=value)
        if layer.status == LayerStatus.ASSIGNED:  # the first answer starts the layer, as a span does
            Layer.objects.filter(pk=layer.pk).update(
                status=LayerStatus.IN_PROGRESS, updated_at=answer.updated_at
            )
            layer.status = LayerStatus.IN_PROGRESS
        return answer, True
    if version is None and answer.value == value:
        return answer, False  # the same first answer sent twice (a retry)
    if version != answer.version:
        raise Conflict("This answer changed since you read it.", current=answer)
    answer.value = value
    answer.version += 1
    answer.save(update_fields=["value", "version", "updated_at"])
    return answer, False


def answer_clear(*, layer: Layer, key: str, version: int) -> None:
    """Withdraw the layer's answer to `key`; `version` as for answer_set."""
    _ensure_open(layer)
    question = _question(layer, key)
    answer = Answer.objects.select_for_update().filter(layer=layer, question=question).first()
    if answer is None:
        return
    if version != answer.version:
        raise Conflict("This answer changed since you read it.", current=answer)
    answer.delete()
