"""Imports that arrive as uploads (admin, API): small ones run in the request, large ones are
saved where the workers can read them and imported by a background job."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import reset_queries, transaction
from django.utils.text import get_valid_filename

from annotator.imports.annotations.services import (
    AnnotationImportOptions,
    AnnotationImportSummary,
    annotations_import,
)
from annotator.imports.services import ImportFile, ImportSummary, documents_import, documents_import_records
from annotator.jobs.services import job_create, job_fail, job_progress, job_send, job_start, job_succeed
from annotator.models import JobKind, JobRun, JobStatus, Project, Source

_PROGRESS_EVERY_SECONDS = 1.0


def documents_import_upload(
    *,
    project: Project,
    uploads: Sequence[UploadedFile[bytes]],
    default_source: Source | None,
    user: User | None,
) -> ImportSummary | JobRun:
    """Import uploaded files at once when they are small, else hand them to a job."""
    if sum(upload.size or 0 for upload in uploads) <= settings.ANNOTATOR_IMPORT_INLINE_BYTES:
        files = [ImportFile.from_upload(upload) for upload in uploads]
        return documents_import(project=project, files=files, default_source=default_source)
    return _enqueue(
        project=project,
        saved=[(upload.name or "upload", upload) for upload in uploads],
        default_source=default_source,
        user=user,
    )


def documents_import_records_upload(
    *,
    project: Project,
    records: list[Any],
    body_size: int,
    default_source: Source | None,
    user: User | None,
) -> ImportSummary | JobRun:
    """Import a JSON list of records that came in a request body of `body_size` bytes: at once
    when the body is small, else by a job that reads them from one .json file."""
    if body_size <= settings.ANNOTATOR_IMPORT_INLINE_BYTES:
        return documents_import_records(project=project, records=records, default_source=default_source)
    content = ContentFile(json.dumps(records, ensure_ascii=False).encode())
    return _enqueue(
        project=project, saved=[("request.json", content)], default_source=default_source, user=user
    )


def _enqueue(
    *,
    project: Project,
    saved: list[tuple[str, Any]],
    default_source: Source | None,
    user: User | None,
    kind: str = JobKind.IMPORT,
    params: dict[str, Any] | None = None,
) -> JobRun:
    """Save the uploads where the workers read them and send the job of `kind` (its task is
    JOB_TASKS[kind]) with `params` besides the files and the source."""
    from annotator.tasks import JOB_TASKS

    with transaction.atomic():
        job = job_create(kind=kind, project=project, created_by=user)
        files = []
        for name, content in saved:
            stored = default_storage.save(f"imports/{job.pk}/{get_valid_filename(Path(name).name)}", content)
            files.append({"name": name, "path": stored})
        job.params = {
            **(params or {}),
            "files": files,
            "source_id": default_source.pk if default_source else None,
        }
        job.save(update_fields=["params"])

    def discard() -> None:
        for file in files:
            default_storage.delete(file["path"])

    return job_send(job=job, task=JOB_TASKS[kind], discard=discard)


def documents_import_job_run(*, job_id: int, celery_id: str = "") -> None:
    """Run an import job. Safe to run again after a lost worker: files that imported already
    are skipped as duplicates."""
    job = JobRun.objects.select_related("project").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project is not None
    source = Source.objects.filter(pk=job.params.get("source_id")).first()
    files = [
        ImportFile.from_path(default_storage.path(f["path"]), name=f["name"]) for f in job.params["files"]
    ]
    last_report = 0.0

    def progress(done: int) -> None:
        nonlocal last_report
        reset_queries()  # with DEBUG on, Django would keep every statement of a long import
        now = time.monotonic()
        if now - last_report >= _PROGRESS_EVERY_SECONDS:
            job_progress(job_id=job_id, progress=done)
            last_report = now

    summary = documents_import(project=job.project, files=files, default_source=source, progress=progress)
    job_progress(
        job_id=job_id,
        progress=summary.created + summary.skipped_duplicates,
        total=summary.created + summary.skipped_duplicates,
    )
    if summary.refused:
        first = summary.errors[0] if summary.errors else None
        job_fail(
            job_id=job_id,
            error=f"Nothing imported: {first}" if first else "Nothing imported.",
            result=summary.to_dict(),
        )
    else:
        job_succeed(job_id=job_id, result=summary.to_dict())
    for f in job.params["files"]:
        default_storage.delete(f["path"])


def annotations_import_upload(
    *,
    project: Project,
    upload: UploadedFile[bytes],
    options: AnnotationImportOptions,
    default_source: Source | None,
    user: User | None,
) -> AnnotationImportSummary | JobRun:
    """Import an uploaded export of another tool at once when it is small, else by a job."""
    if (upload.size or 0) <= settings.ANNOTATOR_IMPORT_INLINE_BYTES:
        return annotations_import(
            project=project,
            file=ImportFile.from_upload(upload),
            options=options,
            default_source=default_source,
            actor=user,
        )
    return _enqueue(
        project=project,
        saved=[(upload.name or "upload", upload)],
        default_source=default_source,
        user=user,
        kind=JobKind.ANNOTATION_IMPORT,
        params={"options": options.to_json()},
    )


def annotations_import_job_run(*, job_id: int, celery_id: str = "") -> None:
    """Run an annotation import job. Safe to run again after a lost worker: the import is one
    transaction, so a lost one left nothing."""
    job = JobRun.objects.select_related("project", "created_by").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project is not None
    (saved,) = job.params["files"]
    summary = annotations_import(
        project=job.project,
        file=ImportFile.from_path(default_storage.path(saved["path"]), name=saved["name"]),
        default_source=Source.objects.filter(pk=job.params.get("source_id")).first(),
        options=AnnotationImportOptions(**job.params["options"]),
        actor=job.created_by,
    )
    job_progress(job_id=job_id, progress=summary.layers, total=summary.layers)
    if summary.refused:
        job_fail(job_id=job_id, error=f"Nothing imported: {summary.errors[0]}", result=summary.to_dict())
    else:
        job_succeed(job_id=job_id, result=summary.to_dict())
    default_storage.delete(saved["path"])
