"""Span writes. Every path that writes a span (API, pages, adjudication, restore) goes through
`span_check`, so the offset contract and the schema hold everywhere.

Locking: a span is written inside a transaction that holds its layer's row lock
(access.access_layer(lock=True), or layer_lock here; the gold layer is written only by the
review actions, which hold its document's lock), so the writes to one layer, and its submit,
happen one after the other: the overlap and client_uuid checks read a layer that cannot
change under them, on every database. The database backs the rules with constraints (one span
per client_uuid and per label and boundaries in a layer, start before end).

Audit: every create, change, delete and restore leaves a row in the span's history
(Span.history, django-simple-history) naming `actor`, the user the write is done for. Views pass
request.user; without an actor the row names the user of the current request (simple_history's
HistoryRequestMiddleware), or nobody outside a request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotator.errors import Conflict, IncompleteLayer, NotFound, ValidationError
from annotator.models import Attribute, AttributeKind, Label, Layer, LayerStatus, Span
from annotator.projects.selectors import ProjectSchema, project_schema_get
from annotator.questions.selectors import answers_missing
from annotator.schema import is_missing
from annotator.spans.selectors import spans_nearby
from annotator.suggestions.selectors import model_version_errors


def _preview(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def span_check_offsets(*, document_text: str, start: int, end: int, text: str) -> None:
    """The offset contract: code points, half-open [start, end), and `text` equal to
    `document_text[start:end]` so any client drift is caught at once. The types are the
    serializers' to check; these are the rules."""
    errors: dict[str, list[str]] = {}
    length = len(document_text)
    if start < 0:
        errors["start"] = [f"start {start} is negative."]
    if end > length:
        errors["end"] = [f"end {end} lies past the end of the text ({length} code points)."]
    if end <= start:
        errors["end"] = [
            f"end {end} must be greater than start {start}: spans are [start, end) and not empty."
        ]
    if errors:
        raise ValidationError(errors)
    actual = document_text[start:end]
    if text != actual:
        raise ValidationError(
            {
                "text": [
                    f"text does not match the document at [{start}, {end}): sent {_preview(text)}, "
                    f"the document has {_preview(actual)}. Offsets are Unicode code points."
                ]
            }
        )


def _check_value(attribute: Attribute, value: object, schema: ProjectSchema) -> str | None:
    """Why `value` is not allowed for `attribute`, or None when it is."""
    allowed = attribute.value_keys
    if attribute.kind == AttributeKind.BOOLEAN:
        return None if isinstance(value, bool) else "must be true or false"
    if attribute.kind == AttributeKind.CHOICE:
        return None if value in allowed else f"{value!r} is not one of {', '.join(allowed)}"
    if attribute.kind == AttributeKind.MULTI:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of values"
        unknown = [v for v in value if v not in allowed]
        if unknown:
            return f"{', '.join(map(repr, unknown))} not among {', '.join(allowed)}"
        return "lists a value twice" if len(set(value)) != len(value) else None
    # AttributeKind.TARGET: [{"target": name, "stance": value}, ...]
    if not isinstance(value, list):
        return 'must be a list like [{"target": "...", "stance": "FAVOR"}]'
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or set(item) != {"target", "stance"}:
            return 'each entry must be {"target": "...", "stance": "..."}'
        if not isinstance(item["target"], str) or not isinstance(item["stance"], str):
            return "names its target and stance as strings"
        if item["target"] not in schema.targets:
            return f"unknown target {item['target']!r}; choose one from the project's target list"
        if item["stance"] not in allowed:
            return f"stance {item['stance']!r} is not one of {', '.join(allowed)}"
        if item["target"] in seen:
            return f"target {item['target']!r} appears twice"
        seen.add(item["target"])
    return None


