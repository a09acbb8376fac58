"""Agreement over the API: the project report (with per-source reports), a full recompute as a
job, and one document's figures. Reviewers and managers only.

GET /projects/{id}/agreement/?resolution=token|char answers 404 {"detail": "No agreement report
yet; POST to compute one."} until a report exists: a report appears by itself once a document
has two submitted layers, or by POSTing to the same path. `metrics` is the report of
`annotator.agreement.maths.report_from_statistics` as stored (its own `resolution` says "character"
where the parameter says "char"); pairs name annotators by user id, and `annotators` maps those
ids to usernames. `pending` is true while a change waits for the next (coalesced) refresh;
`stale` while a change could not reach the background refresh at all (Redis away).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.agreement.selectors import document_agreement_get, usernames_get
from annotator.agreement.services import (
    agreement_recompute_start,
    document_agreement_summary,
    project_agreement_current,
)
from annotator.errors import NotFound
from annotator.models import AgreementReport, AgreementResolution
from api import serializers as s
from api.views import job_accepted

NO_REPORT = "No agreement report yet; POST to compute one."
NO_DOCUMENT_STATISTICS = "No agreement figures for this document: it needs two submitted annotation layers."

RESOLUTION_PARAMETER = OpenApiParameter(
    "resolution",
    str,
    enum=list(AgreementResolution.values),
    default=AgreementResolution.TOKEN,
    description="Units of per-position alpha, Cohen's and Fleiss' kappa: tokens or characters.",
)


# SERIALIZERS (the report shape: annotator/agreement/__init__.py)
# ------------------------------------------------------------------------------


class ResolutionSerializer(serializers.Serializer):
    resolution = s.QueryChoiceField(choices=AgreementResolution.choices, default=AgreementResolution.TOKEN)


class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(
        allow_null=True,
        help_text='Why value is null: "no variation", "insufficient data", "no spans" or "not used" '
        "(a label no annotator used).",
    )
    ci95 = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        required=False,
        help_text="95 % cluster-bootstrap interval [low, high] (project and source reports).",
    )
    ci95_reason = serializers.CharField(
        allow_null=True,
        required=False,
        help_text='Why ci95 is null: "too few documents for an interval", the value\'s own reason, or '
        '"undefined in N% of the bootstrap resamples (more than 5%)".',
    )


class OverallAgreementSerializer(serializers.Serializer):
    alpha = EstimateSerializer(
        help_text="Krippendorff's alpha over positions: a position's value is its label (nominal), or, "
        "where the project allows overlapping spans, the set of labels covering it (Jaccard distance)."
    )
    alpha_u = EstimateSerializer(help_text="Unitizing alpha_U over characters (DKPro semantics).")
    f1_exact = EstimateSerializer()
    f1_overlap = EstimateSerializer()
    observed_disagreement = EstimateSerializer()
    coverage = EstimateSerializer()


class LabelAgreementSerializer(serializers.Serializer):
    alpha = EstimateSerializer()
    alpha_u = EstimateSerializer()
    f1_exact = EstimateSerializer()
    f1_overlap = EstimateSerializer()


class PartAgreementSerializer(serializers.Serializer):
    alpha = EstimateSerializer()


class AttributeAgreementSerializer(serializers.Serializer):
    alpha = EstimateSerializer()
    coverage = EstimateSerializer()
    options = serializers.DictField(child=PartAgreementSerializer(), required=False)
    targets = serializers.DictField(child=PartAgreementSerializer(), required=False)


class AgreementMetricsSerializer(serializers.Serializer):
    resolution = serializers.CharField(help_text='"token" or "character".')
    allow_overlap = serializers.BooleanField()
    threshold = serializers.FloatField()
    n_documents = serializers.IntegerField()
    n_layers = serializers.IntegerField()
    rater_basis = serializers.DictField(
        help_text="{raters, n_documents}: the documents behind alpha_U and Fleiss."
    )
    overall = OverallAgreementSerializer()
    labels = serializers.DictField(child=LabelAgreementSerializer())
    attributes = serializers.DictField(child=AttributeAgreementSerializer())
    pairs = serializers.ListField(child=serializers.DictField())
    fleiss_kappa = serializers.DictField()
    confusion = serializers.DictField()
    bootstrap = serializers.DictField(required=False)
    gold = serializers.DictField(
        required=False,
        help_text="Project reports: each annotator against the adjudicated gold layers, "
        '{"n_documents", "annotators": {user id: {"n_documents", "n_spans", "n_gold_spans", '
        '"overall": {f1_exact, f1_overlap, precision_/recall_ exact and overlap, alpha}, '
        '"labels": {key: {f1_exact, f1_overlap, alpha}}}}} (annotator.agreement.maths.gold).',
    )


@extend_schema_field(AgreementMetricsSerializer)
class MetricsField(serializers.JSONField):
    """The stored report, passed through as it is."""


class SourceAgreementSerializer(serializers.Serializer):
    source_id = serializers.IntegerField(allow_null=True)
    slug = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField()
    data_watermark = serializers.DateTimeField(allow_null=True)
    metrics = MetricsField()


class ProjectAgreementSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    resolution = serializers.ChoiceField(choices=AgreementResolution.choices)
    computed_at = serializers.DateTimeField()
    data_watermark = serializers.DateTimeField(
        allow_null=True, help_text="Newest layer submission the figures include."
    )
    pending = serializers.BooleanField(help_text="A change waits for the next refresh.")
    stale = serializers.BooleanField(
        help_text="The figures miss a change and no refresh could be asked for (Redis away): "
        "reading this report asks again, and the refresh follows once Redis answers."
    )
    metrics = MetricsField()
    sources = SourceAgreementSerializer(many=True)
    annotators = serializers.DictField(child=serializers.CharField(), help_text="User id -> username.")


class DisagreementSerializer(serializers.Serializer):
    observed_disagreement = serializers.FloatField()
    unmatched_spans = serializers.IntegerField()
    score = serializers.FloatField(help_text="Orders the review queue, most disagreement first.")


class DocumentAgreementSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    resolution = serializers.ChoiceField(choices=AgreementResolution.choices)
    n_layers = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    layers_watermark = serializers.DateTimeField(allow_null=True)
    disagreement = DisagreementSerializer()
    metrics = MetricsField()
    annotators = serializers.DictField(child=serializers.CharField(), help_text="User id -> username.")


class AgreementMissingSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _resolution(request: Request) -> str:
    serializer = ResolutionSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return str(serializer.validated_data["resolution"])


def _annotators(*metrics: dict[str, Any]) -> dict[str, str]:
    ids = {
        int(a) for m in metrics for pair in m.get("pairs", []) for a in pair["annotators"] if str(a).isdigit()
    }
    ids |= {int(a) for m in metrics for a in (m.get("gold") or {}).get("annotators", {}) if str(a).isdigit()}
    return {str(pk): name for pk, name in sorted(usernames_get(user_ids=ids).items())}


# VIEWS
# ------------------------------------------------------------------------------


class ProjectAgreementApi(APIView):
    @extend_schema(
        parameters=[RESOLUTION_PARAMETER],
        responses={
            200: ProjectAgreementSerializer,
            404: OpenApiResponse(AgreementMissingSerializer, NO_REPORT),
        },
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        resolution = _resolution(request)
        current = project_agreement_current(project_id=project.pk, resolution=resolution)
        report: AgreementReport | None = current.report
        if report is None:
            raise NotFound(NO_REPORT)
        data = {
            "project": project.pk,
            "resolution": resolution,
            "computed_at": report.computed_at,
            "data_watermark": report.data_watermark,
            "pending": current.pending,
            "stale": current.stale,
            "metrics": report.metrics,
            "sources": [
                {
                    "source_id": source.pk if source else None,
                    "slug": r.scope_key,
                    "name": source.name if source else None,
                    "computed_at": r.computed_at,
                    "data_watermark": r.data_watermark,
                    "metrics": r.metrics,
                }
                for source, r in current.sources
            ],
            "annotators": _annotators(report.metrics),
        }
        return Response(ProjectAgreementSerializer(data).data)

    @extend_schema(parameters=[RESOLUTION_PARAMETER], request=None, responses={202: s.JobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        user = request.user if request.user.is_authenticated else None
        job = agreement_recompute_start(project=project, resolution=_resolution(request), user=user)
        return job_accepted(job)


class DocumentAgreementApi(APIView):
    @extend_schema(
        parameters=[RESOLUTION_PARAMETER],
        responses={
            200: DocumentAgreementSerializer,
            404: OpenApiResponse(AgreementMissingSerializer, NO_DOCUMENT_STATISTICS),
        },
    )
    def get(self, request: Request, document_id: int) -> Response:
        document = access.access_document(user=request.user, document_id=document_id, roles=access.REVIEWERS)
        resolution = _resolution(request)
        agreement = document_agreement_get(document_id=document.pk, resolution=resolution)
        if agreement is None:
            raise NotFound(NO_DOCUMENT_STATISTICS)
        summary = document_agreement_summary(agreement=agreement)
        data = {
            "document": document.pk,
            "resolution": resolution,
            "n_layers": agreement.n_layers,
            "computed_at": agreement.computed_at,
            "layers_watermark": agreement.layers_watermark,
            **summary,
            "annotators": _annotators(summary["metrics"]),
        }
        return Response(DocumentAgreementSerializer(data).data)
