"""Project backups: one project to one file of JSON lines and back (manage.py export_project,
manage.py import_project).

The file holds everything needed to rebuild the project: its settings, schema (labels,
attributes, targets), the sources its documents use, the people involved (username, email,
name; their roles as memberships), documents, every layer (annotation and gold) with its
status and times, spans with client_uuid, version and attributes, and the review decisions.
Each line is one JSON object with a `type`, in this order:

    header, user*, project, panel*, membership*, label*, attribute*, target*, source*, document*,
    assignment*, span*, decision*, end

Documents, layers and spans carry `ref`, their id in the exporting database; later records
point at them by ref (a decision's `source_span_ids` too), so the import can give them new
ids. `end` holds the count of each type, so a cut-off file is refused. Times are ISO 8601.

Left out on purpose:
- Password hashes. A backup file travels further than the database (copies, tickets, laptops)
  and a hash can be attacked offline. Imported users who do not exist yet get an unusable
  password and are listed, so staff can set one or send a reset; staff and superuser flags
  are not carried either: a file never grants admin rights.
- Derived data (agreement statistics and reports, source profiles, jobs, suggestion models,
  claims and their clusters): recompute it after an import (manage.py compute_agreement; train
  and group again from the pages). Spans keep no `model_version`, since the models stay behind. Calibration scores are derived too, but the import
  scores the submitted calibration layers again itself, as of their submission. Invitations:
  links are one-time secrets.
- Span history: the audit trail stays with the database it happened in; each imported span
  gets one history row saying it came from a backup.
- Decisions keep `before` and `after` as recorded, ids of the exporting database included:
  they are a record of what the reviewer saw.

Export streams (querysets are read with iterator(), one record written at a time), so memory
stays flat; the import keeps one id map entry per document, layer and span, and writes in
batches inside one transaction: it imports whole or not at all.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from django.db.models import Model

from annotator.calibration.services import calibration_rescore
from annotator.errors import ValidationError
from annotator.layers.services import layers_recount
from annotator.models import (
    Attribute,
    Decision,
    Document,
    Label,
    Layer,
    Membership,
    Panel,
    Project,
    Source,
    Span,
    Target,
)
from annotator.projects.services import PROJECT_SETTINGS
from annotator.signals import schema_changed

FORMAT = "news-source-annotator/project"
VERSION = 1
BATCH = 1000

PROJECT_FIELDS = (*PROJECT_SETTINGS, "created_at")
PANEL_FIELDS = ("key", "name", "description", "order")
MEMBERSHIP_FIELDS = (
    "role",
    "created_at",
    "panel_set_at",
    "calibration_failing_since",
    "calibration_passed_at",
)
USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active")
LABEL_FIELDS = ("key", "name", "color", "shortcut", "description", "order")
ATTRIBUTE_FIELDS = ("key", "name", "kind", "description", "values", "applies_to", "required_for", "order")
TARGET_FIELDS = ("name", "aliases", "description")
SOURCE_FIELDS = ("slug", "name", "domain", "country", "language", "notes")
DOCUMENT_FIELDS = (*Document.CONTENT_FIELDS, "calibration")
LAYER_FIELDS = (
    "kind",
    "status",
    "skip_reason",
    "created_at",
    "updated_at",
    "submitted_at",
    "outside_panel",
    "needs_review",
)
SPAN_FIELDS = ("start", "end", "text", "attributes", "client_uuid", "version", "created_at", "updated_at")
DECISION_FIELDS = ("action", "before", "after", "note", "created_at")
# Fields Django fills in on insert (auto_now_add, auto_now): written again after the insert.
TIMESTAMPS = {
    Project: ("created_at",),
    Membership: ("created_at",),
    Document: ("created_at",),
    Layer: ("created_at", "updated_at"),
    Span: ("created_at", "updated_at"),
    Decision: ("created_at",),
}
# Fields that files written before panels, calibration and suggestions lack, with the value such
# a file means.
LATER_FIELDS = {
    "suggestions_when_blind": False,
    "panel": None,
    "panel_set_by": None,
    "panel_set_at": None,
    "calibration_failing_since": None,
    "calibration_passed_at": None,
    "calibration": False,
    "outside_panel": False,
    "needs_review": False,
}
DATETIME_FIELDS = {
    "created_at",
    "updated_at",
    "submitted_at",
    "published_at",
    "panel_set_at",
    "calibration_failing_since",
    "calibration_passed_at",
}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


# EXPORT
# ------------------------------------------------------------------------------


def project_export(*, project: Project, out: IO[str]) -> Counter[str]:
    """Write `project` to `out` (a text stream) as JSON lines; returns the count of each type.
    Run it in a transaction (REPEATABLE READ) if writes may happen meanwhile, so the file is
    one consistent snapshot."""
    counts: Counter[str] = Counter()

    def emit(kind: str, record: dict[str, Any]) -> None:
        out.write(json.dumps({"type": kind, **record}, ensure_ascii=False, default=_json_default) + "\n")
        counts[kind] += 1

    emit("header", {"format": FORMAT, "version": VERSION, "project": project.slug})
    documents = Document.objects.filter(project=project)
    layers = Layer.objects.filter(document__project=project)
    user_ids = (
        set(Membership.objects.filter(project=project).values_list("user_id", flat=True))
        | set(layers.values_list("user_id", flat=True).distinct())
        | set(
            Decision.objects.filter(document__project=project)
            .values_list("reviewer_id", flat=True)
            .distinct()
        )
        | ({project.created_by_id} if project.created_by_id else set())
    )
    for user in User.objects.filter(pk__in=user_ids).order_by("username").values(*USER_FIELDS):
        emit("user", user)
    creator = project.created_by.username if project.created_by is not None else None
    emit("project", {**{f: getattr(project, f) for f in PROJECT_FIELDS}, "created_by": creator})
    for panel in Panel.objects.filter(project=project).order_by("order", "id").values(*PANEL_FIELDS):
        emit("panel", panel)
    members = Membership.objects.filter(project=project).order_by("user__username")
    for row in members.values("user__username", "panel__key", "panel_set_by__username", *MEMBERSHIP_FIELDS):
        emit(
            "membership",
            _renamed(row, user="user__username", panel="panel__key", panel_set_by="panel_set_by__username"),
        )
    for label in Label.objects.filter(project=project).order_by("order", "id").values(*LABEL_FIELDS):
        emit("label", label)
    for attribute in (
        Attribute.objects.filter(project=project).order_by("order", "id").values(*ATTRIBUTE_FIELDS)
    ):
        emit("attribute", attribute)
    for target in Target.objects.filter(project=project).order_by("name").values(*TARGET_FIELDS):
        emit("target", target)
    source_ids = documents.values_list("source_id", flat=True).distinct()
    for source in Source.objects.filter(pk__in=source_ids).order_by("slug").values(*SOURCE_FIELDS):
        emit("source", source)
    rows: Iterator[dict[str, Any]] = (
        documents.order_by("id").values("id", "source__slug", *DOCUMENT_FIELDS).iterator(chunk_size=200)
    )
    for row in rows:
        emit("document", _renamed(row, ref="id", source="source__slug"))
    rows = (
        layers.order_by("id")
        .values("id", "document_id", "user__username", "panel__key", *LAYER_FIELDS)
        .iterator()
    )
    for row in rows:
        emit(
            "assignment",
            _renamed(row, ref="id", document="document_id", user="user__username", panel="panel__key"),
        )
    rows = (
        Span.objects.filter(layer__document__project=project)
        .order_by("id")
        .values("id", "layer_id", "label__key", *SPAN_FIELDS)
        .iterator(chunk_size=2000)
    )
    for row in rows:
        emit("span", _renamed(row, ref="id", assignment="layer_id", label="label__key"))
    rows = (
        Decision.objects.filter(document__project=project)
        .order_by("id")
        .values("document_id", "reviewer__username", "gold_span_id", "source_span_ids", *DECISION_FIELDS)
        .iterator()
    )
    for row in rows:
        emit(
            "decision",
            _renamed(row, document="document_id", reviewer="reviewer__username", gold_span="gold_span_id"),
        )
    emit("end", {"counts": dict(counts)})
    return counts


def _renamed(row: dict[str, Any], **names: str) -> dict[str, Any]:
    """The row as a record: the keys in `names` (new name=column) first, under their names in
    the file, then the rest as they are."""
    return {**{new: row.pop(column) for new, column in names.items()}, **row}


# IMPORT
# ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did. `users_created` got no usable password: they need one set."""

    project: Project
    counts: Counter[str] = field(default_factory=Counter)
    users_created: list[str] = field(default_factory=list)
    users_matched: list[str] = field(default_factory=list)
    sources_created: list[str] = field(default_factory=list)
    sources_matched: list[str] = field(default_factory=list)
    dropped_span_refs: int = 0


