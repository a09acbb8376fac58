"""The domain model. Fields, database constraints and trivial properties only: rules live in
each feature's services.py (writes) and selectors.py (reads), and in access.py."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Source(models.Model):
    """A news outlet. Global: the same outlet can appear in several projects."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    domain = models.CharField(max_length=253, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 tag, e.g. en or pt-BR.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Markdown shown to annotators.")
    annotators_per_document = models.PositiveSmallIntegerField(
        default=3, help_text="k: how many independent annotation layers each document gets."
    )
    blind = models.BooleanField(default=True, help_text="Annotators never see another annotator's layer.")
    allow_overlap = models.BooleanField(default=True, help_text="Spans of one layer may overlap each other.")
    min_profile_articles = models.PositiveSmallIntegerField(
        default=15, help_text="Below this many articles a source profile figure is insufficient data."
    )
    profiles_visible_to_annotators = models.BooleanField(
        default=False, help_text="Annotators may read source profiles (never for blind projects unless set)."
    )
    panel_balance = models.BooleanField(
        default=False,
        help_text="Queue Next fills each document's k layers across the panels (annotator.panels).",
    )
    panel_wait_minutes = models.PositiveIntegerField(
        default=60,
        help_text="How long a document waits for a panel with nobody free before another panel may "
        "take its layer; each further wait lets one more layer go outside its panel.",
    )
    panel_question = models.TextField(
        blank=True,
        help_text="The self-placement question members answer once by choosing a panel; empty: "
        "only managers place members.",
    )
    calibration_every = models.PositiveSmallIntegerField(
        default=0,
        help_text="About one Next in this many hands out a calibration item (a document with known "
        "gold); 0 turns calibration off.",
    )
    calibration_gate = models.FloatField(
        null=True,
        blank=True,
        help_text="Pass gate: the lowest span F1 against gold over the last calibration_window "
        "items; empty: no gate.",
    )
    calibration_window = models.PositiveSmallIntegerField(
        default=10, help_text="How many of an annotator's latest calibration items the gate reads."
    )
    calibration_pause = models.BooleanField(
        default=False,
        help_text="An annotator below the gate gets only calibration items until they pass again.",
    )
    calibration_feedback = models.BooleanField(
        default=True, help_text="Annotators see their own calibration figures after submitting."
    )
    suggestions_when_blind = models.BooleanField(
        default=False,
        help_text="Show suggestions in a blind project too (they are always on in an open one).",
    )
    schema_version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Bumped on every change of labels, attributes or targets."
    )
    # Counts the changes that agreement and profiles read (annotator.jobs.scheduling): stored
    # figures keep the count they were computed at, and are stale while it is below this.
    layers_version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Changes of submitted layers and gold so far."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_document__gte=1), name="project_k_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(calibration_gate__isnull=True)
                | (Q(calibration_gate__gte=0) & Q(calibration_gate__lte=1)),
                name="project_calibration_gate_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(calibration_window__gte=1), name="project_calibration_window_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(calibration_every=0) | Q(blind=True),
                name="project_calibration_only_blind",
                violation_error_message="Calibration needs a blind project: annotators would see the "
                "other layers of a calibration item.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ANNOTATOR = "annotator", "Annotator"
    REVIEWER = "reviewer", "Reviewer"
    MANAGER = "manager", "Manager"


