"""Celery tasks: thin adapters that take ids and call one service. Results live in our own
models (JobRun, AgreementReport, SourceProfile), not in Celery."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


class JobTask(Task):
    """A task whose first argument is a JobRun id. Retried with backoff while the database is
    briefly away; acks_late (settings) redelivers it if its worker dies, so it must be
    idempotent. When it finally fails the JobRun says so, instead of hanging as "running"."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = True
    retry_backoff_max = 60
    max_retries = 5

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from annotator.services.jobs import job_fail

        job_id = kwargs.get("job_id", args[0] if args else None)
        logger.error("Job %s failed: %s", job_id, exc)
        if job_id is not None:
            job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(bind=True, base=JobTask)
def documents_import_task(self: JobTask, job_id: int) -> None:
    from annotator.services.uploads import documents_import_job_run

    documents_import_job_run(job_id=job_id, celery_id=self.request.id or "")
