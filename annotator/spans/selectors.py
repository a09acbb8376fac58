"""Reads of spans and their history."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from annotator.models import Span


def span_get(*, span_id: int) -> Span | None:
    """The span, without its relations (access_span adds them)."""
    return Span.objects.filter(pk=span_id).first()


def spans_nearby(*, layer_id: int, start: int, end: int, client_uuid: Any = None) -> list[Span]:
    """The layer's spans that share a code point with [start, end), and the one with
    `client_uuid` if any: one read answers both "was this create done before?" and "what does
    it overlap?"."""
    near = Q(start__lt=end, end__gt=start)
    if client_uuid is not None:
        near |= Q(client_uuid=client_uuid)
    return list(Span.objects.filter(near, layer_id=layer_id).order_by())


def span_history_list(*, layer_id: int | None = None, span_id: int | None = None) -> QuerySet[Any]:
    """The audit trail (HistoricalSpan rows), oldest first: of one span, or of every span of
    one layer, deleted ones included. With the user and label of each row."""
    rows: QuerySet[Any] = Span.history.select_related("history_user", "label")
    if layer_id is not None:
        rows = rows.filter(layer_id=layer_id)
    if span_id is not None:
        rows = rows.filter(id=span_id)
    return rows.order_by("history_date", "history_id")


def span_layer_id(*, span_id: int) -> int | None:
    """The layer a span belongs to, or belonged to before it was deleted; None if never seen."""
    current = Span.objects.filter(pk=span_id).values_list("layer_id", flat=True).first()
    if current is not None:
        return current
    deleted: int | None = (
        Span.history.filter(id=span_id).order_by("-history_id").values_list("layer_id", flat=True).first()
    )
    return deleted
