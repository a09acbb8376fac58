"""The audit trail of spans: who created, changed, deleted and restored each span and when, and
the managers' undo of a deletion."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.errors import NotFound
from annotator.models import Layer
from annotator.spans.selectors import span_history_list, span_layer_id
from annotator.spans.services import span_restore
from api import serializers as s
from api.serializers import MODEL_VERSION_HELP
from api.views import StrictCursorPagination, cursor_page

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


class SpanHistorySerializer(serializers.Serializer):
    """One entry: the span as it was after the change (for a deletion: as it was deleted)."""

    history_id = serializers.IntegerField(read_only=True)
    span_id = serializers.IntegerField(source="id", read_only=True)
    action = serializers.SerializerMethodField(help_text="created, changed, deleted or restored.")
    at = serializers.DateTimeField(source="history_date", read_only=True)
    user = serializers.SerializerMethodField(help_text="Who did it; null when not known.")
    reason = serializers.CharField(source="history_change_reason", read_only=True, allow_null=True)
    assignment_id = serializers.IntegerField(source="layer_id", read_only=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # stubs: Field.label
    start = serializers.IntegerField(read_only=True)
    end = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    attributes = serializers.JSONField(read_only=True)
    client_uuid = serializers.UUIDField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    model_version = serializers.IntegerField(
        source="model_version_id", read_only=True, allow_null=True, help_text=MODEL_VERSION_HELP
    )

    def get_action(self, row: Any) -> str:
        if row.history_type == "+" and (row.history_change_reason or "").startswith("restored"):
            return "restored"
        return ACTIONS[row.history_type]

    def get_user(self, row: Any) -> str | None:
        return row.history_user.username if row.history_user_id else None

    def get_label(self, row: Any) -> str | None:
        return row.label.key if row.label_id and row.label else None


class RestoreInputSerializer(serializers.Serializer):
    history_id = serializers.IntegerField(
        min_value=1, help_text="The history entry of the deletion to undo (action `deleted`)."
    )


class HistoryCursorPagination(StrictCursorPagination):
    ordering = "history_id"
    page_size = 200
    max_page_size = 1000


def _readable_layer(request: Request, layer_id: int, not_found: str) -> Layer:
    try:
        layer = access.access_layer(user=request.user, layer_id=layer_id)
    except NotFound:
        raise NotFound(not_found) from None
    if not access.can_read_span_history(user=request.user, layer=layer):
        raise PermissionDenied("The history of a layer is for its annotator, reviewers and managers.")
    return layer


class SpanHistoryApi(APIView):
    @extend_schema(responses=SpanHistorySerializer(many=True))
    def get(self, request: Request, span_id: int) -> Response:
        """Every change of one span, oldest first, also after it was deleted."""
        layer_id = span_layer_id(span_id=span_id)
        if layer_id is None:
            raise NotFound("Span not found.")
        _readable_layer(request, layer_id, "Span not found.")
        rows = span_history_list(span_id=span_id)
        return Response(SpanHistorySerializer(rows, many=True).data)


class LayerHistoryApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=cursor_page(SpanHistorySerializer),
    )
    def get(self, request: Request, assignment_id: int) -> Response:
        """Every change of every span of a layer, deleted spans included, oldest first."""
        _readable_layer(request, assignment_id, "Layer not found.")
        paginator = HistoryCursorPagination()
        page: Any = paginator.paginate_queryset(span_history_list(layer_id=assignment_id), request, view=self)
        return paginator.get_paginated_response(SpanHistorySerializer(page, many=True).data)


class SpanRestoreApi(APIView):
    @extend_schema(request=RestoreInputSerializer, responses={201: s.SpanSerializer})
    def post(self, request: Request, assignment_id: int) -> Response:
        """Bring a deleted span back (managers), checked like a new span: under its old id and
        client_uuid, at the next version. Its history entry names who restored it."""
        layer = access.access_layer(user=request.user, layer_id=assignment_id)
        if not access.can_restore_spans(layer=layer):
            raise PermissionDenied("Managers restore deleted spans.")
        serializer = RestoreInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        span = span_restore(
            layer=layer,
            history_id=serializer.validated_data["history_id"],
            actor=request.user,  # type: ignore[arg-type]
        )
        return Response(s.SpanSerializer(span).data, status=status.HTTP_201_CREATED)
