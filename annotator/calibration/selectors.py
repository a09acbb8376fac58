"""Reads for calibration: the items Next mixes in, and each annotator's figures against gold.

A calibration item is an adjudicated document (its gold layer submitted) that a manager marked
(Document.calibration). Queue Next hands one out about once in Project.calibration_every calls,
at random, so nobody can count their way to it; nothing in the API or the pages tells it apart.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from annotator.calibration.maths import Gate, ItemCounts, f1_interval, gate, pooled_f1, rolling_f1
from annotator.models import CalibrationScore, Document, Layer, LayerKind, LayerStatus, Project


def adjudicated() -> Exists:
    """For Document.objects.filter(): the document's gold layer is submitted."""
    return Exists(
        Layer.objects.filter(document=OuterRef("pk"), kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED)
    )


def calibration_items(*, project: Project) -> QuerySet[Document]:
    """The project's calibration items whose gold is in place."""
    return Document.objects.filter(adjudicated(), project=project, calibration=True)


def calibration_due(*, project: Project) -> bool:
    """Whether this Next hands out a calibration item: with probability 1 / calibration_every."""
    return project.calibration_every > 0 and secrets.randbelow(project.calibration_every) == 0


def calibration_paused(*, project: Project, failing_since: datetime | None) -> bool:
    """A member below the gate, in a project that pauses them, gets only calibration items."""
    return project.calibration_pause and project.calibration_gate is not None and failing_since is not None


def _item_counts(scores: QuerySet[CalibrationScore]) -> list[ItemCounts]:
    return [
        (tp, n_gold, n_spans) for tp, n_gold, n_spans in scores.values_list("tp", "n_gold_spans", "n_spans")
    ]


def member_gate(*, project: Project, user_id: int) -> Gate:
    """The gate on the member's latest Project.calibration_window items."""
    latest = CalibrationScore.objects.filter(project=project, user_id=user_id).order_by("-scored_at", "-pk")
    items = _item_counts(latest[: project.calibration_window])[::-1]
    return gate(items, threshold=project.calibration_gate, window=project.calibration_window)


@dataclass(frozen=True)
class CalibrationPoint:
    """One scored item, as the annotator's figure over time shows it."""

    scored_at: datetime
    span_f1: float | None
    window_f1: float | None  # over the window ending here


@dataclass(frozen=True)
class MemberCalibration:
    n_items: int
    span_f1: float | None  # over every item
    interval: tuple[float, float] | None  # its 95% bootstrap interval
    label_alpha: float | None  # mean over the items where alpha is defined
    attribute_agreement: float | None  # share of attribute values equal to gold's
    gate: Gate
    history: list[CalibrationPoint]


def member_calibration(*, project: Project, user_id: int) -> MemberCalibration:
    """Every calibration figure of one member, oldest item first in `history`."""
    scores = CalibrationScore.objects.filter(project=project, user_id=user_id).order_by("scored_at", "pk")
    return calibration_of(project=project, scores=list(scores))


def calibration_of(*, project: Project, scores: list[CalibrationScore]) -> MemberCalibration:
    """The figures of one member's scores, oldest first."""
    items = [(s.tp, s.n_gold_spans, s.n_spans) for s in scores]
    window = project.calibration_window
    alphas = [s.label_alpha for s in scores if s.label_alpha is not None]
    given = sum(s.n_attribute_pairs for s in scores)
    return MemberCalibration(
        n_items=len(items),
        span_f1=pooled_f1(items),
        interval=f1_interval(items),
        label_alpha=sum(alphas) / len(alphas) if alphas else None,
        attribute_agreement=sum(s.n_attribute_agreed for s in scores) / given if given else None,
        gate=gate(items, threshold=project.calibration_gate, window=window),
        history=[
            CalibrationPoint(s.scored_at, s.span_f1, w)
            for s, w in zip(scores, rolling_f1(items, window=window), strict=True)
        ],
    )