class Panel(models.Model):
    """A group of a project's raters that should rate each document side by side, such as left /
    centre / right, or newsroom staff / students. `name` is also the answer members pick when
    they place themselves (Project.panel_question)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="panels")
    key = models.SlugField(max_length=50, help_text="Stable identifier used in reports, e.g. left.")
    name = models.CharField(max_length=100)
    description = models.TextField(
        blank=True, help_text="Shown beside the name to members placing themselves."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="panel_unique_project_key"),
        ]

    def __str__(self) -> str:
        return self.key


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who placed the member in the panel, and when: a manager, or the member answering the
    # project's self-placement question (annotator.panels.services).
    # RESTRICT: a panel cannot go while members belong to it, but a whole project can.
    panel = models.ForeignKey(Panel, null=True, blank=True, on_delete=models.RESTRICT, related_name="members")
    panel_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    panel_set_at = models.DateTimeField(null=True, blank=True)
    # The calibration gate (annotator.calibration.services): since when the member's latest
    # calibration figure is below the project's gate (empty while passing), and when it last passed.
    calibration_failing_since = models.DateTimeField(null=True, blank=True)
    calibration_passed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_project_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    key = models.SlugField(max_length=50, help_text="Stable identifier used in exports, e.g. CLAIM.")
    name = models.CharField(max_length=100)
    color = models.CharField(
        max_length=7,
        default="#888888",
        help_text="#rrggbb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}\Z", "Give the colour as #rrggbb, six hex digits.")],
    )
    shortcut = models.CharField(max_length=1, blank=True)
    description = models.TextField(blank=True, help_text="The one-line definition annotators see.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="label_unique_project_key"),
        ]

    def __str__(self) -> str:
        return self.key


class AttributeKind(models.TextChoices):
    CHOICE = "choice", "One value"
    MULTI = "multi", "Several values"
    BOOLEAN = "boolean", "Yes or no"
    TARGET = "target", "Stance toward targets"


class Attribute(models.Model):
    """A property of a span. `values` is a list of {"value", "description"}; for kind
    `target` it lists the stance values and the targets come from the project's Target list.
    `applies_to` and `required_for` hold label keys (empty `applies_to` means every label)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attributes")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=AttributeKind.choices)
    description = models.TextField(blank=True)
    values = models.JSONField(default=list, blank=True)
    applies_to = models.JSONField(default=list, blank=True)
    required_for = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="attribute_unique_project_key"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def value_keys(self) -> list[str]:
        return [v["value"] for v in self.values]


class Target(models.Model):
    """A stance target (an entity or an issue), chosen from a list rather than typed freely."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=200)
    aliases = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="target_unique_project_name"),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    ORDINAL = "ordinal", "Ordinal scale"
    INTERVAL = "interval", "Interval scale"
    CHOICE = "choice", "One choice"
    MULTI = "multi", "Several choices"
    BOOLEAN = "boolean", "Yes or no"


class Question(models.Model):
    """A question about a whole article, answered once in each layer: a rating on a scale, a
    choice, several choices, or yes/no. `points` are the scale's points or the choices, each
    {"value", "label"}: numbers for the scales (an ordinal answer is one of them, an interval
    answer any number between the lowest and highest), strings for choices; none for yes/no."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=300, help_text="The question as annotators read it.")
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    description = models.TextField(blank=True)
    points = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False, help_text="A layer cannot be submitted without an answer.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="question_unique_project_key"),
        ]

    def __str__(self) -> str:
        return self.key


