"""Input and output shapes of the API. Serializers validate types and render; the rules live in
the feature services and annotator.access."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotator.layers.selectors import LAYER_STATES, layer_state
from annotator.models import (
    ApiToken,
    Attribute,
    AttributeKind,
    Document,
    JobRun,
    Label,
    Layer,
    LayerKind,
    Membership,
    Panel,
    ProfileBasis,
    Project,
    Question,
    QuestionKind,
    Role,
    Source,
    Target,
)
from annotator.projects.services import PROJECT_SETTINGS

# The largest value of the database's integer columns (ids of some tables, versions, counts).
MAX_INTEGER = 2**31 - 1


class StrictStringMixin:
    """Refuses numbers and booleans where text is expected (DRF would turn 123 into "123"), and
    text longer than max_length as sent: DRF checks the length after trimming whitespace, so
    201 characters with a leading space passed a field whose schema says maxLength 200."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictSlugRelatedField(serializers.SlugRelatedField):
    """A related object by its slug, refusing what no slug can be before the database is asked:
    PostgreSQL refuses a NUL byte in a query's text with an error, not an empty answer."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(StrictStringMixin, serializers.SlugField):
    pass


class LayerProgressFilterSerializer(serializers.Serializer):
    """Types only for the documents list's progress filters (a NUL byte or an overlong value is
    refused here); annotator.layers.selectors checks the state is known and the annotator exists."""

    layer_state = StrictCharField(required=False, max_length=32)
    annotator = StrictCharField(required=False, max_length=150)


class BlankRefusedMixin:
    """For fields read from a query string. DRF reads a blank query value ("?basis=") as not
    sent and takes the default; for a choice or a time a blank is no value, so it is refused (400)."""

    def get_value(self, dictionary: Any) -> Any:
        if dictionary.get(self.field_name) == "":  # type: ignore[attr-defined]
            return ""
        return super().get_value(dictionary)  # type: ignore[misc]


class QueryChoiceField(BlankRefusedMixin, serializers.ChoiceField):
    pass


class QueryDateTimeField(BlankRefusedMixin, serializers.DateTimeField):
    pass


class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
    }


class SourceSerializer(StrictModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "name", "slug", "domain", "country", "language", "notes"]
        extra_kwargs = {
            "notes": {
                "required": False,
                "help_text": "The team's remarks; left out for accounts in no project.",
            }
        }


class SourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "name", "slug", "domain"]


class ProjectSerializer(StrictModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in the project.")

    class Meta:
        model = Project
        fields = ["id", *PROJECT_SETTINGS, "role", "created_at"]
        read_only_fields = ["id", "role", "created_at"]
        # As ProjectCreateSerializer: a document needs at least one layer.
        extra_kwargs = {"annotators_per_document": {"min_value": 1, "max_value": 50}}

    def get_role(self, project: Project) -> str | None:
        return getattr(project, "user_role", None)


class ProjectCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    slug = StrictSlugField(max_length=100)
    description = StrictCharField(required=False, allow_blank=True, default="")
    guidelines = StrictCharField(required=False, allow_blank=True, default="")
    annotators_per_document = serializers.IntegerField(min_value=1, max_value=50, default=3)
    blind = serializers.BooleanField(default=True)
    allow_overlap = serializers.BooleanField(default=True)
    targets = serializers.ListField(child=StrictCharField(max_length=200), required=False, default=list)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    panel = serializers.CharField(
        source="panel.key", read_only=True, allow_null=True, help_text="The panel's key."
    )
    panel_set_by = serializers.CharField(
        source="panel_set_by.username",
        read_only=True,
        allow_null=True,
        help_text="Who placed the member: a manager, or the member.",
    )

    class Meta:
        model = Membership
        fields = ["id", "user_id", "username", "role", "panel", "panel_set_by", "panel_set_at", "created_at"]


class MemberInputSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class MemberChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    panel = StrictSlugField(
        max_length=50, required=False, allow_null=True, help_text="A panel's key; null: in no panel."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give the member's new role, panel, or both.")
        return attrs


class PanelSerializer(StrictModelSerializer):
    n_members = serializers.IntegerField(read_only=True, help_text="Members placed in the panel.")

    class Meta:
        model = Panel
        fields = ["id", "key", "name", "description", "order", "n_members"]
        extra_kwargs = {"description": {"required": False}, "order": {"required": False}}


class PanelChoiceSerializer(serializers.Serializer):
    question = serializers.CharField(
        help_text="The project's self-placement question; empty: managers place members."
    )
    panels = PanelSerializer(many=True)
    panel = serializers.CharField(allow_null=True, help_text="The key of your panel; null until placed.")
    panel_set_by = serializers.CharField(allow_null=True)
    panel_set_at = serializers.DateTimeField(allow_null=True)


class PanelAnswerSerializer(serializers.Serializer):
    panel = StrictSlugField(max_length=50, help_text="The key of the panel you place yourself in.")


class MemberRemovedSerializer(serializers.Serializer):
    username = serializers.CharField()
    layers_released = serializers.IntegerField(help_text="Layers not yet submitted, now deleted.")


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["key", "name", "color", "shortcut", "description"]


class AttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attribute
        fields = ["key", "name", "kind", "description", "values", "applies_to", "required_for"]


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["name", "aliases", "description"]


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["key", "name", "kind", "description", "points", "required"]


class PublicationSerializer(serializers.Serializer):
    published = serializers.BooleanField()
    basis = serializers.ChoiceField(choices=ProfileBasis.choices, allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(
        allow_null=True, help_text="The public index of the scorecards; no login needed."
    )


class PublicationInputSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(
        choices=ProfileBasis.choices, default=ProfileBasis.ALL, help_text="Which profiles the pages show."
    )


class SchemaSerializer(serializers.Serializer):
    labels = LabelSerializer(many=True)
    attributes = AttributeSerializer(many=True)
    targets = TargetSerializer(many=True)
    questions = QuestionSerializer(
        many=True, help_text="Questions about the whole article, answered once a layer."
    )
    locked = serializers.BooleanField(
        help_text="Spans exist: labels, attributes and targets may be added or reworded, not removed or redefined."
    )


class LabelInputSerializer(serializers.Serializer):
    """Types only; the schema service checks the rest (unique keys, colours, known labels)."""

    key = StrictSlugField(max_length=50)
    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    color = StrictCharField(max_length=7, required=False)
    shortcut = StrictCharField(max_length=1, required=False, allow_blank=True)
    description = StrictCharField(required=False, allow_blank=True)


class AttributeInputSerializer(serializers.Serializer):
    key = StrictSlugField(max_length=50)
    name = StrictCharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=AttributeKind.choices)
    description = StrictCharField(required=False, allow_blank=True)
    values = serializers.ListField(
        child=serializers.DictField(), required=False, help_text='[{"value": "X", "description": "..."}]'
    )
    applies_to = serializers.ListField(child=StrictCharField(max_length=50), required=False)
    required_for = serializers.ListField(child=StrictCharField(max_length=50), required=False)


class TargetInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    aliases = serializers.ListField(child=StrictCharField(max_length=200), required=False)
    description = StrictCharField(required=False, allow_blank=True)


class QuestionInputSerializer(serializers.Serializer):
    """Types only; the schema service checks the points against the kind."""

    key = StrictSlugField(max_length=50)
    name = StrictCharField(max_length=300, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    description = StrictCharField(required=False, allow_blank=True)
    points = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text='[{"value": 1, "label": "Not reliable"}, ...]',
    )
    required = serializers.BooleanField(required=False)  # type: ignore[assignment]  # stubs: Field.required


class SchemaInputSerializer(serializers.Serializer):
    """The schema as GET answers it, so one project's schema starts another."""

    labels = LabelInputSerializer(many=True, allow_empty=False)
    attributes = AttributeInputSerializer(many=True, required=False, default=list)
    targets = TargetInputSerializer(
        many=True, required=False, help_text="Left out: the targets stay as they are."
    )
    questions = QuestionInputSerializer(
        many=True, required=False, help_text="Left out: the article questions stay as they are."
    )


class LayerStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    annotator = serializers.CharField(source="user.username")
    annotator_id = serializers.IntegerField(source="user_id")
    kind = serializers.CharField()
    state = serializers.SerializerMethodField(help_text="The status, or returned (sent back by a reviewer).")
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=LAYER_STATES))
    def get_state(self, layer: Layer) -> str:
        return layer_state(layer)


class DocumentSerializer(serializers.ModelSerializer):
    source = SourceBriefSerializer(read_only=True)  # type: ignore[assignment]  # stubs: Field.source
    n_chars = serializers.SerializerMethodField()
    layers_submitted = serializers.SerializerMethodField(
        help_text="Submitted annotation layers; null where the caller may not see other layers."
    )
    layers = serializers.SerializerMethodField(
        help_text="Each annotator's layer and its state; null where the caller may not see other layers."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "source",
            "external_id",
            "title",
            "url",
            "author",
            "published_at",
            "n_chars",
            "layers_submitted",
            "layers",
            "created_at",
        ]

    def get_n_chars(self, document: Document) -> int:
        n = getattr(document, "n_chars", None)
        return n if n is not None else len(document.text)

    def get_layers_submitted(self, document: Document) -> int | None:
        return getattr(document, "layers_submitted", None)

    @extend_schema_field(LayerStateSerializer(many=True, allow_null=True))
    def get_layers(self, document: Document) -> list[dict[str, Any]] | None:
        layers = getattr(document, "annotator_layers", None)
        return None if layers is None else list(LayerStateSerializer(layers, many=True).data)


