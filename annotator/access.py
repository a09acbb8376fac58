"""Every permission rule, in one reviewed place.

`access_*` functions are the only way views obtain a protected object. An object the user may
not see raises NotFound, exactly as one that does not exist; an object the user sees but may
not act on raises PermissionDenied.

Rules:
- Staff (site admins) act as managers of every project.
- Nobody else sees a project they are not a member of.
- Annotators read and write only their own annotation layers; in a blind project they never
  see another annotator's layer, nor its spans or counts. A submitted layer is read-only.
- Reviewers and managers read every layer of their projects and write the gold layer, only
  through review decisions (annotator.review.services), so every change of it is recorded
  (`can_review`, `access_review_project`, `access_review_document`).
- Managers change the project, its members and its schema, and import documents.
- Exports show every layer: reviewers and managers export; annotators only from a project
  that is not blind, and never the gold layer (`can_export`).
- Source profiles sum every layer: reviewers and managers read them; annotators only when the
  project sets profiles_visible_to_annotators and is not blind (`can_read_profiles`). Only
  reviewers and managers recompute them.
- Span history (who created, changed, deleted, restored each span): reviewers and managers, and
  an annotator for their own layer (`can_read_span_history`). Managers restore deleted spans
  (`can_restore_spans`) and invite people into their projects (access_project with MANAGERS).
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AccountUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, prefetch_related_objects

from annotator.errors import NotFound
from annotator.layers.selectors import layer_with_role
from annotator.models import (
    ANNOTATOR_LAYER_KINDS,
    ClaimCluster,
    Document,
    JobRun,
    Layer,
    LayerKind,
    Membership,
    Project,
    Role,
    Span,
)
from annotator.projects.selectors import project_schema_get
from annotator.spans.selectors import span_get

User = AccountUser | AnonymousUser

REVIEWERS = (Role.REVIEWER, Role.MANAGER)
MANAGERS = (Role.MANAGER,)


def _is_staff(user: User) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_staff", False))


def project_role(*, user: User, project: Project | int) -> str | None:
    """The user's role in the project (staff count as managers), or None for outsiders."""
    if not user.is_authenticated:
        return None
    if _is_staff(user):
        return Role.MANAGER
    project_id = project if isinstance(project, int) else project.pk
    return Membership.objects.filter(project_id=project_id, user=user).values_list("role", flat=True).first()


def projects_visible(*, user: User) -> QuerySet[Project]:
    if _is_staff(user):
        return Project.objects.all()
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def can_read_source_notes(*, user: User) -> bool:
    """A source's notes are the team's own remarks: for staff and members of some project, not
    for every account."""
    return _is_staff(user) or (user.is_authenticated and Membership.objects.filter(user=user).exists())


def users_addable(*, user: User) -> QuerySet[AccountUser]:
    """The active accounts a manager may add to a project by username: any, for staff; for a
    manager, the people of the projects they manage. Anyone else joins by an invitation link,
    so adding by name tells nobody which other usernames exist."""
    accounts = get_user_model().objects.filter(is_active=True)
    if _is_staff(user):
        return accounts
    if not user.is_authenticated:
        return accounts.none()
    managed = Membership.objects.filter(user=cast(AccountUser, user), role=Role.MANAGER).values("project_id")
    return accounts.filter(memberships__project_id__in=managed).distinct()


def can_create_project(*, user: User) -> bool:
    """Staff and anyone who already manages a project may start a new one."""
    return _is_staff(user) or (
        user.is_authenticated and Membership.objects.filter(user=user, role=Role.MANAGER).exists()
    )


def access_project(*, user: User, project_id: int, roles: tuple[str, ...] | None = None) -> Project:
    """The project if the user is a member (with one of `roles`, when given)."""
    project = Project.objects.filter(pk=project_id).first()
    role = project_role(user=user, project=project_id) if project else None
    if project is None or role is None:
        raise NotFound("Project not found.")
    if roles is not None and role not in roles:
        raise PermissionDenied(f"This needs the role {' or '.join(roles)} in the project; you are {role}.")
    project.user_role = role  # type: ignore[attr-defined]
    return project


