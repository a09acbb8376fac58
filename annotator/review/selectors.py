"""Reads for reviewing (DESIGN.md section 5, step 5): the review queue, one document's review
state (its annotation layers side by side, the gold layer, the aligned span groups with their
kinds of disagreement, the decisions), the decisions as export rows, and the adjudicated gold
layers that the agreement report compares each annotator with.

One gold layer per document: a Layer of kind gold, made by the first reviewer who acts
(annotator.review.services); every reviewer then acts on that layer. Should a document ever
hold several (made outside the services), the oldest is the one (`gold_layer_get`). A document
is adjudicated when its gold layer is submitted.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotator.agreement.maths.consensus import LayerSpan, consensus_spans
from annotator.agreement.maths.review import ReviewSpan, SpanGroup, align_layers, gold_matches
from annotator.agreement.maths.stats import SpanInput
from annotator.agreement.selectors import (
    THRESHOLD,
    AgreementSchema,
    agreement_schema_get,
    document_layers_list,
)
from annotator.models import (
    Answer,
    Decision,
    DecisionAction,
    Document,
    DocumentAgreement,
    Label,
    Layer,
    LayerKind,
    LayerStatus,
    Project,
    Source,
    Span,
)
from annotator.projects.selectors import project_refs_resolve

# The queue orders by the token-resolution disagreement score, which is always kept.
QUEUE_RESOLUTION = "token"
# Alignment uses the agreement's overlap threshold.
ALIGN_THRESHOLD = THRESHOLD


# THE QUEUE
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    source_id: int | None = None
    label_id: int | None = None
    annotator_id: int | None = None
    adjudicated: bool | None = None
    # A submitted layer marked for review: its annotator fell below the calibration gate.
    needs_review: bool | None = None


def review_queue_filters_resolve(
    *,
    project: Project,
    source: str | None = None,
    label: str | None = None,
    annotator: str | None = None,
    adjudicated: bool | None = None,
    needs_review: bool | None = None,
) -> QueueFilters:
    """Resolve the queue's filters to ids; ValidationError with a message per unknown one."""
    refs = project_refs_resolve(project=project, source=source, label=label, annotator=annotator)
    return QueueFilters(refs.source_id, refs.label_id, refs.annotator_id, adjudicated, needs_review)


def adjudicated() -> Exists:
    """For Document.objects.filter() or annotate(): the document's gold layer is submitted."""
    return Exists(
        Layer.objects.filter(document=OuterRef("pk"), kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED)
    )


def review_queue(*, project: Project, filters: QueueFilters | None = None) -> QuerySet[Document]:
    """The documents whose k annotation layers are all submitted, most disagreement first (the
    stored token-resolution score; documents without one, e.g. k = 1, last), then by id. Each
    is annotated with `n_submitted`, `disagreement` (float or None), `gold_layer_id`,
    `gold_status` and `adjudicated`. One query; the text is deferred."""
    filters = filters or QueueFilters()
    submitted = Layer.objects.filter(
        document=OuterRef("pk"), kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
    )
    n_submitted = submitted.order_by().values("document").annotate(n=Count("pk")).values("n")
    gold = Layer.objects.filter(document=OuterRef("pk"), kind=LayerKind.GOLD).order_by("pk")
    disagreement = DocumentAgreement.objects.filter(
        document=OuterRef("pk"), resolution=QUEUE_RESOLUTION
    ).values("disagreement")[:1]
    documents = (
        Document.objects.filter(project=project)
        .annotate(n_submitted=Coalesce(Subquery(n_submitted, output_field=IntegerField()), 0))
        .filter(n_submitted__gte=project.annotators_per_document)
        .annotate(
            disagreement=Subquery(disagreement),
            gold_layer_id=Subquery(gold.values("pk")[:1]),
            gold_status=Subquery(gold.values("status")[:1]),
            adjudicated=adjudicated(),
        )
        .select_related("source")
        .defer("text", "metadata")
    )
    if filters.source_id is not None:
        documents = documents.filter(source_id=filters.source_id)
    if filters.label_id is not None:
        documents = documents.filter(
            Exists(
                Span.objects.filter(
                    layer__document=OuterRef("pk"),
                    layer__kind=LayerKind.ANNOTATION,
                    layer__status=LayerStatus.SUBMITTED,
                    label_id=filters.label_id,
                )
            )
        )
    if filters.annotator_id is not None:
        documents = documents.filter(Exists(submitted.filter(user_id=filters.annotator_id)))
    if filters.adjudicated is not None:
        documents = documents.filter(adjudicated=filters.adjudicated)
    if filters.needs_review is not None:
        flagged = Exists(submitted.filter(needs_review=True))
        documents = documents.filter(flagged if filters.needs_review else ~flagged)
    return documents.order_by(F("disagreement").desc(nulls_last=True), "pk")