class DocumentDetailSerializer(DocumentSerializer):
    class Meta(DocumentSerializer.Meta):
        fields = [
            *(f for f in DocumentSerializer.Meta.fields if f != "layers"),
            "text",
            "text_sha256",
            "metadata",
        ]


MODEL_VERSION_HELP = "The suggestion model whose suggestion made this span; null when a person marked it."


class SpanSerializer(serializers.Serializer):
    """A span as the API shows it; `label` is the label's key."""

    id = serializers.IntegerField(read_only=True)
    client_uuid = serializers.UUIDField(read_only=True)
    label = serializers.CharField(source="label.key", read_only=True)  # type: ignore[assignment]  # stubs: Field.label
    start = serializers.IntegerField(read_only=True)
    end = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    attributes = serializers.JSONField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    model_version = serializers.IntegerField(
        source="model_version_id", read_only=True, allow_null=True, help_text=MODEL_VERSION_HELP
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class SpanCreateSerializer(serializers.Serializer):
    """Types only: offsets, text and attributes are checked by the span service."""

    client_uuid = serializers.UUIDField(required=False)
    label = StrictCharField(max_length=50)  # type: ignore[assignment]  # stubs: Field.label
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = StrictCharField(trim_whitespace=False, allow_blank=True, max_length=1_000_000)
    attributes = serializers.DictField(required=False, default=dict)
    model_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="When accepting a suggestion: the model_version it came with.",
    )


class SpanUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_INTEGER, help_text="The version you read; 409 if it changed since."
    )
    label = StrictCharField(max_length=50, required=False)  # type: ignore[assignment]  # stubs: Field.label
    start = serializers.IntegerField(required=False)
    end = serializers.IntegerField(required=False)
    text = StrictCharField(trim_whitespace=False, allow_blank=True, required=False, max_length=1_000_000)
    attributes = serializers.DictField(required=False)


class AttributeHintSerializer(serializers.Serializer):
    value = serializers.JSONField()
    confidence = serializers.FloatField(required=False, help_text="From the model: its probability.")
    cue = serializers.CharField(required=False, help_text="From the words: the cue that suggests it.")


class SuggestionSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # stubs: Field.label
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = serializers.CharField()
    rule = serializers.ChoiceField(
        choices=["boilerplate", "model"],
        help_text="boilerplate: a sentence the source repeats across its articles; model: the "
        "project's suggestion model.",
    )
    articles = serializers.IntegerField(
        required=False, help_text="boilerplate: how many of the source's articles carry it."
    )
    share = serializers.FloatField(
        required=False, help_text="boilerplate: the share of the source's articles."
    )
    model_version = serializers.IntegerField(required=False, help_text="model: send it back when accepting.")
    confidence = serializers.FloatField(
        required=False, help_text="model: the probability that the sentence carries the label."
    )
    attributes = serializers.DictField(
        child=AttributeHintSerializer(),
        required=False,
        help_text="Hints: the model's likeliest value of each choice attribute with its probability, "
        "and values that cue words suggest (a hedge cue for hedged, quotation marks or a speech verb "
        "for voice) with the cue.",
    )


class SuggestionsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    suggestions = SuggestionSerializer(many=True)


class SuggestionRejectSerializer(serializers.Serializer):
    label = StrictCharField(max_length=50)  # type: ignore[assignment]  # stubs: Field.label
    start = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER)
    end = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)
    model_version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_INTEGER
    )


class SuggestionModelSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    trigger = serializers.CharField(help_text="manual, or new_truth when enough new gold arrived.")
    layers_version = serializers.IntegerField(help_text="The project's layers_version it was trained at.")
    n_documents = serializers.IntegerField(help_text="Documents with gold or consensus it learnt from.")
    n_gold = serializers.IntegerField()
    n_rejections = serializers.IntegerField()
    in_use = serializers.BooleanField(help_text="Whether it suggests anything: labels_used is not empty.")
    labels_used = serializers.ListField(child=serializers.CharField())
    metrics = serializers.JSONField(
        help_text="The held-out evaluation: per label and pooled, with its baseline."
    )


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.key", help_text="The question's key.")
    value = serializers.JSONField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class AnswerInputSerializer(serializers.Serializer):
    value = serializers.JSONField(
        help_text="A number for a scale, a value for a choice, a list for several, true/false."
    )
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_INTEGER,
        required=False,
        allow_null=True,
        help_text="The version you read; leave out (or null) for a first answer; 409 if it changed since.",
    )


class AnswerConflictSerializer(serializers.Serializer):
    """A 409 on an answer write: the version sent is stale (or the layer is read-only)."""

    detail = serializers.CharField()
    current = AnswerSerializer(required=False, allow_null=True, help_text="The answer as it is now.")


class SpanConflictSerializer(serializers.Serializer):
    """A 409 on a span write: the version sent is stale (or the layer is read-only)."""

    detail = serializers.CharField()
    current = SpanSerializer(
        required=False, allow_null=True, help_text="The span as it is now; absent if it was deleted."
    )


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_INTEGER, help_text="The version you read; 409 if it changed since."
    )


class LayerDocumentSerializer(serializers.ModelSerializer):
    source = SourceBriefSerializer(read_only=True)  # type: ignore[assignment]  # stubs: Field.source

    class Meta:
        model = Document
        fields = ["id", "project", "source", "title", "url", "author", "published_at", "text"]


# The kinds the API tells (see LayerKindField).
PUBLIC_LAYER_KINDS = [(kind.value, kind.label) for kind in (LayerKind.ANNOTATION, LayerKind.GOLD)]


class LayerKindField(serializers.ChoiceField):
    """A layer's kind as the API tells it: a calibration layer is an annotation layer to every
    reader, so nothing tells an annotator that a document is a check (the annotators page and
    /projects/{id}/annotators/ give the calibration figures)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PUBLIC_LAYER_KINDS, read_only=True, **kwargs)

    def to_representation(self, value: str) -> str:
        return LayerKind.ANNOTATION if value == LayerKind.CALIBRATION else value


class LayerSerializer(serializers.ModelSerializer):
    document = LayerDocumentSerializer(read_only=True)
    kind = LayerKindField()
    username = serializers.CharField(source="user.username", read_only=True)
    spans = serializers.SerializerMethodField()

    class Meta:
        model = Layer
        fields = [
            "id",
            "document",
            "username",
            "kind",
            "status",
            "skip_reason",
            "created_at",
            "updated_at",
            "submitted_at",
            "spans",
        ]

    def get_spans(self, layer: Layer) -> list[dict[str, Any]]:
        spans = layer.spans.select_related("label").order_by("start", "end", "pk")
        return SpanSerializer(spans, many=True).data  # type: ignore[return-value]


class LayerBriefSerializer(serializers.ModelSerializer):
    kind = LayerKindField()

    class Meta:
        model = Layer
        fields = ["id", "document", "kind", "status", "created_at", "updated_at", "submitted_at"]


class SkipSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class ReopenSerializer(serializers.Serializer):
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class JobSerializer(serializers.ModelSerializer):
    worker_lost = serializers.BooleanField(
        read_only=True,
        help_text="Running, but its worker has not been heard of for 30 s (killed, or its host "
        "went away); a running worker takes it over.",
    )

    class Meta:
        model = JobRun
        fields = [
            "id",
            "kind",
            "project",
            "status",
            "progress",
            "total",
            "result",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "worker_lost",
        ]


class ImportIssueSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    item = serializers.IntegerField(allow_null=True, required=False)
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    text = serializers.CharField(help_text='The whole message: "file:line: field: message".')


class ImportSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped_duplicates = serializers.IntegerField()
    refused_files = serializers.ListField(child=serializers.CharField())
    errors = ImportIssueSerializer(many=True)  # type: ignore[assignment]  # stubs: Serializer.errors


class TokenInputSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = StrictCharField(
        max_length=100,
        required=False,
        default="default",
        help_text="The client this token is for; a token of the same name is replaced.",
    )
    expires_in_days = serializers.IntegerField(
        required=False, min_value=1, max_value=365, help_text="Without it, the token does not expire."
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key: shown this once, only its hash is stored.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "created_at", "expires_at", "last_used_at"]
