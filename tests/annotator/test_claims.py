"""Claims across outlets with the database: the job keeps one claim per gold or consensus CLAIM
span and clusters them, clusters keep their ids, names and verdicts across runs, a reviewer's
merge and split stay put, every change has history, verdicts export as ClaimReview, each source
gets its figures, and only reviewers and managers reach any of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotator.claims.selectors import claim_reviews, clusters_view, source_claim_figures
from annotator.claims.services import claims_refresh, claims_refresh_job_run
from annotator.imports import text_sha256
from annotator.models import (
    Claim,
    ClaimCluster,
    Document,
    JobRun,
    JobStatus,
    Label,
    Layer,
    LayerStatus,
    Role,
    Span,
)
from tests.factories import ProjectFactory, SourceFactory, member

pytestmark = pytest.mark.django_db

FILLER = "Rain fell over the harbour as the meeting began."
# (outlet, day of December 2025, claim, evidence)
ARTICLES = [
    ("daily-klaxon", 3, "The ceasefire collapsed overnight as fighting resumed.", "NONE"),
    ("harbour-herald", 2, "The ceasefire has collapsed.", "NAMED_SOURCE"),
    ("kerbside-truth", 4, "The ceasefire is over after fresh clashes on Monday.", "ANONYMOUS_SOURCE"),
    ("harbour-herald", 5, "Unemployment fell to 4.1 percent last quarter.", "DATA"),
    ("quayside-neighbours", 6, "The jobless rate dropped to 4.1% in the last three months.", "DATA"),
    ("daily-klaxon", 7, "The bridge will close for repairs in March.", "NAMED_SOURCE"),
]


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def newsroom():
    project = ProjectFactory(slug="claims", annotators_per_document=1, name="Claims desk")
    annotator = member(project, username="claims-anna")
    reviewer = member(project, Role.REVIEWER, username="claims-rita")
    sources = {slug: SourceFactory(slug=slug, name=slug.replace("-", " ").title()) for slug, *_ in ARTICLES}
    claim_label = Label.objects.get(project=project, key="CLAIM")
    for slug, day, claim, evidence in ARTICLES:
        text = f"{FILLER} {claim}"
        document = Document.objects.create(
            project=project,
            source=sources[slug],
            text=text,
            text_sha256=text_sha256(text),
            title=f"{slug} on {day}",
            published_at=dt.datetime(2025, 12, day, 9, tzinfo=dt.UTC),
        )
        layer = Layer.objects.create(
            document=document, user=annotator, status=LayerStatus.SUBMITTED, submitted_at=timezone.now()
        )
        start = len(FILLER) + 1
        Span.objects.create(
            layer=layer,
            label=claim_label,
            start=start,
            end=len(text),
            text=claim,
            attributes={"evidence": evidence},
        )
    return project, reviewer, annotator


def _cluster_of(text: str) -> ClaimCluster:
    return Claim.objects.get(text=text).cluster


def test_the_job_clusters_each_claim_with_its_paraphrases_across_outlets(newsroom):
    project, _, _ = newsroom
    counts = claims_refresh(project_id=project.pk)
    assert counts == {"claims": 6, "embedded": 6, "removed": 0, "clusters": 3}
    views = clusters_view(project_id=project.pk)
    ceasefire, jobs = views
    assert ceasefire.sources == ["Daily Klaxon", "Harbour Herald", "Kerbside Truth"]
    assert [a.source_slug for a in ceasefire.appearances] == [
        "harbour-herald",
        "daily-klaxon",
        "kerbside-truth",
    ]
    assert ceasefire.first.source_slug == "harbour-herald"
    assert jobs.sources == ["Harbour Herald", "Quayside Neighbours"]
    # The bridge is one outlet's claim: listed only when asked for every cluster.
    assert len(clusters_view(project_id=project.pk, min_sources=1)) == 3
    figures = source_claim_figures(project_id=project.pk)
    herald, klaxon = (
        Document.objects.filter(source__slug=s).first().source_id for s in ("harbour-herald", "daily-klaxon")
    )
    assert (figures[herald].carried, figures[herald].first, figures[herald].unsourced) == (2, 2, 0)
    # The Klaxon carried the ceasefire claim with no evidence where two other outlets gave some.
    assert (figures[klaxon].carried, figures[klaxon].first, figures[klaxon].unsourced) == (1, 0, 1)

    # Run again: nothing embedded twice, clusters keep their ids.
    before = {c.text: c.cluster_id for c in Claim.objects.all()}
    assert claims_refresh(project_id=project.pk)["embedded"] == 0
    assert {c.text: c.cluster_id for c in Claim.objects.all()} == before


def test_a_reviewers_verdict_merge_and_split_stay_through_the_next_run_with_history(newsroom):
    project, reviewer, annotator = newsroom
    claims_refresh(project_id=project.pk)
    rita = _client(reviewer)
    ceasefire = _cluster_of("The ceasefire has collapsed.")
    patched = rita.patch(
        f"/api/v1/claim-clusters/{ceasefire.pk}/",
        {
            "name": "Ceasefire collapsed",
            "rating": "mostly_true",
            "review_url": "https://example.org/checks/1",
        },
        format="json",
    )
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["title"], body["rating"], body["reviewed_by"], body["first_source"]) == (
        "Ceasefire collapsed",
        "mostly_true",
        "claims-rita",
        "harbour-herald",
    )
    bad = rita.patch(f"/api/v1/claim-clusters/{ceasefire.pk}/", {"rating": "pants_on_fire"}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()

    # Split the Klaxon's claim off, then merge the bridge claim into the jobs cluster.
    klaxon_claim = Claim.objects.get(text=ARTICLES[0][2])
    split = rita.post(
        f"/api/v1/claim-clusters/{ceasefire.pk}/split/", {"claims": [klaxon_claim.pk]}, format="json"
    )
    assert split.status_code == 201, split.content
    new_id = split.json()["id"]
    jobs, bridge = _cluster_of(ARTICLES[3][2]), _cluster_of(ARTICLES[5][2])
    merged = rita.post(f"/api/v1/claim-clusters/{jobs.pk}/merge/", {"other": bridge.pk}, format="json")
    assert merged.status_code == 200 and len(merged.json()["claims"]) == 3
    assert (
        rita.post(f"/api/v1/claim-clusters/{jobs.pk}/merge/", {"other": jobs.pk}, format="json").status_code
        == 400
    )
    claims_refresh(project_id=project.pk)
    assert _cluster_of(ARTICLES[0][2]).pk == new_id
    assert _cluster_of("The ceasefire has collapsed.").name == "Ceasefire collapsed"
    assert _cluster_of(ARTICLES[5][2]).pk == jobs.pk
    assert not ClaimCluster.objects.filter(pk=bridge.pk).exists()
    history = rita.get(f"/api/v1/claim-clusters/{ceasefire.pk}/history/").json()
    assert [(h["action"], h["rating"], h["user"]) for h in history][:1] == [
        ("changed", "mostly_true", "claims-rita")
    ]
    newest = rita.get(f"/api/v1/claim-clusters/{jobs.pk}/history/").json()[0]
    assert newest["reason"] == f"merged with cluster {bridge.pk}"

    # Verdicts as ClaimReview: the claim, each appearance and the first.
    (review,) = claim_reviews(project_id=project.pk, publisher="Claims desk")
    assert review["@type"] == "ClaimReview" and review["claimReviewed"] == "Ceasefire collapsed"
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Mostly true",
        "ratingValue": 4,
        "bestRating": 5,
        "worstRating": 1,
    }
    item = review["itemReviewed"]
    assert [w["author"]["name"] for w in item["appearance"]] == ["Harbour Herald", "Kerbside Truth"]
    assert item["firstAppearance"]["datePublished"] == "2025-12-02T09:00:00+00:00"
    assert review["url"] == "https://example.org/checks/1"
    exported = rita.get(f"/api/v1/projects/{project.pk}/claims/claimreview/")
    assert exported["Content-Type"] == "application/ld+json" and exported.json() == [review]

    # Annotators and outsiders reach none of it.
    anna = _client(annotator)
    assert anna.get(f"/api/v1/projects/{project.pk}/claims/").status_code == 403
    assert (
        anna.patch(f"/api/v1/claim-clusters/{ceasefire.pk}/", {"name": "x"}, format="json").status_code == 403
    )
    stranger = member(ProjectFactory(slug="elsewhere-claims"), Role.MANAGER, username="claims-olga")
    assert _client(stranger).get(f"/api/v1/claim-clusters/{ceasefire.pk}/").status_code == 404


def test_claims_follow_the_truth_and_the_job_reports_its_counts(newsroom):
    project, reviewer, _ = newsroom
    claims_refresh(project_id=project.pk)
    Span.objects.filter(text=ARTICLES[5][2]).delete()
    job = JobRun.objects.create(kind="claims_refresh", project=project)
    claims_refresh_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {"claims": 5, "embedded": 0, "removed": 1, "clusters": 2}
    assert not Claim.objects.filter(text=ARTICLES[5][2]).exists()
    listed = _client(reviewer).get(f"/api/v1/projects/{project.pk}/claims/").json()
    assert [len(c["claims"]) for c in listed] == [3, 2]
    assert listed[0]["claims"][1] | {"claim_id": 0, "document_id": 0} == {
        "claim_id": 0,
        "document_id": 0,
        "title": "daily-klaxon on 3",
        "source": "daily-klaxon",
        "published_at": "2025-12-03T09:00:00Z",
        "text": ARTICLES[0][2],
        "evidence": "NONE",
        "hedged": False,
        "sourced": False,
        "stance": None,
        "pinned": False,
    }
