"""Reads of the stored competence report (annotator.competence.services writes it)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from annotator.agreement.maths.competence import ConsensusModel, model_from_dict
from annotator.models import CompetenceReport


def competence_report_get(*, project_id: int) -> CompetenceReport | None:
    return CompetenceReport.objects.filter(project_id=project_id).first()


def _with_model(project_id: int) -> QuerySet[CompetenceReport]:
    """The project's report, if its fit holds the model behind basis "model" (a fit that saw no
    span group holds none)."""
    return CompetenceReport.objects.filter(project_id=project_id, metrics__model__isnull=False).exclude(
        metrics__model=None
    )


def consensus_model_fitted_at(*, project_id: int) -> datetime | None:
    """When the model behind basis "model" was fitted; None before. Reads no metrics."""
    return _with_model(project_id).values_list("computed_at", flat=True).first()


def consensus_model_get(*, project_id: int) -> ConsensusModel | None:
    """The model behind basis "model"; None before a fit."""
    stored = _with_model(project_id).values_list("metrics__model", flat=True).first()
    return model_from_dict(stored) if stored is not None else None
