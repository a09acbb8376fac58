"""Per-source profiles kept current (DESIGN.md sections 7 and 8, SOURCE-PROFILES.md 3b).

* `project_profiles_refresh` reads the project's per-article counts on a basis
  (annotator.profiles.selectors), computes the profile of every source (or of the ones given)
  and the corpus profile (every source's articles pooled) with annotator.profiles.maths, and stores
  them: one SourceProfile per source and basis, one ProfileCorpus per basis. A source without
  articles on the basis has no SourceProfile (a stored one is removed).
* What a SourceProfile's `metrics` holds: the profile of `annotator.profiles.maths.source_profile`
  (coverage, metrics, evidence_mix, stance, settings) plus "basis" (the basis asked for),
  "layers" (its articles per origin: {"all": n}, {"consensus": n} or, on basis gold,
  {"gold": n, "consensus": n} for the articles that had no gold layer yet) and "agreement"
  (`agreement_summary` of the source's AgreementReport, scope "source", token resolution, as it
  stood when the profile was computed; null before any report). ProfileCorpus's `metrics` has
  the same keys for the pooled corpus (its agreement is the project report's).
* Thresholds: `Project.min_profile_articles` (default 15) articles before any figure shows;
  twice that before a figure loses its "low confidence" badge (15 -> 30, as SOURCE-PROFILES.md
  asks). Intervals: a cluster bootstrap over articles, N_BOOT resamples, seed BOOTSTRAP_SEED, so
  a rerun gives identical numbers.
* Kept current: when a project agreement refresh completes (every layer submitted or reopened
  ends in one, coalesced), it asks for a coalesced profile refresh (annotator.jobs.scheduling,
  Refresh.PROFILES). That refresh recomputes only the sources whose layers changed:
  `profile_state_get` fingerprints each source's layers in one aggregate query, the corpus row
  keeps the fingerprints its profiles were computed from, and the sources whose fingerprints
  differ are recomputed (the corpus is recomputed whenever any is, since it pools them all).
  Being a comparison with the database rather than a memory of events, a lost cache entry or
  a killed worker never leaves a profile stale for good: the next refresh, or read in eager
  mode, catches up. Bases kept current: DEFAULT_BASIS always, and any basis computed once.
* Without a broker (the embedded default) `project_profiles_current` (what the API and pages
  read) first refreshes the sources whose layers changed, so what is read is current. With a
  broker reads ask for a refresh when the corpus is behind the project's layers_version, and
  `pending` says a change waits for it.
* A full recompute as a job: `profiles_recompute_start` (JobRun "profiles_recompute").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotator.competence.selectors import consensus_model_fitted_at
from annotator.errors import ValidationError
from annotator.jobs import scheduling
from annotator.jobs.scheduling import Refresh
from annotator.jobs.services import job_create, job_progress, job_send, job_start, job_succeed
from annotator.models import (
    AgreementReport,
    JobKind,
    JobRun,
    ProfileBasis,
    ProfileCorpus,
    Project,
    Question,
    ReportScope,
    ScorecardChange,
    Source,
    SourceProfile,
)
from annotator.profiles.maths import EVIDENCE_VALUES, corpus_profile, source_profile
from annotator.profiles.maths.figures import Thresholds
from annotator.profiles.maths.scorecard import (
    RELIABILITY_KEY,
    QuestionSpec,
    confidence,
    confidence_rule,
    headline_figures,
    moved_figures,
    rescaled,
    scorecard,
)
from annotator.profiles.selectors import SourceState, profile_counts_get, profile_state_get
from annotator.questions.selectors import answers_by_article
from annotator.tasks import profiles_recompute_task

DEFAULT_BASIS = ProfileBasis.ALL.value
N_BOOT = 2000  # bootstrap resamples behind each "ci95" (SOURCE-PROFILES.md: B = 2,000)
BOOTSTRAP_SEED = 0
AGREEMENT_RESOLUTION = "token"
# SOURCE-PROFILES.md 3b: no agreement badge below 10 double-annotated articles; Krippendorff's
# marks: alpha >= .800 reliable, .667 to .800 tentative conclusions only.
MIN_AGREEMENT_DOCUMENTS = 10
TENTATIVE, RELIABLE = 0.667, 0.800


def profile_bases(*, project_id: int) -> list[str]:
    """The bases the project's profiles can be read on: all of them, but model only once
    annotator competence was estimated."""
    fitted = consensus_model_fitted_at(project_id=project_id) is not None
    return [basis for basis in ProfileBasis.values if fitted or basis != ProfileBasis.MODEL]


def _check_basis(basis: str, *, project_id: int) -> None:
    if basis not in ProfileBasis.values:
        raise ValidationError(
            {"basis": [f"Unknown basis {basis!r}; choose one of {', '.join(ProfileBasis.values)}."]}
        )
    if basis == ProfileBasis.MODEL and basis not in profile_bases(project_id=project_id):
        raise ValidationError(
            {
                "basis": [
                    "No competence estimate yet: basis model needs one. Estimate annotator "
                    "competence first (the Annotators page, or POST "
                    "/api/v1/projects/{id}/annotators/competence/)."
                ]
            }
        )


def agreement_summary(report: AgreementReport | None) -> dict[str, Any] | None:
    """What a profile shows of an agreement report: overall alpha (with its interval), overlap
    F1, alpha per label, the number of double-annotated documents, and the badge: "reliable"
    (alpha >= .800), "tentative" (>= .667) or "unreliable", or null with a reason when there are
    fewer than MIN_AGREEMENT_DOCUMENTS documents or no alpha."""
    if report is None:
        return None
    metrics = report.metrics or {}
    overall = metrics.get("overall") or {}
    alpha = overall.get("alpha") or {"value": None, "reason": "no value"}
    n = int(metrics.get("n_documents") or 0)
    value = alpha.get("value")
    badge: str | None = None
    reason: str | None = None
    if n < MIN_AGREEMENT_DOCUMENTS:
        reason = f"{n} double-annotated article{'' if n == 1 else 's'} (needs {MIN_AGREEMENT_DOCUMENTS})"
    elif value is None:
        reason = alpha.get("reason") or "no value"
    else:
        badge = "reliable" if value >= RELIABLE else "tentative" if value >= TENTATIVE else "unreliable"
    return {
        "resolution": report.resolution,
        "n_documents": n,
        "alpha": alpha,
        "f1_overlap": overall.get("f1_overlap"),
        "labels": {key: (values or {}).get("alpha") for key, values in (metrics.get("labels") or {}).items()},
        "badge": badge,
        "reason": reason,
        "computed_at": report.computed_at.isoformat(),
    }


# REFRESH
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileRefresh:
    """What a refresh did: the corpus row, the sources recomputed (ids), and the sources asked
    for that have no articles on the basis (any profile they had is removed)."""

    basis: str
    corpus: ProfileCorpus
    refreshed: list[int]
    removed: list[int]
    n_articles: int
    seconds: float


def _options(project: Project, n_boot: int) -> dict[str, int]:
    minimum = int(project.min_profile_articles)
    return {"min_articles": minimum, "ok_articles": 2 * minimum, "n_boot": n_boot, "seed": BOOTSTRAP_SEED}


def _newest(values: Collection[datetime | None]) -> datetime | None:
    return max((v for v in values if v is not None), default=None)


def project_profiles_refresh(
    *,
    project_id: int,
    basis: str = DEFAULT_BASIS,
    sources: Collection[int] | None = None,
    n_boot: int = N_BOOT,
    progress: Callable[[int, int], None] | None = None,
) -> ProfileRefresh:
    """Compute and store the profiles of the project's sources on `basis` (all of them, or the
    source ids in `sources`) and the corpus profile, which always pools every source. Idempotent;
    `progress(done, total)` is called as sources are done. Raises Project.DoesNotExist for a
    project that is gone and ValidationError for an unknown basis."""
    _check_basis(basis, project_id=project_id)
    began = time.perf_counter()
    project = Project.objects.get(pk=project_id)
    # The version and fingerprints are read before the counts: a change in between shows as a
    # difference at the next comparison, so it is recomputed rather than missed.
    version = project.layers_version
    state = profile_state_get(project_id=project_id, basis=basis)
    counts = profile_counts_get(project_id=project_id, basis=basis)
    options = _options(project, n_boot)
    wanted = set(counts.sources) | set(state) if sources is None else set(sources)
    todo = sorted(wanted & set(counts.sources))
    removed = sorted(wanted - set(counts.sources))

    corpus = corpus_profile(list(counts.sources.values()), n_annotators=counts.corpus_annotators, **options)
    reports = {
        (r.scope, r.scope_key): r
        for r in AgreementReport.objects.filter(
            project_id=project_id,
            resolution=AGREEMENT_RESOLUTION,
            scope__in=[ReportScope.PROJECT, ReportScope.SOURCE],
        )
    }
    slugs = dict(Source.objects.filter(pk__in=todo).values_list("pk", "slug"))
    specs = [
        QuestionSpec(q.key, q.name, q.kind, tuple(p["value"] for p in q.points))
        for q in Question.objects.filter(project_id=project_id).order_by("order", "pk")
    ]
    answers = answers_by_article(project_id=project_id, basis=basis) if specs else {}
    # What the page showed until now: a headline figure that leaves its interval is logged.
    previous = dict(
        SourceProfile.objects.filter(project_id=project_id, basis=basis, source_id__in=todo).values_list(
            "source_id", "metrics"
        )
    )
    now = timezone.now()
    rows = []
    changes = []
    for done, source_id in enumerate(todo, start=1):
        profile = source_profile(
            counts.sources[source_id], n_annotators=counts.annotators[source_id], **options
        )
        report = reports.get((ReportScope.SOURCE, slugs[source_id]))
        agreement = agreement_summary(report)
        card = _scorecard(specs, answers.get(source_id, {}), profile, agreement, options) if specs else None
        before = previous.get(source_id) or {}
        for moved in moved_figures(before.get("scorecard"), card or {}):
            changes.append(
                ScorecardChange(
                    project_id=project_id,
                    source_id=source_id,
                    basis=basis,
                    articles_before=int((before.get("coverage") or {}).get("articles") or 0),
                    articles_after=int((profile.get("coverage") or {}).get("articles") or 0),
                    recorded_at=now,
                    **moved,
                )
            )
        rows.append(
            SourceProfile(
                project_id=project_id,
                source_id=source_id,
                basis=basis,
                metrics={
                    "basis": basis,
                    "layers": counts.layers[source_id],
                    "agreement": agreement,
                    **profile,
                    **({"scorecard": card} if card is not None else {}),
                },
                n_articles=counts.sources[source_id].n_articles,
                computed_at=now,
                data_watermark=state[source_id].watermark if source_id in state else None,
            )
        )
        if progress is not None:
            progress(done, len(todo))

    origins: dict[str, int] = {}
    for layers in counts.layers.values():
        for origin, n in layers.items():
            origins[origin] = origins.get(origin, 0) + n
    corpus_metrics = {
        "basis": basis,
        "layers": origins,
        "agreement": agreement_summary(reports.get((ReportScope.PROJECT, ""))),
        **corpus,
    }
    with transaction.atomic():
        stored = ProfileCorpus.objects.select_for_update().filter(project_id=project_id, basis=basis).first()
        fingerprints: dict[str, str] = dict(stored.sources_state) if stored and sources is not None else {}
        for source_id in wanted:
            if source_id in state:
                fingerprints[str(source_id)] = state[source_id].fingerprint
            else:
                fingerprints.pop(str(source_id), None)
        ScorecardChange.objects.bulk_create(changes)
        if rows:
            SourceProfile.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["project", "source", "basis"],
                update_fields=["metrics", "n_articles", "computed_at", "data_watermark"],
            )
        gone = SourceProfile.objects.filter(project_id=project_id, basis=basis)
        if sources is None:
            gone = gone.exclude(source_id__in=list(counts.sources))
        else:
            gone = gone.filter(source_id__in=removed)
        gone.delete()
        corpus_row, _ = ProfileCorpus.objects.update_or_create(
            project_id=project_id,
            basis=basis,
            defaults={
                "metrics": corpus_metrics,
                "n_articles": counts.n_articles,
                "n_sources": len(counts.sources),
                "sources_state": fingerprints,
                "computed_at": now,
                "data_watermark": _newest([s.watermark for s in state.values()]),
                "layers_version": version,
            },
        )
    return ProfileRefresh(
        basis=basis,
        corpus=corpus_row,
        refreshed=todo,
        removed=removed,
        n_articles=counts.n_articles,
        seconds=time.perf_counter() - began,
    )


def _scorecard(
    specs: list[QuestionSpec],
    answers: dict[str, list[tuple[date | None, list[Any]]]],
    profile: dict[str, Any],
    agreement: dict[str, Any] | None,
    options: dict[str, int],
) -> dict[str, Any]:
    """The source's article-question figures and its confidence level, read beside the span
    figures of its profile: the sample and agreement behind it, and whether the reliability
    rating and the share of sourced claims point the same way."""
    thresholds = Thresholds(min_articles=options["min_articles"], ok_articles=options["ok_articles"])
    questions = scorecard(specs, answers, thresholds, n_boot=options["n_boot"], seed=options["seed"])
    coverage = profile.get("coverage") or {}
    reliability = questions.get(RELIABILITY_KEY, {})
    sourced = (profile.get("metrics") or {}).get("sourced_claim_rate") or {}
    level = confidence(
        n_articles=int(coverage.get("articles") or 0),
        n_annotators=int(coverage.get("annotators") or 0),
        double_share=coverage.get("double_annotated_share"),
        alpha=((agreement or {}).get("alpha") or {}).get("value"),
        reliability=rescaled(
            (reliability.get("mean") or {}).get("value"), reliability.get("scale") or (0, 0)
        ),
        sourced_rate=sourced.get("value"),
        thresholds=thresholds,
    )
    return {"questions": questions, "confidence": {**level, "rule": confidence_rule(thresholds)}}


def _changed(stored: dict[str, str], state: dict[int, SourceState]) -> list[int]:
    current = {str(source_id): s.fingerprint for source_id, s in state.items()}
    return sorted(int(key) for key in set(stored) | set(current) if stored.get(key) != current.get(key))


def project_profiles_changed(*, project_id: int, basis: str = DEFAULT_BASIS) -> list[int] | None:
    """Ids of the sources whose layers changed since their profiles on `basis` were computed
    (sources new or gone included), or None when the basis was never computed. Two queries
    (three on basis gold)."""
    _check_basis(basis, project_id=project_id)
    stored = (
        ProfileCorpus.objects.filter(project_id=project_id, basis=basis)
        .values_list("sources_state", flat=True)
        .first()
    )
    if stored is None:
        return None
    return _changed(stored, profile_state_get(project_id=project_id, basis=basis))


def project_profiles_refresh_changed(
    *, project_id: int, basis: str = DEFAULT_BASIS, n_boot: int = N_BOOT
) -> ProfileRefresh | None:
    """Recompute the profiles of the sources whose layers changed (and the corpus); everything
    when the basis was never computed; nothing (None) when nothing changed."""
    version = scheduling.project_layers_version(project_id=project_id)
    changed = project_profiles_changed(project_id=project_id, basis=basis)
    if changed is None:
        return project_profiles_refresh(project_id=project_id, basis=basis, n_boot=n_boot)
    if not changed:  # the change was elsewhere (another source's gold, say): up to date as is
        ProfileCorpus.objects.filter(project_id=project_id, basis=basis, layers_version__lt=version).update(
            layers_version=version
        )
        return None
    return project_profiles_refresh(project_id=project_id, basis=basis, sources=changed, n_boot=n_boot)


def kept_bases(*, project_id: int) -> list[str]:
    """The bases kept current for the project: DEFAULT_BASIS, and any basis computed once."""
    computed = ProfileCorpus.objects.filter(project_id=project_id).values_list("basis", flat=True)
    return [DEFAULT_BASIS, *sorted(set(computed) - {DEFAULT_BASIS})]


# KEPT CURRENT IN THE BACKGROUND (annotator.jobs.scheduling)
# ------------------------------------------------------------------------------


def _behind(*, project_id: int, basis: str) -> bool:
    """Whether the corpus on `basis` was computed before the project's last layer change."""
    stored = (
        ProfileCorpus.objects.filter(project_id=project_id, basis=basis)
        .values_list("layers_version", flat=True)
        .first()
    )
    return stored is not None and stored < scheduling.project_layers_version(project_id=project_id)


