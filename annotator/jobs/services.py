"""The lifecycle of a background job as users see it (JobRun): created, running with progress,
then succeeded with a result or failed with an error.

A worker can die in the middle of a job (SIGKILL, out of memory, a lost host). While a job
runs, its worker writes the job's heartbeat every JOB_HEARTBEAT (`job_heartbeat`); every
running worker looks, every JOB_HEARTBEAT, for running jobs whose heartbeat is older than
JOB_LEASE and sends their task again (`jobs_resume_lost`). Job tasks are idempotent, so a job
resumes within about a minute of losing its worker, as soon as any worker runs, without
waiting for the broker's visibility timeout.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from celery import Task
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from annotator.errors import BackgroundUnavailable
from annotator.models import JOB_HEARTBEAT, JOB_LEASE, JobRun, JobStatus, Project

logger = logging.getLogger(__name__)

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
        heartbeat_at=timezone.now(),
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


@contextlib.contextmanager
def job_heartbeat(job_id: int, *, interval: float = JOB_HEARTBEAT.total_seconds()) -> Iterator[None]:
    """While the block runs, a thread writes the job's heartbeat every `interval` seconds, so
    a job is seen as alive however long one step takes."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                JobRun.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
        except Exception:  # a database away: the job's own task reports it
            logger.exception("Heartbeat of job %s stopped", job_id)
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def jobs_resume_lost(*, send: Callable[[JobRun], object]) -> list[int]:
    """Send again (through `send`) every running job whose worker was lost: its heartbeat is
    older than JOB_LEASE. Each is claimed first (its heartbeat moved to now, if no one else
    moved it), so two workers looking at once send it once. Returns the ids sent."""
    now = timezone.now()
    resumed = []
    for job in JobRun.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - JOB_LEASE):
        claimed = JobRun.objects.filter(pk=job.pk, heartbeat_at=job.heartbeat_at).update(heartbeat_at=now)
        if claimed:
            logger.warning(
                "Job %s lost its worker (last heard of %s); sending it again", job.pk, job.heartbeat_at
            )
            send(job)
            resumed.append(job.pk)
    return resumed
