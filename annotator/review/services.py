"""Adjudication: every write to a document's gold layer, each kept as a Decision (the audit
trail, as data). Reads are in annotator.review.selectors.

Every action
* runs in one transaction that holds the document's row lock (SELECT ... FOR UPDATE), so the
  reviewers acting on one document are served one at a time: the gold layer is made once, and
  two accepts of the same span cannot both pass the duplicate check;
* writes gold spans through the span services (span_create, span_update, span_delete), so the
  offset contract, the schema and the version check hold as for any layer: an edit or removal
  based on a stale `version` raises Conflict (409) carrying the span as it is now, and never
  overwrites the other reviewer's change;
* returns the Decisions it wrote (several for accept_agreed, none when nothing changed).

One gold layer per document: the first reviewer who acts makes it (`gold_layer_ensure`, under
the lock, after looking for any gold layer of the document); every reviewer then acts on it.
The document is adjudicated once its gold layer is submitted (`review_adjudicate`); after that
every action but reopen raises Conflict until a reviewer reopens the gold layer.

Decision fields: `reviewer`; `action`; `gold_span` (the gold span made or changed; null when it
was removed); `source_span_ids` (the annotators' spans it came from or concerns); `before` and
`after`, snapshots of the gold span {"id", "label", "start", "end", "text", "attributes",
"version"} (null where there is none). Rejecting an annotator's span stores that span (with
"layer" and "annotator") as `before` and changes nothing else; reopen and adjudicate store the
layer's status. `note` is the reviewer's comment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotator.agreement.maths.review import answered
from annotator.errors import Conflict, ValidationError
from annotator.jobs.scheduling import layers_changed
from annotator.layers.services import layer_reopen
from annotator.models import (
    Decision,
    DecisionAction,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Span,
)
from annotator.projects.selectors import ProjectSchema, project_schema_get
from annotator.questions.services import answer_clear, answer_set
from annotator.review.selectors import gold_layer_get, review_groups, review_layers_get
from annotator.spans.services import span_create, span_delete, span_update, spans_check_complete
from annotator.suggestions.services import suggestions_retrain_if_due

EDITABLE = ("label", "start", "end", "text", "attributes")

# THE GOLD LAYER
# ------------------------------------------------------------------------------


def _lock(document: Document) -> None:
    """Hold the document's row lock until the transaction ends (call inside one)."""
    list(Document.objects.select_for_update().filter(pk=document.pk).values_list("pk", flat=True))


def gold_layer_ensure(*, document: Document, reviewer: User) -> Layer:
    """The document's gold layer, made for `reviewer` if the document has none. Call inside a
    transaction holding the document's lock (as every action here does), so two reviewers
    acting at once make one layer between them."""
    gold = gold_layer_get(document_id=document.pk)
    if gold is None:
        gold = Layer.objects.create(
            document=document, user=reviewer, kind=LayerKind.GOLD, status=LayerStatus.IN_PROGRESS
        )
    gold.document = document
    return gold


def _ensure_open(gold: Layer | None) -> None:
    if gold is not None and gold.status == LayerStatus.SUBMITTED:
        raise Conflict(f"This document is adjudicated: reopen its gold layer ({gold.pk}) to change it.")


def _gold_changed(document: Document) -> None:
    """Count the change: the project report's `gold` section compares annotators with
    adjudicated gold layers, and gold profiles read them. Enough new gold trains the project's
    suggestion model again."""
    layers_changed(document_id=document.pk, project_id=document.project_id)
    project_id = document.project_id
    transaction.on_commit(lambda: suggestions_retrain_if_due(project_id=project_id))


def _source_span(document: Document, span_id: int, *, into_gold: bool) -> Span:
    """An annotator's span of the document. One copied `into_gold` must come from a submitted
    layer: a layer in progress (or reopened) is not the annotator's word yet."""
    spans = Span.objects.select_related("label", "layer__user").filter(
        pk=span_id, layer__document_id=document.pk, layer__kind=LayerKind.ANNOTATION
    )
    if into_gold:
        spans = spans.filter(layer__status=LayerStatus.SUBMITTED)
    span = spans.first()
    if span is None:
        layer = "a submitted annotation layer" if into_gold else "an annotation layer"
        raise ValidationError({"span_id": [f"No span {span_id} in {layer} of this document."]})
    return span