@dataclass(frozen=True)
class QueueLayer:
    id: int
    user_id: int
    username: str
    kind: str
    status: str
    n_spans: int


def review_queue_layers(*, document_ids: Collection[int]) -> dict[int, list[QueueLayer]]:
    """The layers (annotation layers not skipped, and gold) of these documents with their span
    counts, by document; one query."""
    rows = (
        Layer.objects.filter(document_id__in=list(document_ids))
        .exclude(kind=LayerKind.ANNOTATION, status=LayerStatus.SKIPPED)
        .annotate(n_spans=Count("spans"))
        .order_by("document_id", "kind", "pk")
        .values_list("pk", "document_id", "user_id", "user__username", "kind", "status", "n_spans")
    )
    layers: dict[int, list[QueueLayer]] = {pk: [] for pk in document_ids}
    for pk, document_id, user_id, username, kind, status, n_spans in rows:
        layers[document_id].append(QueueLayer(pk, user_id, username, kind, status, n_spans))
    return layers


def _queue_layer(layer: QueueLayer) -> dict[str, Any]:
    return {
        "id": layer.id,
        "user_id": layer.user_id,
        "username": layer.username,
        "status": layer.status,
        "n_spans": layer.n_spans,
    }


def review_queue_rows(*, documents: list[Document]) -> list[dict[str, Any]]:
    """The rows of a page of `review_queue` documents (plain data, the source a Source), with
    their annotation layers and gold layer; one query."""
    layers = review_queue_layers(document_ids=[d.pk for d in documents])
    rows = []
    for document in documents:
        mine = layers[document.pk]
        rows.append(
            {
                "id": document.pk,
                "title": document.title,
                "external_id": document.external_id,
                "source": document.source,
                "disagreement": document.disagreement,  # type: ignore[attr-defined]
                "layers_submitted": document.n_submitted,  # type: ignore[attr-defined]
                "layers": [_queue_layer(la) for la in mine if la.kind == LayerKind.ANNOTATION],
                "gold": next((_queue_layer(la) for la in mine if la.kind == LayerKind.GOLD), None),
                "adjudicated": document.adjudicated,  # type: ignore[attr-defined]
            }
        )
    return rows


def review_queue_choices(*, project: Project) -> dict[str, list[tuple[str, str]]]:
    """(value, name) pairs for the queue page's filters: sources, labels and annotators."""
    sources = (
        Source.objects.filter(documents__project=project)
        .distinct()
        .order_by("name")
        .values_list("slug", "name")
    )
    labels = Label.objects.filter(project=project).values_list("key", "name")
    annotators = (
        get_user_model()
        .objects.filter(layers__document__project=project, layers__kind=LayerKind.ANNOTATION)
        .distinct()
        .order_by("username")
        .values_list("username", "username")
    )
    return {"sources": list(sources), "labels": list(labels), "annotators": list(annotators)}


# ONE DOCUMENT
# ------------------------------------------------------------------------------


