"""Labelled-data exports: rows -> formatter -> writer.

`export_filters_resolve` checks what was asked for, `export_documents_iter` (the selector) reads
the project a page at a time and yields one ExportDocument per document, and `export_stream`
(the service) puts them through a format of annotator.exports into byte chunks.

Bases (which layers a document's spans come from):

* all: every submitted annotation layer, one ExportLayer each, named by its annotator. Documents
  with no submitted layer are left out; a submitted layer without spans is kept (it says "nothing
  here").
* consensus: documents with at least two submitted annotation layers; one layer named
  `consensus` holding the spans a majority agrees on (annotator.agreement.maths.consensus).
* model: the same documents; one layer named `model` holding the spans the MACE model of the
  project's last competence fit finds in them, each annotator's answer weighed by how reliable
  the fit estimates them (annotator.agreement.maths.competence.model_consensus_spans). Refused until competence
  has been estimated. A new fit can change a document's model spans with no layer changing, so
  after one, pull the whole export rather than `since` the last pull.
* gold: the adjudicated gold layer (kind gold, submitted by `review_adjudicate`). Documents
  whose gold layer is missing or still being worked on are left out: half-adjudicated spans are
  not gold. If a document has several (older data: one per reviewer), the one changed last
  counts (review.selectors.counting_gold_layers).

Filters: `source` keeps that source's documents; `label` keeps only spans of that label (the
consensus is computed on them, which gives the same spans as filtering afterwards, since only
spans of one label are ever matched); `annotator` keeps that annotator's layer (basis all only);
`since` keeps the documents whose layers on the basis changed at or after that moment: for all,
consensus and model, an annotation layer created, submitted, reopened or skipped then (its updated_at);
for gold, the gold layer updated, a gold span created, or an adjudication decision recorded. A
matching document is exported whole, so an incremental pull replaces documents by document_id.

Memory: documents are read in keyset pages on their id; a page holds at most `page_size`
documents and stops early once it would hold more than `max_page_spans` spans or
`max_page_chars` characters of text (a single larger document still makes a page of its own).
Four queries a page: the next document ids with their text lengths; their layers, each with its
number of spans to export, which sets where the page ends before any span is read; the spans of
those layers, read off the span_layer_position index in order; the documents. The next page asks
for about as many documents as the last one held. Pages are separate queries, so a long export
sees layers submitted while it runs, page by page. One more query, at the start, reads the
project's label keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, Coalesce, Length

from annotator.agreement.maths.competence import ConsensusModel, model_consensus_spans
from annotator.agreement.maths.consensus import ConsensusSpan, LayerSpan, consensus_spans
from annotator.competence.selectors import consensus_model_get
from annotator.errors import ValidationError
from annotator.exports import (
    BASES,
    FORMATTERS,
    Basis,
    ExportContext,
    ExportDocument,
    ExportLayer,
    ExportSpan,
    formatter_for,
    write_chunks,
)
from annotator.exports.split import PARTS, held_out_sources
from annotator.models import (
    Answer,
    Attribute,
    Decision,
    Document,
    Label,
    Layer,
    LayerKind,
    LayerStatus,
    Project,
    Question,
    Span,
)
from annotator.projects.selectors import ProjectRefs, project_refs_resolve
from annotator.questions.rules import consensus_answer
from annotator.review.selectors import counting_gold_layers

PAGE_SIZE = 100
MAX_PAGE_SPANS = 5_000
MAX_PAGE_CHARS = 2_000_000


@dataclass(frozen=True)
class ExportFilters:
    """What to export, resolved to ids (see the module docstring)."""

    basis: Basis = "all"
    source_id: int | None = None
    source_ids: frozenset[int] | None = None  # a train or test part: only these sources' documents
    part: str | None = None  # "train" or "test", for the file's name
    label_id: int | None = None
    annotator_id: int | None = None
    since: datetime | None = None
    model: ConsensusModel | None = None  # basis model: the fitted model of the span labels


@dataclass(frozen=True)
class ExportStream:
    """An export ready to send: `chunks` reads the database lazily, as it is consumed.
    `content_type` is the response's, with the charset for text."""

    filename: str
    content_type: str
    chunks: Iterator[bytes]


