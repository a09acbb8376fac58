"""Reads. Functions here return querysets, models or plain data; they never write."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q

from annotator.errors import ValidationError
from annotator.models import (
    ANNOTATOR_LAYER_KINDS,
    Answer,
    Attribute,
    Document,
    Label,
    Layer,
    LayerKind,
    LayerStatus,
    Membership,
    Project,
    Source,
    Span,
    Target,
)


@dataclass(frozen=True)
class ProjectSchema:
    """A project's labels, attributes and stance targets, indexed for validation."""

    project_id: int
    labels: dict[str, Label]
    attributes: dict[str, Attribute]
    targets: frozenset[str]
    labels_by_id: dict[int, Label] = field(default_factory=dict)

    def attributes_for(self, label_key: str) -> list[Attribute]:
        return [a for a in self.attributes.values() if not a.applies_to or label_key in a.applies_to]


def project_schema_get(*, project: Project | int) -> ProjectSchema:
    """The project's schema. Given a Project (whose schema_version is current), a schema read
    before at that version is reused; every change bumps the version (services and signals)."""
    if isinstance(project, Project):
        cached = _schema_cache.get(project.pk)
        if cached is not None and cached[0] == project.schema_version:
            return cached[1]
        schema = _schema_load(project.pk)
        _schema_cache[project.pk] = (project.schema_version, schema)
        return schema
    return _schema_load(project)


# project id -> (schema_version, schema); per process, small (one entry per project).
_schema_cache: dict[int, tuple[int, ProjectSchema]] = {}


def _schema_load(project_id: int) -> ProjectSchema:
    labels = list(Label.objects.filter(project_id=project_id))
    return ProjectSchema(
        project_id=project_id,
        labels={label.key: label for label in labels},
        labels_by_id={label.pk: label for label in labels},
        attributes={a.key: a for a in Attribute.objects.filter(project_id=project_id)},
        targets=frozenset(Target.objects.filter(project_id=project_id).values_list("name", flat=True)),
    )


def schema_locked(*, project: Project) -> bool:
    """Whether what the schema means is fixed: once a span or an answer exists, changing a
    label, an attribute or a question would change what existing annotations mean."""
    return (
        Span.objects.filter(layer__document__project=project).exists()
        or Answer.objects.filter(layer__document__project=project).exists()
    )


@dataclass(frozen=True)
class ProjectProgress:
    project: Project
    role: str
    my_submitted: int
    my_assigned: int
    documents_complete: int
    documents_total: int


def project_progress_list(*, user: User | AnonymousUser) -> list[ProjectProgress]:
    """The user's projects with their own progress and the project's, in four queries."""
    from annotator.access import project_role, projects_visible

    if not user.is_authenticated:
        return []
    user_id = int(user.pk)
    projects = list(projects_visible(user=user).order_by("name"))
    ids = [p.pk for p in projects]
    mine = (
        Layer.objects.filter(user_id=user_id, kind__in=ANNOTATOR_LAYER_KINDS, document__project_id__in=ids)
        .values("document__project_id")
        .annotate(
            assigned=Count("pk", filter=~Q(status=LayerStatus.SKIPPED)),
            submitted=Count("pk", filter=Q(status=LayerStatus.SUBMITTED)),
        )
    )
    mine_by_project = {
        row["document__project_id"]: {"submitted": row["submitted"], "assigned": row["assigned"]}
        for row in mine
    }
    nothing = {"submitted": 0, "assigned": 0}
    submitted_layers = Count(
        "layers",
        filter=Q(layers__kind=LayerKind.ANNOTATION, layers__status=LayerStatus.SUBMITTED),
    )
    documents = (
        Document.objects.filter(project_id__in=ids)
        .values("pk", "project_id", "project__annotators_per_document")
        .annotate(submitted=submitted_layers)
    )
    totals: dict[int, list[int]] = {pid: [0, 0] for pid in ids}
    for row in documents:
        totals[row["project_id"]][1] += 1
        totals[row["project_id"]][0] += row["submitted"] >= row["project__annotators_per_document"]
    roles = dict(Membership.objects.filter(user_id=user_id).values_list("project_id", "role"))
    return [
        ProjectProgress(
            project=p,
            role=roles.get(p.pk) or project_role(user=user, project=p) or "",
            my_submitted=mine_by_project.get(p.pk, nothing)["submitted"],
            my_assigned=mine_by_project.get(p.pk, nothing)["assigned"],
            documents_complete=totals[p.pk][0],
            documents_total=totals[p.pk][1],
        )
        for p in projects
    ]


def source_id_by_ref(ref: str) -> int | None:
    """The id of the source a filter names: by id when `ref` is ASCII digits, else by slug.
    None when there is no such source."""
    by_id = ref.isascii() and ref.isdigit()  # "²".isdigit() too, but int() refuses it
    found = Source.objects.filter(pk=int(ref)) if by_id else Source.objects.filter(slug=ref)
    return found.values_list("pk", flat=True).first()


@dataclass(frozen=True)
class ProjectRefs:
    """The objects a filter of a project's data names, resolved to ids (None: not filtered)."""

    source_id: int | None = None
    label_id: int | None = None
    annotator_id: int | None = None


def project_refs_resolve(
    *, project: Project, source: str | None = None, label: str | None = None, annotator: str | None = None
) -> ProjectRefs:
    """Resolve a source (slug or id), a label key of `project` and an annotator (a member of
    `project` or someone with a layer in it, by username) to ids. ValidationError with a
    message per unknown one. Exports and the review queue filter through this."""
    errors: dict[str, list[str]] = {}
    source_id = label_id = annotator_id = None
    if source:
        source_id = source_id_by_ref(source)
        if source_id is None:
            errors["source"] = [f"No source has the slug or id {source!r}."]
    if label:
        label_id = project.labels.filter(key=label).values_list("pk", flat=True).first()
        if label_id is None:
            keys = ", ".join(project.labels.values_list("key", flat=True))
            errors["label"] = [f"No label {label!r} in this project; its labels are {keys}."]
    if annotator:
        annotator_id = (
            get_user_model().objects.filter(username=annotator).values_list("pk", flat=True).first()
        )
        in_project = annotator_id is not None and (
            Membership.objects.filter(project=project, user_id=annotator_id).exists()
            or Layer.objects.filter(document__project=project, user_id=annotator_id).exists()
        )
        if not in_project:
            annotator_id = None
            errors["annotator"] = [f"No annotator called {annotator!r} in this project."]
    if errors:
        raise ValidationError(errors)
    return ProjectRefs(source_id, label_id, annotator_id)
