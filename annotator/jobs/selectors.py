"""Reads of background jobs."""

from __future__ import annotations

from django.db.models import QuerySet

from annotator.models import JobRun, Project


def project_jobs(*, project: Project, limit: int = 10) -> QuerySet[JobRun]:
    """The project's latest jobs, newest first, with who started them."""
    return (
        JobRun.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )
