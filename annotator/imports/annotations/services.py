"""Annotation import: documents with their annotators' layers from another tool's export, one
service behind every door (manage.py import_annotations, the API, the admin, and the job that
takes large uploads: annotator.imports.uploads).

An import is atomic: any problem in any file (an offset that does not fit, an unknown label,
an unmapped annotator, a span the schema refuses) imports nothing, and the answer lists every
problem found, each naming the file, the record and the field. Documents whose text the project
already has (same normalised text) get the layers added rather than a second copy.

Annotators are named in the file by the tool's own user names; `annotators` maps each to a
member of the project. A name left unmapped is refused, listed with the others, unless
`placeholders` is set: it then becomes an inactive account (no password, cannot sign in), an
annotator of the project, so the layers keep apart who made them. A placeholder's username
that a person's account holds is refused, never taken over. Labels map the same way
(`labels`); a label with a project key of the same name needs no mapping.

Layers arrive submitted (they enter agreement, review and profiles at once; every span must
answer the attributes its label requires) or in progress (their annotators see them as their
own work to check and submit).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import router, transaction
from django.utils import timezone
from django.utils.text import slugify

from annotator.errors import ValidationError
from annotator.imports import FileRefused, ImportIssue, ImportLimits, row_from_record
from annotator.imports.annotations.formats import ANNOTATION_FORMATS, AnnotatedRecord, FileSpan
from annotator.imports.copy import allocate_ids, copy_rows, copy_supported
from annotator.imports.readers import iter_entries
from annotator.imports.rows import DocumentRow, NormalisedOffsets
from annotator.imports.services import READ_ERRORS, ImportFile, SourceResolver, document_from_row
from annotator.jobs.scheduling import documents_layers_changed
from annotator.layers.services import layers_recount
from annotator.models import (
    AttributeKind,
    Document,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
    Role,
    Source,
    Span,
)
from annotator.projects.selectors import ProjectSchema, project_schema_get
from annotator.spans.services import span_check_attributes, span_check_overlap, span_missing_attributes

IMPORT_STATUSES = (LayerStatus.SUBMITTED, LayerStatus.IN_PROGRESS)
PLACEHOLDER_PREFIX = "imported-"


@dataclass
class AnnotationImportSummary:
    """What an annotation import did, or, when `errors` is not empty, why it did nothing."""

    documents_created: int = 0
    documents_matched: int = 0
    layers: int = 0
    spans: int = 0
    placeholders: list[str] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents_created": self.documents_created,
            "documents_matched": self.documents_matched,
            "layers": self.layers,
            "spans": self.spans,
            "placeholders": list(self.placeholders),
            "errors": [issue.to_dict() for issue in self.errors],
        }


def name_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Mappings written as NAME=VALUE, one per item (a command's repeated option, a form's
    lines; blank items skipped). ValueError names the first item that is not one."""
    mapping = {}
    for pair in pairs:
        if not pair.strip():
            continue
        name, equals, value = pair.rpartition("=")
        if not equals or not name.strip() or not value.strip():
            raise ValueError(f"write each as NAME=VALUE, not {pair!r}")
        mapping[name.strip()] = value.strip()
    return mapping


@dataclass(frozen=True)
class AnnotationImportOptions:
    """How to read a file, as every door takes it: its format, the mappings of its annotators
    and labels, and what unmapped annotators and the layers become (see annotations_import)."""

    format: str
    annotators: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    placeholders: bool = False
    status: str = LayerStatus.SUBMITTED

    def __post_init__(self) -> None:
        if self.format not in ANNOTATION_FORMATS:
            raise ValidationError(
                {"format": [f"Unknown format {self.format!r}; use one of {', '.join(ANNOTATION_FORMATS)}."]}
            )
        if self.status not in IMPORT_STATUSES:
            raise ValidationError(
                {"status": [f"Imported layers are {' or '.join(IMPORT_STATUSES)}, not {self.status!r}."]}
            )

    def to_json(self) -> dict[str, Any]:
        """The options as plain JSON, for a job's parameters: AnnotationImportOptions(**them)."""
        return {
            "format": self.format,
            "annotators": dict(self.annotators),
            "labels": dict(self.labels),
            "placeholders": self.placeholders,
            "status": str(self.status),
        }


class _Rollback(Exception):
    pass


CHANGE_REASON = "imported"
SPAN_COLUMNS = (
    "id",
    "layer",
    "label",
    "start",
    "end",
    "text",
    "attributes",
    "client_uuid",
    "version",
    "created_at",
    "updated_at",
)


def _span_row(span: Span) -> tuple[Any, ...]:
    """A span's values in SPAN_COLUMNS' order."""
    return (
        span.pk, span.layer_id, span.label_id, span.start, span.end, span.text, span.attributes,
        span.client_uuid, span.version, span.created_at, span.updated_at,
    )  # fmt: skip