def export_filters_resolve(
    *,
    project: Project,
    basis: str = "all",
    source: str | None = None,
    label: str | None = None,
    annotator: str | None = None,
    since: datetime | None = None,
    part: str | None = None,
    test_share: float = 0.2,
    split_seed: int = 0,
) -> ExportFilters:
    """Check and resolve the filters of an export of `project`. Raises ValidationError with a
    message per field: an unknown basis, source (slug or id), label key or annotator username,
    an annotator with a basis other than all, basis model before competence was estimated, or
    basis gold before any document is adjudicated. `part` ("train" or "test") keeps the
    documents of one part of a split by source (split.held_out_sources)."""
    errors: dict[str, list[str]] = {}
    if part is not None and part not in PARTS:
        errors["part"] = [f"Unknown part {part!r}; choose train or test."]
    if part is not None and source:
        errors["part"] = ["A split by source and the source filter do not go together."]
    if not 0 < test_share < 1:
        errors["test_share"] = ["Give the test part's share of the documents, above 0 and below 1."]
    if basis not in BASES:
        errors["basis"] = [f"Unknown basis {basis!r}; choose one of {', '.join(BASES)}."]
    if annotator and basis != "all":
        errors["annotator"] = ["The annotator filter goes with basis all only."]
        annotator = None
    refs = ProjectRefs()
    try:
        refs = project_refs_resolve(project=project, source=source, label=label, annotator=annotator)
    except ValidationError as unknown:
        errors |= unknown.message_dict
    if errors:
        raise ValidationError(errors)
    if (
        basis == "gold"
        and not Layer.objects.filter(
            document__project=project, kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED
        ).exists()
    ):
        raise ValidationError(
            {
                "basis": [
                    "No gold layer yet: no document of this project has been adjudicated. "
                    "Export basis consensus or all instead."
                ]
            }
        )
    model = None
    if basis == "model":
        model = consensus_model_get(project_id=project.pk)
        if model is None:
            raise ValidationError(
                {
                    "basis": [
                        "No competence estimate yet: estimate annotator competence first "
                        "(the Annotators page, or POST /api/v1/projects/{id}/annotators/competence/)."
                    ]
                }
            )
    source_ids = None
    if part is not None:
        counts = dict(
            Document.objects.filter(project=project)
            .values("source_id")
            .annotate(n=Count("pk"))
            .values_list("source_id", "n")
        )
        tested = held_out_sources(counts, test_share=test_share, seed=split_seed)
        source_ids = tested if part == "test" else frozenset(counts) - tested
    return ExportFilters(
        basis=cast(Basis, basis),
        source_id=refs.source_id,
        source_ids=source_ids,
        part=part,
        label_id=refs.label_id,
        annotator_id=refs.annotator_id,
        since=since,
        model=model,
    )


def _layer_q(filters: ExportFilters) -> Q:
    """The layers of the basis, as a condition on Layer."""
    if filters.basis == "gold":
        return Q(kind=LayerKind.GOLD, status=LayerStatus.SUBMITTED)
    condition = Q(kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED)
    if filters.annotator_id is not None:
        condition &= Q(user_id=filters.annotator_id)
    return condition


def _changed_since(filters: ExportFilters, since: datetime) -> Q:
    document = OuterRef("pk")
    if filters.basis == "gold":
        gold = Q(kind=LayerKind.GOLD)
        return (
            Q(Exists(Layer.objects.filter(gold, document=document, updated_at__gte=since)))
            | Q(
                Exists(
                    Span.objects.filter(layer__document=document, layer__kind=LayerKind.GOLD).filter(
                        Q(created_at__gte=since) | Q(updated_at__gte=since)
                    )
                )
            )
            | Q(Exists(Decision.objects.filter(document=document, created_at__gte=since)))
        )
    layers = Layer.objects.filter(document=document, kind=LayerKind.ANNOTATION, updated_at__gte=since)
    if filters.annotator_id is not None:
        layers = layers.filter(user_id=filters.annotator_id)
    return Q(Exists(layers))


def export_documents_query(*, project: Project, filters: ExportFilters) -> QuerySet[Document]:
    """The documents of the export (not yet paged): those with a layer on the basis (two
    submitted layers for consensus and model) that pass the source and since filters."""
    layers = Layer.objects.filter(_layer_q(filters), document=OuterRef("pk"))
    documents = Document.objects.filter(project=project)
    if filters.source_id is not None:
        documents = documents.filter(source_id=filters.source_id)
    if filters.source_ids is not None:
        documents = documents.filter(source_id__in=list(filters.source_ids))
    if filters.basis in ("consensus", "model"):
        counts = layers.order_by().values("document").annotate(n=Count("pk")).values("n")
        documents = documents.annotate(n_submitted=Subquery(counts, output_field=IntegerField())).filter(
            n_submitted__gte=2
        )
    else:
        documents = documents.filter(Exists(layers))
    if filters.since is not None:
        documents = documents.filter(_changed_since(filters, filters.since))
    return documents


