"""Source profiles over the API: every source's profile with the corpus value, one source's
profile, a full recompute as a job, and the comparison table as CSV.

Who: reviewers and managers; annotators only when the project sets
profiles_visible_to_annotators and is not blind (annotator.access.can_read_profiles); only
reviewers and managers recompute. Outsiders get 404, anonymous callers 401.

GET /projects/{id}/profiles/?basis=all|consensus|model|gold answers 404 {"detail": "No source
profiles yet on basis consensus; POST to compute them."} until that basis was computed, and
400 on basis model until annotator competence was estimated (in
eager mode, without a broker, a read computes what is missing or changed first). A profile is
`annotator.profiles.maths.source_profile`'s JSON (coverage, metrics, evidence_mix, stance,
settings; each figure {value, ci95, n, unit, status, reason}) plus "basis", "layers" (articles
per origin) and "agreement" (the source's agreement report, summarised, with its badge). The
corpus has the same shape, for all sources pooled. `pending` is true while a layer change waits
for the next (coalesced) refresh.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.claims.selectors import across_outlets
from annotator.errors import NotFound
from annotator.exports.formats import neutralise
from annotator.models import ProfileBasis, ProfileCorpus, Source, SourceProfile
from annotator.profiles.maths import EVIDENCE_VALUES
from annotator.profiles.services import (
    COVERAGE_KEYS,
    DEFAULT_BASIS,
    METRIC_KEYS,
    ProjectProfiles,
    profiles_recompute_start,
    profiles_table,
    project_profiles_current,
)
from api import serializers as s
from api.agreement import EstimateSerializer
from api.exports import FileExportNegotiation
from api.views import job_accepted

BASIS_PARAMETER = OpenApiParameter(
    "basis",
    str,
    enum=list(ProfileBasis.values),
    default=DEFAULT_BASIS,
    description=(
        "all: every submitted annotation layer, an article's counts averaged over its layers; "
        "consensus: the spans a majority of an article's submitted layers (two or more) agree on; "
        "gold: the adjudicated layer where one exists, else the consensus."
    ),
)


STATUS_HELP = (
    '"ok"; "low_confidence" (fewer than twice the minimum articles); "insufficient" (too few '
    "articles, or below the figure's own minimum: the value is null, `reason` says why)."
)


def no_profiles(basis: str) -> str:
    return f"No source profiles yet on basis {basis}; POST to compute them."


# SERIALIZERS (the profile shape: annotator/profiles/__init__.py)
# ------------------------------------------------------------------------------


class BasisSerializer(serializers.Serializer):
    basis = s.QueryChoiceField(choices=ProfileBasis.choices, default=DEFAULT_BASIS)


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Null when the status is insufficient.")
    ci95 = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="95 % cluster-bootstrap interval [low, high].",
    )
    n = serializers.FloatField(help_text="The sample the figure rests on, counted in `unit`.")
    unit = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    reason = serializers.CharField(allow_null=True)


class CoverageSerializer(serializers.Serializer):
    articles = serializers.IntegerField()
    words = serializers.FloatField()
    annotators = serializers.IntegerField()
    double_annotated = serializers.IntegerField()
    double_annotated_share = serializers.FloatField(allow_null=True)
    first_published = serializers.DateField(allow_null=True)
    last_published = serializers.DateField(allow_null=True)
    status = serializers.CharField(help_text=STATUS_HELP)
    reason = serializers.CharField(allow_null=True)


MetricsSerializer = type(
    "ProfileMetricsSerializer", (serializers.Serializer,), {key: FigureSerializer() for key in METRIC_KEYS}
)
EvidenceMixSerializer = type(
    "EvidenceMixSerializer", (serializers.Serializer,), {key: FigureSerializer() for key in EVIDENCE_VALUES}
)


class StanceCountsSerializer(serializers.Serializer):
    FAVOR = serializers.FloatField()
    AGAINST = serializers.FloatField()
    NEUTRAL = serializers.FloatField()


class VoiceStanceSerializer(serializers.Serializer):
    spans = serializers.FloatField()
    articles = serializers.IntegerField()
    counts = StanceCountsSerializer()
    net = FigureSerializer(help_text="(F - A) / (F + A + N) per article, averaged over articles.")


class TargetStanceSerializer(VoiceStanceSerializer):
    by_voice = serializers.DictField(
        child=VoiceStanceSerializer(), help_text='"author" (AUTHOR) and "quoted" (QUOTED or PARAPHRASED).'
    )


class AgreementSummarySerializer(serializers.Serializer):
    resolution = serializers.CharField()
    n_documents = serializers.IntegerField(help_text="Double-annotated articles the figure rests on.")
    alpha = EstimateSerializer(help_text="Krippendorff's alpha (nominal, all labels) over tokens.")
    f1_overlap = EstimateSerializer(allow_null=True)
    labels = serializers.DictField(child=EstimateSerializer(allow_null=True), help_text="Alpha per label.")
    badge = serializers.ChoiceField(
        choices=["reliable", "tentative", "unreliable"],
        allow_null=True,
        help_text="alpha >= .800 reliable, >= .667 tentative; null below 10 documents or without alpha.",
    )
    reason = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField()


class ProfileBodySerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=ProfileBasis.choices)
    layers = serializers.DictField(
        child=serializers.IntegerField(), help_text='Articles per origin: "all", "consensus" or "gold".'
    )
    agreement = AgreementSummarySerializer(allow_null=True)
    coverage = CoverageSerializer()
    metrics = MetricsSerializer()
    evidence_mix = EvidenceMixSerializer()
    stance = serializers.DictField(child=TargetStanceSerializer(), help_text="Per stance target.")
    settings = serializers.DictField(help_text="Thresholds, resamples, seed and level behind the figures.")
    scorecard = serializers.DictField(
        required=False,
        help_text=(
            "For a project with article questions: questions (per key, a scale's mean or each choice's "
            "share with its interval, and by_quarter) and confidence (level, reasons, contradiction, rule)."
        ),
    )


@extend_schema_field(ProfileBodySerializer)
class ProfileField(serializers.JSONField):
    """A stored profile, passed through as it is."""


class SourceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class SourceProfileSerializer(serializers.Serializer):
    source = SourceRefSerializer()  # type: ignore[assignment]  # stubs: Field.source
    n_articles = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    data_watermark = serializers.DateTimeField(allow_null=True, help_text="Newest layer change included.")
    profile = ProfileField()


class CorpusSerializer(serializers.Serializer):
    n_articles = serializers.IntegerField()
    n_sources = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    data_watermark = serializers.DateTimeField(allow_null=True)
    profile = ProfileField()


class ProjectProfilesSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    basis = serializers.ChoiceField(choices=ProfileBasis.choices)
    pending = serializers.BooleanField(help_text="A layer change waits for the next refresh.")
    corpus = CorpusSerializer(help_text="Every source's articles pooled: the value to compare against.")
    sources = SourceProfileSerializer(many=True)


class AcrossOutletsSerializer(serializers.Serializer):
    claims_carried = serializers.IntegerField(
        source="claims.carried",
        help_text="Its claims that two or more outlets carried (gold, else consensus).",
    )
    claims_first_carried = serializers.IntegerField(
        source="claims.first", help_text="Of those, the ones it published first."
    )
    claims_unsourced = serializers.IntegerField(
        source="claims.unsourced",
        help_text="Its claims there without evidence where another outlet gave some.",
    )
    standard_disclaimer = serializers.CharField(
        source="disclaimer.text", default=None, allow_null=True, help_text="The sentence it repeats most."
    )
    standard_disclaimer_share = serializers.FloatField(
        source="disclaimer.share",
        default=None,
        allow_null=True,
        help_text="The percent of its articles that carry it.",
    )


class SourceProfileDetailSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    basis = serializers.ChoiceField(choices=ProfileBasis.choices)
    pending = serializers.BooleanField()
    source = SourceProfileSerializer()  # type: ignore[assignment]  # stubs: Field.source
    corpus = CorpusSerializer()
    across_outlets = AcrossOutletsSerializer(help_text="Whatever the basis: claims and boilerplate.")


class ProfilesMissingSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _basis(request: Request) -> str:
    serializer = BasisSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return str(serializer.validated_data["basis"])


def _corpus(corpus: ProfileCorpus) -> dict[str, Any]:
    return {
        "n_articles": corpus.n_articles,
        "n_sources": corpus.n_sources,
        "computed_at": corpus.computed_at,
        "data_watermark": corpus.data_watermark,
        "profile": corpus.metrics,
    }


def _source(source: Source, profile: SourceProfile) -> dict[str, Any]:
    return {
        "source": {"id": source.pk, "slug": source.slug, "name": source.name},
        "n_articles": profile.n_articles,
        "computed_at": profile.computed_at,
        "data_watermark": profile.data_watermark,
        "profile": profile.metrics,
    }


def _current(project_id: int, basis: str, source_id: int | None = None) -> ProjectProfiles:
    current = project_profiles_current(project_id=project_id, basis=basis, source_id=source_id)
    if current.corpus is None:
        raise NotFound(no_profiles(basis))
    return current


# VIEWS
# ------------------------------------------------------------------------------


class ProfileListApi(APIView):
    @extend_schema(
        operation_id="projects_profiles_list_all",
        parameters=[BASIS_PARAMETER],
        responses={
            200: ProjectProfilesSerializer,
            404: OpenApiResponse(ProfilesMissingSerializer, "No profiles yet on this basis."),
        },
    )
    def get(self, request: Request, project_id: int) -> Response:
        """Every source's profile (sorted by source name) and the corpus profile."""
        project = access.access_profiles_project(user=request.user, project_id=project_id)
        basis = _basis(request)
        current = _current(project.pk, basis)
        assert current.corpus is not None
        data = {
            "project": project.pk,
            "basis": basis,
            "pending": current.pending,
            "corpus": _corpus(current.corpus),
            "sources": [_source(source, profile) for source, profile in current.sources],
        }
        return Response(ProjectProfilesSerializer(data).data)

    @extend_schema(parameters=[BASIS_PARAMETER], request=None, responses={202: s.JobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Recompute every source's profile and the corpus on the basis, as a job."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        user = request.user if request.user.is_authenticated else None
        job = profiles_recompute_start(project=project, basis=_basis(request), user=user)
        return job_accepted(job)


class ProfileDetailApi(APIView):
    @extend_schema(
        operation_id="projects_profiles_source_retrieve",
        parameters=[BASIS_PARAMETER],
        responses={
            200: SourceProfileDetailSerializer,
            404: OpenApiResponse(
                ProfilesMissingSerializer,
                "No profiles yet on this basis, or the source has no articles on it in this project.",
            ),
        },
    )
    def get(self, request: Request, project_id: int, source_id: int) -> Response:
        """One source's profile with the corpus profile to read it against."""
        project = access.access_profiles_project(user=request.user, project_id=project_id)
        basis = _basis(request)
        current = _current(project.pk, basis, source_id=source_id)
        assert current.corpus is not None
        if not current.sources:
            raise NotFound(
                f"No profile of this source on basis {basis}: it has no articles on that basis here."
            )
        data = {
            "project": project.pk,
            "basis": basis,
            "pending": current.pending,
            "source": _source(*current.sources[0]),
            "corpus": _corpus(current.corpus),
            "across_outlets": across_outlets(project_id=project.pk, source_id=source_id),
        }
        return Response(SourceProfileDetailSerializer(data).data)


class ProfileExportApi(APIView):
    """The comparison table as a CSV file: a row per source and one for the corpus."""

    content_negotiation_class = FileExportNegotiation  # errors are JSON whatever Accept says
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="projects_profiles_export_csv",
        parameters=[BASIS_PARAMETER],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=(
                    "One row per source (by name), then the corpus row. Columns: scope, source, name, "
                    f"basis, coverage.* ({', '.join(COVERAGE_KEYS)}), agreement.alpha (+ .low, .high), "
                    "agreement.n_documents, agreement.badge, confidence.level, confidence.contradiction, "
                    "confidence.reasons, then five columns per figure (value, .low, .high, .status, .n) for "
                    "metrics.*, evidence_mix.*, stance.<target>.net and the article ratings scorecard.<question> "
                    "(a scale's mean) or scorecard.<question>:<choice> (a choice's share). Text "
                    "cells that a spreadsheet would run as a formula start with a single quote."
                ),
            ),
            (404, "application/json"): OpenApiResponse(ProfilesMissingSerializer, "No profiles yet."),
        },
    )
    def get(self, request: Request, project_id: int) -> HttpResponse:
        project = access.access_profiles_project(user=request.user, project_id=project_id)
        basis = _basis(request)
        header, rows = profiles_table(profiles=_current(project.pk, basis))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{project.slug}-profiles-{basis}.csv"'
        response["Cache-Control"] = "no-store"
        return response


def _csv_cell(value: Any) -> str:
    """Numbers as they are (full precision), absent values empty, text neutralised: a name such
    as "=HYPERLINK(...)" must not run as a formula when the file is opened in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return neutralise(str(value))
