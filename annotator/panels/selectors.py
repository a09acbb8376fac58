"""Reads of a project's panels."""

from __future__ import annotations

import math

from django.db.models import QuerySet

from annotator.models import Panel, Project


def panels_list(*, project: Project | int) -> QuerySet[Panel]:
    """The project's panels, in their order."""
    return Panel.objects.filter(project=project).order_by("order", "pk")


def panel_cap(*, k: int, n_panels: int) -> int:
    """How many of a document's k layers one panel takes before the document waits for the
    others: an equal share, rounded up (k = 3 over three panels: one each)."""
    return math.ceil(k / n_panels) if n_panels else k