def span_check_attributes(
    *, schema: ProjectSchema, label: Label, attributes: Mapping[str, object]
) -> dict[str, object]:
    """Validate attribute values (JSON, of any shape) against the schema; returns them with
    unanswered ones dropped."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    for key, value in attributes.items():
        attribute = schema.attributes.get(key)
        if attribute is None:
            errors[f"attributes.{key}"] = [
                f"unknown attribute {key!r}; the schema has {', '.join(schema.attributes)}."
            ]
            continue
        if is_missing(value):
            continue
        if attribute.applies_to and label.key not in attribute.applies_to:
            errors[f"attributes.{key}"] = [f"{key} does not apply to {label.key} spans."]
            continue
        problem = _check_value(attribute, value, schema)
        if problem:
            errors[f"attributes.{key}"] = [f"{key} {problem}."]
        else:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def span_missing_attributes(
    *, schema: ProjectSchema, label_key: str, attributes: Mapping[str, object]
) -> list[str]:
    """The attributes a span of `label_key` must answer before its layer is submitted and has not."""
    return [
        a.key
        for a in schema.attributes.values()
        if label_key in a.required_for and is_missing(attributes.get(a.key))
    ]


def spans_check_complete(*, layer: Layer) -> None:
    """Before a layer (an annotator's or the gold one) is submitted: IncompleteLayer lists,
    in reading order, each span that has not answered an attribute its label requires, and
    each required article question the layer has not answered."""
    schema = project_schema_get(project=layer.document.project_id)
    incomplete = []
    for span in layer.spans.select_related("label").order_by("start", "end", "pk"):
        missing = span_missing_attributes(schema=schema, label_key=span.label.key, attributes=span.attributes)
        if missing:
            incomplete.append(
                {
                    "id": span.pk,
                    "label": span.label.key,
                    "start": span.start,
                    "end": span.end,
                    "text": span.text,
                    "missing": missing,
                }
            )
    unanswered = answers_missing(layer=layer)
    if incomplete or unanswered:
        raise IncompleteLayer(incomplete, unanswered)


def span_check(
    *,
    schema: ProjectSchema,
    document_text: str,
    label_key: str,
    start: int,
    end: int,
    text: str,
    attributes: Mapping[str, object],
) -> tuple[Label, dict[str, object]]:
    """Everything a span must satisfy regardless of its layer. Returns the label and clean attributes."""
    label = schema.labels.get(label_key)
    if label is None:
        raise ValidationError(
            {"label": [f"unknown label {label_key!r}; the schema has {', '.join(schema.labels)}."]}
        )
    span_check_offsets(document_text=document_text, start=start, end=end, text=text)
    return label, span_check_attributes(schema=schema, label=label, attributes=attributes)


def span_check_overlap(
    neighbours: list[Span], *, allow_overlap: bool, label: Label, start: int, end: int
) -> None:
    """`neighbours` are the layer's other spans that share a code point with [start, end)."""
    overlapping = sorted((s for s in neighbours if s.start < end and s.end > start), key=lambda s: s.start)
    if not allow_overlap and overlapping:
        other = overlapping[0]
        raise ValidationError(
            {
                "start": [
                    f"overlaps the span at [{other.start}, {other.end}); this project does not allow overlaps."
                ]
            }
        )
    if any(s.start == start and s.end == end and s.label_id == label.pk for s in overlapping):
        raise ValidationError(
            {"start": [f"a {label.key} span at [{start}, {end}) already exists in this layer."]}
        )


def _ensure_same_repeat(
    span: Span, *, label: Label, start: int, end: int, attributes: Mapping[str, Any]
) -> None:
    """A create that repeats a client_uuid is a retry of the same create; one that asks for
    something else under it is refused, naming what differs, rather than answered with the
    first span as if it had been made."""
    differs = [
        name
        for name, stored, sent in (
            ("label", span.label_id, label.pk),
            ("start", span.start, start),
            ("end", span.end, end),
            ("attributes", span.attributes, dict(attributes)),
        )
        if stored != sent
    ]
    if differs:
        raise Conflict(
            f"A span with this client_uuid exists in this layer with another {', '.join(differs)}: "
            "a repeated create must send the same span.",
            current=span,
        )


def _ensure_editable(layer: Layer) -> None:
    if layer.status == LayerStatus.SUBMITTED:
        raise Conflict("This layer is submitted and read-only; a reviewer can reopen it.")
    if layer.status == LayerStatus.SKIPPED:
        raise Conflict("This document was skipped; take it up again before adding spans.")


def layer_lock(*, layer: Layer) -> Layer:
    """Lock the layer's row until the caller's transaction ends and read its status afresh, for
    span writes that do not come through access.access_layer(lock=True)."""
    layer.status = (
        Layer.objects.select_for_update().filter(pk=layer.pk).values_list("status", flat=True).get()
    )
    return layer


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("span writes run in the transaction that holds their layer's lock")


def _attach_actor(span: Span, actor: User | None) -> None:
    """Name `actor` on the history row simple_history writes for this save or delete; without
    one, simple_history names the request's user."""
    if actor is not None and actor.is_authenticated:
        span._history_user = actor  # type: ignore[attr-defined]


def span_create(
    *,
    layer: Layer,
    label: str,
    start: int,
    end: int,
    text: str,
    attributes: Mapping[str, Any] | None = None,
    client_uuid: uuid.UUID | None = None,
    schema: ProjectSchema | None = None,
    actor: User | None = None,
    restore: tuple[int, int, str] | None = None,
    model_version: int | None = None,
) -> tuple[Span, bool]:
    """Create a span in a layer whose row the caller's transaction has locked. Idempotent on
    `client_uuid`: repeating a create returns the span made the first time and False.
    `restore` is (id, version, reason): span_restore brings a deleted span back under its old
    id, at that version, with the reason on its history row. `model_version` names the
    suggestion model (of this project) whose suggestion the annotator accepted."""
    _require_transaction()
    document = layer.document
    refused = model_version_errors(project_id=document.project_id, model_version=model_version)
    if refused:
        raise ValidationError(refused)
    schema = schema or project_schema_get(project=document.project)
    label_obj, clean_attributes = span_check(
        schema=schema,
        document_text=document.text,
        label_key=label,
        start=start,
        end=end,
        text=text,
        attributes=attributes if attributes is not None else {},
    )
    neighbours = spans_nearby(layer_id=layer.pk, start=start, end=end, client_uuid=client_uuid)
    for neighbour in neighbours:
        if client_uuid is not None and neighbour.client_uuid == client_uuid:
            _ensure_same_repeat(neighbour, label=label_obj, start=start, end=end, attributes=clean_attributes)
            return neighbour, False
    _ensure_editable(layer)
    span_check_overlap(
        neighbours, allow_overlap=document.project.allow_overlap, label=label_obj, start=start, end=end
    )
    span = Span(
        layer=layer,
        label=label_obj,
        start=start,
        end=end,
        text=text,
        attributes=clean_attributes,
        client_uuid=client_uuid or uuid.uuid4(),
        model_version_id=model_version,
    )
    if restore is not None:
        span.pk, span.version, span._change_reason = restore  # type: ignore[attr-defined]
    _attach_actor(span, actor)
    span.save(force_insert=True)
    if layer.status == LayerStatus.ASSIGNED:
        Layer.objects.filter(pk=layer.pk).update(status=LayerStatus.IN_PROGRESS, updated_at=span.created_at)
        layer.status = LayerStatus.IN_PROGRESS
    return span, True


_UNSET: Any = object()


def span_update(
    *,
    span: Span,
    version: int,
    label: str = _UNSET,
    start: int = _UNSET,
    end: int = _UNSET,
    text: str = _UNSET,
    attributes: Mapping[str, Any] = _UNSET,
    schema: ProjectSchema | None = None,
    actor: User | None = None,
) -> Span:
    """Change a span of a layer whose row the caller's transaction has locked. `version` is the
    one the caller read; if the span changed since, Conflict carries the current span.
    Boundaries change together with `text`."""
    _require_transaction()
    layer = span.layer
    _ensure_editable(layer)
    document = layer.document
    schema = schema or project_schema_get(project=document.project)
    new_start = span.start if start is _UNSET else start
    new_end = span.end if end is _UNSET else end
    if (start is not _UNSET or end is not _UNSET) and text is _UNSET:
        raise ValidationError({"text": ["Send the new text with new boundaries, so drift is caught."]})
    label_obj, clean_attributes = span_check(
        schema=schema,
        document_text=document.text,
        label_key=span.label.key if label is _UNSET else label,
        start=new_start,
        end=new_end,
        text=span.text if text is _UNSET else text,
        attributes=span.attributes if attributes is _UNSET else attributes,
    )
    neighbours = spans_nearby(layer_id=layer.pk, start=new_start, end=new_end)
    span_check_overlap(
        [s for s in neighbours if s.pk != span.pk],
        allow_overlap=document.project.allow_overlap,
        label=label_obj,
        start=new_start,
        end=new_end,
    )
    changes = {
        "label": label_obj,
        "start": new_start,
        "end": new_end,
        "text": span.text if text is _UNSET else text,
        "attributes": clean_attributes,
        "updated_at": timezone.now(),
    }
    written = Span.objects.filter(pk=span.pk, version=version).update(**changes, version=F("version") + 1)
    if not written:
        raise _stale(span.pk)
    for name, value in changes.items():
        setattr(span, name, value)
    span.version = version + 1
    # An UPDATE sends no signal: the history row goes through simple_history's own bulk path.
    Span.history.bulk_history_create(
        [span], update=True, default_user=actor if actor is not None and actor.is_authenticated else None
    )
    return span


def span_delete(*, span: Span, version: int, actor: User | None = None) -> None:
    """Delete a span of a layer whose row the caller's transaction has locked, if it is still at
    `version`; otherwise Conflict with the current span. The history row keeps the span as it
    was (simple_history on delete); decisions that named it keep their record without the link."""
    _require_transaction()
    _ensure_editable(span.layer)
    current = Span.objects.filter(pk=span.pk, version=version).first()
    if current is None:
        raise _stale(span.pk)
    _attach_actor(current, actor)
    current.delete()


def span_restore(*, layer: Layer, history_id: int, actor: User | None = None) -> Span:
    """Bring back a deleted span of `layer` as it was when deleted (`history_id` names
    its deletion in the history), through span_create's checks: the layer must be editable, the
    text and schema still fit, no identical span exists. It gets its old id and client_uuid and
    the next version, so a client holding the old version gets a conflict, not a silent win.
    Its history row names `actor` and the deletion it undoes."""
    with transaction.atomic():
        layer_lock(layer=layer)
        deletion = Span.history.filter(history_id=history_id, layer_id=layer.pk).first()
        if deletion is None:
            raise NotFound("History entry not found.")
        if deletion.history_type != "-":
            raise ValidationError(
                {"history_id": [f"Entry {history_id} is not a deletion; only deletions are restored."]}
            )
        if Span.objects.filter(pk=deletion.id).exists():
            raise Conflict("That span exists: it was restored already.")
        label = Label.objects.filter(pk=deletion.label_id).first()
        if label is None:
            raise ValidationError({"label": ["The span's label is no longer in the schema."]})
        span, created = span_create(
            layer=layer,
            label=label.key,
            start=deletion.start,
            end=deletion.end,
            text=deletion.text,
            attributes=deletion.attributes,
            client_uuid=deletion.client_uuid,
            actor=actor,
            restore=(deletion.id, deletion.version + 1, f"restored from history entry {history_id}"),
            model_version=deletion.model_version_id,
        )
        if not created:
            raise Conflict("A span with the same client_uuid was created in this layer since.", current=span)
    return span


def _stale(span_id: int) -> Conflict:
    current = Span.objects.filter(pk=span_id).select_related("label").first()
    if current is None:
        return Conflict("The span was deleted since you read it.", current=None)
    return Conflict(
        f"The span changed since you read it: it is now at version {current.version}.", current=current
    )
