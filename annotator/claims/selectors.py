"""Reading claims across outlets: each cluster with the sources that carry it, its first
appearance and how each outlet sourced and hedged it; the verdicts as schema.org ClaimReview;
and per source, the claims it carried first and those it carried without the evidence other
outlets gave."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from annotator.models import Claim, ClaimCluster, ClaimRating, Document

EVIDENCE, NO_EVIDENCE, HEDGED, STANCE = "evidence", "NONE", "hedged", "stance"
# ClaimReview's ratingValue on a 1 (false) to 5 (true) scale; "unproven" has no value.
RATING_VALUES = {
    ClaimRating.FALSE: 1,
    ClaimRating.MOSTLY_FALSE: 2,
    ClaimRating.MIXED: 3,
    ClaimRating.MOSTLY_TRUE: 4,
    ClaimRating.TRUE: 5,
}


@dataclass(frozen=True)
class ClaimAppearance:
    claim_id: int
    document_id: int
    title: str
    url: str
    source_id: int
    source: str
    source_slug: str
    published_at: datetime | None
    text: str
    attributes: dict[str, Any]
    pinned: bool

    @property
    def sourced(self) -> bool:
        """The claim carries evidence: its evidence attribute is set and not NONE."""
        value = self.attributes.get(EVIDENCE)
        return bool(value) and value != NO_EVIDENCE

    @property
    def hedged(self) -> bool:
        return bool(self.attributes.get(HEDGED))


@dataclass
class ClusterView:
    cluster: ClaimCluster
    appearances: list[ClaimAppearance] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({a.source for a in self.appearances})

    @property
    def n_sources(self) -> int:
        return len({a.source_id for a in self.appearances})

    @property
    def first(self) -> ClaimAppearance | None:
        """The earliest published appearance (by published_at; undated ones never come first)."""
        dated = [a for a in self.appearances if a.published_at is not None]
        return min(dated, key=lambda a: (a.published_at, a.claim_id)) if dated else None

    @property
    def title(self) -> str:
        """The cluster's name, else the words of its first appearance."""
        if self.cluster.name or not self.appearances:
            return self.cluster.name
        return (self.first or self.appearances[0]).text


def clusters_view(
    *, project_id: int, min_sources: int = 2, cluster_ids: list[int] | None = None
) -> list[ClusterView]:
    """The project's clusters (among `cluster_ids`, if given) carried by at least `min_sources`
    sources, most sources first, each with its claims in publication order. Two queries."""
    rows = Claim.objects.filter(project_id=project_id, cluster__isnull=False)
    if cluster_ids is not None:
        rows = rows.filter(cluster_id__in=cluster_ids)
    appearances: dict[int, list[ClaimAppearance]] = defaultdict(list)
    for row in rows.values_list(
        "pk",
        "cluster_id",
        "document_id",
        "document__title",
        "document__url",
        "document__source_id",
        "document__source__name",
        "document__source__slug",
        "document__published_at",
        "text",
        "attributes",
        "pinned",
    ):
        appearances[row[1]].append(ClaimAppearance(row[0], *row[2:]))
    wanted = [
        cluster_id
        for cluster_id, found in appearances.items()
        if len({a.source_id for a in found}) >= min_sources
    ]
    views = [
        ClusterView(
            claim_cluster,
            sorted(
                appearances[claim_cluster.pk],
                key=lambda a: (a.published_at is None, a.published_at, a.claim_id),
            ),
        )
        for claim_cluster in ClaimCluster.objects.filter(pk__in=wanted).select_related("reviewed_by")
    ]
    return sorted(views, key=lambda v: (-v.n_sources, -len(v.appearances), v.cluster.pk))


def document_claims_elsewhere(*, document: Document) -> list[ClusterView]:
    """The clusters of the document's claims that another source carries too."""
    cluster_ids = list(
        Claim.objects.filter(document=document, cluster__isnull=False).values_list("cluster_id", flat=True)
    )
    return clusters_view(project_id=document.project_id, cluster_ids=cluster_ids)


