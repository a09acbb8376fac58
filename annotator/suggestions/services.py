"""Training suggestion models, as a job, and recording what annotators turn down.

A model is trained on demand (POST /api/v1/projects/{id}/suggestions/models/, or the button on
the suggestions page) or when ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER more documents have gold than
the last model learnt from (`suggestions_retrain_if_due`, after each adjudication). Training
evaluates on held-out documents, then fits on every document and stores the model with its
evaluation and data watermark (annotator.suggestions.classifier has the method)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from annotator.errors import BackgroundUnavailable, ValidationError
from annotator.jobs import scheduling
from annotator.jobs.services import job_create, job_fail, job_progress, job_send, job_start, job_succeed
from annotator.models import (
    JobKind,
    JobRun,
    JobStatus,
    Label,
    Layer,
    Project,
    SuggestionModel,
    SuggestionRejection,
)
from annotator.projects.selectors import project_schema_get
from annotator.review.selectors import gold_document_ids
from annotator.suggestions import classifier
from annotator.suggestions.selectors import choice_attributes, model_version_errors, truth_documents

logger = logging.getLogger(__name__)

MANUAL = "manual"
NEW_TRUTH = "new_truth"


def suggestions_train_start(*, project: Project, user: User | None, trigger: str = MANUAL) -> JobRun:
    """Create the JobRun of a training and start it. BackgroundUnavailable (and no job) when the
    broker is away."""
    from annotator.tasks import suggestions_train_task

    job = job_create(
        kind=JobKind.SUGGESTIONS_TRAIN, project=project, created_by=user, params={"trigger": trigger}
    )
    return job_send(job=job, task=suggestions_train_task)


def suggestion_model_train(
    *, project_id: int, created_by_id: int | None = None, trigger: str = MANUAL, job_id: int | None = None
) -> SuggestionModel:
    """Evaluate on held-out documents, fit on all, and store the model with its evaluation and
    data watermark. Raises classifier.NotEnoughData with too little truth."""
    version = scheduling.project_layers_version(project_id=project_id)
    n_gold = len(gold_document_ids(project_id=project_id))
    documents = list(truth_documents(project_id=project_id))
    schema = project_schema_get(project=project_id)
    labels = list(schema.labels)
    attributes = choice_attributes(schema)
    if job_id is not None:
        job_progress(job_id=job_id, progress=1, total=3)
    metrics = classifier.evaluate(documents, labels, attributes)
    if job_id is not None:
        job_progress(job_id=job_id, progress=2)
    model = classifier.fit(documents, labels, attributes)
    used = [label for label, figures in metrics["labels"].items() if figures["used"]]
    return SuggestionModel.objects.create(
        project_id=project_id,
        created_by_id=created_by_id,
        trigger=trigger,
        layers_version=version,
        n_gold=n_gold,
        n_rejections=sum(len(d.rejected) for d in documents),
        metrics=metrics,
        labels_used=used,
        blob=classifier.dumps(model),
    )


def suggestions_train_job_run(*, job_id: int, celery_id: str = "") -> None:
    """The body of `suggestions_train_task`; run again after a lost worker it trains again."""
    job = JobRun.objects.get(pk=job_id)
    if job.is_finished:
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project_id is not None
    try:
        saved = suggestion_model_train(
            project_id=job.project_id,
            created_by_id=job.created_by_id,
            trigger=job.params.get("trigger", MANUAL),
            job_id=job_id,
        )
    except classifier.NotEnoughData as error:
        job_fail(job_id=job_id, error=str(error))
        return
    job_succeed(
        job_id=job_id,
        result={
            "model_version": saved.pk,
            "in_use": saved.in_use,
            "labels_used": saved.labels_used,
            "span_f1": saved.metrics["span_f1"],
        },
    )


def suggestions_retrain_if_due(*, project_id: int) -> JobRun | None:
    """Start a training when ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER more documents have gold than
    the last model learnt from, unless one is already waiting or running. Nothing (and a warning
    in the log) when the broker is away: the next adjudication asks again."""
    last = (
        SuggestionModel.objects.filter(project_id=project_id)
        .order_by("-id")
        .values_list("n_gold", flat=True)
        .first()
    )
    if (
        len(gold_document_ids(project_id=project_id)) - (last or 0)
        < settings.ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER
    ):
        return None
    busy = JobRun.objects.filter(
        project_id=project_id,
        kind=JobKind.SUGGESTIONS_TRAIN,
        status__in=[JobStatus.PENDING, JobStatus.RUNNING],
    )
    if busy.exists():
        return None
    try:
        return suggestions_train_start(
            project=Project.objects.get(pk=project_id), user=None, trigger=NEW_TRUTH
        )
    except BackgroundUnavailable:
        logger.warning(
            "Could not start retraining the suggestion model of project %s: broker away", project_id
        )
        return None


def suggestion_reject(
    *, layer: Layer, label: str, start: int, end: int, model_version: int | None = None
) -> SuggestionRejection:
    """Record that the layer's annotator turned down the suggestion; it is not offered to them
    again, and the next training learns from it. Idempotent."""
    document = layer.document
    label_obj = Label.objects.filter(project_id=document.project_id, key=label).first()
    errors: dict[str, list[str]] = {}
    if label_obj is None:
        errors["label"] = [f"No label {label!r} in this project."]
    if not 0 <= start < end <= len(document.text):
        errors["end"] = [f"Need 0 <= start < end <= {len(document.text)} (the text's length)."]
    errors |= model_version_errors(project_id=document.project_id, model_version=model_version)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rejection, _ = SuggestionRejection.objects.get_or_create(
            layer=layer, label=label_obj, start=start, end=end, defaults={"model_version_id": model_version}
        )
    return rejection
