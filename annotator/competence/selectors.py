"""Reads of the stored competence report (annotator.competence.services writes it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from annotator.agreement.maths.competence import ConsensusModel, model_from_dict
from annotator.models import CompetenceReport


@dataclass(frozen=True)
class FittedModel:
    """The model of a project's span labels behind basis model, and when it was fitted."""

    model: ConsensusModel
    computed_at: datetime


def competence_report_get(*, project_id: int) -> CompetenceReport | None:
    return CompetenceReport.objects.filter(project_id=project_id).first()


def consensus_model_get(*, project_id: int) -> FittedModel | None:
    """The model behind basis "model", or None before a fit (or after one that saw no span
    group)."""
    row = CompetenceReport.objects.filter(project_id=project_id).values_list("metrics", "computed_at").first()
    if row is None or not row[0].get("model"):
        return None
    return FittedModel(model_from_dict(row[0]["model"]), row[1])