class Document(models.Model):
    """An article. `text` is the canonical text that every offset points into (code points,
    half-open); it is immutable once a span exists."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="documents")
    external_id = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Kept by the layer services (annotator.layers.services), never by hand.
    n_layers = models.PositiveIntegerField(
        "layers", default=0, editable=False, help_text="Counted annotation layers: every one but the skipped."
    )
    # As Project.layers_version, for this document's layers (annotator.jobs.scheduling).
    layers_version = models.PositiveIntegerField(default=0, editable=False)
    # When the last counted layer was handed out: how long an open panel slot has waited.
    layer_added_at = models.DateTimeField(null=True, blank=True, editable=False)
    calibration = models.BooleanField(
        default=False,
        help_text="A calibration item: its adjudicated gold is the known answer that annotators "
        "handed it are scored against.",
    )

    # What a document is, beside its project and source: what an import writes and a backup keeps.
    CONTENT_FIELDS = (
        "external_id",
        "title",
        "url",
        "author",
        "published_at",
        "text",
        "text_sha256",
        "metadata",
        "created_at",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "text_sha256"], name="document_unique_project_text"),
        ]
        indexes = [
            models.Index(fields=["project", "source"]),
            # Queue Next: a project's documents with room, most layers first, in one range scan.
            models.Index(fields=["project", "-n_layers", "id"], name="document_queue"),
        ]

    def __str__(self) -> str:
        return self.title or f"Document {self.pk}"


class LayerKind(models.TextChoices):
    ANNOTATION = "annotation", "Annotation"
    GOLD = "gold", "Gold"
    # An annotator's layer on a calibration item, scored against its gold. It never counts
    # toward k, agreement or profiles, and the API shows it as an annotation layer.
    CALIBRATION = "calibration", "Calibration"


# The layers an annotator writes and sees as their own work: to them a calibration layer is
# one more annotation layer.
ANNOTATOR_LAYER_KINDS = (LayerKind.ANNOTATION, LayerKind.CALIBRATION)


class LayerStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"


class Layer(models.Model):
    """One layer of spans on one document: an annotator's, or the reviewers' gold layer."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="layers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="layers")
    kind = models.CharField(max_length=16, choices=LayerKind.choices, default=LayerKind.ANNOTATION)
    status = models.CharField(max_length=16, choices=LayerStatus.choices, default=LayerStatus.ASSIGNED)
    skip_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The panel the layer was handed out for (its annotator's, at the time), and whether it went
    # to that panel only after the document had waited for its own (annotator.panels).
    panel = models.ForeignKey(Panel, null=True, blank=True, on_delete=models.SET_NULL, related_name="layers")
    outside_panel = models.BooleanField(default=False)
    needs_review = models.BooleanField(
        default=False, help_text="Its annotator fell below the calibration gate after their last pass."
    )
    suggestions_shown = models.BooleanField(
        default=False, help_text="Its annotator was shown suggestions: agreement reports such layers apart."
    )

    class Meta:
        # The API names a layer an "assignment" (/api/v1/assignments/, assignment_id), and so
        # does the database: the table, its column on spans and its constraints keep that name.
        db_table = "annotator_assignment"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "user", "kind"], name="assignment_unique_document_user_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=LayerStatus.values), name="assignment_status_known"
            ),
            models.CheckConstraint(condition=Q(kind__in=LayerKind.values), name="assignment_kind_known"),
        ]
        indexes = [
            models.Index(fields=["user", "status"]),
            models.Index(fields=["document", "kind", "status"]),
            # Queue Next with panel balance: a document's counted layers of one panel.
            models.Index(fields=["document", "panel"], name="layer_document_panel"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} layer of {self.user} on document {self.document_id}"

    @property
    def is_submitted(self) -> bool:
        return self.status == LayerStatus.SUBMITTED


class Answer(models.Model):
    """A layer's answer to one article question. `version` grows with every change, as a
    span's does, so a stale write is refused rather than lost."""

    layer = models.ForeignKey("Layer", on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.JSONField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "question"], name="answer_unique_layer_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}={self.value!r} in layer {self.layer_id}"


class Span(models.Model):
    """A labelled stretch `[start, end)` of the document text, in code points. `text` repeats
    `document.text[start:end]` so any client drift is caught on write. `version` increases on
    each change (optimistic locking); `client_uuid` makes creates idempotent."""

    # Indexed by span_layer_position below (its first column), not by an index of its own.
    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="spans", db_index=False, db_column="assignment_id"
    )
    # RESTRICT, not PROTECT: a label cannot go while spans use it, but deleting a whole project
    # (labels and spans together) works.
    label = models.ForeignKey(Label, on_delete=models.RESTRICT, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    attributes = models.JSONField(default=dict, blank=True)
    client_uuid = models.UUIDField(default=uuid.uuid4)
    version = models.PositiveIntegerField(default=1)
    # The suggestion model whose suggestion the annotator accepted to make this span.
    model_version = models.ForeignKey(
        "SuggestionModel", null=True, blank=True, on_delete=models.RESTRICT, related_name="spans"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The audit trail (django-simple-history): one row per create, change, delete and restore,
    # with who and when. annotator.spans.services names the user; a conditional UPDATE sends no
    # signal, so span_update writes its row itself.
    history = HistoricalRecords(
        history_id_field=models.BigAutoField(primary_key=True),
        history_change_reason_field=models.TextField(null=True),
    )

    class Meta:
        ordering = ["start", "end", "id"]
        # A layer's spans in their order: the span list and the export read them straight off
        # this index, with no sort (an export page, several layers at once, reads three times
        # faster than sorting them did).
        indexes = [models.Index(fields=["layer", "start", "end", "id"], name="span_layer_position")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(end__gt=models.F("start")), name="span_start_before_end"
            ),
            models.UniqueConstraint(
                fields=["layer", "client_uuid"], name="span_unique_assignment_client_uuid"
            ),
            models.UniqueConstraint(
                fields=["layer", "label", "start", "end"], name="span_unique_assignment_label_offsets"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label.key} [{self.start}, {self.end})"


class SuggestionModel(models.Model):
    """A trained suggestion model of one project (annotator.suggestions.classifier), saved with
    skops. Its id is the model version that accepted spans and exports carry. Used for
    suggestions only when `in_use`: its evaluation beat the baseline for some label."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="suggestion_models")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(max_length=16, help_text="manual, or new_truth when enough new gold arrived.")
    # The data watermark: the project's layers_version and its documents with truth at training.
    layers_version = models.PositiveIntegerField()
    n_gold = models.PositiveIntegerField(default=0, help_text="Of them, documents with gold.")
    n_rejections = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(
        help_text="The held-out evaluation (annotator.suggestions.classifier.evaluate)."
    )
    labels_used = models.JSONField(default=list, help_text="Labels whose suggestions beat the baseline.")
    blob = models.BinaryField(editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["project", "-id"], name="suggestion_model_project")]

    def __str__(self) -> str:
        return f"suggestion model {self.pk} of {self.project}"

    @property
    def in_use(self) -> bool:
        return bool(self.labels_used)

    @property
    def n_documents(self) -> int:
        """Documents with gold or consensus it learnt from."""
        return int(self.metrics["n_documents"])


class SuggestionRejection(models.Model):
    """A suggestion an annotator turned down: kept as a negative example for the next training."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="rejected_suggestions")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    model_version = models.ForeignKey(
        SuggestionModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="rejections"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["layer", "label", "start", "end"], name="rejection_unique_place"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="rejection_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"rejected {self.label_id} [{self.start}, {self.end})"


class ClaimRating(models.TextChoices):
    """A reviewer's verdict on a claim, on schema.org ClaimReview's five-point scale
    (ratingValue 1-5, best 5) for the ratings that have a value."""

    FALSE = "false", "False"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    MIXED = "mixed", "Mixed"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    TRUE = "true", "True"
    UNPROVEN = "unproven", "Unproven"


class ClaimCluster(models.Model):
    """One claim as outlets carry it, in different words: its claims are the gold or consensus
    CLAIM spans that the clustering (annotator.claims) found the same, or a reviewer put here.
    A reviewer names it and rules on it; every change is kept (history)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claim_clusters")
    name = models.CharField(max_length=300, blank=True)
    rating = models.CharField(max_length=16, choices=ClaimRating.choices, blank=True)
    rating_note = models.TextField(blank=True, help_text="The verdict in a sentence.")
    review_url = models.URLField(max_length=2000, blank=True, help_text="Where the verdict is published.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or f"claim cluster {self.pk}"


class Claim(models.Model):
    """A gold (else consensus) CLAIM span of a document, with its sentence embedding (float32,
    unit length) and the cluster it belongs to. Rebuilt from the truth by the claims job;
    `pinned` when a reviewer placed it, so re-clustering leaves it where they put it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claims")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="claims")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    basis = models.CharField(max_length=16, help_text="gold or consensus")
    attributes = models.JSONField(default=dict, blank=True)
    embedding = models.BinaryField(editable=False)
    cluster = models.ForeignKey(
        ClaimCluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    pinned = models.BooleanField(default=False)

    class Meta:
        ordering = ["document_id", "start", "end"]
        constraints = [
            models.UniqueConstraint(fields=["document", "start", "end"], name="claim_unique_place"),
        ]
        indexes = [models.Index(fields=["project", "cluster"], name="claim_project_cluster")]

    def __str__(self) -> str:
        return self.text[:80]


class DecisionAction(models.TextChoices):
    ACCEPT = "accept", "Accept"
    EDIT = "edit", "Edit"
    ADD = "add", "Add"
    REJECT = "reject", "Reject"
    REOPEN = "reopen", "Reopen a layer"
    ADJUDICATE = "adjudicate", "Mark adjudicated"
    ACCEPT_AGREED = "accept_agreed", "Accept a span every annotator agrees on"
    TAKE_ATTRIBUTES = "take_attributes", "Take attribute values from an annotator"
    ANSWER = "answer", "Answer an article question in gold"


class Decision(models.Model):
    """One adjudication step, kept as data: the audit trail of the gold layer."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    gold_span = models.ForeignKey(Span, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_span_ids = models.JSONField(default=list, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on document {self.document_id} by {self.reviewer}"


class CalibrationScore(models.Model):
    """One calibration layer scored against its document's gold when submitted
    (annotator.calibration.services). The counts add up over items, so a window's span F1 is
    2 * sum(tp) / sum(n_gold + n_spans), as the engine's."""

    layer = models.OneToOneField(Layer, on_delete=models.CASCADE, related_name="calibration_score")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="calibration_scores")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scored_at = models.DateTimeField()
    n_gold_spans = models.PositiveIntegerField()
    n_spans = models.PositiveIntegerField()
    tp = models.PositiveIntegerField(help_text="Spans overlap-matched to a gold span of the same label.")
    label_alpha = models.FloatField(null=True, blank=True, help_text="Empty where alpha is undefined.")
    n_attribute_pairs = models.PositiveIntegerField(
        help_text="Attribute values given on both a matched span and its gold span."
    )
    n_attribute_agreed = models.PositiveIntegerField()

    class Meta:
        ordering = ["scored_at", "id"]
        indexes = [models.Index(fields=["project", "user", "-scored_at"], name="calibration_score_latest")]

    def __str__(self) -> str:
        return f"calibration score of layer {self.layer_id}"

    @property
    def span_f1(self) -> float | None:
        total = self.n_gold_spans + self.n_spans
        return 2 * self.tp / total if total else None


class ReportScope(models.TextChoices):
    PROJECT = "project", "Project"
    SOURCE = "source", "Source"
    LABEL = "label", "Label"
    DOCUMENT = "document", "Document"


class AgreementReport(models.Model):
    """Agreement statistics written by jobs. `scope_key` names the source, label or document."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreement_reports")
    scope = models.CharField(max_length=16, choices=ReportScope.choices)
    scope_key = models.CharField(max_length=100, blank=True)
    resolution = models.CharField(max_length=8, default="token")
    metrics = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    data_watermark = models.DateTimeField(
        null=True, blank=True, help_text="Newest layer change the figures include."
    )
    layers_version = models.PositiveIntegerField(default=0, help_text="The project's layers_version read.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "scope", "scope_key", "resolution"], name="agreement_report_unique_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.scope_key} agreement of {self.project}"


class CompetenceReport(models.Model):
    """Each annotator's reliability, overall and per value, for the span labels and for every
    attribute, as Dawid-Skene and MACE estimate it over the project's span groups
    (annotator.competence.services). Written by a job; `layers_version` is the project's when
    it was computed, so a page can tell it is behind."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="competence")
    metrics = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    layers_version = models.PositiveIntegerField(default=0, help_text="The project's layers_version read.")

    def __str__(self) -> str:
        return f"annotator competence in {self.project}"


class ProfileBasis(models.TextChoices):
    GOLD = "gold", "Gold (adjudicated, else consensus)"
    CONSENSUS = "consensus", "Consensus"
    MODEL = "model", "Model consensus (MACE)"
    ALL = "all", "All submitted layers"


class SourceProfile(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="source_profiles")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="profiles")
    basis = models.CharField(max_length=16, choices=ProfileBasis.choices)
    metrics = models.JSONField(default=dict)
    n_articles = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()
    data_watermark = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "source", "basis"], name="source_profile_unique_basis"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} in {self.project} ({self.basis})"


