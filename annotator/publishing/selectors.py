"""What the public scorecard pages show: only what a published project's stored profiles say
about its sources, read field by field, so nothing else leaves (no annotator, no other basis,
no project that is not published)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from annotator.models import (
    ProfileBasis,
    ProfileCorpus,
    Project,
    ScorecardChange,
    ScorecardPublication,
    Source,
    SourceProfile,
)
from annotator.profiles.maths.figures import Thresholds
from annotator.profiles.maths.scorecard import confidence_rule

# The span figures a public card shows, in this order (the profile's own keys).
PUBLIC_SPAN_FIGURES = (
    "claims_per_1k_words",
    "opinion_share",
    "sourced_claim_rate",
    "anonymous_source_share",
    "hedged_share",
    "check_worthy_share",
    "disclaimer_presence",
)


@dataclass(frozen=True)
class Published:
    project: Project
    publication: ScorecardPublication
    computed_at: datetime | None  # of the profiles it shows: what caches key on


def published_get(*, slug: str) -> Published | None:
    """The project with this slug if its scorecards are published, else None. Two queries."""
    publication = ScorecardPublication.objects.select_related("project").filter(project__slug=slug).first()
    if publication is None:
        return None
    computed_at = (
        ProfileCorpus.objects.filter(project=publication.project, basis=publication.basis)
        .values_list("computed_at", flat=True)
        .first()
    )
    return Published(publication.project, publication, computed_at)


def _figure(figure: dict[str, Any] | None) -> dict[str, Any] | None:
    if not figure:
        return None
    return {k: figure.get(k) for k in ("value", "ci95", "n", "unit", "status", "reason")}


def _card(source: Source, metrics: dict[str, Any], n_articles: int) -> dict[str, Any]:
    coverage = metrics.get("coverage") or {}
    span = metrics.get("metrics") or {}
    card = metrics.get("scorecard") or {}
    agreement = metrics.get("agreement") or {}
    questions = {}
    for key, question in (card.get("questions") or {}).items():
        entry: dict[str, Any] = {"name": question.get("name"), "kind": question.get("kind")}
        if "mean" in question:
            entry["scale"] = question.get("scale")
            entry["mean"] = _figure(question["mean"])
            entry["by_quarter"] = {q: _figure(f) for q, f in (question.get("by_quarter") or {}).items()}
        else:
            entry["shares"] = {option: _figure(f) for option, f in (question.get("shares") or {}).items()}
        questions[key] = entry
    confidence = card.get("confidence") or {}
    return {
        "source": {
            "slug": source.slug,
            "name": source.name,
            "domain": source.domain,
            "country": source.country,
        },
        "articles": n_articles,
        "first_published": coverage.get("first_published"),
        "last_published": coverage.get("last_published"),
        "double_annotated_share": coverage.get("double_annotated_share"),
        "agreement_alpha": _figure(agreement.get("alpha")),
        "confidence": {k: confidence.get(k) for k in ("level", "reasons", "contradiction")}
        if confidence
        else None,
        "questions": questions,
        "span_figures": {key: _figure(span.get(key)) for key in PUBLIC_SPAN_FIGURES if key in span},
    }


def published_cards(*, published: Published, source_slug: str | None = None) -> list[dict[str, Any]]:
    """The public card of each source on the published basis (of one source, by slug)."""
    profiles = SourceProfile.objects.filter(
        project=published.project, basis=published.publication.basis
    ).select_related("source")
    if source_slug is not None:
        profiles = profiles.filter(source__slug=source_slug)
    return [_card(p.source, p.metrics, p.n_articles) for p in profiles.order_by("source__name")]


def published_changes(*, published: Published, source_slug: str) -> list[dict[str, Any]]:
    """The source's change log on the published basis, newest first."""
    return [
        dict(row)
        for row in ScorecardChange.objects.filter(
            project=published.project, basis=published.publication.basis, source__slug=source_slug
        ).values(
            "recorded_at", "figure", "name", "old_value", "old_ci95", "new_value", "new_ci95",
            "articles_before", "articles_after",
        )
    ]  # fmt: skip


def methodology(*, published: Published) -> list[str]:
    """How the figures were made, in sentences generated from the schema and the settings."""
    project = published.project
    minimum = int(project.min_profile_articles)
    labels = ", ".join(f"{label.name} ({label.description.rstrip('.')})" for label in project.labels.all())
    lines = [
        f"Each article is annotated by {project.annotators_per_document} trained annotator"
        f"{'s' if project.annotators_per_document != 1 else ''}"
        f"{', each working blind to the others' if project.blind else ''}.",
        f"Annotators mark passages as {labels}.",
    ]
    for attribute in project.attributes.all():
        values = ", ".join(str(v.get("value")) for v in attribute.values) if attribute.values else "yes or no"
        lines.append(f"Passages carry {attribute.name.lower()}: {values}.")
    for question in project.questions.all():
        points = ", ".join(
            f"{p.get('value')}{' (' + p['label'] + ')' if p.get('label') else ''}" for p in question.points
        )
        lines.append(
            f"Each article is asked: “{question.name}” ({question.get_kind_display().lower()}{': ' + points if points else ''})."
        )
    lines += [
        f"Figures are computed on the basis “{ProfileBasis(published.publication.basis).label}”; an article "
        "counts once however many annotators read it.",
        "Intervals are 95% cluster-bootstrap intervals that resample whole articles.",
        f"A source needs {minimum} articles before it shows figures; below {2 * minimum} they are marked low "
        "confidence (†).",
        "Agreement between annotators is Krippendorff's α, at each question's level of measurement.",
        confidence_rule(Thresholds(min_articles=minimum, ok_articles=2 * minimum)),
    ]
    return lines