def export_documents_iter(
    *,
    project: Project,
    filters: ExportFilters,
    page_size: int = PAGE_SIZE,
    max_page_spans: int = MAX_PAGE_SPANS,
    max_page_chars: int = MAX_PAGE_CHARS,
) -> Iterator[ExportDocument]:
    """One ExportDocument per document of the export, in id order, read in keyset pages (see
    the module docstring). Lazy: nothing is read until the first document is asked for."""
    candidates = (
        export_documents_query(project=project, filters=filters)
        .order_by("pk")
        .annotate(n_chars=Length("text"))
    )
    labels = _LabelKeys(project)
    last_id = 0
    take = page_size
    while True:
        rows = list(candidates.filter(pk__gt=last_id).values_list("pk", "n_chars")[:take])
        if not rows:
            return
        ids = _within_chars(rows, max_page_chars=max_page_chars)
        page = _page(ids, filters, labels=labels, max_page_spans=max_page_spans)
        yield from page
        last_id = page[-1].document_id
        # Ask for about as many documents as the span budget held this time, so the next
        # page's layer read is not mostly thrown away.
        cut = len(page) < len(ids)
        take = min(page_size, len(page) + 1 if cut else 2 * take)


class _LabelKeys(dict[int, str]):
    """Label id -> key of a project. Spans are read with their label id, not joined to the
    label: the join cost PostgreSQL a lookup per span. A label added while the export runs is
    read when a span first uses it."""

    def __init__(self, project: Project) -> None:
        super().__init__(Label.objects.filter(project=project).values_list("pk", "key"))

    def __missing__(self, label_id: int) -> str:
        self[label_id] = key = Label.objects.values_list("key", flat=True).get(pk=label_id)
        return key


def _within_chars(rows: list[tuple[int, int]], *, max_page_chars: int) -> list[int]:
    ids: list[int] = []
    chars = 0
    for pk, n_chars in rows:
        chars += n_chars or 0
        if ids and chars > max_page_chars:
            break
        ids.append(pk)
    return ids


def _page(
    ids: list[int], filters: ExportFilters, *, labels: _LabelKeys, max_page_spans: int
) -> list[ExportDocument]:
    """The documents `ids` (ascending), or as many of the first ones as hold at most
    `max_page_spans` spans between them (always at least one)."""
    layers = _page_layers(ids, filters)
    # The span budget, counted before any span is read: the first documents that fit.
    covered: list[int] = []
    n_spans = 0
    for document_id in ids:
        n = sum(layer.n_spans for layer in layers.get(document_id, ()))
        if covered and n_spans + n > max_page_spans:
            break
        covered.append(document_id)
        n_spans += n
    spans: dict[int, list[ExportSpan]] = {layer.pk: [] for d in covered for layer in layers.get(d, ())}
    # By layer id, in span_layer_position's order: PostgreSQL reads each layer's spans off that
    # index already sorted. The layer ids are the ones just counted, so a layer submitted since
    # then waits for the next export.
    spans_query = Span.objects.filter(layer_id__in=list(spans))
    if filters.label_id is not None:
        spans_query = spans_query.filter(label_id=filters.label_id)
    span_rows = (
        spans_query.order_by("layer_id", "start", "end", "pk")
        .annotate(attributes_json=Cast("attributes", TextField()))
        .values_list("layer_id", "label_id", "start", "end", "text", "attributes_json", "model_version_id")
    )
    # Attributes come as JSON text, each distinct text decoded once a page: most spans of a
    # project share a few attribute sets, and decoding was a third of the export's time. The
    # decoded mappings are shared between spans, so nothing downstream may change them.
    decoded: dict[str, Mapping[str, Any]] = {}
    # tuple.__new__ straight: the named tuple's own __new__ is a Python function, which made
    # building a span cost four times as much as building a plain tuple.
    new = tuple.__new__
    for layer_id, label_id, start, end, text, attributes_json, model_version in span_rows:
        attributes = decoded.get(attributes_json)
        if attributes is None:
            attributes = decoded[attributes_json] = json.loads(attributes_json) or {}
        spans[layer_id].append(
            new(ExportSpan, (labels[label_id], start, end, text, attributes, model_version))
        )
    answers: dict[int, dict[str, Any]] = {}
    for layer_id, key, value in (
        Answer.objects.filter(layer_id__in=list(spans))
        .order_by("layer_id", "question__order", "question_id")
        .values_list("layer_id", "question__key", "value")
    ):
        answers.setdefault(layer_id, {})[key] = value
    questions: dict[str, Question] = {}
    if answers and filters.basis in ("consensus", "model"):  # the kinds the agreed answers follow
        questions = {q.key: q for q in Question.objects.filter(project__documents=covered[0])}
    documents = (
        Document.objects.filter(pk__in=covered)
        .order_by("pk")
        .values_list("pk", "external_id", "title", "url", "published_at", "text", "source__slug")
    )
    page = []
    for document_id, external_id, title, url, published_at, text, source in documents:
        entries = layers.get(document_id, [])
        if filters.basis in ("consensus", "model"):
            export_layers = [_consensus_layer(text, entries, spans, answers, questions, filters)]
        else:
            name = "gold" if filters.basis == "gold" else None
            export_layers = [
                ExportLayer(
                    name=name or layer.username,
                    spans=spans[layer.pk],
                    annotators=(layer.username,),
                    email="" if name else layer.email,
                    answers=answers.get(layer.pk, {}),
                )
                for layer in entries
            ]
        page.append(
            ExportDocument(
                document_id=document_id,
                external_id=external_id,
                title=title,
                url=url,
                source=source,
                published_at=published_at,
                text=text,
                layers=export_layers,
            )
        )
    return page