def project_profiles_refresh_scheduled(*, project_id: int) -> None:
    """The body of `project_profiles_task`: refresh what changed on every kept basis."""

    def refresh() -> None:
        for basis in kept_bases(project_id=project_id):
            project_profiles_refresh_changed(project_id=project_id, basis=basis)

    def behind() -> bool:
        return any(_behind(project_id=project_id, basis=b) for b in kept_bases(project_id=project_id))

    if not Project.objects.filter(pk=project_id).exists():
        return  # deleted meanwhile
    scheduling.refresh_run(Refresh.PROFILES, project_id=project_id, body=refresh, behind=behind)


# READS THAT CATCH UP
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectProfiles:
    basis: str
    corpus: ProfileCorpus | None  # None: never computed on this basis
    sources: list[tuple[Source, SourceProfile]]  # sorted by source name
    pending: bool  # layers changed since; a scheduled refresh (or a recompute) will include them


def project_profiles_current(
    *, project_id: int, basis: str = DEFAULT_BASIS, source_id: int | None = None
) -> ProjectProfiles:
    """The stored profiles on `basis` (of one source, with `source_id`) and the corpus. In eager
    mode the sources whose layers changed are refreshed first (on a basis never computed:
    everything); with a broker `pending` says whether a change waits."""
    _check_basis(basis, project_id=project_id)
    if scheduling.in_process():
        project_profiles_refresh_changed(project_id=project_id, basis=basis)
        pending = False
    else:
        changed = project_profiles_changed(project_id=project_id, basis=basis)
        pending = bool(changed) or _behind(project_id=project_id, basis=basis)
        if pending:
            scheduling.refresh_request(Refresh.PROFILES, project_id=project_id)
    corpus = ProfileCorpus.objects.filter(project_id=project_id, basis=basis).first()
    profiles = SourceProfile.objects.filter(project_id=project_id, basis=basis).select_related("source")
    if source_id is not None:
        profiles = profiles.filter(source_id=source_id)
    pairs = sorted(((p.source, p) for p in profiles), key=lambda pair: (pair[0].name, pair[0].slug))
    return ProjectProfiles(basis=basis, corpus=corpus, sources=pairs, pending=pending and corpus is not None)


