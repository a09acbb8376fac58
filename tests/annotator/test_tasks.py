"""Background jobs with a real Celery worker process against Redis and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.imports.uploads import documents_import_upload
from annotator.models import Document, JobRun, JobStatus
from tests.factories import ProjectFactory, SourceFactory, UserFactory
from tests.workers import celery_worker, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_real_worker_runs_the_import_job_and_documents_appear_in_postgresql(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ANNOTATOR_IMPORT_INLINE_BYTES = 0
    project = ProjectFactory()
    SourceFactory(slug="herald")
    lines = "\n".join(
        json.dumps({"text": f"Story {i}: the tram is late 🚋.", "source": "herald"}) for i in range(40)
    )
    with celery_worker(tmp_path) as worker:
        job = documents_import_upload(
            project=project,
            uploads=[SimpleUploadedFile("batch.jsonl", lines.encode())],
            default_source=None,
            user=UserFactory(),
        )
        assert isinstance(job, JobRun)
        wait_until(lambda: JobRun.objects.get(pk=job.pk).status in (JobStatus.SUCCEEDED, JobStatus.FAILED))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, (job.error, worker.log.read_text()[-2000:])
    assert job.result["created"] == 40
    assert job.celery_id
    assert Document.objects.filter(project=project).count() == 40
