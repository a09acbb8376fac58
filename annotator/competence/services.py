"""Annotator competence: Dawid-Skene and MACE over the project's span groups, as a job.

Every document with two or more submitted annotation layers gives observations per variable
(annotator.agreement.maths.competence.span_group_observations): the span labels, with "(no
span)" for an annotator who marked nothing in a group, and each attribute. Each variable is
fitted with both methods (crowd-kit, pinned); the report keeps each annotator's overall
reliability and reliability per value, and how many units each variable had. A fit reads the
whole project, so it runs as a job (POST /api/v1/projects/{id}/annotators/competence/, or the
button on the annotators page) and when the demo loads; the annotators page shows the stored
one and whether layers changed since.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from annotator.agreement.selectors import (
    THRESHOLD,
    agreement_documents,
    agreement_schema_get,
    document_layers_list,
)
from annotator.jobs import scheduling
from annotator.jobs.services import job_create, job_send, job_start, job_succeed
from annotator.models import CompetenceReport, JobKind, JobRun, Project

CHUNK_SIZE = 500


def project_competence_compute(*, project_id: int) -> CompetenceReport:
    """Fit both methods on every variable of the project and store the report."""
    from annotator.agreement.maths.competence import dawid_skene, mace, span_group_observations

    version = scheduling.project_layers_version(project_id=project_id)
    schema = agreement_schema_get(project_id=project_id)
    ids = list(agreement_documents(project_id=project_id))
    observations: dict[str, list[Any]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        for document in document_layers_list(schema=schema, document_ids=chunk, with_text=False):
            found = span_group_observations(
                document.document_id,
                document.layers,
                schema.labels,
                schema.attributes,
                text_length=document.text_length,
                threshold=THRESHOLD,
            )
            for variable, rows in found.items():
                observations[variable].extend(rows)
    variables = {}
    for variable, rows in observations.items():
        fitted = [dawid_skene(rows), mace(rows)]
        variables[variable] = {
            "n_units": len({unit for unit, _, _ in rows}),
            "n_answers": len(rows),
            **{
                result.method: {
                    "annotators": {str(a): value for a, value in result.annotators.items()},
                    "per_value": {str(a): values for a, values in result.per_value.items()},
                }
                for result in fitted
            },
        }
    report, _ = CompetenceReport.objects.update_or_create(
        project_id=project_id,
        defaults={
            "metrics": {"n_documents": len(ids), "variables": variables},
            "computed_at": timezone.now(),
            "layers_version": version,
        },
    )
    return report


def competence_recompute_start(*, project: Project, user: User | None) -> JobRun:
    """Create the JobRun of a competence fit and start it. BackgroundUnavailable (and no job)
    when the broker is away."""
    from annotator.tasks import competence_recompute_task

    job = job_create(kind=JobKind.COMPETENCE_RECOMPUTE, project=project, created_by=user)
    return job_send(job=job, task=competence_recompute_task)


def competence_recompute_job_run(*, job_id: int, celery_id: str = "") -> None:
    """The body of `competence_recompute_task`; run again after a lost worker it fits again."""
    job = JobRun.objects.get(pk=job_id)
    if job.is_finished:
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project_id is not None
    report = project_competence_compute(project_id=job.project_id)
    job_succeed(
        job_id=job_id,
        result={"n_documents": report.metrics["n_documents"], "computed_at": report.computed_at.isoformat()},
    )
