"""Reads for agreement: querysets turned into the plain lists the pure `annotator.agreement.maths`
functions take. Reads are bounded: a batch of documents costs three queries whatever its size
(the documents, their submitted layers, the spans of those layers), and a project's stored
statistics are one query."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Length

from annotator.agreement.maths.attributes import AttributeKind as SpecKind
from annotator.agreement.maths.attributes import AttributeSpec
from annotator.agreement.maths.stats import SpanInput
from annotator.models import (
    AgreementReport,
    Attribute,
    AttributeKind,
    Document,
    DocumentAgreement,
    Label,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
    ReportScope,
    Source,
    Span,
)

THRESHOLD = 0.5  # overlap ratio for span matching and attribute groups (docs/agreement.md section 4)


@dataclass(frozen=True)
class AgreementSchema:
    """What `document_statistics` needs to know about a project."""

    project_id: int
    labels: tuple[str, ...]  # label keys in schema order: the value order of the statistics
    label_keys: dict[int, str]  # label id -> key
    attributes: tuple[AttributeSpec, ...]
    allow_overlap: bool


@dataclass(frozen=True)
class DocumentLayers:
    """One document's submitted annotation layers, as `document_statistics` takes them."""

    document_id: int
    project_id: int
    source_id: int
    text: str | None  # None when the caller asked for the length only
    text_length: int
    layers: dict[Hashable, list[SpanInput]]  # annotator's user id -> (start, end, label key, attributes)
    watermark: datetime | None  # newest submitted_at among the layers


@dataclass(frozen=True)
class StoredStatistics:
    document_id: int
    source_id: int
    statistics: dict[str, Any]
    watermark: datetime | None
    by_panel: dict[str, Any] | None = None  # DocumentAgreement.panel_statistics, when asked for


def agreement_schema_get(*, project_id: int) -> AgreementSchema:
    """Raises Project.DoesNotExist for a project that is gone."""
    allow_overlap = Project.objects.values_list("allow_overlap", flat=True).get(pk=project_id)
    labels = list(
        Label.objects.filter(project_id=project_id).order_by("order", "pk").values_list("pk", "key")
    )
    attributes = [
        AttributeSpec(
            key=key,
            kind=cast(SpecKind, kind),
            values=() if kind == AttributeKind.BOOLEAN else tuple(v["value"] for v in values),
            applies_to=tuple(applies_to),
        )
        for key, kind, values, applies_to in Attribute.objects.filter(project_id=project_id)
        .order_by("order", "pk")
        .values_list("key", "kind", "values", "applies_to")
    ]
    return AgreementSchema(
        project_id=project_id,
        labels=tuple(key for _, key in labels),
        label_keys=dict(labels),
        attributes=tuple(attributes),
        allow_overlap=bool(allow_overlap),
    )


def document_layers_list(
    *, schema: AgreementSchema, document_ids: Collection[int], with_text: bool = True
) -> list[DocumentLayers]:
    """The submitted annotation layers (gold and unsubmitted layers left out) of the documents
    of `schema`'s project among `document_ids`, in id order; three queries. Without
    `with_text` only the text length (in code points) is read."""
    documents = Document.objects.filter(pk__in=list(document_ids), project_id=schema.project_id).order_by(
        "pk"
    )
    rows: list[tuple[int, int, str | None, int]]
    if with_text:
        rows = [
            (pk, source, text, len(text))
            for pk, source, text in documents.values_list("pk", "source_id", "text")
        ]
    else:
        rows = [
            (pk, source, None, length)
            for pk, source, length in documents.annotate(length=Length("text")).values_list(
                "pk", "source_id", "length"
            )
        ]
    layers = list(
        Layer.objects.filter(
            document_id__in=[row[0] for row in rows],
            kind=LayerKind.ANNOTATION,
            status=LayerStatus.SUBMITTED,
        )
        .order_by()
        .values_list("pk", "document_id", "user_id", "submitted_at")
    )
    with_attributes = bool(schema.attributes)
    fields = ["layer_id", "start", "end", "label_id"] + (["attributes"] if with_attributes else [])
    spans: dict[int, list[SpanInput]] = {pk: [] for pk, *_ in layers}
    label_keys = schema.label_keys
    # Attribute values were checked against the schema (and stance targets against the
    # project's list) when the span was written: they are passed on as stored.
    for row in Span.objects.filter(layer_id__in=list(spans)).order_by().values_list(*fields):
        if with_attributes:
            spans[row[0]].append((row[1], row[2], label_keys[row[3]], row[4]))
        else:
            spans[row[0]].append((row[1], row[2], label_keys[row[3]]))
    by_document: dict[int, dict[Hashable, list[SpanInput]]] = {}
    watermarks: dict[int, datetime | None] = {}
    for pk, document_id, user_id, submitted_at in layers:
        by_document.setdefault(document_id, {})[user_id] = spans[pk]
        newest = watermarks.get(document_id)
        if submitted_at is not None and (newest is None or submitted_at > newest):
            watermarks[document_id] = submitted_at
    return [
        DocumentLayers(
            document_id=pk,
            project_id=schema.project_id,
            source_id=source_id,
            text=text,
            text_length=length,
            layers=by_document.get(pk, {}),
            watermark=watermarks.get(pk),
        )
        for pk, source_id, text, length in rows
    ]