class BackupError(Exception):
    """The file cannot be imported; the message names the line."""


ORDER = [
    "header",
    "user",
    "project",
    "panel",
    "membership",
    "label",
    "attribute",
    "target",
    "source",
    "document",
    "assignment",
    "span",
    "decision",
    "end",
]


class _Importer:
    def __init__(self, slug: str | None) -> None:
        self.slug = slug
        self.project: Project | None = None
        self.users: dict[str, int] = {}
        self.labels: dict[str, int] | None = None
        self.panels: dict[str, int] = {}
        self.sources: dict[str, int] = {}
        self.documents: dict[int, int] = {}
        self.layers: dict[int, int] = {}
        self.spans: dict[int, int] = {}
        self.pending: list[tuple[int | None, Model]] = []
        self.pending_kind = ""
        self.report: ImportReport | None = None
        self.counts: Counter[str] = Counter()
        self.created_users: list[str] = []
        self.matched_users: list[str] = []
        self.created_sources: list[str] = []
        self.matched_sources: list[str] = []
        self.dropped = 0

    # -- helpers ----------------------------------------------------------------------------

    def _project(self) -> Project:
        if self.project is None:
            raise BackupError("the project record must come before its contents")
        return self.project

    def _user(self, username: str) -> int:
        if username not in self.users:
            raise BackupError(f"user '{username}' is not among the file's users")
        return self.users[username]

    @staticmethod
    def _ref(refs: dict[int, int], ref: Any, what: str) -> int:
        if ref not in refs:
            raise BackupError(f"refers to {what} {ref!r}, which the file does not hold (before this line)")
        return refs[ref]

    def _flush(self) -> None:
        """Insert the pending rows of one kind, restore the times Django set on insert, and
        remember the new ids by ref."""
        if not self.pending:
            return
        objects = [obj for _, obj in self.pending]
        model = type(objects[0])
        times = TIMESTAMPS.get(model, ())
        wanted = [{name: getattr(obj, name) for name in times} for obj in objects]
        model.objects.bulk_create(objects)  # type: ignore[attr-defined]
        if times:
            for obj, values in zip(objects, wanted, strict=True):
                for name, value in values.items():
                    setattr(obj, name, value)
            model.objects.bulk_update(objects, list(times))  # type: ignore[attr-defined]
        refs = {"document": self.documents, "assignment": self.layers, "span": self.spans}.get(
            self.pending_kind
        )
        if refs is not None:
            for ref, obj in self.pending:
                assert ref is not None
                refs[ref] = obj.pk
        if model is Span:
            Span.history.bulk_history_create(objects, default_change_reason="imported from a backup")
        self.pending = []

    def _add(self, kind: str, ref: int | None, obj: Model) -> None:
        self.pending_kind = kind
        self.pending.append((ref, obj))
        if len(self.pending) >= BATCH:
            self._flush()

    # -- records ----------------------------------------------------------------------------

    def record(self, kind: str, data: dict[str, Any]) -> None:
        data = {**LATER_FIELDS, **data}
        for name in DATETIME_FIELDS & data.keys():
            if data[name] is not None:
                data[name] = datetime.datetime.fromisoformat(data[name])
        getattr(self, f"on_{kind}")(data)
        self.counts[kind] += 1

    def on_header(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise BackupError(f"not a project backup of format {FORMAT} version {VERSION}")

    def on_user(self, data: dict[str, Any]) -> None:
        username = data["username"]
        existing = User.objects.filter(username=username).values_list("pk", flat=True).first()
        if existing is not None:
            self.users[username] = existing
            self.matched_users.append(username)
            return
        user = User(**{f: data[f] for f in USER_FIELDS})
        user.set_unusable_password()
        user.save()
        self.users[username] = user.pk
        self.created_users.append(username)

    def on_project(self, data: dict[str, Any]) -> None:
        fields = {f: data[f] for f in PROJECT_FIELDS}
        if self.slug:
            fields["slug"] = self.slug
        if Project.objects.filter(slug=fields["slug"]).exists():
            raise BackupError(f"a project with the slug '{fields['slug']}' exists; give --slug for another")
        creator = data.get("created_by")
        project = Project(**fields, created_by_id=self._user(creator) if creator is not None else None)
        project.full_clean(validate_unique=False)
        project.save()
        Project.objects.filter(pk=project.pk).update(created_at=fields["created_at"])
        self.project = project

    def on_panel(self, data: dict[str, Any]) -> None:
        panel = Panel(project=self._project(), **{f: data[f] for f in PANEL_FIELDS})
        panel.full_clean(validate_unique=False)
        panel.save()
        self.panels[panel.key] = panel.pk

    def _panel(self, key: str | None) -> int | None:
        if key is not None and key not in self.panels:
            raise BackupError(f"panel '{key}' is not among the file's panels")
        return self.panels[key] if key is not None else None

    def on_membership(self, data: dict[str, Any]) -> None:
        set_by = data["panel_set_by"]
        membership = Membership(
            project=self._project(),
            user_id=self._user(data["user"]),
            panel_id=self._panel(data["panel"]),
            panel_set_by_id=self._user(set_by) if set_by is not None else None,
            **{f: data[f] for f in MEMBERSHIP_FIELDS},
        )
        self._add("membership", None, membership)

    def on_label(self, data: dict[str, Any]) -> None:
        self._add("label", None, Label(project=self._project(), **{f: data[f] for f in LABEL_FIELDS}))

    def on_attribute(self, data: dict[str, Any]) -> None:
        self._add(
            "attribute", None, Attribute(project=self._project(), **{f: data[f] for f in ATTRIBUTE_FIELDS})
        )

    def on_target(self, data: dict[str, Any]) -> None:
        self._add("target", None, Target(project=self._project(), **{f: data[f] for f in TARGET_FIELDS}))

    def on_source(self, data: dict[str, Any]) -> None:
        slug = data["slug"]
        existing = Source.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if existing is not None:
            self.sources[slug] = existing
            self.matched_sources.append(slug)
            return
        source = Source.objects.create(**{f: data[f] for f in SOURCE_FIELDS})
        self.sources[slug] = source.pk
        self.created_sources.append(slug)

    def on_document(self, data: dict[str, Any]) -> None:
        if self.labels is None:
            self.labels = dict(Label.objects.filter(project=self._project()).values_list("key", "pk"))
        if data["source"] not in self.sources:
            raise BackupError(f"source '{data['source']}' is not among the file's sources")
        if hashlib.sha256(data["text"].encode("utf-8")).hexdigest() != data["text_sha256"]:
            raise BackupError("the document's text does not match its text_sha256: the file is damaged")
        document = Document(
            project=self._project(),
            source_id=self.sources[data["source"]],
            **{f: data[f] for f in DOCUMENT_FIELDS},
        )
        self._add("document", data["ref"], document)

    def on_assignment(self, data: dict[str, Any]) -> None:
        """A layer: the file names it "assignment", as the API does."""
        layer = Layer(
            document_id=self._ref(self.documents, data["document"], "document"),
            user_id=self._user(data["user"]),
            panel_id=self._panel(data["panel"]),
            **{f: data[f] for f in LAYER_FIELDS},
        )
        self._add("assignment", data["ref"], layer)

    def on_span(self, data: dict[str, Any]) -> None:
        if self.labels is None or data["label"] not in self.labels:
            raise BackupError(f"label '{data['label']}' is not in the file's schema")
        span = Span(
            layer_id=self._ref(self.layers, data["assignment"], "layer"),
            label_id=self.labels[data["label"]],
            **{f: data[f] for f in SPAN_FIELDS},
        )
        self._add("span", data["ref"], span)

    def on_decision(self, data: dict[str, Any]) -> None:
        sources = [self.spans[ref] for ref in data["source_span_ids"] if ref in self.spans]
        # A decision may name annotators' spans deleted before the export: they cannot be
        # pointed at, and an old id must not point at another span here.
        self.dropped += len(data["source_span_ids"]) - len(sources)
        gold = data["gold_span"]
        decision = Decision(
            document_id=self._ref(self.documents, data["document"], "document"),
            reviewer_id=self._user(data["reviewer"]),
            gold_span_id=self.spans.get(gold) if gold is not None else None,
            source_span_ids=sources,
            **{f: data[f] for f in DECISION_FIELDS},
        )
        self._add("decision", None, decision)

    def on_end(self, data: dict[str, Any]) -> None:
        expected = {k: v for k, v in data["counts"].items() if k != "end"}
        found = {k: v for k, v in self.counts.items() if k != "end"}
        if expected != found:
            raise BackupError(f"the file lists {expected} but holds {found}")


def project_import(*, lines: Iterable[str], slug: str | None = None) -> ImportReport:
    """Rebuild a project from a backup's JSON lines (see the module docstring), all or nothing.
    `slug` imports it under another slug. Users and sources that exist (same username, same
    slug) are used as they are. BackupError names the line of a problem."""
    importer = _Importer(slug)
    position = 0
    number = 0
    with transaction.atomic():
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                kind = data.pop("type")
                if kind not in ORDER or ORDER.index(kind) < position or (number == 1) != (kind == "header"):
                    raise BackupError(f"a '{kind}' record is out of place")
                if ORDER.index(kind) != position:
                    importer._flush()
                    position = ORDER.index(kind)
                importer.record(kind, data)
            except BackupError as error:
                raise BackupError(f"line {number}: {error}") from None
            except (ValueError, KeyError, TypeError, ValidationError, DatabaseError) as error:
                raise BackupError(f"line {number}: not a valid backup record ({error!r})") from None
            if kind == "end":
                break
        else:
            raise BackupError(f"the file ends at line {number} without its 'end' record: it is cut off")
        project = importer._project()
        schema_changed(project_id=project.pk)  # caches keyed by the schema version start afresh
        layers_recount(document_ids=Document.objects.filter(project=project).values_list("pk", flat=True))
        calibration_rescore(project=project)
        report = ImportReport(
            project=project,
            counts=importer.counts,
            users_created=importer.created_users,
            users_matched=importer.matched_users,
            sources_created=importer.created_sources,
            sources_matched=importer.matched_sources,
            dropped_span_refs=importer.dropped,
        )
    return report
