"""Span writes. Every path that writes a span (API, pages, pre-annotation import, adjudication)
goes through `span_check`, so the offset contract and the schema hold everywhere.

Audit: every create, change, delete and restore leaves a row in the span's history
(Span.history, django-simple-history) naming `actor`, the user the write is done for. Views pass
request.user; without an actor the row names the user of the current request (simple_history's
HistoryRequestMiddleware), or nobody outside a request.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from annotator import rows
from annotator.errors import Conflict, NotFound, ValidationError
from annotator.models import Assignment, AssignmentStatus, Attribute, AttributeKind, Decision, Label, Span
from annotator.schema import is_missing
from annotator.selectors import ProjectSchema, project_schema_get, spans_nearby, spans_nearby_sql


def _preview(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def span_check_offsets(*, document_text: str, start: Any, end: Any, text: Any) -> None:
    """The offset contract: code points, half-open [start, end), and `text` equal to
    `document_text[start:end]` so any client drift is caught at once."""
    errors: dict[str, list[str]] = {}
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = [f"{name} must be a whole number of code points, not {value!r}."]
    if not isinstance(text, str):
        errors["text"] = ["text must be the spanned text, a string."]
    if errors:
        raise ValidationError(errors)
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


def _check_value(attribute: Attribute, value: Any, schema: ProjectSchema) -> str | None:
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
        if item["target"] not in schema.targets:
            return f"unknown target {item['target']!r}; choose one from the project's target list"
        if item["stance"] not in allowed:
            return f"stance {item['stance']!r} is not one of {', '.join(allowed)}"
        if item["target"] in seen:
            return f"target {item['target']!r} appears twice"
        seen.add(item["target"])
    return None


def span_check_attributes(*, schema: ProjectSchema, label: Label, attributes: Any) -> dict[str, Any]:
    """Validate attribute values against the schema; returns them with unanswered ones dropped."""
    if not isinstance(attributes, Mapping):
        raise ValidationError({"attributes": ["attributes must be an object keyed by attribute key."]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
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


def span_missing_required(
    *, schema: ProjectSchema, label_key: str, attributes: Mapping[str, Any]
) -> list[str]:
    """The required attributes a span of this label has not answered (checked on submit)."""
    return [
        a.key
        for a in schema.attributes.values()
        if label_key in a.required_for and is_missing(attributes.get(a.key))
    ]


def span_check(
    *,
    schema: ProjectSchema,
    document_text: str,
    label_key: Any,
    start: Any,
    end: Any,
    text: Any,
    attributes: Any,
) -> tuple[Label, dict[str, Any]]:
    """Everything a span must satisfy regardless of its layer. Returns the label and clean attributes."""
    label = schema.labels.get(label_key) if isinstance(label_key, str) else None
    if label is None:
        raise ValidationError(
            {"label": [f"unknown label {label_key!r}; the schema has {', '.join(schema.labels)}."]}
        )
    span_check_offsets(document_text=document_text, start=start, end=end, text=text)
    return label, span_check_attributes(schema=schema, label=label, attributes=attributes)


def _check_overlap(
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


def _ensure_editable(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise Conflict("This layer is submitted and read-only; a reviewer can reopen it.")
    if assignment.status == AssignmentStatus.SKIPPED:
        raise Conflict("This document was skipped; take it up again before adding spans.")


def span_create(
    *,
    assignment: Assignment,
    label: str,
    start: Any,
    end: Any,
    text: Any,
    attributes: Any = None,
    client_uuid: uuid.UUID | None = None,
    schema: ProjectSchema | None = None,
    actor: User | None = None,
    restore: tuple[int, int, str] | None = None,
) -> tuple[Span, bool]:
    """Create a span in a layer. Idempotent on `client_uuid`: repeating a create returns the
    span made the first time and False. Reads once and writes the span and its history row on
    the usual path. `restore` is (id, version, reason): span_restore brings a deleted span back
    under its old id, at that version, with the reason on its history row."""
    document = assignment.document
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
    now = timezone.now()
    span = Span(
        assignment=assignment,
        label=label_obj,
        start=start,
        end=end,
        text=text,
        attributes=clean_attributes,
        client_uuid=client_uuid or uuid.uuid4(),
        created_at=now,
        updated_at=now,
    )
    change_reason = None
    if restore is not None:
        span.pk, span.version, change_reason = restore
    allow_overlap = document.project.allow_overlap
    editable = assignment.status not in (AssignmentStatus.SUBMITTED, AssignmentStatus.SKIPPED)
    try:
        if editable and connection.vendor == "postgresql":
            created, neighbours = _insert_unless_blocked(
                span,
                client_uuid=client_uuid,
                allow_overlap=allow_overlap,
                actor=actor,
                change_reason=change_reason,
            )
        else:
            created = False
            neighbours = spans_nearby(
                assignment_id=assignment.pk, start=start, end=end, client_uuid=client_uuid
            )
        if not created:
            for neighbour in neighbours:
                if client_uuid is not None and neighbour.client_uuid == client_uuid:
                    return neighbour, False
            # On PostgreSQL one of these says why the statement held the span back; elsewhere
            # (SQLite) nothing was written yet, and the span is written once they pass.
            _ensure_editable(assignment)
            _check_overlap(neighbours, allow_overlap=allow_overlap, label=label_obj, start=start, end=end)
            _insert_with_history(span, actor=actor, change_reason=change_reason)
    except IntegrityError:
        # A concurrent retry with the same client_uuid won the race: answer with its span.
        if client_uuid is None:
            raise
        existing = Span.objects.filter(assignment=assignment, client_uuid=client_uuid).first()
        if existing is None:
            raise
        return existing, False
    if assignment.status == AssignmentStatus.ASSIGNED:
        assignment.status = AssignmentStatus.IN_PROGRESS  # as _insert_with_history wrote it
    return span, True


def _insert_with_history(span: Span, *, actor: User | None, change_reason: str | None) -> None:
    """Write a new span, its history row (what simple_history writes on post_save) and its
    layer's move from assigned to in progress in one transaction (a savepoint inside a
    caller's): a request that fails part-way (the database lost: a 503 that says nothing was
    saved) leaves nothing behind, and a refused INSERT (a concurrent retry's client_uuid) does
    not spoil the caller's transaction. Sets span.pk. On PostgreSQL, span_create writes with
    _insert_unless_blocked, in one statement."""
    history = _history_row(span, history_type="+", actor=actor, change_reason=change_reason)
    layer_sql = f"UPDATE {rows.table(Assignment)} SET status = %s WHERE id = %s AND status = %s"  # noqa: S608
    with transaction.atomic(), rows.hot_cursor() as cursor:
        cursor.execute(*rows.insert_sql(Span, span, with_pk=span.pk is not None, returning="id"))
        # fetchall: SQLite finishes a statement with RETURNING only once its rows are read.
        span.pk = history.id = cursor.fetchall()[0][0]
        cursor.execute(*rows.insert_sql(type(history), history, with_pk=False, returning="id"))
        cursor.fetchall()
        cursor.execute(
            layer_sql, [AssignmentStatus.IN_PROGRESS, span.assignment_id, AssignmentStatus.ASSIGNED]
        )


def _insert_unless_blocked(
    span: Span, *, client_uuid: Any, allow_overlap: bool, actor: User | None, change_reason: str | None
) -> tuple[bool, list[Span]]:
    """PostgreSQL: what _insert_with_history writes, as one statement (atomic without a
    transaction of its own) that first reads the layer's nearby spans (spans_nearby) and writes
    only if none of them stands in the way, so a create is one round trip. Returns whether the
    span was written (span.pk set) and the nearby spans. The condition is _check_overlap's rule
    and the client_uuid repeat; when it holds the span back, span_create reads the reason from
    the nearby spans with those very functions."""
    history = _history_row(span, history_type="+", actor=actor, change_reason=change_reason)
    nearby_sql, nearby_params = spans_nearby_sql(
        assignment_id=span.assignment_id, start=span.start, end=span.end, client_uuid=span.client_uuid
    )
    blocked = 'n.client_uuid = %s OR (n.start < %s AND n."end" > %s AND (%s OR (n.start = %s AND n."end" = %s AND n.label_id = %s)))'
    blocked_params = [
        span.client_uuid,
        span.end,
        span.start,
        not allow_overlap,
        span.start,
        span.end,
        span.label_id,
    ]
    span_sql, span_params = rows.insert_sql(
        Span,
        span,
        with_pk=span.pk is not None,
        returning="id",
        select_from=f"(SELECT 1) AS one WHERE NOT EXISTS (SELECT 1 FROM nearby n WHERE {blocked})",  # noqa: S608
    )
    layer_sql = (
        f"UPDATE {rows.table(Assignment)} SET status = %s "  # noqa: S608 (names from _meta)
        "WHERE id = %s AND status = %s AND EXISTS (SELECT 1 FROM new_span)"
    )
    layer_params: list[Any] = [AssignmentStatus.IN_PROGRESS, span.assignment_id, AssignmentStatus.ASSIGNED]
    history_sql, history_params = rows.insert_sql(
        type(history),
        history,
        with_pk=False,
        returning="id",
        select_from="new_span",
        expressions={"id": "new_span.id"},
    )
    sql = (
        f"WITH nearby AS ({nearby_sql}), new_span AS ({span_sql}), layer AS ({layer_sql}), "  # noqa: S608
        f"history AS ({history_sql}) "
        f"SELECT (SELECT id FROM new_span), n.* FROM (SELECT 1) AS one LEFT JOIN nearby n ON true"
    )
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with savepoint, rows.hot_cursor() as cursor:
        cursor.execute(sql, nearby_params + span_params + blocked_params + layer_params + history_params)
        found = cursor.fetchall()
    new_id = found[0][0]
    neighbours = [rows.from_row(Span, row, 1) for row in found if row[1] is not None]
    if new_id is not None:
        span.pk = new_id
    return new_id is not None, neighbours


def _history_row(span: Span, *, history_type: str, actor: User | None, change_reason: str | None) -> Any:
    """The history row simple_history would write for `span` as it now is, naming the user
    _history_user_id names."""
    return _historical_span()(
        **{f.attname: getattr(span, f.attname) for f in Span._meta.concrete_fields},
        history_date=timezone.now() if history_type != "+" else span.created_at,
        history_type=history_type,
        history_change_reason=change_reason,
        history_user_id=_history_user_id(actor),
    )


@functools.cache
def _historical_span() -> type[Any]:
    # Span.history builds a new manager class on each access.
    return Span.history.model


def _history_user_id(actor: User | None) -> int | None:
    """Who simple_history would name: `actor`, else the current request's user, else nobody."""
    if actor is not None and actor.is_authenticated:
        return actor.pk
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


_UNSET: Any = object()
# What span_update writes (the rest of a span never changes).
_UPDATED_FIELDS = ("label", "start", "end", "text", "attributes", "version", "updated_at")


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
    """Change a span. `version` is the one the caller read; if the span changed since, Conflict
    carries the current span. Boundaries change together with `text`."""
    assignment = span.assignment
    _ensure_editable(assignment)
    document = assignment.document
    schema = schema or project_schema_get(project=document.project)
    new_label_key = span.label.key if label is _UNSET else label
    new_start = span.start if start is _UNSET else start
    new_end = span.end if end is _UNSET else end
    new_text = span.text if text is _UNSET else text
    if (start is not _UNSET or end is not _UNSET) and text is _UNSET:
        raise ValidationError({"text": ["Send the new text with new boundaries, so drift is caught."]})
    new_attributes = span.attributes if attributes is _UNSET else attributes
    label_obj, clean_attributes = span_check(
        schema=schema,
        document_text=document.text,
        label_key=new_label_key,
        start=new_start,
        end=new_end,
        text=new_text,
        attributes=new_attributes,
    )
    neighbours = spans_nearby(assignment_id=assignment.pk, start=new_start, end=new_end)
    _check_overlap(
        [s for s in neighbours if s.pk != span.pk],
        allow_overlap=document.project.allow_overlap,
        label=label_obj,
        start=new_start,
        end=new_end,
    )
    changed = Span(
        pk=span.pk,
        assignment_id=span.assignment_id,
        label=label_obj,
        start=new_start,
        end=new_end,
        text=new_text,
        attributes=clean_attributes,
        client_uuid=span.client_uuid,
        version=version + 1,
        created_at=span.created_at,
        updated_at=timezone.now(),
    )
    history = _history_row(changed, history_type="~", actor=actor, change_reason="")
    if not _write_with_history("update", changed, history, version=version):
        raise _stale(span.pk)
    for field in _UPDATED_FIELDS:
        setattr(span, field, getattr(changed, field))
    return span


def _write_with_history(action: str, span: Span, history: Any, *, version: int) -> bool:
    """Update `span` (its new state) or delete it, if the stored row is still at `version`, and
    write its history row, all or nothing. True if the row was at `version`. On PostgreSQL one
    statement: the version condition, the write, the history row (and, for a delete, clearing
    the decisions that name the span, as the ORM's SET_NULL would); elsewhere a transaction."""
    quote = connection.ops.quote_name
    table = rows.table(Span)
    if action == "update":
        fields = [Span._meta.get_field(name) for name in _UPDATED_FIELDS]
        assignments = ", ".join(f"{quote(rows.column(f))} = %s" for f in fields)
        write_sql = f"UPDATE {table} SET {assignments} WHERE id = %s AND version = %s RETURNING id"  # noqa: S608 (names from _meta)
        write_params = [f.get_db_prep_save(getattr(span, f.attname), connection) for f in fields]  # type: ignore[union-attr]
    else:
        write_sql = f"DELETE FROM {table} WHERE id = %s AND version = %s RETURNING id"  # noqa: S608 (names from _meta)
        write_params = []
    write_params += [span.pk, version]
    decisions = f"UPDATE {rows.table(Decision)} SET gold_span_id = NULL WHERE gold_span_id = %s"  # noqa: S608 (names from _meta)
    deleting = action == "delete"
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with savepoint, rows.hot_cursor() as cursor:
        if connection.vendor == "postgresql":
            history_sql, history_params = rows.insert_sql(
                type(history), history, with_pk=False, returning="id", select_from="written"
            )
            unlink = f", unlinked AS ({decisions} AND EXISTS (SELECT 1 FROM written))" if deleting else ""  # noqa: S608
            cursor.execute(
                f"WITH written AS ({write_sql}){unlink} {history_sql}",
                write_params + ([span.pk] if deleting else []) + history_params,
            )
            return cursor.fetchone() is not None
        with transaction.atomic():
            cursor.execute(write_sql, write_params)
            if not cursor.fetchall():  # fetchall: see _insert_with_history
                return False
            if deleting:
                cursor.execute(decisions, [span.pk])
            cursor.execute(*rows.insert_sql(type(history), history, with_pk=False, returning="id"))
            cursor.fetchall()
            return True


def span_delete(*, span: Span, version: int, actor: User | None = None) -> None:
    """Delete a span if it is still at `version`; otherwise Conflict with the current span. The
    version is checked in the delete itself, so a stale read deletes nothing; the history row
    keeps the span as it was (what simple_history writes on post_delete)."""
    _ensure_editable(span.assignment)
    history = _history_row(span, history_type="-", actor=actor, change_reason=None)
    if not _write_with_history("delete", span, history, version=version):
        raise _stale(span.pk)


def span_restore(*, assignment: Assignment, history_id: int, actor: User | None = None) -> Span:
    """Bring back a deleted span of `assignment` as it was when deleted (`history_id` names
    its deletion in the history), through span_create's checks: the layer must be editable, the
    text and schema still fit, no identical span exists. It gets its old id and client_uuid and
    the next version, so a client holding the old version gets a conflict, not a silent win.
    Its history row names `actor` and the deletion it undoes."""
    deletion = Span.history.filter(history_id=history_id, assignment_id=assignment.pk).first()
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
        assignment=assignment,
        label=label.key,
        start=deletion.start,
        end=deletion.end,
        text=deletion.text,
        attributes=deletion.attributes,
        client_uuid=deletion.client_uuid,
        actor=actor,
        restore=(deletion.id, deletion.version + 1, f"restored from history entry {history_id}"),
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