def claim_review(view: ClusterView, *, publisher: str) -> dict[str, Any]:
    """One ruled-on cluster as a schema.org ClaimReview, with every appearance and the first."""
    cluster = view.cluster

    def creative_work(a: ClaimAppearance) -> dict[str, Any]:
        work: dict[str, Any] = {
            "@type": "CreativeWork",
            "headline": a.title,
            "author": {"@type": "Organization", "name": a.source},
        }
        if a.url:
            work["url"] = a.url
        if a.published_at:
            work["datePublished"] = a.published_at.isoformat()
        return work

    rating: dict[str, Any] = {"@type": "Rating", "alternateName": ClaimRating(cluster.rating).label}
    if cluster.rating in RATING_VALUES:
        rating |= {
            "ratingValue": RATING_VALUES[ClaimRating(cluster.rating)],
            "bestRating": 5,
            "worstRating": 1,
        }
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": view.title,
        "reviewRating": rating,
        "author": {"@type": "Organization", "name": publisher},
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [creative_work(a) for a in view.appearances],
        },
    }
    if view.first is not None:
        review["itemReviewed"]["firstAppearance"] = creative_work(view.first)
        review["itemReviewed"]["datePublished"] = view.first.published_at.isoformat()  # type: ignore[union-attr]
    if cluster.rating_note:
        review["reviewBody"] = cluster.rating_note
    if cluster.review_url:
        review["url"] = cluster.review_url
    if cluster.reviewed_at:
        review["datePublished"] = cluster.reviewed_at.date().isoformat()
    return review


def claim_reviews(*, project_id: int, publisher: str) -> list[dict[str, Any]]:
    """Every cluster with a verdict, as ClaimReview, oldest cluster first."""
    ruled = list(
        ClaimCluster.objects.filter(project_id=project_id).exclude(rating="").values_list("pk", flat=True)
    )
    views = sorted(
        clusters_view(project_id=project_id, min_sources=1, cluster_ids=ruled), key=lambda v: v.cluster.pk
    )
    return [claim_review(view, publisher=publisher) for view in views if view.appearances]


@dataclass(frozen=True)
class SourceClaims:
    carried: int  # claims of the source in clusters that two or more sources carry
    first: int  # of those clusters, the ones it published first
    unsourced: int  # its claims there without evidence where another outlet gave some


def source_claim_figures(*, project_id: int, source_id: int | None = None) -> dict[int, SourceClaims]:
    """Source id -> its figures among claims carried by two or more sources (only `source_id`'s
    clusters read when given)."""
    cluster_ids = None
    if source_id is not None:
        cluster_ids = list(
            Claim.objects.filter(project_id=project_id, document__source_id=source_id, cluster__isnull=False)
            .values_list("cluster_id", flat=True)
            .distinct()
        )
    carried: dict[int, int] = defaultdict(int)
    first: dict[int, int] = defaultdict(int)
    unsourced: dict[int, int] = defaultdict(int)
    for view in clusters_view(project_id=project_id, cluster_ids=cluster_ids):
        sourced_by = {a.source_id for a in view.appearances if a.sourced}
        for a in view.appearances:
            carried[a.source_id] += 1
            if not a.sourced and sourced_by - {a.source_id}:
                unsourced[a.source_id] += 1
        if view.first is not None:
            first[view.first.source_id] += 1
    return {s: SourceClaims(carried[s], first[s], unsourced[s]) for s in carried}


def across_outlets(*, project_id: int, source_id: int) -> dict[str, Any]:
    """What a source profile shows of the source among other outlets: its claim figures and its
    standard disclaimer (annotator.suggestions.selectors.standard_disclaimer)."""
    from annotator.suggestions.selectors import standard_disclaimer

    claims = source_claim_figures(project_id=project_id, source_id=source_id).get(
        source_id, SourceClaims(0, 0, 0)
    )
    return {"claims": claims, "disclaimer": standard_disclaimer(project_id=project_id, source_id=source_id)}