def _gold_span(document: Document, gold_span_id: int) -> Span:
    span = Span.objects.select_related("label", "layer").filter(pk=gold_span_id).first()
    if span is None:
        raise Conflict("The gold span was removed since you read it.", current=None)
    if span.layer.document_id != document.pk or span.layer.kind != LayerKind.GOLD:
        raise ValidationError(
            {"gold_span_id": [f"Span {gold_span_id} is not in this document's gold layer."]}
        )
    span.layer.document = document
    return span


def snapshot(span: Span) -> dict[str, Any]:
    """A span as a Decision stores it."""
    return {
        "id": span.pk,
        "label": span.label.key,
        "start": span.start,
        "end": span.end,
        "text": span.text,
        "attributes": dict(span.attributes or {}),
        "version": span.version,
    }


def _decide(
    document: Document,
    reviewer: User,
    action: str,
    *,
    gold_span: Span | None = None,
    sources: Iterable[int] = (),
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> Decision:
    return Decision.objects.create(
        document=document,
        reviewer=reviewer,
        action=action,
        gold_span=gold_span,
        source_span_ids=list(sources),
        before=before,
        after=after,
        note=note,
    )


def _applicable(schema: ProjectSchema, label_key: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    keys = {a.key for a in schema.attributes_for(label_key)}
    return {k: v for k, v in answered(attributes).items() if k in keys}


# ACTIONS
# ------------------------------------------------------------------------------


def review_accept(*, document: Document, reviewer: User, span_id: int, note: str = "") -> list[Decision]:
    """Copy an annotator's span, with its attributes, into the gold layer."""
    with transaction.atomic():
        _lock(document)
        source = _source_span(document, span_id, into_gold=True)
        gold = gold_layer_ensure(document=document, reviewer=reviewer)
        _ensure_open(gold)
        span, _ = span_create(
            layer=gold,
            label=source.label.key,
            start=source.start,
            end=source.end,
            text=source.text,
            attributes=answered(source.attributes),
        )
        return [
            _decide(
                document, reviewer, DecisionAction.ACCEPT, gold_span=span, sources=[source.pk],
                after=snapshot(span), note=note,
            )
        ]  # fmt: skip


def review_accept_agreed(*, document: Document, reviewer: User, note: str = "") -> list[Decision]:
    """Copy into gold every span all annotation layers agree on (same boundaries, label and
    attributes: annotator.agreement.maths.review) that no gold span covers yet; one Decision each.
    A span that a project without overlaps would refuse next to an existing gold span is left
    for the reviewer."""
    with transaction.atomic():
        _lock(document)
        layers, gold_layer = review_layers_get(document=document)
        _ensure_open(gold_layer.layer if gold_layer else None)
        groups = [
            g.group
            for g in review_groups(layers=layers, gold=gold_layer)
            if g.group.agreed and not g.gold_span_ids
        ]
        if not groups:
            return []
        gold = gold_layer.layer if gold_layer else gold_layer_ensure(document=document, reviewer=reviewer)
        schema = project_schema_get(project=document.project)
        decisions = []
        for group in groups:
            first = group.spans[0]
            try:
                span, _ = span_create(
                    layer=gold,
                    label=first.label,
                    start=first.start,
                    end=first.end,
                    text=document.text[first.start : first.end],
                    attributes=answered(first.attributes),
                    schema=schema,
                )
            except ValidationError:
                continue
            decisions.append(
                _decide(
                    document, reviewer, DecisionAction.ACCEPT_AGREED, gold_span=span,
                    sources=[s.id for s in group.spans], after=snapshot(span), note=note,
                )
            )  # fmt: skip
        return decisions


def review_edit(
    *,
    document: Document,
    reviewer: User,
    gold_span_id: int,
    version: int,
    changes: Mapping[str, Any],
    note: str = "",
) -> list[Decision]:
    """Change a gold span's label, boundaries (with `text`) or attributes. `version` is the one
    the reviewer read: if the span changed since, Conflict with the span as it is now. A new
    label without new attributes keeps the attributes that apply to it."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({key: ["edit does not take this field."] for key in sorted(unknown)})
    if not changes:
        raise ValidationError({"action": [f"An edit changes at least one of {', '.join(EDITABLE)}."]})
    with transaction.atomic():
        _lock(document)
        span = _gold_span(document, gold_span_id)
        _ensure_open(span.layer)
        before = snapshot(span)
        schema = project_schema_get(project=document.project)
        changes = dict(changes)
        if "label" in changes and "attributes" not in changes and isinstance(changes["label"], str):
            changes["attributes"] = _applicable(schema, changes["label"], span.attributes or {})
        span_update(span=span, version=version, schema=schema, **changes)
        return [
            _decide(
                document, reviewer, DecisionAction.EDIT, gold_span=span, before=before, after=snapshot(span),
                note=note,
            )
        ]  # fmt: skip


def review_add(
    *,
    document: Document,
    reviewer: User,
    label: str,
    start: int,
    end: int,
    text: str,
    attributes: Mapping[str, Any] | None = None,
    client_uuid: uuid.UUID | None = None,
    note: str = "",
) -> list[Decision]:
    """Add a span of the reviewer's own to the gold layer. Idempotent on `client_uuid`: a
    repeated add changes nothing and returns no Decision."""
    with transaction.atomic():
        _lock(document)
        gold = gold_layer_ensure(document=document, reviewer=reviewer)
        _ensure_open(gold)
        span, created = span_create(
            layer=gold,
            label=label,
            start=start,
            end=end,
            text=text,
            attributes=attributes or {},
            client_uuid=client_uuid,
        )
        if not created:
            return []
        return [
            _decide(document, reviewer, DecisionAction.ADD, gold_span=span, after=snapshot(span), note=note)
        ]


def review_reject(
    *,
    document: Document,
    reviewer: User,
    span_id: int | None = None,
    gold_span_id: int | None = None,
    version: int | None = None,
    note: str = "",
) -> list[Decision]:
    """Reject an annotator's span (`span_id`: recorded, nothing else changes) or remove a span
    from the gold layer (`gold_span_id` with the `version` read; Conflict if it changed)."""
    if (span_id is None) == (gold_span_id is None):
        raise ValidationError(
            {
                "span_id": [
                    "reject names either span_id (an annotator's span) or gold_span_id with version "
                    "(a gold span to remove)."
                ]
            }
        )
    with transaction.atomic():
        _lock(document)
        if span_id is not None:
            if version is not None:
                raise ValidationError({"version": ["version goes with gold_span_id."]})
            source = _source_span(document, span_id, into_gold=False)
            _ensure_open(gold_layer_get(document_id=document.pk))
            rejected = {
                **snapshot(source),
                "layer": source.layer_id,
                "annotator": source.layer.user.username,
            }
            return [
                _decide(
                    document, reviewer, DecisionAction.REJECT, sources=[source.pk], before=rejected, note=note
                )
            ]
        if version is None:
            raise ValidationError({"version": ["Removing a gold span needs the version you read."]})
        assert gold_span_id is not None
        span = _gold_span(document, gold_span_id)
        _ensure_open(span.layer)
        before = snapshot(span)
        span_delete(span=span, version=version)
        return [_decide(document, reviewer, DecisionAction.REJECT, before=before, note=note)]


def review_take_attributes(
    *,
    document: Document,
    reviewer: User,
    gold_span_id: int,
    version: int,
    span_id: int,
    keys: Iterable[str] | None = None,
    note: str = "",
) -> list[Decision]:
    """Give a gold span the attribute values of an annotator's span: of every attribute that
    applies to the gold span's label, or only of `keys`. A value the annotator left unanswered
    is removed from the gold span."""
    with transaction.atomic():
        _lock(document)
        source = _source_span(document, span_id, into_gold=True)
        span = _gold_span(document, gold_span_id)
        _ensure_open(span.layer)
        schema = project_schema_get(project=document.project)
        applicable = {a.key for a in schema.attributes_for(span.label.key)}
        chosen = applicable if keys is None else set(keys)
        problems = sorted(chosen - applicable)
        if problems:
            raise ValidationError(
                {
                    "keys": [
                        f"{', '.join(problems)} do(es) not apply to {span.label.key} spans or are unknown."
                    ]
                }
            )
        attributes = {k: v for k, v in (span.attributes or {}).items() if k not in chosen}
        attributes.update({k: v for k, v in answered(source.attributes).items() if k in chosen})
        before = snapshot(span)
        span_update(span=span, version=version, attributes=attributes, schema=schema)
        return [
            _decide(
                document, reviewer, DecisionAction.TAKE_ATTRIBUTES, gold_span=span, sources=[source.pk],
                before=before, after=snapshot(span), note=note,
            )
        ]  # fmt: skip


def review_answer(
    *, document: Document, reviewer: User, question: str, value: Any, note: str = ""
) -> list[Decision]:
    """Give the gold layer an answer to article question `question`, or withdraw its answer
    with a null `value`; the answers before and after are kept in the decision."""
    with transaction.atomic():
        _lock(document)
        _ensure_open(gold_layer_get(document_id=document.pk))
        gold = gold_layer_ensure(document=document, reviewer=reviewer)
        current = gold.answers.filter(question__key=question).first()
        before = {"question": question, "value": current.value if current else None}
        if value is None:
            if current is not None:
                answer_clear(layer=gold, key=question, version=current.version)
        else:
            answer_set(layer=gold, key=question, value=value, version=current.version if current else None)
        _gold_changed(document)
        after = {"question": question, "value": value}
        return [_decide(document, reviewer, DecisionAction.ANSWER, before=before, after=after, note=note)]


def review_reopen(*, document: Document, reviewer: User, layer_id: int, note: str = "") -> list[Decision]:
    """Reopen a submitted layer of the document with a comment: an annotator's layer (they can
    edit it again) or the gold layer (the document is no longer adjudicated)."""
    with transaction.atomic():
        _lock(document)
        layer = Layer.objects.filter(pk=layer_id, document_id=document.pk).first()
        if layer is None:
            raise ValidationError({"assignment_id": [f"No layer {layer_id} on this document."]})
        layer_reopen(layer=layer, reviewer=reviewer, note=note)
        if layer.kind == LayerKind.GOLD:
            _gold_changed(document)
        return [Decision.objects.filter(document=document, action=DecisionAction.REOPEN).latest("pk")]


def review_adjudicate(*, document: Document, reviewer: User, note: str = "") -> list[Decision]:
    """Mark the document adjudicated: its gold layer (made empty if there is none: nothing in
    the text is a span) is submitted. Refused, listing each span, while a gold span lacks a
    required attribute."""
    with transaction.atomic():
        _lock(document)
        submitted = Layer.objects.filter(
            document=document, kind=LayerKind.ANNOTATION, status=LayerStatus.SUBMITTED
        )
        if not submitted.exists():
            raise Conflict("Nothing to adjudicate yet: no annotation layer of this document is submitted.")
        gold = gold_layer_ensure(document=document, reviewer=reviewer)
        if gold.status == LayerStatus.SUBMITTED:
            raise Conflict("This document is already adjudicated.")
        spans_check_complete(layer=gold)
        before = {"assignment": gold.pk, "status": gold.status}
        gold.status = LayerStatus.SUBMITTED
        gold.submitted_at = timezone.now()
        gold.save(update_fields=["status", "submitted_at", "updated_at"])
        _gold_changed(document)
        after = {"assignment": gold.pk, "status": gold.status, "spans": gold.spans.count()}
        return [_decide(document, reviewer, DecisionAction.ADJUDICATE, before=before, after=after, note=note)]
