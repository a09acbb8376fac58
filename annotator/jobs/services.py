"""The lifecycle of a background job as users see it (JobRun): created, running with progress,
then succeeded with a result or failed with an error."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from annotator.models import JobRun, JobStatus, Project


def job_create(
    *,
    kind: str,
    project: Project | None = None,
    created_by: User | None = None,
    params: dict[str, Any] | None = None,
    total: int = 0,
) -> JobRun:
    return JobRun.objects.create(
        kind=kind,
        project=project,
        created_by=created_by,
        params=params or {},
        total=total,
    )


def job_start(*, job_id: int, celery_id: str = "") -> JobRun:
    """Mark a job running. Counts attempts, so a retry after a lost worker shows in the UI."""
    JobRun.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        celery_id=celery_id,
        attempts=F("attempts") + 1,
        error="",
    )
    return JobRun.objects.get(pk=job_id)


def job_progress(*, job_id: int, progress: int, total: int | None = None) -> None:
    fields: dict[str, Any] = {"progress": progress}
    if total is not None:
        fields["total"] = total
    JobRun.objects.filter(pk=job_id).update(**fields)


def job_succeed(*, job_id: int, result: Any) -> None:
    JobRun.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED, result=result, finished_at=timezone.now(), progress=F("total")
    )


def job_fail(*, job_id: int, error: str, result: Any = None) -> None:
    """End a job as failed; `result` keeps what it found (an import's refused files and errors)."""
    JobRun.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=error, result=result, finished_at=timezone.now()
    )