class _PageLayer(NamedTuple):
    pk: int
    user_id: int
    username: str
    email: str
    n_spans: int  # spans to export


def _page_layers(ids: list[int], filters: ExportFilters) -> dict[int, list[_PageLayer]]:
    """Document id -> its layers on the basis, in layer id order; for gold, the one gold layer
    that counts."""
    span_counts = Span.objects.filter(layer_id=OuterRef("pk"))
    if filters.label_id is not None:
        span_counts = span_counts.filter(label_id=filters.label_id)
    rows = (
        Layer.objects.filter(_layer_q(filters), document_id__in=ids)
        .annotate(
            n_spans=Coalesce(
                Subquery(span_counts.order_by().values("layer_id").annotate(n=Count("*")).values("n")),
                0,
            )
        )
        .order_by("document_id", "pk")
        .values_list("pk", "document_id", "user_id", "user__username", "user__email", "updated_at", "n_spans")
    )
    if filters.basis == "gold":  # one gold layer per document: the one that counts
        found = {row[0]: row for row in rows}
        counting = counting_gold_layers((pk, row[1], row[5]) for pk, row in found.items())
        return {
            document_id: [_PageLayer(pk, found[pk][2], found[pk][3], found[pk][4], found[pk][6])]
            for document_id, pk in counting.items()
        }
    layers: dict[int, list[_PageLayer]] = {}
    for pk, document_id, user_id, username, email, _, n_spans in rows:
        layers.setdefault(document_id, []).append(_PageLayer(pk, user_id, username, email, n_spans))
    return layers


def _consensus_layer(
    text: str,
    entries: list[_PageLayer],
    spans: dict[int, list[ExportSpan]],
    answers: dict[int, dict[str, Any]],
    questions: Mapping[str, Question],
    filters: ExportFilters,
) -> ExportLayer:
    """The one layer of basis consensus or model. Its answers are the ones the layers agree on
    (on basis model too: the competence model is fitted to span labels, not to answers)."""
    votes = {
        layer.user_id: [LayerSpan(s.start, s.end, s.label, s.attributes) for s in spans[layer.pk]]
        for layer in entries
    }
    agreed: list[ConsensusSpan]
    if filters.basis == "model":
        assert filters.model is not None
        agreed = model_consensus_spans(votes, filters.model)
    else:
        agreed = consensus_spans(list(votes.values()))
    given: dict[str, list[Any]] = {}
    for layer in entries:
        for key, value in answers.get(layer.pk, {}).items():
            given.setdefault(key, []).append(value)
    agreed_answers = {
        key: consensus_answer(questions[key].kind, questions[key].points, values)
        for key, values in given.items()
    }
    return ExportLayer(
        name=filters.basis,
        spans=[ExportSpan(s.label, s.start, s.end, text[s.start : s.end], s.attributes) for s in agreed],
        annotators=tuple(layer.username for layer in entries),
        answers={key: value for key, value in agreed_answers.items() if value is not None},
    )


def export_filename(*, project: Project, basis: str, format: str, part: str | None = None) -> str:
    return f"{project.slug}-{basis}{'-' + part if part else ''}.{FORMATTERS[format].extension}"


def export_stream(*, project: Project, format: str, filters: ExportFilters) -> ExportStream:
    """The export of `project` in `format` (a name in annotator.exports.FORMATTERS), as
    lazily read byte chunks. Call export_filters_resolve first: it does the checking."""
    keys = tuple(
        Attribute.objects.filter(project=project).order_by("order", "id").values_list("key", flat=True)
    )
    questions = tuple(
        Question.objects.filter(project=project).order_by("order", "id").values_list("key", flat=True)
    )
    formatter = formatter_for(
        format, ExportContext(basis=filters.basis, attribute_keys=keys, question_keys=questions)
    )
    documents = export_documents_iter(project=project, filters=filters)
    return ExportStream(
        filename=export_filename(project=project, basis=filters.basis, format=format, part=filters.part),
        content_type=formatter.content_type + (f"; charset={formatter.charset}" if formatter.charset else ""),
        chunks=write_chunks(formatter, documents),
    )
