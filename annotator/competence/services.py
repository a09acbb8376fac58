"""Annotator competence: Dawid-Skene and MACE over the project's span groups, as a job.

Every document with two or more submitted annotation layers gives observations per variable
(annotator.agreement.maths.competence.span_group_observations): the span labels, with "(no
span)" for an annotator who marked nothing in a group, and each attribute. Each variable is
fitted with both methods (crowd-kit, pinned); the report keeps each annotator's overall
reliability and reliability per value, and how many units each variable had. A fit reads the
whole project, so it runs as a job (POST /api/v1/projects/{id}/annotators/competence/, or the
button on the annotators page) and when the demo loads; the annotators page shows the stored
one and whether layers changed since.

The report also keeps the fitted MACE model of the span labels ("model"), which the "model"
basis of exports and profiles applies to each document
(annotator.agreement.maths.competence.model_consensus_spans). MACE rather than Dawid-Skene: a
span group exists only because someone marked it, and on such groups Dawid-Skene's fit can settle
where most spans one annotator alone marked are kept. bench/consensus_bases.py measures both
against a known truth: MACE's consensus never fell below the majority's, Dawid-Skene's did.

"against_gold": over the documents with an adjudicated gold layer and two or more submitted
layers, the span F1 against gold of every submitted layer (basis all), of the majority consensus
and of the model consensus, pooled over the documents, with a 95% bootstrap interval over
documents, as the calibration figures have. Gold is adjudicated from those same layers, often
starting from the majority consensus, which flatters the consensus bases a little.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from annotator.agreement.maths.competence import (
    LABEL,
    ConsensusModel,
    dawid_skene,
    mace,
    model_consensus_spans,
    span_group_observations,
)
from annotator.agreement.maths.consensus import ConsensusSpan, LayerSpan, consensus_spans
from annotator.agreement.maths.gold import gold_statistics
from annotator.agreement.maths.stats import SpanInput
from annotator.agreement.selectors import (
    THRESHOLD,
    AgreementSchema,
    DocumentLayers,
    agreement_documents,
    agreement_schema_get,
    document_layers_list,
)
from annotator.calibration.maths import ItemCounts, f1_interval, pooled_f1
from annotator.jobs import scheduling
from annotator.jobs.scheduling import Refresh
from annotator.jobs.services import job_create, job_send, job_start, job_succeed
from annotator.models import CompetenceReport, JobKind, JobRun, Project
from annotator.review.selectors import gold_spans_by_document

CHUNK_SIZE = 500


def project_competence_compute(*, project_id: int) -> CompetenceReport:
    """Fit both methods on every variable of the project, score the bases against gold, and
    store the report."""
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
    model = None
    for variable, rows in observations.items():
        mace_fit = mace(rows)
        if variable == LABEL:
            model = mace_fit.model  # MACE's, not Dawid-Skene's: see the module docstring
        variables[variable] = {
            "n_units": len({unit for unit, _, _ in rows}),
            "n_answers": len(rows),
            **{
                result.method: {
                    "annotators": {str(a): value for a, value in result.annotators.items()},
                    "per_value": {str(a): values for a, values in result.per_value.items()},
                }
                for result in (dawid_skene(rows), mace_fit)
            },
        }
    report, _ = CompetenceReport.objects.update_or_create(
        project_id=project_id,
        defaults={
            "metrics": {
                "n_documents": len(ids),
                "variables": variables,
                "model": model.to_dict() if model is not None else None,
                "against_gold": bases_against_gold(schema=schema, document_ids=ids, model=model),
            },
            "computed_at": timezone.now(),
            "layers_version": version,
        },
    )
    return report


def bases_against_gold(
    *, schema: AgreementSchema, document_ids: list[int], model: ConsensusModel | None
) -> dict[str, Any]:
    """Span F1 against gold of each basis (all, consensus, model) over the documents among
    `document_ids` that have both gold and two or more submitted layers; see the module
    docstring. A basis with no span on those documents has a null F1."""
    items: dict[str, list[ItemCounts]] = {"all": [], "consensus": [], "model": []}
    n_documents = 0
    for start in range(0, len(document_ids), CHUNK_SIZE):
        truths = gold_spans_by_document(schema=schema, document_ids=document_ids[start : start + CHUNK_SIZE])
        for document in document_layers_list(schema=schema, document_ids=list(truths), with_text=False):
            if len(document.layers) < 2:
                continue
            n_documents += 1
            truth = truths[document.document_id]
            votes = {user: [LayerSpan(*span) for span in spans] for user, spans in document.layers.items()}
            answers: dict[str, list[list[SpanInput]]] = {
                "all": list(document.layers.values()),
                "consensus": [_inputs(consensus_spans(list(votes.values()), threshold=THRESHOLD))],
                "model": (
                    [_inputs(model_consensus_spans(votes, model, threshold=THRESHOLD))]
                    if model is not None
                    else []
                ),
            }
            for basis, layers in answers.items():
                if layers:
                    items[basis].append(
                        _summed([_counts(schema, document, truth, layer) for layer in layers])
                    )
    return {
        "n_documents": n_documents,
        **{
            basis: {"span_f1": pooled_f1(counts), "interval": f1_interval(counts)}
            for basis, counts in items.items()
        },
    }


def _inputs(spans: list[ConsensusSpan]) -> list[SpanInput]:
    return [(s.start, s.end, s.label, s.attributes) for s in spans]


def _counts(
    schema: AgreementSchema, document: DocumentLayers, truth: list[SpanInput], layer: list[SpanInput]
) -> ItemCounts:
    stats = gold_statistics(
        truth,
        layer,
        schema.labels,
        text_length=document.text_length,
        allow_overlap=schema.allow_overlap,
        threshold=THRESHOLD,
    )
    return int(stats.spans.tp_overlap.sum()), int(stats.spans.n_a.sum()), int(stats.spans.n_b.sum())


def _summed(counts: list[ItemCounts]) -> ItemCounts:
    tp, n_gold, n_spans = (sum(column) for column in zip(*counts, strict=True))
    return tp, n_gold, n_spans


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
    # Profiles on basis model read the fit: their sources' states changed with it.
    scheduling.refresh_request(Refresh.PROFILES, project_id=job.project_id)
    job_succeed(
        job_id=job_id,
        result={"n_documents": report.metrics["n_documents"], "computed_at": report.computed_at.isoformat()},
    )