def agreement_documents(*, project_id: int) -> QuerySet[Layer, int]:
    """Ids of the project's documents with two or more submitted annotation layers, ascending
    (a values queryset, usable as a subquery)."""
    return (
        Layer.objects.filter(
            document__project_id=project_id, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
        )
        .order_by()
        .values("document_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .order_by("document_id")
        .values_list("document_id", flat=True)
    )


def agreement_documents_behind(*, project_id: int, resolution: str) -> list[int]:
    """Ids of the project's documents with two or more submitted annotation layers whose stored
    statistics at `resolution` are missing or older than their layers (Document.layers_version)."""
    current = DocumentAgreement.objects.filter(
        document_id=OuterRef("pk"), resolution=resolution, layers_version=OuterRef("layers_version")
    )
    behind = Document.objects.filter(pk__in=agreement_documents(project_id=project_id)).exclude(
        Exists(current)
    )
    return list(behind.order_by("pk").values_list("pk", flat=True))


def document_statistics_iter(
    *, project_id: int, resolution: str, by_panel: bool = False
) -> Iterator[StoredStatistics]:
    """Every stored per-document statistics of the project at `resolution`, in document order,
    with what agreement by panel reads if `by_panel`: one query, streamed, so a caller that
    converts each row keeps only one batch of raw JSON."""
    fields = ["document_id", "document__source_id", "statistics", "layers_watermark"]
    rows = (
        DocumentAgreement.objects.filter(project_id=project_id, resolution=resolution)
        .order_by("document_id")
        .values_list(*fields, *(["panel_statistics"] if by_panel else []))
    )
    for row in rows.iterator(chunk_size=1000):
        yield StoredStatistics(*row)


def document_agreement_get(*, document_id: int, resolution: str) -> DocumentAgreement | None:
    return DocumentAgreement.objects.filter(document_id=document_id, resolution=resolution).first()


def agreement_reports_get(
    *, project_id: int, resolution: str
) -> tuple[AgreementReport | None, list[tuple[Source | None, AgreementReport]]]:
    """The project report and the per-source reports (with their Source, None if it is gone,
    sorted by source name); two queries plus one for the sources."""
    reports = list(
        AgreementReport.objects.filter(
            project_id=project_id, resolution=resolution, scope__in=[ReportScope.PROJECT, ReportScope.SOURCE]
        )
    )
    project = next((r for r in reports if r.scope == ReportScope.PROJECT), None)
    by_source = [r for r in reports if r.scope == ReportScope.SOURCE]
    sources = {s.slug: s for s in Source.objects.filter(slug__in=[r.scope_key for r in by_source])}
    pairs = [(sources.get(r.scope_key), r) for r in by_source]
    pairs.sort(key=lambda pair: (pair[0].name if pair[0] else "", pair[1].scope_key))
    return project, pairs


def kept_resolutions(*, project_id: int) -> list[str]:
    """The resolutions whose reports are kept current for the project: tokens always,
    characters once someone computed a character report."""
    extra = (
        AgreementReport.objects.filter(project_id=project_id, scope=ReportScope.PROJECT)
        .exclude(resolution="token")
        .values_list("resolution", flat=True)
    )
    return ["token", *sorted(set(extra))]


def usernames_get(*, user_ids: Collection[int]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    return dict(get_user_model().objects.filter(pk__in=list(user_ids)).values_list("pk", "username"))


def layer_panels(*, project_id: int) -> dict[int, dict[str, str]]:
    """Per document, the panel of each annotator's submitted layer (annotators keyed as in the
    statistics, by user id as text): the one it was handed out for, else (a project that does
    not balance its panels, or layers from before its panels) the annotator's panel now.
    Annotators in no panel are left out."""
    member_panel = Membership.objects.filter(project_id=project_id, user_id=OuterRef("user_id")).values(
        "panel__key"
    )[:1]
    panels: dict[int, dict[str, str]] = {}
    for document_id, user_id, key in (
        Layer.objects.filter(
            document__project_id=project_id, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
        )
        .annotate(panel_key=Coalesce("panel__key", Subquery(member_panel)))
        .filter(panel_key__isnull=False)
        .order_by()
        .values_list("document_id", "user_id", "panel_key")
    ):
        panels.setdefault(document_id, {})[str(user_id)] = key
    return panels