class ScorecardPublication(models.Model):
    """A project's scorecards, published: read-only pages per source and an index at a public
    address that needs no login, on one basis. Deleting the row unpublishes them at once."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="publication")
    basis = models.CharField(max_length=16, choices=ProfileBasis.choices, default=ProfileBasis.ALL)
    published_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.project} published ({self.basis})"


class ScorecardChange(models.Model):
    """A dated entry in a source's change log: a recompute moved a headline figure (an article
    question's mean or a choice's share) outside the interval it had before."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scorecard_changes")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="scorecard_changes")
    basis = models.CharField(max_length=16, choices=ProfileBasis.choices)
    figure = models.CharField(max_length=120, help_text="The question's key, and for a choice its value.")
    name = models.CharField(max_length=400, help_text="The figure as the page names it.")
    old_value = models.FloatField()
    old_ci95 = models.JSONField(help_text="[low, high]: the interval the new value fell outside.")
    new_value = models.FloatField()
    new_ci95 = models.JSONField(null=True)
    articles_before = models.PositiveIntegerField()
    articles_after = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["project", "source", "basis", "-recorded_at"], name="scorecard_change_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.figure} of {self.source}: {self.old_value:.3f} -> {self.new_value:.3f}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class JobKind(models.TextChoices):
    IMPORT = "import_documents", "Document import"
    ANNOTATION_IMPORT = "import_annotations", "Annotation import"
    AGREEMENT_RECOMPUTE = "agreement_recompute", "Agreement recompute"
    PROFILES_RECOMPUTE = "profiles_recompute", "Source profiles recompute"
    COMPETENCE_RECOMPUTE = "competence_recompute", "Annotator competence recompute"
    SUGGESTIONS_TRAIN = "suggestions_train", "Suggestion model training"
    CLAIMS_REFRESH = "claims_refresh", "Claims across outlets"


