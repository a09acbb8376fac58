"""Writes to projects, their members and their annotation schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotator.errors import NotFound, ValidationError
from annotator.layers.services import layers_delete
from annotator.models import (
    ANNOTATOR_LAYER_KINDS,
    Attribute,
    AttributeKind,
    Label,
    Layer,
    LayerStatus,
    Membership,
    Project,
    Role,
    Source,
    Target,
)
from annotator.projects.selectors import schema_locked
from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS
from annotator.signals import schema_changed

# A project's settings: what project_create takes and project_update changes. The schema
# changes through project_schema_replace.
PROJECT_SETTINGS = (
    "name",
    "slug",
    "description",
    "guidelines",
    "annotators_per_document",
    "blind",
    "allow_overlap",
    "min_profile_articles",
    "profiles_visible_to_annotators",
    "panel_balance",
    "panel_wait_minutes",
    "panel_question",
    "calibration_every",
    "calibration_gate",
    "calibration_window",
    "calibration_pause",
    "calibration_feedback",
)


@transaction.atomic
def project_create(
    *,
    name: str,
    slug: str,
    created_by: User | None = None,
    targets: Iterable[str] = (),
    with_default_schema: bool = True,
    **settings: Any,
) -> Project:
    """Create a project with the default labels and attributes; its creator becomes a manager.
    `settings` are any of PROJECT_SETTINGS (the model's defaults for the rest)."""
    unknown = sorted(set(settings) - set(PROJECT_SETTINGS))
    if unknown:
        raise ValidationError({key: ["Not a project setting."] for key in unknown})
    project = Project(name=name, slug=slug, created_by=created_by, **settings)
    project.full_clean()
    project.save()
    if with_default_schema:
        project_schema_reset(project=project)
    Target.objects.bulk_create(Target(project=project, name=t) for t in targets)
    schema_changed(project_id=project.pk)
    project.refresh_from_db(fields=["schema_version"])
    if created_by is not None:
        Membership.objects.create(project=project, user=created_by, role=Role.MANAGER)
    return project


@transaction.atomic
def project_update(*, project: Project, changes: Mapping[str, Any]) -> Project:
    """Change a project's settings (PROJECT_SETTINGS), checked as the model checks them."""
    unknown = sorted(set(changes) - set(PROJECT_SETTINGS))
    if unknown:
        raise ValidationError({key: ["This setting cannot be changed here."] for key in unknown})
    for name, value in changes.items():
        setattr(project, name, value)
    project.full_clean()
    project.save(update_fields=list(changes))
    return project


@transaction.atomic
def source_create(*, name: str, slug: str, **details: str) -> Source:
    """Add a news outlet (sources are shared by every project); `details` are its domain,
    country, language and notes."""
    source = Source(name=name, slug=slug, **details)
    source.full_clean()
    source.save()
    return source


def project_schema_reset(*, project: Project) -> None:
    """Replace the project's labels and attributes by the default schema."""
    project_schema_replace(project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES)


def _ensure_schema_editable(project: Project) -> None:
    if schema_locked(project=project):
        raise ValidationError(
            {
                "schema": [
                    "The schema cannot change once spans exist: labels and values would lose their meaning."
                ]
            }
        )


@transaction.atomic
def project_schema_replace(
    *, project: Project, labels: Iterable[Mapping[str, Any]], attributes: Iterable[Mapping[str, Any]]
) -> None:
    """Replace the whole schema of a project that has no spans yet."""
    _ensure_schema_editable(project)
    label_rows = [
        Label(
            project=project,
            key=spec["key"],
            name=spec.get("name") or spec["key"].title(),
            color=spec.get("color", "#888888"),
            shortcut=spec.get("shortcut", ""),
            description=spec.get("description", ""),
            order=i,
        )
        for i, spec in enumerate(labels)
    ]
    label_keys = {label.key for label in label_rows}
    attribute_rows = []
    for i, spec in enumerate(attributes):
        attribute = Attribute(
            project=project,
            key=spec["key"],
            name=spec.get("name") or spec["key"].replace("_", " ").capitalize(),
            kind=spec["kind"],
            description=spec.get("description", ""),
            values=list(spec.get("values", [])),
            applies_to=list(spec.get("applies_to", [])),
            required_for=list(spec.get("required_for", [])),
            order=i,
        )
        attribute_validate_definition(attribute=attribute, label_keys=label_keys)
        attribute_rows.append(attribute)
    for label in label_rows:
        label.full_clean(exclude=["project"], validate_unique=False)
    if len(label_keys) != len(label_rows):
        raise ValidationError({"labels": ["Label keys must be unique."]})
    if len({a.key for a in attribute_rows}) != len(attribute_rows):
        raise ValidationError({"attributes": ["Attribute keys must be unique."]})
    project.labels.all().delete()
    project.attributes.all().delete()
    Label.objects.bulk_create(label_rows)
    Attribute.objects.bulk_create(attribute_rows)
    schema_changed(project_id=project.pk)  # bulk_create sends no signals
    project.refresh_from_db(fields=["schema_version"])


def attribute_validate_definition(*, attribute: Attribute, label_keys: set[str]) -> None:
    """Check that an attribute definition is usable: values for choice kinds, known labels."""
    problems: list[str] = []
    if attribute.kind not in AttributeKind.values:
        problems.append(f"unknown kind {attribute.kind!r}; use one of {', '.join(AttributeKind.values)}")
    if attribute.kind in (AttributeKind.CHOICE, AttributeKind.MULTI, AttributeKind.TARGET):
        if not attribute.values:
            problems.append("a choice needs at least one value")
        elif not all(isinstance(v, dict) and isinstance(v.get("value"), str) for v in attribute.values):
            problems.append('values must be objects like {"value": "X", "description": "..."}')
    for field in ("applies_to", "required_for"):
        unknown = set(getattr(attribute, field)) - label_keys
        if unknown:
            problems.append(f"{field} names unknown labels: {', '.join(sorted(unknown))}")
    if problems:
        raise ValidationError({f"attributes.{attribute.key}": problems})


def _check_manager_leaves(*, project: Project, membership: Membership | None, actor: User | None) -> None:
    """Before a member stops being a manager (demoted or removed): another manager may not
    do it, only the project's creator, staff or the manager themself; and a project keeps at
    least one manager. The caller holds the project's row lock, so two managers demoting each
    other at once cannot both succeed."""
    if membership is None or membership.role != Role.MANAGER:
        return
    if actor is not None and not (
        actor.is_staff or actor.pk == membership.user_id or actor.pk == project.created_by_id
    ):
        raise PermissionDenied("Only the project's creator or staff change another manager's role.")
    if not project.memberships.filter(role=Role.MANAGER).exclude(pk=membership.pk).exists():
        raise ValidationError(
            {"role": ["A project keeps at least one manager: make someone else manager first."]}
        )


def membership_set(*, project: Project, user: User, role: str, actor: User | None = None) -> Membership:
    """Add a member or change their role. `actor` is who asks (None: the system itself)."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Unknown role {role!r}; use one of {', '.join(Role.values)}."]})
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        membership = Membership.objects.filter(project=project, user=user).first()
        if role != Role.MANAGER:
            _check_manager_leaves(project=project, membership=membership, actor=actor)
        membership, _ = Membership.objects.update_or_create(
            project=project, user=user, defaults={"role": role}
        )
    return membership


def membership_remove(*, project: Project, user: User, actor: User | None = None) -> int:
    """Take someone out of a project. Their submitted layers stay (they are data); the layers
    they had not submitted are deleted, so those documents go back to the queue. Returns how
    many layers were released."""
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        membership = Membership.objects.filter(project=project, user=user).first()
        if membership is None:
            raise NotFound("No such member of this project.")
        _check_manager_leaves(project=project, membership=membership, actor=actor)
        open_layers = list(
            Layer.objects.filter(document__project=project, user=user, kind__in=ANNOTATOR_LAYER_KINDS)
            .exclude(status=LayerStatus.SUBMITTED)
            .order_by("pk")
        )
        layers_delete(layers=open_layers)
        membership.delete()
    return len(open_layers)
