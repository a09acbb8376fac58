"""Reads for calibration: the items Next mixes in, and each annotator's figures against gold.

A calibration item is an adjudicated document (its gold layer submitted) that a manager marked
(Document.calibration). Queue Next hands one out about once in Project.calibration_every calls,
at random, so nobody can count their way to it; nothing in the API or the pages tells it apart.

Also the annotators page (`project_annotators`): each annotator's panel, layers, agreement with
the others, calibration figures and gate, and competence.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from annotator.agreement.maths.competence import LABEL
from annotator.calibration.maths import Gate, ItemCounts, f1_interval, gate, pooled_f1, rolling_f1
from annotator.models import (
    ANNOTATOR_LAYER_KINDS,
    AgreementReport,
    AgreementResolution,
    CalibrationScore,
    CompetenceReport,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Panel,
    Project,
    ReportScope,
    Role,
)
from annotator.review.selectors import adjudicated


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


# THE ANNOTATORS PAGE
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatorOverview:
    """One member who annotates, as managers and reviewers see them."""

    user_id: int
    username: str
    role: str
    panel: Panel | None
    panel_set_by: str | None
    panel_set_at: datetime | None
    layers_open: int
    layers_submitted: int
    layers_outside_panel: int
    layers_need_review: int
    agreement_f1: float | None  # overlap F1 with the others, over the report's pairs
    agreement_pairs: int
    calibration: MemberCalibration
    # From the stored competence report, on the span labels: overall reliability by each
    # method, and Dawid-Skene's per label (P(says it | it is it)); empty before a fit.
    competence: dict[str, float] = field(default_factory=dict)
    competence_per_label: dict[str, float] = field(default_factory=dict)


def project_annotators(*, project: Project) -> list[AnnotatorOverview]:
    """Every member with a layer or the annotator role: panel, layers, agreement with the
    others (the project report's pairwise overlap F1, weighted by the documents each pair
    shares), calibration figures and gate. Five queries."""
    members = list(
        Membership.objects.filter(project=project)
        .select_related("user", "panel", "panel_set_by")
        .order_by("user__username")
    )
    counts = {
        row["user_id"]: row
        for row in Layer.objects.filter(document__project=project, kind__in=ANNOTATOR_LAYER_KINDS)
        .values("user_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=[LayerStatus.ASSIGNED, LayerStatus.IN_PROGRESS])),
            submitted=Count("pk", filter=Q(status=LayerStatus.SUBMITTED, kind=LayerKind.ANNOTATION)),
            outside=Count("pk", filter=Q(outside_panel=True)),
            review=Count("pk", filter=Q(needs_review=True)),
        )
    }
    report = (
        AgreementReport.objects.filter(
            project=project, scope=ReportScope.PROJECT, scope_key="", resolution=AgreementResolution.TOKEN
        )
        .values_list("metrics", flat=True)
        .first()
        or {}
    )
    weighted: dict[str, list[float]] = {}
    for pair in report.get("pairs", []):
        f1, n = pair["overlap"]["f1"]["value"], pair["n_documents"]
        if f1 is None or not n:
            continue
        for user in pair["annotators"]:
            sums = weighted.setdefault(str(user), [0.0, 0.0, 0.0])
            sums[0] += f1 * n
            sums[1] += n
            sums[2] += 1
    fitted = CompetenceReport.objects.filter(project=project).values_list("metrics", flat=True).first() or {}
    labels = fitted.get("variables", {}).get(LABEL, {})
    scores: dict[int, list[CalibrationScore]] = {}
    for score in CalibrationScore.objects.filter(project=project).order_by("scored_at", "pk"):
        scores.setdefault(score.user_id, []).append(score)
    nothing = {"open": 0, "submitted": 0, "outside": 0, "review": 0}
    rows = []
    for m in members:
        if m.role != Role.ANNOTATOR and m.user_id not in counts:
            continue
        c = counts.get(m.user_id, nothing)
        agreement = weighted.get(str(m.user_id))
        rows.append(
            AnnotatorOverview(
                user_id=m.user_id,
                username=m.user.username,
                role=m.role,
                panel=m.panel,
                panel_set_by=m.panel_set_by.username if m.panel_set_by else None,
                panel_set_at=m.panel_set_at,
                layers_open=c["open"],
                layers_submitted=c["submitted"],
                layers_outside_panel=c["outside"],
                layers_need_review=c["review"],
                agreement_f1=agreement[0] / agreement[1] if agreement else None,
                agreement_pairs=int(agreement[2]) if agreement else 0,
                calibration=calibration_of(project=project, scores=scores.get(m.user_id, [])),
                competence={
                    method: labels[method]["annotators"][str(m.user_id)]
                    for method in ("dawid_skene", "mace")
                    if str(m.user_id) in labels.get(method, {}).get("annotators", {})
                },
                competence_per_label=labels.get("dawid_skene", {})
                .get("per_value", {})
                .get(str(m.user_id), {}),
            )
        )
    return rows
