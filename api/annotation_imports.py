"""Annotation import over the API: POST /projects/{id}/annotations/import/ (managers), a
multipart upload of one export (`file`) with its `format` and the mappings of its annotators
and labels. 201 with what was imported, or 400 with every problem and nothing imported; a large
upload answers 202 with the job that imports it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.imports.annotations.formats import ANNOTATION_FORMATS
from annotator.imports.annotations.services import IMPORT_STATUSES, AnnotationImportOptions
from annotator.imports.rows import unstorable
from annotator.imports.uploads import annotations_import_upload
from annotator.models import JobRun, Source
from api import serializers as s
from api.views import job_accepted, validated


class NameMapField(serializers.JSONField):
    """A JSON object of names to names ({"alice": "alice.smith"}); a form sends it as text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(binary=True, **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v and not unstorable(k + v)
            for k, v in value.items()
        ):
            raise serializers.ValidationError(
                'Must be a JSON object of names, like {"alice": "alice.smith"}.'
            )
        return value


class AnnotationImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The export: a file of the format, or a zip of them.")
    format = serializers.ChoiceField(choices=sorted(ANNOTATION_FORMATS))
    annotators = NameMapField(
        required=False, default=dict, help_text="Annotator in the file -> member's username."
    )
    labels = NameMapField(
        required=False, default=dict, help_text="Label in the file -> the project's label key."
    )
    placeholders = serializers.BooleanField(
        required=False, default=False, help_text="Unmapped annotators become inactive placeholder accounts."
    )
    status = serializers.ChoiceField(choices=IMPORT_STATUSES, required=False, default=IMPORT_STATUSES[0])
    source = s.StrictSlugRelatedField(  # type: ignore[assignment]  # stubs: Field.source
        slug_field="slug",
        queryset=Source.objects.all(),
        required=False,
        help_text="Source of documents that name none.",
    )


class AnnotationImportSummarySerializer(serializers.Serializer):
    documents_created = serializers.IntegerField()
    documents_matched = serializers.IntegerField()
    layers = serializers.IntegerField()
    spans = serializers.IntegerField()
    placeholders = serializers.ListField(child=serializers.CharField())
    errors = s.ImportIssueSerializer(many=True)  # type: ignore[assignment]  # stubs: Serializer.errors


class AnnotationImportApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": AnnotationImportSerializer},
        # A refused import answers 400 with the same summary; the generic error body covers it.
        responses={201: AnnotationImportSummarySerializer, 202: s.JobSerializer},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.MANAGERS)
        data = validated(AnnotationImportSerializer, request.data)
        options = AnnotationImportOptions(
            format=data["format"],
            annotators=data["annotators"],
            labels=data["labels"],
            placeholders=data["placeholders"],
            status=data["status"],
        )
        outcome = annotations_import_upload(
            project=project,
            upload=data["file"],
            options=options,
            default_source=data.get("source"),
            user=request.user if request.user.is_authenticated else None,
        )
        if isinstance(outcome, JobRun):
            return job_accepted(outcome)
        return Response(
            outcome.to_dict(),
            status=status.HTTP_400_BAD_REQUEST if outcome.refused else status.HTTP_201_CREATED,
        )
