"""Celery tasks: thin adapters that take ids and call one service. Results live in our own
models (JobRun, AgreementReport, SourceProfile), not in Celery."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from annotator.models import JobKind

logger = logging.getLogger(__name__)


class DatabaseRetryTask(Task[Any, None]):
    """Retried with backoff while the database is briefly away. Every task here is idempotent:
    it recomputes from the database and overwrites, so a retry or a redelivery is harmless."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = True
    retry_backoff_max = 60
    max_retries = 5


class JobTask(DatabaseRetryTask):
    """A task whose first argument is a JobRun id. While it runs on a worker, the job's
    heartbeat is written; if the worker dies, another resumes the job (resume_lost_jobs). When
    it finally fails the JobRun says so, instead of hanging as "running"."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from annotator.jobs.services import job_heartbeat

        job_id = kwargs.get("job_id", args[0] if args else None)
        if self.request.is_eager or job_id is None:  # in-process: it ends with the request
            return super().__call__(*args, **kwargs)
        with job_heartbeat(job_id):
            return super().__call__(*args, **kwargs)

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from annotator.jobs.services import job_fail

        job_id = kwargs.get("job_id", args[0] if args else None)
        logger.error("Job %s failed: %s", job_id, exc)
        if job_id is not None:
            job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(bind=True, base=JobTask)
def documents_import_task(self: JobTask, job_id: int) -> None:
    from annotator.imports.uploads import documents_import_job_run

    documents_import_job_run(job_id=job_id, celery_id=self.request.id or "")


@shared_task(bind=True, base=JobTask)
def annotations_import_task(self: JobTask, job_id: int) -> None:
    from annotator.imports.uploads import annotations_import_job_run

    annotations_import_job_run(job_id=job_id, celery_id=self.request.id or "")


def follow_up(task: Task[Any, Any], args: tuple[Any, ...], *, countdown: float = 0) -> None:
    """Send `task` to the queue the running task was taken from (the default queue outside a
    worker), so work that a task starts stays with the workers that serve its queue."""
    from celery import current_task

    options: dict[str, Any] = {}
    if current_task and not current_task.request.called_directly:  # a proxy: falsy outside a task
        queue = (current_task.request.delivery_info or {}).get("routing_key")
        if queue:
            options["queue"] = queue
    task.apply_async(args, countdown=countdown, **options)


# Agreement (annotator.agreement.services).
@shared_task(base=DatabaseRetryTask)
def document_agreement_task(document_id: int) -> None:
    from annotator.agreement.services import document_agreement_changed

    document_agreement_changed(document_id=document_id)


@shared_task(base=DatabaseRetryTask)
def project_agreement_task(project_id: int, resolution: str | None = None) -> None:
    """Refreshes every kept resolution; `resolution` is read from messages queued by earlier
    releases, and ignored."""
    from annotator.agreement.services import project_agreement_refresh_scheduled

    project_agreement_refresh_scheduled(project_id=project_id)


@shared_task(bind=True, base=JobTask)
def agreement_recompute_task(self: JobTask, job_id: int) -> None:
    from annotator.agreement.services import agreement_recompute_job_run

    agreement_recompute_job_run(job_id=job_id, celery_id=self.request.id or "")


@shared_task(base=JobTask)
def agreement_chunk_task(job_id: int, chunk: int, document_ids: list[int]) -> None:
    from annotator.agreement.services import agreement_recompute_chunk

    agreement_recompute_chunk(job_id=job_id, chunk=chunk, document_ids=document_ids)


@shared_task(base=JobTask)
def agreement_recompute_finish_task(job_id: int) -> None:
    from annotator.agreement.services import agreement_recompute_finish

    agreement_recompute_finish(job_id=job_id)


# Source profiles (annotator.profiles.services).
@shared_task(base=DatabaseRetryTask)
def project_profiles_task(project_id: int) -> None:
    from annotator.profiles.services import project_profiles_refresh_scheduled

    project_profiles_refresh_scheduled(project_id=project_id)


@shared_task(bind=True, base=JobTask)
def profiles_recompute_task(self: JobTask, job_id: int) -> None:
    from annotator.profiles.services import profiles_recompute_job_run

    profiles_recompute_job_run(job_id=job_id, celery_id=self.request.id or "")


# Annotator competence (annotator.competence.services).
@shared_task(bind=True, base=JobTask)
def competence_recompute_task(self: JobTask, job_id: int) -> None:
    from annotator.competence.services import competence_recompute_job_run

    competence_recompute_job_run(job_id=job_id, celery_id=self.request.id or "")


# Suggestion models (annotator.suggestions.services).
@shared_task(bind=True, base=JobTask)
def suggestions_train_task(self: JobTask, job_id: int) -> None:
    from annotator.suggestions.services import suggestions_train_job_run

    suggestions_train_job_run(job_id=job_id, celery_id=self.request.id or "")


# Claims across outlets (annotator.claims.services); the embedding model loads in the worker.
@shared_task(bind=True, base=JobTask)
def claims_refresh_task(self: JobTask, job_id: int) -> None:
    from annotator.claims.services import claims_refresh_job_run

    claims_refresh_job_run(job_id=job_id, celery_id=self.request.id or "")


# The task that (re)starts each kind of job from its JobRun alone.
JOB_TASKS: dict[str, Task[Any, None]] = {
    JobKind.IMPORT: documents_import_task,
    JobKind.ANNOTATION_IMPORT: annotations_import_task,
    JobKind.AGREEMENT_RECOMPUTE: agreement_recompute_task,
    JobKind.PROFILES_RECOMPUTE: profiles_recompute_task,
    JobKind.COMPETENCE_RECOMPUTE: competence_recompute_task,
    JobKind.SUGGESTIONS_TRAIN: suggestions_train_task,
    JobKind.CLAIMS_REFRESH: claims_refresh_task,
}


def resume_lost_jobs(*, queue: str | None = None) -> None:
    """Run by every worker every few seconds (config.celery.LostJobsStep): send again each
    running job whose worker was lost, to `queue` (None: the default queue)."""
    from django.db import connection

    from annotator.jobs.services import BACKGROUND_ERRORS, jobs_resume_lost

    try:
        options: dict[str, Any] = {"queue": queue} if queue else {}
        jobs_resume_lost(send=lambda job: JOB_TASKS[job.kind].apply_async((job.pk,), **options))
    except (OperationalError, InterfaceError) as error:  # the database is away: next time
        logger.warning("Could not look for lost jobs: %s", error)
    except BACKGROUND_ERRORS as error:  # the broker is away: next time
        logger.warning("Could not send a lost job again: %s", error)
    finally:
        connection.close()