def sees_all_layers(*, role: str | None, project: Project) -> bool:
    """Whether this role reads other people's layers of the project."""
    return role in REVIEWERS or (role == Role.ANNOTATOR and not project.blind)


def documents_visible(*, user: User, project: Project) -> QuerySet[Document]:
    """Reviewers and managers see every document; annotators the ones handed to them."""
    role = project_role(user=user, project=project)
    documents = Document.objects.filter(project=project)
    if role in REVIEWERS:
        return documents
    if role == Role.ANNOTATOR:
        return documents.filter(layers__user=cast(AccountUser, user), layers__kind__in=ANNOTATOR_LAYER_KINDS)
    return documents.none()


def access_document(*, user: User, document_id: int, roles: tuple[str, ...] | None = None) -> Document:
    document = Document.objects.select_related("project", "source").filter(pk=document_id).first()
    if document is None:
        raise NotFound("Document not found.")
    role = project_role(user=user, project=document.project_id)
    if role is None:
        raise NotFound("Document not found.")
    if role == Role.ANNOTATOR and not document.layers.filter(user=cast(AccountUser, user)).exists():
        raise NotFound("Document not found.")
    if roles is not None and role not in roles:
        raise PermissionDenied(f"This needs the role {' or '.join(roles)} in the project; you are {role}.")
    document.user_role = role  # type: ignore[attr-defined]
    return document


def access_layer(
    *,
    user: User,
    layer_id: int,
    write: bool = False,
    lock: bool = False,
    related: tuple[str, ...] = (),
) -> Layer:
    """A layer the user may read (or, with `write`, change), with its document and project and
    any `related` objects (fetched once the layer is allowed). One query, the user's role
    included, and one per `related` relation. With `lock` (inside a transaction), the layer's
    row stays locked until the transaction ends: span writes and submit hold it, so they
    happen one after the other on a layer."""
    layer = layer_with_role(layer_id=layer_id, user_id=user.pk, lock=lock)
    if layer is None:
        raise NotFound("Layer not found.")
    project = layer.document.project
    role = Role.MANAGER if _is_staff(user) else layer.member_role  # type: ignore[attr-defined]
    own = layer.user_id == user.pk
    readable = role is not None and (own or sees_all_layers(role=role, project=project))
    if layer.kind == LayerKind.GOLD:
        readable = role in REVIEWERS
    if not readable:
        raise NotFound("Layer not found.")
    if write:
        if layer.kind == LayerKind.GOLD:
            raise PermissionDenied(
                "The gold layer changes through review decisions, so each change is recorded: "
                f"POST /api/v1/documents/{layer.document_id}/decisions/."
            )
        if not own:
            raise PermissionDenied("Only its annotator changes an annotation layer.")
    layer.user_role = role  # type: ignore[attr-defined]
    if related:
        prefetch_related_objects([layer], *related)
    return layer


def access_span(*, user: User, span_id: int, write: bool = False, lock: bool = False) -> Span:
    """The span if the user may read (with `write`, change) its layer, with its layer (as
    access_layer gives it, locked with `lock`) and its label."""
    span = span_get(span_id=span_id)
    if span is None:
        raise NotFound("Span not found.")
    try:
        span.layer = access_layer(user=user, layer_id=span.layer_id, write=write, lock=lock)
    except NotFound:
        raise NotFound("Span not found.") from None
    label = project_schema_get(project=span.layer.document.project).labels_by_id.get(span.label_id)
    if label is not None:  # else read on first use
        span.label = label
    return span


def can_reopen(*, user: User, layer: Layer) -> bool:
    return project_role(user=user, project=layer.document.project_id) in REVIEWERS