class _Place(NamedTuple):
    """Where in the input something was first seen: the file, and the line or item."""

    file: str
    line: int | None
    item: int | None


@dataclass
class _Pending:
    """A document of the file ready to write: its row and, per annotator, its spans."""

    row: DocumentRow
    layers: list[tuple[int, list[Span]]]
    name: str


class _Importer:
    def __init__(
        self,
        *,
        project: Project,
        options: AnnotationImportOptions,
        default_source: Source | None,
        actor: User | None,
        batch_size: int,
    ) -> None:
        self.project = project
        self.schema: ProjectSchema = project_schema_get(project=project)
        self.options = options
        self.sources = SourceResolver(default_source)
        self.actor = actor
        self.batch_size = batch_size
        self.limits = ImportLimits.from_settings()
        self.summary = AnnotationImportSummary()
        self.user_ids: dict[str, int | None] = {}
        self.unmapped: dict[str, _Place] = {}  # name -> where first seen
        self.unknown_labels: dict[str, _Place] = {}
        self.pending: list[_Pending] = []
        self.document_ids: set[int] = set()
        self.layer_keys: set[tuple[int, int]] = set()  # (document, user) written by this import

    # -- problems -------------------------------------------------------------------------

    @property
    def writing(self) -> bool:
        return not self.summary.errors and not self.unmapped and not self.unknown_labels

    def issue(self, issue: ImportIssue) -> None:
        self.summary.errors.append(issue)

    def issue_at(self, place: _Place, field: str, message: str) -> None:
        self.issue(
            ImportIssue(file=place.file, line=place.line, item=place.item, field=field, message=message)
        )

    # -- annotators and labels ------------------------------------------------------------

    def user_id(self, name: str, where: _Place) -> int | None:
        if name in self.user_ids:
            return self.user_ids[name]
        username = self.options.annotators.get(name)
        user_id: int | None = None
        if username is None:
            if self.options.placeholders:
                user_id = self._placeholder(name, where)
            else:
                self.unmapped.setdefault(name, where)
        else:
            member = (
                Membership.objects.filter(project=self.project, user__username=username)
                .values_list("user_id", flat=True)
                .first()
            )
            if member is None:
                self.issue_at(
                    where,
                    "annotators",
                    f"{name!r} is mapped to {username!r}, who is not a member of this project",
                )
            user_id = member
        self.user_ids[name] = user_id
        return user_id

    def _placeholder(self, name: str, where: _Place) -> int | None:
        """An inactive annotator account standing for `name`, made once per name and reused by
        later imports; None (with the problem noted) where that username is a person's."""
        stem = slugify(name) or uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:12]
        username = (PLACEHOLDER_PREFIX + stem)[:150]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = get_user_model()(username=username, is_active=False)
            user.set_unusable_password()
            user.save()
            self.summary.placeholders.append(username)
        elif user.is_active or user.has_usable_password():
            # A person's account, not a placeholder an earlier import made: never hand it layers.
            self.issue_at(
                where,
                "annotators",
                f"{name!r} would become the placeholder {username!r}, but that is a person's account; "
                "map the name to a member instead",
            )
            return None
        Membership.objects.get_or_create(project=self.project, user=user, defaults={"role": Role.ANNOTATOR})
        return int(user.pk)

    def label_key(self, label: str, where: _Place) -> str | None:
        key = self.options.labels.get(label, label)
        if key in self.schema.labels:
            return key
        self.unknown_labels.setdefault(label, where)
        return None

    def _attributes(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """A tool's values in this schema's shapes: a list of one value answers a choice or a
        yes-or-no attribute, "true" and "false" a yes-or-no one, and JSON text (as formats of
        strings write them) one whose values are lists or objects."""
        values = dict(raw)
        for key, value in raw.items():
            attribute = self.schema.attributes.get(key)
            if attribute is None:
                continue
            kind = attribute.kind
            if (
                isinstance(value, list)
                and len(value) == 1
                and kind in (AttributeKind.CHOICE, AttributeKind.BOOLEAN)
            ):
                value = value[0]
            if kind == AttributeKind.BOOLEAN and value in ("true", "false"):
                value = value == "true"
            elif kind in (AttributeKind.MULTI, AttributeKind.TARGET) and isinstance(value, str):
                with contextlib.suppress(orjson.JSONDecodeError):
                    value = orjson.loads(value)
            values[key] = value
        return values

    # -- records --------------------------------------------------------------------------

    def record(self, record: AnnotatedRecord, name: str) -> None:
        row = row_from_record(record.document, file=name, max_chars=self.limits.max_document_chars)
        if isinstance(row, list):
            self.summary.errors.extend(row)
            return
        original = record.document.fields["text"]
        moved = NormalisedOffsets(original)
        where = _Place(name, record.document.line, record.document.item)
        layers: list[tuple[int, list[Span]]] = []
        seen: set[int] = set()
        for layer in record.layers:
            user_id = self.user_id(layer.annotator, where)
            if user_id is not None and user_id in seen:
                self.issue_at(where, "annotations", f"names {layer.annotator!r} twice")
                continue
            spans: list[Span] = []
            for file_span in layer.spans:
                span = self._span(where, file_span, row.text, moved, spans)
                if span is not None:
                    spans.append(span)
            if user_id is not None:
                seen.add(user_id)
                layers.append((user_id, spans))
        self.pending.append(_Pending(row=row, layers=layers, name=name))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def _span(
        self,
        where: _Place,
        file_span: FileSpan,
        text: str,
        moved: NormalisedOffsets,
        layer_spans: list[Span],
    ) -> Span | None:
        key = self.label_key(file_span.label, where)
        if key is None:
            return None
        label = self.schema.labels[key]
        start, end = moved(file_span.start), moved(file_span.end)
        if end <= start:
            self.issue_at(where, file_span.where, "holds only a line ending's CR")
            return None
        try:
            attributes = span_check_attributes(
                schema=self.schema, label=label, attributes=self._attributes(file_span.attributes)
            )
            span_check_overlap(
                layer_spans, allow_overlap=self.project.allow_overlap, label=label, start=start, end=end
            )
        except ValidationError as error:
            for problem, messages in error.message_dict.items():
                message = " ".join(messages)
                self.issue_at(where, f"{file_span.where}: {problem}", message)
            return None
        if self.options.status == LayerStatus.SUBMITTED:
            missing = span_missing_attributes(schema=self.schema, label_key=key, attributes=attributes)
            if missing:
                self.issue_at(
                    where,
                    file_span.where,
                    f"a {key} span must answer {', '.join(missing)} before its layer is submitted; "
                    "import the layers as in progress to let the annotators answer them",
                )
                return None
        return Span(label=label, start=start, end=end, text=text[start:end], attributes=attributes)

    # -- writing --------------------------------------------------------------------------

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not self.writing or not pending:
            return
        documents = self._documents(pending)
        if documents is None:
            return
        existing = set(
            Layer.objects.filter(
                document_id__in=set(documents.values()), kind=LayerKind.ANNOTATION
            ).values_list("document_id", "user_id")
        )
        now = timezone.now()
        submitted = self.options.status == LayerStatus.SUBMITTED
        layers: list[Layer] = []
        spans: list[tuple[Layer, list[Span]]] = []
        for item in pending:
            document_id = documents[item.row.text_sha256]
            for user_id, layer_spans in item.layers:
                key = (document_id, user_id)
                if key in existing or key in self.layer_keys:
                    self.issue(
                        ImportIssue(
                            file=item.name,
                            line=item.row.line,
                            item=item.row.item,
                            field="annotator",
                            message=f"{self._username(user_id)} already has a layer on this document "
                            f"(document {document_id}); an import adds layers, it does not merge them",
                        )
                    )
                    continue
                self.layer_keys.add(key)
                layer = Layer(
                    document_id=document_id,
                    user_id=user_id,
                    kind=LayerKind.ANNOTATION,
                    status=self.options.status,
                    submitted_at=now if submitted else None,
                )
                layers.append(layer)
                spans.append((layer, layer_spans))
        if not self.writing:
            return
        Layer.objects.bulk_create(layers)
        new_spans = []
        for layer, layer_spans in spans:
            for span in layer_spans:
                span.layer = layer
                new_spans.append(span)
        self._write_spans(new_spans)
        self.summary.layers += len(layers)
        self.summary.spans += len(new_spans)

    def _write_spans(self, spans: list[Span]) -> None:
        """The spans, and a history row for each that names the importing user."""
        actor = self.actor if self.actor is not None and self.actor.is_authenticated else None
        using = router.db_for_write(Span)
        if not copy_supported(using):
            Span.objects.bulk_create(spans)
            Span.history.bulk_history_create(spans, default_user=actor, default_change_reason=CHANGE_REASON)
            return
        now = timezone.now()
        for span, pk in zip(spans, allocate_ids(Span, len(spans), using=using), strict=True):
            span.pk = pk
            span.created_at = span.updated_at = now
        copy_rows(Span, SPAN_COLUMNS, (_span_row(span) for span in spans), using=using)
        history = (*SPAN_COLUMNS, "history_change_reason", "history_date", "history_type", "history_user")
        change = (CHANGE_REASON, now, "+", actor.pk if actor is not None else None)
        copy_rows(Span.history.model, history, (_span_row(span) + change for span in spans), using=using)

    def _username(self, user_id: int) -> str:
        username = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()
        return repr(username)

    def _documents(self, pending: list[_Pending]) -> dict[str, int] | None:
        """The id of each pending document's text: stored already, or created now."""
        hashes = {item.row.text_sha256 for item in pending}
        ids = dict(
            Document.objects.filter(project=self.project, text_sha256__in=hashes).values_list(
                "text_sha256", "pk"
            )
        )
        matched = {h for h in hashes if h in ids}
        new: dict[str, Document] = {}
        for item in pending:
            row = item.row
            if row.text_sha256 in ids or row.text_sha256 in new:
                continue
            source = self.sources.resolve(row.source, writing=True)
            if isinstance(source, tuple):
                self.issue(
                    ImportIssue(
                        file=item.name, line=row.line, field=source[0], message=source[1], item=row.item
                    )
                )
                continue
            new[row.text_sha256] = document_from_row(row, project_id=self.project.pk, source_id=source)
        if not self.writing:
            return None
        Document.objects.bulk_create(new.values())
        ids.update({digest: document.pk for digest, document in new.items()})
        self.summary.documents_created += len(new)
        self.summary.documents_matched += len(matched - self.document_ids)
        self.document_ids.update(ids.values())
        return ids

    def finish(self) -> None:
        self.flush()
        if self.unmapped:
            names = ", ".join(repr(n) for n in sorted(self.unmapped))
            self.issue_at(
                next(iter(self.unmapped.values())),
                "annotators",
                f"the file names annotators that are not mapped to project members: {names}. "
                "Map each to a member's username, or import them as inactive placeholder accounts",
            )
        if self.unknown_labels:
            names = ", ".join(repr(n) for n in sorted(self.unknown_labels))
            self.issue_at(
                next(iter(self.unknown_labels.values())),
                "labels",
                f"labels not in this project's schema: {names}. The schema has "
                f"{', '.join(self.schema.labels)}; map each to one of them",
            )

    def records(self, file: ImportFile, format_name: str) -> Iterator[tuple[AnnotatedRecord, str]]:
        reader = ANNOTATION_FORMATS[format_name]()
        for entry in iter_entries(file.name, file.open, file.size(), self.limits):
            if isinstance(entry, ImportIssue):
                self.issue(entry)
                continue
            if not entry.name.lower().endswith(reader.extensions):
                self.issue(
                    ImportIssue(
                        file=entry.name,
                        line=None,
                        field=None,
                        message=f"is not a {' or '.join(reader.extensions)} file, as {format_name} exports are",
                    )
                )
                continue
            if entry.size == 0:
                self.issue(ImportIssue(file=entry.name, line=None, field=None, message="is empty (0 bytes)"))
                continue
            try:
                with entry.open() as stream:
                    for item in reader.read(stream, name=entry.name, limits=self.limits):
                        if isinstance(item, ImportIssue):
                            self.issue(item)
                        else:
                            yield item, entry.name
                        if len(self.summary.errors) >= self.limits.max_issues_per_file:
                            return
            except FileRefused as refused:
                self.issue(refused.issue)
            except READ_ERRORS as error:
                self.issue(
                    ImportIssue(file=entry.name, line=None, field=None, message=f"cannot be read ({error})")
                )


def annotations_import(
    *,
    project: Project,
    file: ImportFile,
    options: AnnotationImportOptions,
    default_source: Source | None = None,
    actor: User | None = None,
    batch_size: int = 500,
) -> AnnotationImportSummary:
    """Import a tool's export (a zip of such files is read member by member) into `project`,
    read as `options` say: all of it or, on any problem, nothing."""
    importer = _Importer(
        project=project,
        options=options,
        default_source=default_source,
        actor=actor,
        batch_size=batch_size,
    )
    try:
        with transaction.atomic():
            for record, name in importer.records(file, options.format):
                importer.record(record, name)
            importer.finish()
            if importer.summary.errors:
                raise _Rollback
            if importer.summary.documents_created + importer.summary.documents_matched == 0:
                importer.issue(ImportIssue(file=file.name, line=None, field=None, message="has no documents"))
                raise _Rollback
            # The layers count toward k; submitted ones change what agreement and profiles read.
            layers_recount(document_ids=importer.document_ids)
            if options.status == LayerStatus.SUBMITTED:
                documents_layers_changed(document_ids=importer.document_ids, project_id=project.pk)
    except _Rollback:
        importer.summary.documents_created = importer.summary.documents_matched = 0
        importer.summary.layers = importer.summary.spans = 0
        importer.summary.placeholders = []
    return importer.summary
