"""GET /api/v1/projects/{id}/export/: the project's labelled data as a streamed file.

Thin, like every view: the query is checked by a serializer, the project comes through
annotator.access (with `can_export` for the rule), annotator.exports.services resolves the filters and
streams the rows through a formatter. Everything that can fail is checked before the first byte
is sent; after that the response is a stream that reads the database a page at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from annotator import access
from annotator.exports import BASES, FORMATTERS
from annotator.exports.services import export_filters_resolve, export_stream
from api.serializers import QueryChoiceField, QueryDateTimeField, StrictCharField

FORMATS = sorted(FORMATTERS)


class FileExportNegotiation(BaseContentNegotiation):
    """`format` names the export format here, not a DRF renderer: errors are always JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


SINCE_HELP = (
    "ISO 8601 date or datetime (UTC when no offset is given; write + as %2B). Keeps the documents "
    "whose layers on the basis changed at or after it: for all, consensus and model an annotation layer "
    "created, submitted, reopened or skipped since; for gold the gold layer updated, a gold span "
    "created, or an adjudication decision recorded since. Matching documents are exported whole "
    "(every layer, the whole consensus), so an incremental pull replaces documents by document_id."
)


class ExportApi(APIView):
    """Stream a project's labelled data as a file (attachment `{project}-{basis}.{ext}`).

    Reviewers and managers export any basis. Annotators export only from a project that is not
    blind, and not the gold layer. Offsets are Unicode code points, half-open [start, end)."""

    content_negotiation_class = FileExportNegotiation
    renderer_classes = [JSONRenderer]

    class InputSerializer(serializers.Serializer):
        format = QueryChoiceField(choices=FORMATS, default="jsonl")
        basis = QueryChoiceField(choices=BASES, default="all")
        # stubs: Field.source and Field.label are attributes of a field, not of the input
        source = StrictCharField(required=False, max_length=100)  # type: ignore[assignment]
        label = StrictCharField(required=False, max_length=50)  # type: ignore[assignment]
        annotator = StrictCharField(required=False, max_length=150)
        since = QueryDateTimeField(required=False)
        part = QueryChoiceField(choices=["train", "test"], required=False)
        test_share = serializers.FloatField(required=False, default=0.2, min_value=0.01, max_value=0.99)
        split_seed = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1)

    @extend_schema(
        operation_id="projects_export_retrieve",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=FORMATS,
                default="jsonl",
                description=(
                    "jsonl: one document a line with its spans; csv: one span a row, one column per "
                    "attribute; conll: BIO tags per token, one block per layer."
                ),
            ),
            OpenApiParameter(
                "basis",
                str,
                enum=list(BASES),
                default="all",
                description=(
                    "all: every submitted annotation layer (spans carry `annotator`); consensus: spans "
                    "a majority of a document's submitted layers (two or more) agree on; model: the "
                    "spans the last competence fit (MACE) finds there, each annotator weighed by "
                    "how reliable it estimates them, 400 until competence was estimated; gold: the "
                    "adjudicated layer, 400 until one exists. Consensus, model and gold spans carry "
                    "`basis`."
                ),
            ),
            OpenApiParameter("source", str, description="A source slug or id: only its documents."),
            OpenApiParameter("label", str, description="A label key: only spans of that label."),
            OpenApiParameter(
                "annotator", str, description="A username: only that annotator's layers (basis all only)."
            ),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description=SINCE_HELP),
            OpenApiParameter(
                "part",
                str,
                enum=["train", "test"],
                description="One part of a split by source: no source has documents in both parts.",
            ),
            OpenApiParameter(
                "test_share", float, default=0.2, description="The test part's share of the documents."
            ),
            OpenApiParameter("split_seed", int, default=0, description="Another seed gives another split."),
        ],
        responses={
            (200, "application/jsonl"): OpenApiResponse(OpenApiTypes.BINARY, description="The JSONL file."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.BINARY, description="The CoNLL (BIO) file."),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The Label Studio tasks."
            ),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The WebAnno TSV files, one per document and layer."
            ),
            (400, "application/json"): OpenApiResponse(
                inline_serializer(
                    "ExportQueryError",
                    {
                        name: serializers.ListField(child=serializers.CharField(), required=False)
                        for name in (
                            "format",
                            "basis",
                            "source",
                            "label",
                            "annotator",
                            "since",
                            "part",
                            "test_share",
                        )
                    },
                ),
                description="A message per field: unknown format, basis, source, label or annotator, "
                "unparseable since, or basis gold before a gold layer exists.",
            ),
        },
    )
    def get(self, request: Request, project_id: int) -> StreamingHttpResponse:
        project = access.access_project(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        role = project.user_role  # type: ignore[attr-defined]
        if not access.can_export(role=role, project=project, basis=data["basis"]):
            raise PermissionDenied(
                "Exports show other annotators' layers: they need the reviewer or manager role "
                "(annotators may export all or consensus from a project that is not blind)."
            )
        filters = export_filters_resolve(
            project=project,
            basis=data["basis"],
            source=data.get("source"),
            label=data.get("label"),
            annotator=data.get("annotator"),
            since=data.get("since"),
            part=data.get("part"),
            test_share=data["test_share"],
            split_seed=data["split_seed"],
        )
        export = export_stream(project=project, format=data["format"], filters=filters)
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"  # let nginx pass chunks on as they come
        return response