# A running job's worker writes `heartbeat_at` this often; a job whose heartbeat is older than
# JOB_LEASE lost its worker (annotator.jobs.services.jobs_resume_lost).
JOB_HEARTBEAT = datetime.timedelta(seconds=10)
JOB_LEASE = datetime.timedelta(seconds=30)


class JobRun(models.Model):
    """A background job as the UI sees it: status, progress, result or error."""

    kind = models.CharField(max_length=50)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    celery_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def worker_lost(self) -> bool:
        """Running, but its worker has not been heard of for JOB_LEASE: it was killed or its
        host went away. A running worker takes the job over (jobs_resume_lost)."""
        return (
            self.status == JobStatus.RUNNING
            and self.heartbeat_at is not None
            and self.heartbeat_at < timezone.now() - JOB_LEASE
        )


class AgreementResolution(models.TextChoices):
    TOKEN = "token", "Tokens"
    CHAR = "char", "Characters"


class DocumentAgreement(models.Model):
    """One document's agreement sufficient statistics (`annotator.agreement.maths`'s
    `DocumentStatistics.to_dict()`), kept current by the agreement jobs; a project or source
    report is their sum. A row exists only while the document has two or more submitted
    annotation layers. `project` repeats `document.project` so the review queue (most
    disagreement first) and the project sums read one index."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="agreements")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="document_agreements")
    resolution = models.CharField(max_length=8, choices=AgreementResolution.choices)
    statistics = models.JSONField(default=dict)
    # What only agreement by panel reads (DocumentStatistics.by_panel_dict): kept apart so that
    # a project without panels never loads it.
    panel_statistics = models.JSONField(default=dict, blank=True)
    disagreement = models.FloatField(
        help_text="Review-queue score: unmatched spans plus observed disagreement (index below)."
    )
    n_layers = models.PositiveSmallIntegerField()
    layers_watermark = models.DateTimeField(
        null=True, blank=True, help_text="Newest submitted_at among the layers the statistics include."
    )
    layers_version = models.PositiveIntegerField(default=0, help_text="The document's layers_version read.")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "resolution"], name="document_agreement_unique"),
        ]
        indexes = [
            models.Index(fields=["project", "resolution", "-disagreement"], name="document_agreement_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.resolution} agreement of document {self.document_id}"


class ProfileCorpus(models.Model):
    """The corpus profile of a project on one basis: every source's articles pooled, the value
    each source's figures are shown against. Written together with the project's SourceProfile
    rows (annotator.profiles.services). `sources_state` maps each profiled source's id to the
    fingerprint of the layers its profile was computed from, so a refresh can tell which
    sources changed since."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="profile_corpora")
    basis = models.CharField(max_length=16, choices=ProfileBasis.choices)
    metrics = models.JSONField(default=dict)
    n_articles = models.PositiveIntegerField(default=0)
    n_sources = models.PositiveIntegerField(default=0)
    sources_state = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()
    data_watermark = models.DateTimeField(
        null=True, blank=True, help_text="Newest layer change the figures include."
    )
    layers_version = models.PositiveIntegerField(default=0, help_text="The project's layers_version read.")

    class Meta:
        verbose_name_plural = "profile corpora"
        constraints = [
            models.UniqueConstraint(fields=["project", "basis"], name="profile_corpus_unique_basis"),
        ]

    def __str__(self) -> str:
        return f"corpus of {self.project} ({self.basis})"


def _invitation_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=7)


class ApiToken(models.Model):
    """A named API credential of one account, one per client. Only the key's SHA-256 is kept
    (annotator.accounts.services)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="The client it is for, e.g. 'export script'.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: it does not expire.")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="api_token_unique_user_name")]

    def __str__(self) -> str:
        return f"{self.user} / {self.name}"


class Invitation(models.Model):
    """A manager's one-time link that lets a new person make an account and join `project` as
    `role`. Only the SHA-256 of the link's random token is stored, so a database leak reveals no
    usable link. Used once (accepted_by/accepted_at) and dead after expires_at."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    email = models.EmailField(blank=True, help_text="Whom it was meant for; given to the new account.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a manager withdrew the link."
    )
    failed_attempts = models.PositiveIntegerField(
        default=0, help_text="Refused tries to use the link (taken username, weak password, wrong email)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation to {self.project} as {self.role}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "pending"
