"""Review over the API (reviewers and managers; annotators get 403, outsiders 404):

* GET  /projects/{id}/review/queue/: documents whose k annotation layers are all submitted, most
  disagreement first, paginated (page, page_size) and filtered (source, label, annotator,
  adjudicated);
* GET  /documents/{id}/review/: the review state: every annotation layer with its spans and
  annotator, the gold layer, the aligned span groups with their kinds of disagreement, the
  decisions so far;
* POST /documents/{id}/decisions/: one review action, e.g. {"action": "accept", "span_id": 7};
  answers the decisions it wrote and the updated review state;
* GET  /projects/{id}/decisions/export/: every decision of the project as JSONL, streamed.

Thin, like every view: a serializer checks the input, annotator.access gives the object,
annotator.review.services acts, annotator.review.selectors reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, cast

from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.agreement.maths.review import KINDS
from annotator.exports.writers import encode_chunks
from annotator.models import Decision, DecisionAction, Document
from annotator.review.selectors import (
    ReviewState,
    decision_rows_iter,
    review_queue,
    review_queue_filters_resolve,
    review_queue_rows,
    review_state_get,
)
from annotator.review.services import (
    review_accept,
    review_accept_agreed,
    review_add,
    review_adjudicate,
    review_answer,
    review_edit,
    review_reject,
    review_reopen,
    review_take_attributes,
)
from api.exports import FileExportNegotiation
from api.serializers import (
    MAX_INTEGER,
    LayerDocumentSerializer,
    QueryChoiceField,
    QueryDateTimeField,
    SourceBriefSerializer,
    SpanCreateSerializer,
    SpanSerializer,
    SpanUpdateSerializer,
    StrictCharField,
    StrictSlugField,
)

# Characters that JSON allows raw inside strings but some line readers split on.
_LINE_SEPARATORS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})

# SERIALIZERS
# ------------------------------------------------------------------------------


class QueueLayerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    status = serializers.CharField()
    n_spans = serializers.IntegerField()


class QueueItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The document's id.")
    title = serializers.CharField()
    external_id = serializers.CharField()
    source = SourceBriefSerializer()  # type: ignore[assignment]  # stubs: Field.source
    disagreement = serializers.FloatField(
        allow_null=True, help_text="The document's disagreement score (token resolution); null if none yet."
    )
    layers_submitted = serializers.IntegerField()
    layers = QueueLayerSerializer(many=True, help_text="Annotation layers (not skipped).")
    gold = QueueLayerSerializer(allow_null=True, help_text="The gold layer, once a reviewer acted.")
    adjudicated = serializers.BooleanField(help_text="The gold layer is submitted.")


class QueuePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueItemSerializer(many=True)


class ChangesSinceReturnSerializer(serializers.Serializer):
    returned_at = serializers.DateTimeField()
    added = serializers.ListField(child=serializers.IntegerField())
    removed = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.ListField(child=serializers.IntegerField())


class ReviewLayerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="layer.pk")
    user_id = serializers.IntegerField(source="layer.user_id")
    username = serializers.CharField(source="layer.user.username")
    kind = serializers.CharField(source="layer.kind")
    status = serializers.CharField(source="layer.status")
    submitted_at = serializers.DateTimeField(source="layer.submitted_at", allow_null=True)
    spans = SpanSerializer(many=True)
    since_return = ChangesSinceReturnSerializer(
        allow_null=True,
        help_text="For a layer submitted again after a reviewer sent it back: the span ids added, "
        "removed and changed since then.",
    )
    answers = serializers.DictField(help_text="Its answers to the article questions, by question key.")


class SpanGroupSerializer(serializers.Serializer):
    start = serializers.IntegerField(source="group.start")
    end = serializers.IntegerField(source="group.end")
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=KINDS),
        source="group.kinds",
        help_text="How the spans differ: missing (a layer has none), label, boundary, attribute.",
    )
    agreed = serializers.BooleanField(
        source="group.agreed", help_text="Every layer has the same span here (boundaries, label, attributes)."
    )
    spans = serializers.SerializerMethodField(help_text="Ids of the annotators' spans in the group.")
    gold_spans = serializers.ListField(
        child=serializers.IntegerField(),
        source="gold_span_ids",
        help_text="Ids of the gold spans that overlap a span of the group.",
    )

    def get_spans(self, group: Any) -> list[int]:
        return [span.id for span in group.group.spans]


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField(source="document_id")
    action = serializers.ChoiceField(choices=DecisionAction.choices)
    reviewer = serializers.CharField(source="reviewer.username")
    gold_span = serializers.IntegerField(
        source="gold_span_id", allow_null=True, help_text="The gold span made or changed; null once removed."
    )
    source_span_ids = serializers.ListField(child=serializers.IntegerField())
    before = serializers.JSONField(allow_null=True, help_text="The gold span before (a snapshot), or null.")
    after = serializers.JSONField(allow_null=True, help_text="The gold span after (a snapshot), or null.")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewStateSerializer(serializers.Serializer):
    document = LayerDocumentSerializer()
    annotators_per_document = serializers.IntegerField()
    disagreement = serializers.FloatField(allow_null=True)
    adjudicated = serializers.BooleanField()
    layers = ReviewLayerSerializer(many=True)
    gold = ReviewLayerSerializer(allow_null=True)
    groups = SpanGroupSerializer(many=True)
    decisions = DecisionSerializer(many=True)


class DecisionResultSerializer(serializers.Serializer):
    decisions = DecisionSerializer(many=True, help_text="The decisions this action wrote.")
    review = ReviewStateSerializer()


class DecisionActionSerializer(serializers.Serializer):
    """Which review action a request asks for; its own serializer then reads the rest."""

    action = serializers.ChoiceField(choices=DecisionAction.choices)


class DecisionInputSerializer(serializers.Serializer):
    """What every review action takes: its name and an optional note. Each action's own
    serializer below adds its fields; a field an action does not take is refused by name."""

    action = serializers.ChoiceField(choices=DecisionAction.choices)
    note = StrictCharField(required=False, allow_blank=True, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.error_messages["required"] = f"{self.action_name} needs {name}."

    @property
    def action_name(self) -> str:
        return DECISION_ACTION_NAMES.get(type(self), "an action")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        taken = set(self.fields)
        if isinstance(self.initial_data, dict):
            extra = sorted(set(self.initial_data) - taken)
            if extra:
                raise serializers.ValidationError(
                    {key: [f"{self.action_name} does not take {key}."] for key in extra}
                )
        attrs.pop("action", None)
        return attrs


def _id(help_text: str, *, required: bool = True, **options: Any) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_INTEGER, help_text=help_text, required=required, **options
    )


class AcceptInputSerializer(DecisionInputSerializer):
    """Copy an annotator's span into the gold layer."""

    span_id = _id("An annotator's span.")