# FULL RECOMPUTE AS A JOB
# ------------------------------------------------------------------------------


def profiles_recompute_start(*, project: Project, basis: str = DEFAULT_BASIS, user: User | None) -> JobRun:
    """Create the JobRun of a full recompute of the project's profiles on `basis` and start
    it. Progress counts sources. BackgroundUnavailable (and no job) when the broker is away."""
    _check_basis(basis, project_id=project.pk)
    job = job_create(
        kind=JobKind.PROFILES_RECOMPUTE, project=project, created_by=user, params={"basis": basis}
    )
    return job_send(job=job, task=profiles_recompute_task)


def profiles_recompute_job_run(*, job_id: int, celery_id: str = "") -> None:
    """The body of `profiles_recompute_task`. Run again after a lost worker it recomputes again:
    the result overwrites."""
    job = JobRun.objects.get(pk=job_id)
    if job.is_finished:
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project_id is not None

    def progress(done: int, total: int) -> None:
        if done % max(1, total // 20) == 0 or done == total:  # about twenty updates, not one a source
            job_progress(job_id=job_id, progress=done, total=total)

    refresh = project_profiles_refresh(
        project_id=job.project_id, basis=job.params["basis"], progress=progress
    )
    job_succeed(
        job_id=job_id,
        result={
            "basis": refresh.basis,
            "corpus": refresh.corpus.pk,
            "n_sources": len(refresh.refreshed),
            "n_articles": refresh.n_articles,
            "computed_at": refresh.corpus.computed_at.isoformat(),
            "seconds": round(refresh.seconds, 3),
        },
    )


# THE COMPARISON TABLE
# ------------------------------------------------------------------------------

# The figures of a profile's "metrics", in the order of annotator.profiles.maths (stored JSON loses it).
METRIC_KEYS = (
    "claims_per_1k_words",
    "median_claims_per_1k_words",
    "opinions_per_1k_words",
    "median_opinions_per_1k_words",
    "opinion_share",
    "sourced_claim_rate",
    "anonymous_source_share",
    "unsupported_author_claims_per_1k_words",
    "hedged_share",
    "check_worthy_share",
    "disclaimer_presence",
)
COVERAGE_KEYS = (
    "articles",
    "words",
    "annotators",
    "double_annotated",
    "double_annotated_share",
    "first_published",
    "last_published",
    "status",
    "reason",
)


def profile_targets(*, profiles: ProjectProfiles) -> list[str]:
    """Every stance target of the corpus or of a source, by name."""
    names = set((profiles.corpus.metrics.get("stance") or {}) if profiles.corpus else {})
    for _, profile in profiles.sources:
        names |= set(profile.metrics.get("stance") or {})
    return sorted(names, key=lambda name: (name.casefold(), name))


def _figure_cells(figure: dict[str, Any] | None) -> list[Any]:
    figure = figure or {}
    ci = figure.get("ci95") or (None, None)
    return [figure.get("value"), ci[0], ci[1], figure.get("status"), figure.get("n")]


def profiles_table(*, profiles: ProjectProfiles) -> tuple[list[str], list[list[Any]]]:
    """The comparison table: a row per source (by name) and a last row for the corpus; the
    source's scorecard confidence; per figure five columns: value, 95 % interval low and high,
    status and the n it rests on (a figure that is insufficient has an empty value), the
    scorecard's article ratings among them. Cells are plain values (str, int, float
    or None); neutralising text for spreadsheets is the writer's business."""
    targets = profile_targets(profiles=profiles)
    # The scorecard's headline figures, in the order the sources' scorecards first name them.
    ratings: dict[str, None] = {}
    for _, profile in profiles.sources:
        ratings.update(dict.fromkeys(headline_figures(profile.metrics.get("scorecard") or {})))
    figures = [
        *(f"metrics.{key}" for key in METRIC_KEYS),
        *(f"evidence_mix.{value}" for value in EVIDENCE_VALUES),
        *(f"stance.{target}.net" for target in targets),
        *(f"scorecard.{figure}" for figure in ratings),
    ]
    header = ["scope", "source", "name", "basis", *(f"coverage.{key}" for key in COVERAGE_KEYS)]
    header += ["agreement.alpha", "agreement.alpha.low", "agreement.alpha.high", "agreement.n_documents"]
    header += ["agreement.badge", "confidence.level", "confidence.contradiction", "confidence.reasons"]
    for name in figures:
        header += [name, f"{name}.low", f"{name}.high", f"{name}.status", f"{name}.n"]

    def row(scope: str, slug: str, name: str, metrics: dict[str, Any]) -> list[Any]:
        coverage = metrics.get("coverage") or {}
        agreement = metrics.get("agreement") or {}
        alpha = agreement.get("alpha") or {}
        ci = alpha.get("ci95") or (None, None)
        cells: list[Any] = [scope, slug, name, metrics.get("basis")]
        cells += [coverage.get(key) for key in COVERAGE_KEYS]
        cells += [alpha.get("value"), ci[0], ci[1], agreement.get("n_documents"), agreement.get("badge")]
        card = metrics.get("scorecard") or {}
        confidence = card.get("confidence") or {}
        reasons = "; ".join(confidence.get("reasons") or []) or None
        cells += [confidence.get("level"), confidence.get("contradiction"), reasons]
        stance = metrics.get("stance") or {}
        for key in METRIC_KEYS:
            cells += _figure_cells((metrics.get("metrics") or {}).get(key))
        for value in EVIDENCE_VALUES:
            cells += _figure_cells((metrics.get("evidence_mix") or {}).get(value))
        for target in targets:
            cells += _figure_cells((stance.get(target) or {}).get("net"))
        headline = headline_figures(card)
        for figure in ratings:
            cells += _figure_cells(headline.get(figure, ("", None))[1])
        return cells

    rows = [row("source", source.slug, source.name, profile.metrics) for source, profile in profiles.sources]
    if profiles.corpus is not None:
        rows.append(row("corpus", "", "All sources (corpus)", profiles.corpus.metrics))
    return header, rows