def gold_layer_get(*, document_id: int) -> Layer | None:
    """The document's gold layer (the oldest, should there be several), or None."""
    return (
        Layer.objects.filter(document_id=document_id, kind=LayerKind.GOLD)
        .select_related("user")
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class ChangesSinceReturn:
    """How a layer sent back for changes differs, as submitted again, from what it held when it
    was sent back: span ids added, removed, and changed (label, boundaries or attributes)."""

    returned_at: datetime
    added: list[int]
    removed: list[int]
    changed: list[int]


@dataclass(frozen=True)
class ReviewLayer:
    layer: Layer  # its user is selected
    spans: list[Span]  # with their labels, in reading order
    since_return: ChangesSinceReturn | None = None  # resubmitted after a reviewer sent it back
    answers: dict[str, Any] = field(default_factory=dict)  # article question key -> answer


def changes_since_return(
    *, layer: Layer, spans: list[Span], reopened: list[datetime]
) -> ChangesSinceReturn | None:
    """What changed in a resubmitted layer since a reviewer last sent it back (`reopened`: when
    reviewers reopened it), from the spans' audit trail; None if it was never sent back or is
    not submitted again."""
    if layer.status != LayerStatus.SUBMITTED or layer.submitted_at is None:
        return None
    returned = max((at for at in reopened if at < layer.submitted_at), default=None)
    if returned is None:
        return None

    def shape(span: Any) -> tuple[Any, ...]:
        return (span.label_id, span.start, span.end, span.attributes or {})

    before = {span.id: shape(span) for span in Span.history.as_of(returned).filter(layer_id=layer.pk)}
    now = {span.pk: shape(span) for span in spans}
    return ChangesSinceReturn(
        returned_at=returned,
        added=sorted(now.keys() - before.keys()),
        removed=sorted(before.keys() - now.keys()),
        changed=sorted(key for key in now.keys() & before.keys() if now[key] != before[key]),
    )


@dataclass(frozen=True)
class ReviewGroup:
    group: SpanGroup
    gold_span_ids: list[int]  # gold spans that overlap a member (annotator.agreement.maths.review)


@dataclass(frozen=True)
class ReviewState:
    document: Document
    layers: list[ReviewLayer]  # annotation layers not skipped, oldest first
    gold: ReviewLayer | None
    groups: list[ReviewGroup]
    decisions: list[Decision]  # with their reviewers, oldest first
    disagreement: float | None

    @property
    def adjudicated(self) -> bool:
        return self.gold is not None and self.gold.layer.status == LayerStatus.SUBMITTED


def review_span(span: Span) -> ReviewSpan:
    return ReviewSpan(span.pk, span.layer_id, span.start, span.end, span.label.key, span.attributes or {})


def review_layers_get(*, document: Document) -> tuple[list[ReviewLayer], ReviewLayer | None]:
    """The annotation layers (not skipped) and the gold layer of the document, with their spans
    and answers; four queries, and one more for each layer submitted again after it was sent
    back."""
    rows = list(
        Layer.objects.filter(document=document)
        .exclude(kind=LayerKind.ANNOTATION, status=LayerStatus.SKIPPED)
        .select_related("user")
        .order_by("pk")
    )
    gold_row = next((row for row in rows if row.kind == LayerKind.GOLD), None)
    wanted = [row for row in rows if row.kind == LayerKind.ANNOTATION or row is gold_row]
    spans: dict[int, list[Span]] = {row.pk: [] for row in wanted}
    for span in (
        Span.objects.filter(layer_id__in=list(spans)).select_related("label").order_by("start", "end", "pk")
    ):
        spans[span.layer_id].append(span)
    answers: dict[int, dict[str, Any]] = {row.pk: {} for row in wanted}
    for layer_id, key, value in Answer.objects.filter(layer_id__in=list(answers)).values_list(
        "layer_id", "question__key", "value"
    ):
        answers[layer_id][key] = value
    for row in wanted:
        row.document = document  # the caller's copy, text and project included
    reopened: dict[int, list[datetime]] = {}
    for layer_id, at in Decision.objects.filter(document=document, action=DecisionAction.REOPEN).values_list(
        "after__assignment", "created_at"
    ):
        reopened.setdefault(layer_id, []).append(at)
    layers = [
        ReviewLayer(
            row,
            spans[row.pk],
            changes_since_return(layer=row, spans=spans[row.pk], reopened=reopened.get(row.pk, [])),
            answers[row.pk],
        )
        for row in wanted
        if row.kind == LayerKind.ANNOTATION
    ]
    gold = ReviewLayer(gold_row, spans[gold_row.pk], answers=answers[gold_row.pk]) if gold_row else None
    return layers, gold


def review_groups(*, layers: list[ReviewLayer], gold: ReviewLayer | None) -> list[ReviewGroup]:
    """The aligned groups of the annotation layers' spans with their disagreement kinds, each
    with the gold spans that already cover it."""
    groups = align_layers(
        [shown.layer.pk for shown in layers],
        [review_span(span) for shown in layers for span in shown.spans],
        threshold=ALIGN_THRESHOLD,
    )
    gold_spans = [review_span(span) for span in gold.spans] if gold else []
    return [ReviewGroup(g, gold_matches(g, gold_spans, threshold=ALIGN_THRESHOLD)) for g in groups]


def review_state_get(*, document: Document) -> ReviewState:
    """Everything the review page shows of one document: seven queries, and one more for each layer
    sent back and submitted again."""
    layers, gold = review_layers_get(document=document)
    decisions = list(
        Decision.objects.filter(document=document).select_related("reviewer").order_by("created_at", "pk")
    )
    disagreement = (
        DocumentAgreement.objects.filter(document=document, resolution=QUEUE_RESOLUTION)
        .values_list("disagreement", flat=True)
        .first()
    )
    return ReviewState(
        document=document,
        layers=layers,
        gold=gold,
        groups=review_groups(layers=layers, gold=gold),
        decisions=decisions,
        disagreement=disagreement,
    )


# THE AUDIT TRAIL AS ROWS
# ------------------------------------------------------------------------------


def decision_rows_iter(
    *, project: Project, since: datetime | None = None, action: str | None = None, page_size: int = 1000
) -> Iterator[dict[str, Any]]:
    """Every decision of the project (made at or after `since`, of `action`), oldest first, as
    plain rows; read in keyset pages of `page_size`, so memory stays constant."""
    decisions = Decision.objects.filter(document__project=project)
    if since is not None:
        decisions = decisions.filter(created_at__gte=since)
    if action is not None:
        decisions = decisions.filter(action=action)
    fields = (
        "pk",
        "document_id",
        "document__external_id",
        "reviewer__username",
        "action",
        "gold_span_id",
        "source_span_ids",
        "before",
        "after",
        "note",
        "created_at",
    )
    last = 0
    while True:
        page = list(decisions.filter(pk__gt=last).order_by("pk").values_list(*fields)[:page_size])
        if not page:
            return
        for (
            pk,
            document_id,
            external_id,
            reviewer,
            act,
            gold_span_id,
            sources,
            before,
            after,
            note,
            at,
        ) in page:
            yield {
                "id": pk,
                "document_id": document_id,
                "external_id": external_id,
                "reviewer": reviewer,
                "action": act,
                "gold_span_id": gold_span_id,
                "source_span_ids": sources,
                "before": before,
                "after": after,
                "note": note,
                "created_at": at.isoformat(),
            }
        last = page[-1][0]


# GOLD FOR THE AGREEMENT REPORT
# ------------------------------------------------------------------------------


def gold_document_ids(*, project_id: int) -> list[int]:
    """Ids of the project's adjudicated documents (gold layer submitted), ascending."""
    return list(
        Layer.objects.filter(
            document__project_id=project_id, kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED
        )
        .order_by("document_id")
        .values_list("document_id", flat=True)
        .distinct()
    )


def counting_gold_layers(layers: Iterable[tuple[int, int, datetime]]) -> dict[int, int]:
    """Document id -> the id of its gold layer that counts, among the (layer id, document id,
    updated_at) of submitted gold layers: the one changed last (the higher id on a tie). Older
    data can hold several per document, one per reviewer; every reader of gold takes this one."""
    newest: dict[int, tuple[datetime, int]] = {}
    for pk, document_id, updated_at in layers:
        newest[document_id] = max(newest.get(document_id, (updated_at, pk)), (updated_at, pk))
    return {document_id: pk for document_id, (_, pk) in newest.items()}


def gold_spans_by_document(
    *, schema: AgreementSchema, document_ids: Collection[int]
) -> dict[int, list[SpanInput]]:
    """The spans (start, end, label key, attributes) of the adjudicated gold layer of each
    document (`counting_gold_layers`). Two queries."""
    layers = counting_gold_layers(
        Layer.objects.filter(
            document_id__in=list(document_ids), kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED
        )
        .order_by()
        .values_list("pk", "document_id", "updated_at")
    )
    spans: dict[int, list[SpanInput]] = {document_id: [] for document_id in layers}
    document_of: dict[Hashable, int] = {pk: document_id for document_id, pk in layers.items()}
    for layer_id, start, end, label_id, attributes in (
        Span.objects.filter(layer_id__in=list(document_of))
        .order_by()
        .values_list("layer_id", "start", "end", "label_id", "attributes")
    ):
        spans[document_of[layer_id]].append((start, end, schema.label_keys[label_id], attributes))
    return spans


@dataclass(frozen=True)
class DocumentTruth:
    """A document's truth: its adjudicated gold layer, else the consensus of its submitted
    annotation layers (two or more, or the one layer of a project that asks for one)."""

    document_id: int
    text: str
    basis: str  # "gold" or "consensus"
    spans: list[tuple[int, int, str, Mapping[str, Any]]]  # (start, end, label key, attributes)


def document_truths(*, project_id: int, chunk_size: int = 500) -> Iterator[DocumentTruth]:
    """The truth of every document of the project that has one, in id order, a chunk of
    documents at a time. Suggestion training and claims across outlets read it."""
    schema = agreement_schema_get(project_id=project_id)
    per_document = Project.objects.values_list("annotators_per_document", flat=True).get(pk=project_id)
    ids = sorted(
        {
            *gold_document_ids(project_id=project_id),
            *Layer.objects.filter(
                document__project_id=project_id, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
            ).values_list("document_id", flat=True),
        }
    )
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        gold = gold_spans_by_document(schema=schema, document_ids=chunk)
        for document in document_layers_list(schema=schema, document_ids=chunk):
            assert document.text is not None
            if document.document_id in gold:
                spans, basis = [_with_attributes(span) for span in gold[document.document_id]], "gold"
            elif len(document.layers) >= 2:
                layers = [[LayerSpan(*span) for span in spans] for spans in document.layers.values()]
                spans = [(s.start, s.end, s.label, s.attributes) for s in consensus_spans(layers)]
                basis = "consensus"
            elif document.layers and per_document == 1:
                spans = [_with_attributes(span) for span in next(iter(document.layers.values()))]
                basis = "consensus"
            else:
                continue
            yield DocumentTruth(document.document_id, document.text, basis, spans)


def _with_attributes(span: SpanInput) -> tuple[int, int, str, Mapping[str, Any]]:
    return (span[0], span[1], span[2], span[3] if len(span) > 3 else {})


@dataclass(frozen=True)
class LayerReturn:
    """A reviewer sent an annotator's layer back for changes: who, when, and their comment."""

    reviewer: str
    at: datetime
    note: str


def layer_returns(*, layers: Iterable[Layer]) -> dict[int, LayerReturn]:
    """The latest return of each of `layers` that is still open: the layer has not been
    submitted again since a reviewer reopened it."""
    open_ids = [layer.pk for layer in layers if layer.status != LayerStatus.SUBMITTED]
    if not open_ids:
        return {}
    decisions = (
        Decision.objects.filter(action=DecisionAction.REOPEN, after__assignment__in=open_ids)
        .select_related("reviewer")
        .order_by("created_at")
    )
    returns = {}
    for decision in decisions:
        assert decision.after is not None  # a reopen always records the layer it reopened
        returns[decision.after["assignment"]] = LayerReturn(
            reviewer=decision.reviewer.username if decision.reviewer else "a reviewer",
            at=decision.created_at,
            note=decision.note,
        )
    return returns
