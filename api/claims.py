"""Claims across outlets over the API (reviewers and managers).

GET /projects/{id}/claims/ lists the clusters that two or more sources carry (?min_sources=1
for every cluster), each with its claims; POST /projects/{id}/claims/refresh/ brings them in step
with the truth, as a job. A reviewer names a cluster and rules on it (PATCH
/claim-clusters/{id}/), merges another into it, splits claims off it, and reads its history.
GET /projects/{id}/claims/claimreview/ gives every verdict as schema.org ClaimReview JSON-LD.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.claims.selectors import ClusterView, claim_reviews, clusters_view
from annotator.claims.services import claims_refresh_start, cluster_merge, cluster_review, cluster_split
from annotator.models import ClaimCluster, ClaimRating
from api.serializers import JobSerializer, StrictCharField
from api.views import job_accepted, validated


class AppearanceSerializer(serializers.Serializer):
    claim_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    title = serializers.CharField()
    source = serializers.CharField(source="source_slug", help_text="The source's slug.")  # type: ignore[assignment]  # stubs: Field.source
    published_at = serializers.DateTimeField(allow_null=True)
    text = serializers.CharField()
    evidence = serializers.JSONField(source="attributes.evidence", default=None)
    hedged = serializers.BooleanField()
    sourced = serializers.BooleanField()
    stance = serializers.JSONField(source="attributes.stance", default=None)
    pinned = serializers.BooleanField(help_text="A reviewer placed it: the clustering leaves it here.")


class ClusterSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="cluster.pk")
    name = serializers.CharField(source="cluster.name")
    title = serializers.CharField(help_text="The name, else the first appearance's words.")
    sources = serializers.ListField(child=serializers.CharField())
    first_source = serializers.CharField(source="first.source_slug", default=None)
    first_published_at = serializers.DateTimeField(source="first.published_at", default=None)
    rating = serializers.CharField(source="cluster.rating")
    rating_note = serializers.CharField(source="cluster.rating_note")
    review_url = serializers.CharField(source="cluster.review_url")
    reviewed_by = serializers.CharField(source="cluster.reviewed_by.username", default=None)
    reviewed_at = serializers.DateTimeField(source="cluster.reviewed_at")
    claims = AppearanceSerializer(source="appearances", many=True)


class ClusterReviewSerializer(serializers.Serializer):
    name = StrictCharField(max_length=300, required=False, allow_blank=True)
    rating = serializers.ChoiceField(choices=[("", "none"), *ClaimRating.choices], required=False)
    rating_note = StrictCharField(max_length=5000, required=False, allow_blank=True)
    review_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)


class MergeSerializer(serializers.Serializer):
    other = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The cluster to merge into this one."
    )


class SplitSerializer(serializers.Serializer):
    claims = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=1000
    )


class MinSourcesSerializer(serializers.Serializer):
    min_sources = serializers.IntegerField(min_value=1, max_value=1000, default=2)


class ClusterHistorySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="history_date")
    user = serializers.CharField(source="history_user.username", default=None)
    action = serializers.SerializerMethodField()
    reason = serializers.CharField(source="history_change_reason", allow_null=True)
    name = serializers.CharField()
    rating = serializers.CharField()
    rating_note = serializers.CharField()
    review_url = serializers.CharField()

    def get_action(self, row: Any) -> str:
        return {"+": "created", "~": "changed", "-": "deleted"}[row.history_type]


def _view(claim_cluster: ClaimCluster) -> dict[str, Any]:
    """The cluster as the API shows it, with its claims (none after a merge took them all)."""
    found = clusters_view(project_id=claim_cluster.project_id, min_sources=1, cluster_ids=[claim_cluster.pk])
    return ClusterSerializer(found[0] if found else ClusterView(claim_cluster)).data


class ClaimClusterListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("min_sources", int, description="Sources a cluster needs (default 2).")],
        responses=ClusterSerializer(many=True),
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        data = validated(MinSourcesSerializer, request.query_params)
        views = clusters_view(project_id=project.pk, min_sources=data["min_sources"])
        return Response(ClusterSerializer(views, many=True).data)


class ClaimsRefreshApi(APIView):
    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Bring claims and clusters in step with the truth, as a job."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        return job_accepted(claims_refresh_start(project=project, user=cast(User, request.user)))


class ClaimReviewApi(APIView):
    @extend_schema(
        responses={
            (200, "application/ld+json"): {
                "type": "array",
                "items": {"type": "object", "description": "A schema.org ClaimReview."},
            }
        }
    )
    def get(self, request: Request, project_id: int) -> Response:
        """Every verdict as schema.org ClaimReview, with each appearance and the first."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        reviews = claim_reviews(project_id=project.pk, publisher=project.name)
        return Response(reviews, content_type="application/ld+json")


class ClaimClusterDetailApi(APIView):
    @extend_schema(responses=ClusterSerializer)
    def get(self, request: Request, cluster_id: int) -> Response:
        return Response(_view(access.access_claim_cluster(user=request.user, cluster_id=cluster_id)))

    @extend_schema(request=ClusterReviewSerializer, responses=ClusterSerializer)
    def patch(self, request: Request, cluster_id: int) -> Response:
        """Name the cluster or rule on it; the fields left out stay."""
        claim_cluster = access.access_claim_cluster(user=request.user, cluster_id=cluster_id)
        data = validated(ClusterReviewSerializer, request.data)
        cluster_review(claim_cluster=claim_cluster, reviewer=cast(User, request.user), **data)
        return Response(_view(claim_cluster))


class ClaimClusterMergeApi(APIView):
    @extend_schema(request=MergeSerializer, responses=ClusterSerializer)
    def post(self, request: Request, cluster_id: int) -> Response:
        """Move every claim of `other` here and remove `other`."""
        claim_cluster = access.access_claim_cluster(user=request.user, cluster_id=cluster_id)
        data = validated(MergeSerializer, request.data)
        cluster_merge(claim_cluster=claim_cluster, other_id=data["other"], reviewer=cast(User, request.user))
        return Response(_view(claim_cluster))


class ClaimClusterSplitApi(APIView):
    @extend_schema(request=SplitSerializer, responses={201: ClusterSerializer})
    def post(self, request: Request, cluster_id: int) -> Response:
        """Move the given claims into a new cluster, which the answer shows."""
        claim_cluster = access.access_claim_cluster(user=request.user, cluster_id=cluster_id)
        data = validated(SplitSerializer, request.data)
        new = cluster_split(
            claim_cluster=claim_cluster, claim_ids=data["claims"], reviewer=cast(User, request.user)
        )
        return Response(_view(new), status=status.HTTP_201_CREATED)


class ClaimClusterHistoryApi(APIView):
    @extend_schema(responses=ClusterHistorySerializer(many=True))
    def get(self, request: Request, cluster_id: int) -> Response:
        """Every change of the cluster, newest first."""
        claim_cluster = access.access_claim_cluster(user=request.user, cluster_id=cluster_id)
        rows = (
            ClaimCluster.history.filter(id=claim_cluster.pk)
            .select_related("history_user")
            .order_by("-history_id")
        )
        return Response(ClusterHistorySerializer(rows, many=True).data)