def can_export(*, role: str | None, project: Project, basis: str) -> bool:
    """Whether this role may export the project on `basis` (all, consensus or gold). An export
    shows every layer, or what they add up to, so it needs the right to read other people's
    layers: reviewers and managers always; annotators only in a project that is not blind, and
    never the gold layer, which only reviewers read. Outsiders never reach this (access_project)."""
    if role in REVIEWERS:
        return True
    return role == Role.ANNOTATOR and not project.blind and basis != "gold"


ANNOTATES = (Role.ANNOTATOR, Role.MANAGER)


def can_annotate(*, role: str | None) -> bool:
    """Annotators and managers take documents from the queue and annotate them."""
    return role in ANNOTATES


def access_job(*, user: User, job_id: int) -> JobRun:
    """A background job: whoever started it; a project's also for the project's managers and
    reviewers (a job's result, an import's for one, is not an annotator's to read); one of no
    project also for staff."""
    job = JobRun.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound("Job not found.")
    if job.created_by_id is not None and job.created_by_id == user.pk:
        return job
    if job.project_id is not None:
        access_project(user=user, project_id=job.project_id, roles=(Role.MANAGER, Role.REVIEWER))
    elif not _is_staff(user):
        raise NotFound("Job not found.")
    return job


def access_claim_cluster(*, user: User, cluster_id: int) -> ClaimCluster:
    """A claim cluster, for the reviewers and managers of its project; 404 for anyone who may
    not see the project, 403 for its annotators."""
    found = ClaimCluster.objects.filter(pk=cluster_id).first()
    if found is None:
        raise NotFound("Claim cluster not found.")
    access_project(user=user, project_id=found.project_id, roles=REVIEWERS)
    return found


def can_review(*, role: str | None) -> bool:
    """Reviewers and managers review: the review queue, every layer side by side, decisions
    into the gold layer, and the decisions' export (the audit trail)."""
    return role in REVIEWERS


def access_review_project(*, user: User, project_id: int) -> Project:
    """The project, if the user reviews it: outsiders get NotFound, annotators PermissionDenied."""
    return access_project(user=user, project_id=project_id, roles=REVIEWERS)


def access_review_document(*, user: User, document_id: int) -> Document:
    """The document (with its project, source and text), if the user reviews its project."""
    return access_document(user=user, document_id=document_id, roles=REVIEWERS)


def can_read_profiles(*, role: str | None, project: Project) -> bool:
    """Whether this role reads the project's source profiles (API, pages, CSV). A profile sums
    every annotator's layers (counts per source, agreement), so it follows the rule for reading
    other people's layers, made stricter by the project's own switch: reviewers and managers
    always; annotators only when the project sets `profiles_visible_to_annotators` AND is not
    blind (in a blind project the figures would tell an annotator how the others label, so
    the switch alone is not enough). Outsiders never reach this (access_project)."""
    if role in REVIEWERS:
        return True
    return role == Role.ANNOTATOR and project.profiles_visible_to_annotators and not project.blind


def access_profiles_project(*, user: User, project_id: int) -> Project:
    """The project, if the user may read its source profiles: outsiders get NotFound, members
    the rule does not admit PermissionDenied."""
    project = access_project(user=user, project_id=project_id)
    if not can_read_profiles(role=project.user_role, project=project):  # type: ignore[attr-defined]
        raise PermissionDenied(
            "Source profiles are for reviewers and managers (annotators only when the project "
            "shows them to annotators and is not blind)."
        )
    return project


def can_read_span_history(*, user: User, layer: Layer) -> bool:
    """Who changed which span when: reviewers and managers for every layer they read, an
    annotator only for their own layer (even where the project is not blind). `layer`
    comes from access_layer, which has already refused layers the user may not read."""
    return layer.user_role in REVIEWERS or layer.user_id == user.pk  # type: ignore[attr-defined]


def can_restore_spans(*, layer: Layer) -> bool:
    """Managers bring deleted spans back (into any layer they read)."""
    return layer.user_role in MANAGERS  # type: ignore[attr-defined]
