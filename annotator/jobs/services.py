"""The lifecycle of a background job as users see it (JobRun): created, running with progress,
then succeeded with a result or failed with an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from annotator.errors import BackgroundUnavailable
from annotator.models import JobRun, JobStatus, Project

# What Redis being away raises: redis-py from the cache, kombu from the broker (after its retries).
BACKGROUND_ERRORS: tuple[type[Exception], ...] = (RedisError, BrokerError, OSError)


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


def job_send(*, job: JobRun, task: Task[Any, Any], discard: Callable[[], None] | None = None) -> JobRun:
    """Send `task(job.pk)` to the workers. Call it once the job is committed, so a worker
    always finds it. If the broker does not take the task, the job is deleted, `discard`
    removes what was stored for it (an upload), and BackgroundUnavailable is raised (503):
    nothing stays behind waiting for a worker that will never hear of it. Without a broker
    (the embedded default) the job runs here and now, and a failure is on the JobRun."""
    if task.app.conf.task_always_eager:
        task.apply((job.pk,), throw=False)
        return job
    try:
        task.delay(job.pk)
    except BACKGROUND_ERRORS:
        if discard is not None:
            discard()
        JobRun.objects.filter(pk=job.pk).delete()
        raise BackgroundUnavailable() from None
    return job
