"""Inter-annotator agreement kept current (docs/agreement.md).

* Per document: `document_agreement_refresh` stores the document's sufficient statistics
  (DocumentAgreement, `DocumentStatistics.to_dict()`) and its review-queue disagreement score.
  A row exists only while the document has two or more submitted annotation layers.
* Per project: `project_agreement_refresh` sums the stored statistics into AgreementReport rows:
  scope "project" (the per-label figures live in its `labels`) and scope "source" per source
  (`scope_key` = the source's slug), with cluster-bootstrap intervals from a fixed seed.
* Kept current: submitting or reopening a layer counts a change on its document and project
  (annotator.jobs.scheduling.layers_changed) and asks for a coalesced project refresh, which
  first recomputes every document whose statistics are behind its layers, then sums. Reads
  compare the report's layers_version with the project's (`project_agreement_current`).
* Full recompute: `project_agreement_recompute` runs it in the caller (the command, in one
  process or several);
  `agreement_recompute_start` runs it as a JobRun "agreement_recompute": one Celery task per
  chunk of CHUNK_SIZE documents (spread over the workers), and the chunk that completes the set
  enqueues the project refresh. That is a chord whose counter is the JobRun row rather than a
  Celery result backend, which the settings leave disabled (Celery's `chord` needs one).

Resolutions are "token" (the default) and "char". The engine, and so the report's own
`resolution` field, calls the second one "character".
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.utils import timezone

from annotator.agreement.maths import (
    DocumentStatistics,
    document_statistics,
    report_from_statistics,
    tokenize,
)
from annotator.agreement.maths.gold import GoldStats, gold_report, gold_statistics
from annotator.agreement.maths.panels import PanelPair, panel_pairs, panel_report, panel_value_counts
from annotator.agreement.maths.questions import question_agreement
from annotator.agreement.maths.stats import PairStats, ValueCounts, add_keywise
from annotator.agreement.selectors import (
    THRESHOLD,
    AgreementSchema,
    DocumentLayers,
    agreement_documents,
    agreement_documents_behind,
    agreement_reports_get,
    agreement_schema_get,
    document_layers_list,
    document_statistics_iter,
    kept_resolutions,
    layer_panels,
)
from annotator.errors import ValidationError
from annotator.jobs import scheduling
from annotator.jobs.scheduling import Refresh
from annotator.jobs.services import job_create, job_send, job_start, job_succeed
from annotator.models import (
    AgreementReport,
    AgreementResolution,
    Document,
    DocumentAgreement,
    JobKind,
    JobRun,
    Project,
    Question,
    ReportScope,
    Source,
)
from annotator.panels.selectors import panels_list
from annotator.questions.selectors import submitted_answers
from annotator.review.selectors import gold_document_ids, gold_spans_by_document
from annotator.suggestions.selectors import EVERY, NONE, SOME, suggestion_exposure
from annotator.tasks import (
    agreement_chunk_task,
    agreement_recompute_finish_task,
    agreement_recompute_task,
    follow_up,
)

logger = logging.getLogger(__name__)

RESOLUTIONS = {"token": "token", "char": "character"}  # ours -> the engine's name
CHUNK_SIZE = 200  # documents per recompute task
N_BOOT = 1000  # bootstrap replicates behind each "ci95"
BOOTSTRAP_SEED = 0


def _check_resolution(resolution: str) -> None:
    if resolution not in RESOLUTIONS:
        raise ValidationError({"resolution": [f"Unknown resolution {resolution!r}; use token or char."]})


def _statistics(document: DocumentLayers, schema: AgreementSchema, resolution: str) -> DocumentStatistics:
    return document_statistics(
        document.layers,
        schema.labels,
        text_length=document.text_length,
        tokens=tokenize(document.text or "") if resolution == AgreementResolution.TOKEN else None,
        attributes=schema.attributes,
        allow_overlap=schema.allow_overlap,
        threshold=THRESHOLD,
    )


# DOCUMENTS
# ------------------------------------------------------------------------------


def documents_agreement_refresh(
    *, document_ids: Iterable[int], resolution: str = "token"
) -> list[DocumentAgreement]:
    """Recompute and store the statistics of these documents (any projects); delete the rows of
    those with fewer than two submitted layers. Returns the stored rows. Idempotent.

    The document rows are locked (FOR UPDATE, in id order) while their layers are read and the
    result written, so two refreshes of one document cannot store an older state last."""
    _check_resolution(resolution)
    ids = sorted(set(document_ids))
    stored: list[DocumentAgreement] = []
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        by_project: dict[int, list[int]] = defaultdict(list)
        versions: dict[int, int] = {}
        for pk, project_id, version in locked.values_list("pk", "project_id", "layers_version"):
            by_project[project_id].append(pk)
            versions[pk] = version
        for project_id, pks in by_project.items():
            schema = agreement_schema_get(project_id=project_id)
            documents = document_layers_list(
                schema=schema, document_ids=pks, with_text=resolution == AgreementResolution.TOKEN
            )
            now = timezone.now()
            rows, dropped = [], []
            for document in documents:
                if len(document.layers) < 2:
                    dropped.append(document.document_id)
                    continue
                statistics = _statistics(document, schema, resolution)
                rows.append(
                    DocumentAgreement(
                        document_id=document.document_id,
                        project_id=project_id,
                        resolution=resolution,
                        statistics=statistics.to_dict(),
                        panel_statistics=statistics.by_panel_dict(),
                        disagreement=statistics.disagreement()["score"],
                        n_layers=statistics.n_layers,
                        layers_watermark=document.watermark,
                        layers_version=versions[document.document_id],
                        computed_at=now,
                    )
                )
            if dropped:
                DocumentAgreement.objects.filter(document_id__in=dropped, resolution=resolution).delete()
            if rows:
                DocumentAgreement.objects.bulk_create(
                    rows,
                    update_conflicts=True,
                    unique_fields=["document", "resolution"],
                    update_fields=[
                        "statistics",
                        "panel_statistics",
                        "disagreement",
                        "n_layers",
                        "layers_watermark",
                        "layers_version",
                        "computed_at",
                    ],
                )
            stored.extend(rows)
    return stored


def document_agreement_refresh(*, document_id: int, resolution: str = "token") -> DocumentAgreement | None:
    """Recompute one document's statistics from its submitted layers and store them; with fewer
    than two submitted layers delete its row instead and return None."""
    stored = documents_agreement_refresh(document_ids=[document_id], resolution=resolution)
    return stored[0] if stored else None


def document_agreement_changed(*, document_id: int) -> None:
    """A layer of the document was submitted or reopened: refresh its statistics at every kept
    resolution, so the review queue has them before the project refresh sums them."""
    project_id = Document.objects.filter(pk=document_id).values_list("project_id", flat=True).first()
    if project_id is None:
        return  # deleted meanwhile; its row went with it
    for resolution in kept_resolutions(project_id=project_id):
        document_agreement_refresh(document_id=document_id, resolution=resolution)


# PROJECTS
# ------------------------------------------------------------------------------


class _PairwiseSum:
    """Statistics summed as they stream in, pairwise: a binary counter of partial sums, so the
    merges are those of a balanced tree while only log2(n) partial sums are held. Merging two
    alpha_U histograms costs their length; a left fold over thousands of documents would merge
    ever longer totals."""

    def __init__(self) -> None:
        self._partial: list[tuple[int, DocumentStatistics]] = []

    def add(self, statistics: DocumentStatistics) -> None:
        size = 1
        while self._partial and self._partial[-1][0] == size:
            earlier_size, earlier = self._partial.pop()
            statistics, size = earlier + statistics, size + earlier_size
        self._partial.append((size, statistics))

    def total(self) -> DocumentStatistics | None:
        result = None
        for _, statistics in reversed(self._partial):
            result = statistics if result is None else statistics + result
        return result


@dataclass
class _PanelSum:
    """The panel split of the project report: each document's annotator pairs and value counts
    summed per panel pair and panel, by the panels its layers were handed out for."""

    panel_of: dict[int, dict[str, str]]  # document id -> annotator -> panel key
    cells: dict[PanelPair, PairStats] = field(default_factory=dict)
    counts: dict[str, ValueCounts] = field(default_factory=dict)

    def add(self, document_id: int, statistics: DocumentStatistics) -> None:
        panel_of = self.panel_of.get(document_id)
        if panel_of:
            self.cells = add_keywise(self.cells, panel_pairs(statistics.pairs, panel_of))
            self.counts = add_keywise(self.counts, panel_value_counts(statistics.value_counts, panel_of))


@dataclass
class _Summary:
    """What one report needs of its documents: their sum, the copies the bootstrap resamples
    (without the alpha_U and Fleiss groups and the attributes, which it does not read and which
    make summing slow), and the newest layer submission."""

    sum: _PairwiseSum = field(default_factory=_PairwiseSum)
    light: list[DocumentStatistics] = field(default_factory=list)
    watermark: datetime | None = None

    def add(
        self, statistics: DocumentStatistics, light: DocumentStatistics | None, watermark: datetime | None
    ) -> None:
        self.sum.add(statistics)
        if light is not None:
            self.light.append(light)
        if watermark is not None and (self.watermark is None or watermark > self.watermark):
            self.watermark = watermark


def _report(total: DocumentStatistics, light: list[DocumentStatistics], n_boot: int) -> dict[str, Any]:
    """What `report_from_statistics(documents, n_boot=n_boot, seed=BOOTSTRAP_SEED)` gives, for
    documents whose sum is `total` and whose bootstrap copies are `light`: the point figures
    from the sum, the intervals from the copies."""
    report = report_from_statistics([total])
    if n_boot <= 0:
        return report
    intervals = report_from_statistics(
        light or [total],
        n_boot=n_boot,
        seed=BOOTSTRAP_SEED,
        min_documents=settings.ANNOTATOR_AGREEMENT_INTERVAL_MIN_DOCUMENTS,
    )
    pairs = [(report["overall"], intervals["overall"])]
    pairs += [(report["labels"][key], intervals["labels"][key]) for key in report["labels"]]
    for ours, theirs in pairs:
        for name, estimate in theirs.items():
            if "ci95" in estimate:
                ours[name] = {**ours[name], "ci95": estimate["ci95"], "ci95_reason": estimate["ci95_reason"]}
    report["bootstrap"] = intervals["bootstrap"]
    return report


def _newest(values: Iterable[datetime | None]) -> datetime | None:
    return max((v for v in values if v is not None), default=None)


def _fits(statistics: DocumentStatistics, schema: AgreementSchema, resolution: str) -> bool:
    """Whether stored statistics were computed under the project's current settings and schema
    (labels, overlap mode, attributes with their kinds and number of values), so they add up."""
    if (statistics.labels, statistics.resolution, statistics.allow_overlap, statistics.threshold) != (
        schema.labels,
        RESOLUTIONS[resolution],
        schema.allow_overlap,
        THRESHOLD,
    ):
        return False
    stored = statistics.attributes
    return stored.keys() == {spec.key for spec in schema.attributes} and all(
        stored[spec.key].kind == spec.kind and stored[spec.key].coincidences.shape == (spec.n_values,) * 2
        for spec in schema.attributes
    )


def project_agreement_refresh(
    *, project_id: int, resolution: str = "token", n_boot: int = N_BOOT
) -> AgreementReport:
    """Sum the stored per-document statistics into the project report and one report per
    source; returns the project report. Documents whose statistics are behind their layers
    are recomputed first, and so are statistics stored under other settings (the project's
    overlap mode or schema changed since, or an older format). Raises Project.DoesNotExist for
    a project that is gone."""
    _check_resolution(resolution)
    # Every change committed before this read is included below; one after it counts higher.
    version = scheduling.project_layers_version(project_id=project_id)
    behind = agreement_documents_behind(project_id=project_id, resolution=resolution)
    for start in range(0, len(behind), CHUNK_SIZE):
        documents_agreement_refresh(document_ids=behind[start : start + CHUNK_SIZE], resolution=resolution)
    _forget_documents_below_two_layers(project_id=project_id, resolution=resolution)
    schema = agreement_schema_get(project_id=project_id)
    project = _Summary()  # its sum is the sum of the sources' sums
    by_source: dict[int, _Summary] = defaultdict(_Summary)
    panels = list(panels_list(project=project_id).values_list("key", flat=True))
    by_panel = _PanelSum(layer_panels(project_id=project_id) if panels else {})
    exposure = suggestion_exposure(project_id=project_id)
    by_exposure: dict[str, _Summary] = defaultdict(_Summary)
    exposure_counts: Counter[str] = Counter()

    def take(
        statistics: DocumentStatistics, document_id: int, source_id: int, watermark: datetime | None
    ) -> None:
        light = replace(statistics, by_raters={}, attributes={}, value_counts={}) if n_boot > 0 else None
        by_panel.add(document_id, statistics)
        by_source[source_id].add(statistics, light, watermark)
        kind = exposure.get(document_id, NONE)
        by_exposure[kind].add(statistics, light, watermark)
        exposure_counts[kind] += 1
        if light is not None:
            project.light.append(light)
        project.watermark = _newest([project.watermark, watermark])

    stale: dict[int, int] = {}  # document id -> source id
    for row in document_statistics_iter(project_id=project_id, resolution=resolution, by_panel=bool(panels)):
        try:
            parsed: DocumentStatistics | None = DocumentStatistics.from_dict(row.statistics, row.by_panel)
        except (ValueError, KeyError, TypeError):
            parsed = None
        if parsed is None or not _fits(parsed, schema, resolution):
            stale[row.document_id] = row.source_id
            continue
        take(parsed, row.document_id, row.source_id, row.watermark)
    stale_ids = list(stale)
    for start in range(0, len(stale_ids), CHUNK_SIZE):
        chunk = stale_ids[start : start + CHUNK_SIZE]
        for fresh in documents_agreement_refresh(document_ids=chunk, resolution=resolution):
            take(
                DocumentStatistics.from_dict(fresh.statistics, fresh.panel_statistics if panels else None),
                fresh.document_id,
                stale[fresh.document_id],
                fresh.layers_watermark,
            )

    empty = DocumentStatistics.empty(schema.labels, RESOLUTIONS[resolution], schema.allow_overlap, THRESHOLD)
    now = timezone.now()
    slugs = dict(Source.objects.filter(pk__in=list(by_source)).values_list("pk", "slug"))
    reports = []
    questions = _question_sections(project_id=project_id, panels=panels, n_boot=n_boot)
    for source_id, summary in by_source.items():
        total = summary.sum.total() or empty
        project.sum.add(total)
        source_metrics = _report(total, summary.light, n_boot)
        if questions:
            source_metrics["questions"] = questions["sources"].get(source_id, {})
        reports.append(
            AgreementReport(
                project_id=project_id,
                scope=ReportScope.SOURCE,
                scope_key=slugs[source_id],
                resolution=resolution,
                metrics=source_metrics,
                computed_at=now,
                data_watermark=summary.watermark,
                layers_version=version,
            )
        )
    metrics = _report(project.sum.total() or empty, project.light, n_boot)
    gold = gold_agreement_section(schema=schema, resolution=resolution)
    if gold["n_documents"]:  # once a document is adjudicated
        metrics["gold"] = gold
    if questions:
        metrics["questions"] = questions["project"]
    if exposure:  # once annotators have seen suggestions: they anchor people
        metrics["suggestions"] = {
            "n_documents": {kind: exposure_counts[kind] for kind in (EVERY, SOME, NONE)},
            **{
                name: _report(by_exposure[kind].sum.total() or empty, by_exposure[kind].light, n_boot)
                for name, kind in (("with", EVERY), ("without", NONE))
            },
        }
    if panels:
        metrics["panels"] = panel_report(
            by_panel.cells, by_panel.counts, panels=panels, labels=schema.labels, attributes=schema.attributes
        )
    reports.insert(
        0,
        AgreementReport(
            project_id=project_id,
            scope=ReportScope.PROJECT,
            scope_key="",
            resolution=resolution,
            metrics=metrics,
            computed_at=now,
            data_watermark=project.watermark,
            layers_version=version,
        ),
    )
    with transaction.atomic():
        AgreementReport.objects.bulk_create(
            reports,
            update_conflicts=True,
            unique_fields=["project", "scope", "scope_key", "resolution"],
            update_fields=["metrics", "computed_at", "data_watermark", "layers_version"],
        )
        AgreementReport.objects.filter(
            project_id=project_id, scope=ReportScope.SOURCE, resolution=resolution
        ).exclude(scope_key__in=[r.scope_key for r in reports[1:]]).delete()
    if reports[0].pk is None:  # a database that does not return ids from an upsert
        return AgreementReport.objects.get(
            project_id=project_id, scope=ReportScope.PROJECT, scope_key="", resolution=resolution
        )
    return reports[0]  # its metrics keep the report's key order (jsonb sorts keys when stored)


def _question_sections(*, project_id: int, panels: list[str], n_boot: int) -> dict[str, Any]:
    """Agreement on each article question: for the project (with, where panels exist, each
    panel's agreement within itself) and for each source. Empty for a project asking none."""
    questions = list(Question.objects.filter(project_id=project_id).order_by("order", "pk"))
    if not questions:
        return {}
    units: dict[int, dict[int, list[Any]]] = {q.pk: defaultdict(list) for q in questions}
    in_panel: dict[tuple[int, str], dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    source_of: dict[int, int] = {}
    for question_id, document_id, source_id, panel, value in submitted_answers(project_id=project_id):
        units[question_id][document_id].append(value)
        source_of[document_id] = source_id
        if panel is not None:
            in_panel[question_id, panel][document_id].append(value)
    interval_min = settings.ANNOTATOR_AGREEMENT_INTERVAL_MIN_DOCUMENTS

    def agreement(question: Question, by_document: Mapping[int, list[Any]]) -> dict[str, Any]:
        return question_agreement(
            list(by_document.values()),
            kind=question.kind,
            points=question.points,
            n_boot=n_boot,
            seed=BOOTSTRAP_SEED,
            min_documents=interval_min,
        )

    project: dict[str, Any] = {}
    sources: dict[int, dict[str, Any]] = defaultdict(dict)
    for question in questions:
        entry = {"name": question.name, "kind": question.kind, **agreement(question, units[question.pk])}
        if panels:
            entry["panels"] = {
                panel: agreement(question, in_panel[question.pk, panel])["alpha"] for panel in panels
            }
        project[question.key] = entry
        by_source: dict[int, dict[int, list[Any]]] = defaultdict(dict)
        for document_id, answers in units[question.pk].items():
            by_source[source_of[document_id]][document_id] = answers
        for source_id, by_document in by_source.items():
            sources[source_id][question.key] = {
                "name": question.name,
                "kind": question.kind,
                **agreement(question, by_document),
            }
    return {"project": project, "sources": sources}


def _forget_documents_below_two_layers(*, project_id: int, resolution: str) -> None:
    DocumentAgreement.objects.filter(project_id=project_id, resolution=resolution).exclude(
        document_id__in=agreement_documents(project_id=project_id)
    ).delete()


def _refresh_chunk(document_ids: list[int], resolution: str) -> int:
    """A pool process's share of a recompute (module level, so it can be pickled)."""
    documents_agreement_refresh(document_ids=document_ids, resolution=resolution)
    return len(document_ids)


def _pool_process_start() -> None:
    import django
    from django.db import connections

    django.setup()  # a spawned process starts bare; a forked one already is set up
    connections.close_all()  # never share the parent's connection


def project_agreement_recompute(
    *,
    project_id: int,
    resolution: str = "token",
    n_boot: int = N_BOOT,
    progress: Callable[[int, int], None] | None = None,
    processes: int = 1,
) -> AgreementReport:
    """Full recompute in the caller: every document with two or more submitted layers, in
    chunks of CHUNK_SIZE, then the project and source reports. `progress(done, total)` is
    called after each chunk. With `processes` > 1 the chunks are shared among that many
    processes, each with its own database connection; they only see committed data, so that
    is refused inside a transaction."""
    _check_resolution(resolution)
    ids = list(agreement_documents(project_id=project_id))
    chunks = [ids[start : start + CHUNK_SIZE] for start in range(0, len(ids), CHUNK_SIZE)]
    done = 0
    if processes > 1 and len(chunks) > 1:
        if transaction.get_connection().in_atomic_block:
            raise RuntimeError("a recompute in several processes cannot run inside a transaction")
        connections.close_all()  # a forked process must not inherit an open connection
        context = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        )
        with ProcessPoolExecutor(processes, mp_context=context, initializer=_pool_process_start) as pool:
            for size in pool.map(_refresh_chunk, chunks, [resolution] * len(chunks)):
                done += size
                if progress is not None:
                    progress(done, len(ids))
    else:
        for chunk in chunks:
            done += _refresh_chunk(chunk, resolution)
            if progress is not None:
                progress(done, len(ids))
    _forget_documents_below_two_layers(project_id=project_id, resolution=resolution)
    return project_agreement_refresh(project_id=project_id, resolution=resolution, n_boot=n_boot)


# KEPT CURRENT IN THE BACKGROUND (annotator.jobs.scheduling)
# ------------------------------------------------------------------------------


def _behind(*, project_id: int, resolution: str) -> bool:
    """Whether the project's report at `resolution` misses committed changes: one is older than
    the project's last layer change, or missing while layers have changed."""
    stored = (
        AgreementReport.objects.filter(
            project_id=project_id, scope=ReportScope.PROJECT, scope_key="", resolution=resolution
        )
        .values_list("layers_version", flat=True)
        .first()
    )
    return (stored or 0) < scheduling.project_layers_version(project_id=project_id)


def project_agreement_refresh_scheduled(*, project_id: int) -> None:
    """The body of `project_agreement_task`: refresh the project's reports at every kept
    resolution, then ask for its source profiles' refresh, which read them."""

    def refresh() -> None:
        for resolution in kept_resolutions(project_id=project_id):
            project_agreement_refresh(project_id=project_id, resolution=resolution)
        scheduling.refresh_request(Refresh.PROFILES, project_id=project_id)

    def behind() -> bool:
        return any(
            _behind(project_id=project_id, resolution=r) for r in kept_resolutions(project_id=project_id)
        )

    if not Project.objects.filter(pk=project_id).exists():
        return  # deleted meanwhile
    scheduling.refresh_run(Refresh.AGREEMENT, project_id=project_id, body=refresh, behind=behind)


@dataclass(frozen=True)
class ProjectAgreement:
    report: AgreementReport | None
    sources: list[tuple[Source | None, AgreementReport]]
    pending: bool  # the reports miss a committed change; a scheduled refresh will include it
    stale: bool = False  # ... and no refresh could be scheduled (Redis away): it waits for Redis


def project_agreement_current(*, project_id: int, resolution: str = "token") -> ProjectAgreement:
    """The project and source reports as they stand. Reports that miss committed changes are
    refreshed first when tasks run in-process (the embedded default); with a broker a refresh
    is asked for and `pending` says the figures are behind meanwhile (`stale` as well when
    Redis is away and nothing could be asked)."""
    _check_resolution(resolution)
    pending = stale = False
    if _behind(project_id=project_id, resolution=resolution):
        if scheduling.in_process():
            project_agreement_refresh(project_id=project_id, resolution=resolution)
        else:
            pending = True
            stale = not scheduling.refresh_request(Refresh.AGREEMENT, project_id=project_id)
    report, sources = agreement_reports_get(project_id=project_id, resolution=resolution)
    return ProjectAgreement(report, sources, pending, stale)


def document_agreement_summary(*, agreement: DocumentAgreement) -> dict[str, Any]:
    """The report of one document (no intervals: there is nothing to resample) and its score."""
    statistics = DocumentStatistics.from_dict(agreement.statistics)
    return {
        "metrics": report_from_statistics([statistics]),
        "disagreement": statistics.disagreement(),
    }


# FULL RECOMPUTE AS A JOB
# ------------------------------------------------------------------------------


def agreement_recompute_start(
    *, project: Project, resolution: str = "token", user: User | None, chunk_size: int = CHUNK_SIZE
) -> JobRun:
    """Create the JobRun of a full recompute and start it: one task per `chunk_size`
    documents, then the project refresh. Progress counts documents. BackgroundUnavailable
    (and no job) when the broker is away."""
    _check_resolution(resolution)
    if chunk_size < 1:
        raise ValidationError({"chunk_size": ["A chunk holds at least one document."]})
    job = job_create(
        kind=JobKind.AGREEMENT_RECOMPUTE,
        project=project,
        created_by=user,
        params={"resolution": resolution, "chunk_size": chunk_size},
    )
    return job_send(job=job, task=agreement_recompute_task)


def agreement_recompute_job_run(*, job_id: int, celery_id: str = "") -> None:
    """Split the project's documents into chunks and send one task per chunk. Run again after a
    lost worker it sends them again: chunks are idempotent and counted once."""
    job = JobRun.objects.get(pk=job_id)
    if job.is_finished:
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project_id is not None
    ids = list(agreement_documents(project_id=job.project_id))
    size = int(job.params.get("chunk_size", CHUNK_SIZE))
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    JobRun.objects.filter(pk=job_id).update(
        total=len(ids), progress=0, params={**job.params, "chunks": len(chunks), "done": [], "started": []}
    )
    if not chunks:
        agreement_recompute_finish(job_id=job_id)
        return
    for index, chunk in enumerate(chunks):
        follow_up(agreement_chunk_task, (job_id, index, chunk))


def agreement_recompute_chunk(*, job_id: int, chunk: int, document_ids: list[int]) -> None:
    """Refresh one chunk, count it once, and let the chunk that completes the set enqueue the
    project refresh."""
    job = JobRun.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    _chunk_started(job_id=job_id, chunk=chunk)
    documents_agreement_refresh(document_ids=document_ids, resolution=job.params["resolution"])
    with transaction.atomic():
        job = JobRun.objects.select_for_update().get(pk=job_id)
        done = list(job.params.get("done", []))
        if chunk in done:
            return
        done.append(chunk)
        job.params = {**job.params, "done": done}
        job.progress += len(document_ids)
        job.save(update_fields=["params", "progress"])
        if len(done) == job.params["chunks"]:
            transaction.on_commit(lambda: follow_up(agreement_recompute_finish_task, (job_id,)))


def _chunk_started(*, job_id: int, chunk: int) -> None:
    """Note that a chunk started (params["started"]). One that starts a second time was
    redelivered after its worker was lost (acks_late): that counts as another attempt of the
    job and in params["redelivered"], so the retry shows on the JobRun and in the API."""
    with transaction.atomic():
        job = JobRun.objects.select_for_update().get(pk=job_id)
        started = list(job.params.get("started", []))
        if chunk in started:
            job.params = {**job.params, "redelivered": int(job.params.get("redelivered", 0)) + 1}
            job.attempts += 1
        else:
            job.params = {**job.params, "started": [*started, chunk]}
        job.save(update_fields=["params", "attempts"])


def agreement_recompute_finish(*, job_id: int) -> None:
    job = JobRun.objects.get(pk=job_id)
    if job.is_finished:
        return
    assert job.project_id is not None
    resolution = job.params["resolution"]
    _forget_documents_below_two_layers(project_id=job.project_id, resolution=resolution)
    report = project_agreement_refresh(project_id=job.project_id, resolution=resolution)
    project_id = job.project_id
    # Source profiles read the reports: their own coalesced refresh follows, once committed.
    transaction.on_commit(lambda: scheduling.refresh_request(Refresh.PROFILES, project_id=project_id))
    job_succeed(
        job_id=job_id,
        result={
            "report": report.pk,
            "resolution": resolution,
            "n_documents": report.metrics["n_documents"],
            "computed_at": report.computed_at.isoformat(),
        },
    )


# AGAINST GOLD
# ------------------------------------------------------------------------------


def gold_agreement_section(*, schema: AgreementSchema, resolution: str) -> dict[str, Any]:
    """The project report's `gold` section (added once a document is adjudicated): each
    annotator's submitted layers against the adjudicated gold layers (annotator.agreement.maths.gold),
    summed over the adjudicated documents; annotators keyed by user id, as in `pairs`.
    Recomputed with every project refresh, which adjudicating or reopening a gold layer
    requests (annotator.review.services); a gold layer still under way is not yet the truth
    and is left out. Four queries per CHUNK_SIZE documents."""
    ids = gold_document_ids(project_id=schema.project_id)
    totals: dict[str, GoldStats] = {}
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        gold = gold_spans_by_document(schema=schema, document_ids=chunk)
        with_text = resolution == AgreementResolution.TOKEN
        for document in document_layers_list(schema=schema, document_ids=chunk, with_text=with_text):
            tokens = tokenize(document.text or "") if with_text else None
            for user_id, spans in document.layers.items():
                stats = gold_statistics(
                    gold.get(document.document_id, []),
                    spans,
                    schema.labels,
                    text_length=document.text_length,
                    tokens=tokens,
                    allow_overlap=schema.allow_overlap,
                    threshold=THRESHOLD,
                )
                key = str(user_id)
                totals[key] = totals[key] + stats if key in totals else stats
    return gold_report(totals, n_documents=len(ids))