class AcceptAgreedInputSerializer(DecisionInputSerializer):
    """Copy every span that all annotators agree on into the gold layer."""


class EditInputSerializer(DecisionInputSerializer, SpanUpdateSerializer):
    """Change a gold span (`version`: the one you read): any of label, start, end (with text)
    and attributes, as a span update takes them."""

    gold_span_id = _id("The gold span to change.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        fixed = {"gold_span_id", "version", "note"}
        attrs["changes"] = {key: attrs.pop(key) for key in list(attrs) if key not in fixed}
        return attrs


class AddInputSerializer(DecisionInputSerializer, SpanCreateSerializer):
    """Add a span of the reviewer's own to the gold layer, as a span create takes it
    (`client_uuid` makes a repeated add harmless)."""


class RejectInputSerializer(DecisionInputSerializer):
    """Reject an annotator's span ({span_id}) or remove a gold span ({gold_span_id, version})."""

    span_id = _id("An annotator's span.", required=False)
    gold_span_id = _id("The gold span to remove.", required=False)
    version = _id("The gold span's version you read; 409 if stale.", required=False)


class AnswerDecisionInputSerializer(DecisionInputSerializer):
    """Answer an article question in the gold layer (null withdraws its answer)."""

    question = StrictSlugField(max_length=50, help_text="The question's key.")
    value = serializers.JSONField(
        allow_null=True, help_text="The answer, as an annotator's would be; null: none."
    )


class TakeAttributesInputSerializer(DecisionInputSerializer):
    """Copy attributes from an annotator's span onto a gold span."""

    gold_span_id = _id("The gold span to change.")
    version = _id("The gold span's version you read; 409 if stale.")
    span_id = _id("The annotator's span to take the attributes from.")
    keys = serializers.ListField(
        child=StrictCharField(max_length=50),
        required=False,
        min_length=1,
        max_length=100,
        help_text="Only these attributes (default every one that applies).",
    )


class ReopenInputSerializer(DecisionInputSerializer):
    """Give a submitted annotation layer back to its annotator."""

    assignment_id = _id("The layer to reopen.", source="layer_id")


class AdjudicateInputSerializer(DecisionInputSerializer):
    """Mark the document adjudicated: its gold layer is final."""


# Each action: its input, and the service that carries it out with the input's fields.
DECISION_ACTIONS: dict[str, tuple[type[DecisionInputSerializer], Callable[..., list[Decision]]]] = {
    DecisionAction.ACCEPT: (AcceptInputSerializer, review_accept),
    DecisionAction.ACCEPT_AGREED: (AcceptAgreedInputSerializer, review_accept_agreed),
    DecisionAction.EDIT: (EditInputSerializer, review_edit),
    DecisionAction.ADD: (AddInputSerializer, review_add),
    DecisionAction.REJECT: (RejectInputSerializer, review_reject),
    DecisionAction.TAKE_ATTRIBUTES: (TakeAttributesInputSerializer, review_take_attributes),
    DecisionAction.ANSWER: (AnswerDecisionInputSerializer, review_answer),
    DecisionAction.REOPEN: (ReopenInputSerializer, review_reopen),
    DecisionAction.ADJUDICATE: (AdjudicateInputSerializer, review_adjudicate),
}
DECISION_ACTION_NAMES = {serializer: str(action) for action, (serializer, _) in DECISION_ACTIONS.items()}
DECISION_INPUT = PolymorphicProxySerializer(
    component_name="DecisionInput",
    serializers={str(action): serializer for action, (serializer, _) in DECISION_ACTIONS.items()},
    resource_type_field_name="action",
)


class QueueInputSerializer(serializers.Serializer):
    # stubs: Field.source and Field.label are attributes of a field, not of the input
    source = StrictCharField(required=False, max_length=100)  # type: ignore[assignment]
    label = StrictCharField(required=False, max_length=50)  # type: ignore[assignment]
    annotator = StrictCharField(required=False, max_length=150)
    adjudicated = QueryChoiceField(choices=["true", "false"], required=False)
    needs_review = QueryChoiceField(choices=["true", "false"], required=False)


class DecisionExportInputSerializer(serializers.Serializer):
    since = QueryDateTimeField(required=False)
    action = QueryChoiceField(choices=DecisionAction.choices, required=False)


# VIEWS
# ------------------------------------------------------------------------------


class ReviewQueuePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[0]
        if len(values) > 1 or not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise serializers.ValidationError(
                {"page_size": [f"page_size must be one whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(value), self.max_page_size)


def _review_payload(state: ReviewState) -> dict[str, Any]:
    """What ReviewStateSerializer renders."""
    return {
        "document": state.document,
        "annotators_per_document": state.document.project.annotators_per_document,
        "disagreement": state.disagreement,
        "adjudicated": state.adjudicated,
        "layers": state.layers,
        "gold": state.gold,
        "groups": state.groups,
        "decisions": state.decisions,
    }


class ReviewQueueApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("source", str, description="A source slug or id."),
            OpenApiParameter("label", str, description="A label key: documents with a submitted span of it."),
            OpenApiParameter(
                "annotator", str, description="A username: documents with their submitted layer."
            ),
            OpenApiParameter("adjudicated", str, enum=["true", "false"], description="Adjudicated or not."),
            OpenApiParameter(
                "needs_review",
                str,
                enum=["true", "false"],
                description="With a layer marked for review (its annotator fell below the calibration gate), or not.",
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=QueuePageSerializer,
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_review_project(user=request.user, project_id=project_id)
        query = QueueInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        adjudicated, needs_review = data.get("adjudicated"), data.get("needs_review")
        filters = review_queue_filters_resolve(
            project=project,
            source=data.get("source"),
            label=data.get("label"),
            annotator=data.get("annotator"),
            adjudicated=None if adjudicated is None else adjudicated == "true",
            needs_review=None if needs_review is None else needs_review == "true",
        )
        paginator = ReviewQueuePagination()
        page = cast(
            list[Document],
            paginator.paginate_queryset(review_queue(project=project, filters=filters), request, view=self),
        )
        return paginator.get_paginated_response(
            QueueItemSerializer(review_queue_rows(documents=page), many=True).data
        )


class DocumentReviewApi(APIView):
    @extend_schema(responses=ReviewStateSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        document = access.access_review_document(user=request.user, document_id=document_id)
        return Response(ReviewStateSerializer(_review_payload(review_state_get(document=document))).data)


class DecisionApi(APIView):
    """One review action, chosen by `action`, with the fields its own input serializer names
    (see DECISION_ACTIONS); each takes an optional note. Every action writes Decisions (the
    audit trail). A stale version answers 409 with the gold span as it is now (`current`)."""

    @extend_schema(request=DECISION_INPUT, responses={200: DecisionResultSerializer})
    def post(self, request: Request, document_id: int) -> Response:
        document = access.access_review_document(user=request.user, document_id=document_id)
        chosen = DecisionActionSerializer(data=request.data)
        chosen.is_valid(raise_exception=True)
        serializer_class, act = DECISION_ACTIONS[chosen.validated_data["action"]]
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        decisions = act(document=document, reviewer=cast(User, request.user), **serializer.validated_data)
        return Response(
            DecisionResultSerializer(
                {"decisions": decisions, "review": _review_payload(review_state_get(document=document))}
            ).data
        )


class DecisionExportApi(APIView):
    """Every decision of the project, oldest first, one JSON object a line: id, document_id,
    external_id, reviewer, action, gold_span_id, source_span_ids, before, after, note,
    created_at. Streamed; reviewers and managers."""

    content_negotiation_class = FileExportNegotiation
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="projects_decisions_export_retrieve",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Decisions made at or after this."),
            OpenApiParameter(
                "action", str, enum=list(DecisionAction.values), description="Only this action."
            ),
        ],
        responses={(200, "application/jsonl"): OpenApiResponse(OpenApiTypes.BINARY, description="JSONL.")},
    )
    def get(self, request: Request, project_id: int) -> StreamingHttpResponse:
        project = access.access_review_project(user=request.user, project_id=project_id)
        query = DecisionExportInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        rows = decision_rows_iter(project=project, since=data.get("since"), action=data.get("action"))

        def lines() -> Iterator[str]:
            for row in rows:
                yield json.dumps(row, ensure_ascii=False).translate(_LINE_SEPARATORS) + "\n"

        response = StreamingHttpResponse(
            encode_chunks(lines()), content_type="application/jsonl; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{project.slug}-decisions.jsonl"'
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"
        return response
