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
    Question,
    Role,
    Source,
    Target,
)
from annotator.projects.selectors import schema_locked
from annotator.questions.rules import question_problems
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
    "suggestions_when_blind",
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


# Keys the annotation page keeps for itself, so no label may take them as its shortcut.
RESERVED_SHORTCUTS = frozenset("[] ")


@transaction.atomic
def project_schema_replace(
    *,
    project: Project,
    labels: Iterable[Mapping[str, Any]],
    attributes: Iterable[Mapping[str, Any]],
    targets: Iterable[Mapping[str, Any]] | None = None,
    questions: Iterable[Mapping[str, Any]] | None = None,
) -> None:
    """Set a project's labels, attributes and (when given) stance targets and article
    questions, in the order given.

    Before any span or answer exists, anything may change. After, what they mean is fixed:
    every label, attribute, target and question stays; an attribute keeps its kind, values and
    the labels it applies to and is required for; a question keeps its kind, its points' values
    and whether it is required. What can still change then: names, colours, shortcuts,
    descriptions, anchors and order, and new labels, targets, and optional attributes and
    questions."""
    Project.objects.select_for_update().filter(pk=project.pk).first()
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
    target_rows = None
    if targets is not None:
        target_rows = [
            Target(
                project=project,
                name=spec["name"].strip(),
                aliases=list(spec.get("aliases", [])),
                description=spec.get("description", ""),
            )
            for spec in targets
        ]
    question_rows = None
    if questions is not None:
        question_rows = [
            Question(
                project=project,
                key=spec["key"],
                name=spec.get("name") or spec["key"].replace("_", " ").capitalize(),
                kind=spec["kind"],
                description=spec.get("description", ""),
                points=list(spec.get("points", [])),
                required=bool(spec.get("required", False)),
                order=i,
            )
            for i, spec in enumerate(questions)
        ]
    _check_schema(label_rows, attribute_rows, target_rows, question_rows)
    if schema_locked(project=project):
        _schema_extend(project, label_rows, attribute_rows, target_rows, question_rows)
    else:
        project.labels.all().delete()
        project.attributes.all().delete()
        Label.objects.bulk_create(label_rows)
        Attribute.objects.bulk_create(attribute_rows)
        if target_rows is not None:
            project.targets.all().delete()
            Target.objects.bulk_create(target_rows)
        if question_rows is not None:
            project.questions.all().delete()
            Question.objects.bulk_create(question_rows)
    schema_changed(project_id=project.pk)  # bulk writes send no signals
    project.refresh_from_db(fields=["schema_version"])


def _check_schema(
    labels: list[Label],
    attributes: list[Attribute],
    targets: list[Target] | None,
    questions: list[Question] | None,
) -> None:
    """What any schema must satisfy, locked or not: each row valid, keys and shortcuts unique."""
    problems: dict[str, list[str]] = {}
    for question in questions or []:
        found = question_problems(question.kind, question.points)
        if found:
            problems[f"questions.{question.key}"] = found
    for label in labels:
        try:
            label.full_clean(exclude=["project"], validate_unique=False)
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                problems.setdefault(f"labels.{label.key}.{field_name}", []).extend(messages)
        if label.shortcut in RESERVED_SHORTCUTS:
            problems.setdefault(f"labels.{label.key}.shortcut", []).append(
                f"{label.shortcut!r} is kept for stepping through spans; choose another key."
            )
    for noun, field_name, values in (
        ("Label keys", "labels", [label.key for label in labels]),
        ("Label shortcuts", "labels", [label.shortcut for label in labels if label.shortcut]),
        ("Attribute keys", "attributes", [a.key for a in attributes]),
        ("Target names", "targets", [t.name for t in targets or []]),
        ("Question keys", "questions", [q.key for q in questions or []]),
    ):
        clashes = sorted({v for v in values if values.count(v) > 1})
        if clashes:
            problems.setdefault(field_name, []).append(f"{noun} must be unique: {', '.join(clashes)} repeat.")
    if any(not t.name for t in targets or []):
        problems.setdefault("targets", []).append("A target needs a name.")
    if problems:
        raise ValidationError(problems)


def _schema_extend(
    project: Project,
    labels: list[Label],
    attributes: list[Attribute],
    targets: list[Target] | None,
    questions: list[Question] | None,
) -> None:
    """Apply a schema to a project whose spans fix the meaning of what exists: refuse removals
    and changes of meaning, naming each; update the wording of what exists and add the rest."""
    problems: dict[str, list[str]] = {}
    lock = "spans exist, so"
    old_labels = {label.key: label for label in project.labels.all()}
    new_labels = {label.key: label for label in labels}
    for key in old_labels.keys() - new_labels.keys():
        problems[f"labels.{key}"] = [f"{lock} this label cannot be removed."]
    old_attributes = {a.key: a for a in project.attributes.all()}
    new_attributes = {a.key: a for a in attributes}
    for key, old in old_attributes.items():
        new = new_attributes.get(key)
        if new is None:
            problems[f"attributes.{key}"] = [f"{lock} this attribute cannot be removed."]
            continue
        changed = [
            name
            for name in ("kind", "applies_to", "required_for")
            if getattr(new, name) != getattr(old, name)
        ]
        if [v.get("value") for v in new.values] != [v.get("value") for v in old.values]:
            changed.append("values")
        if changed:
            problems[f"attributes.{key}"] = [f"{lock} its {', '.join(changed)} cannot change."]
    for key in new_attributes.keys() - old_attributes.keys():
        if new_attributes[key].required_for:
            problems[f"attributes.{key}"] = [
                f"{lock} a new attribute must be optional: existing spans have no value for it."
            ]
    old_targets = {t.name: t for t in project.targets.all()}
    if targets is not None:
        for name in old_targets.keys() - {t.name for t in targets}:
            problems[f"targets.{name}"] = [f"{lock} this target cannot be removed."]
    old_questions = {q.key: q for q in project.questions.all()}
    for question in questions or []:
        old_question = old_questions.get(question.key)
        if old_question is None:
            if question.required:
                problems[f"questions.{question.key}"] = [
                    f"{lock} a new question must be optional: existing layers have no answer to it."
                ]
            continue
        changed = [
            name for name in ("kind", "required") if getattr(question, name) != getattr(old_question, name)
        ]
        if [p.get("value") for p in question.points] != [p.get("value") for p in old_question.points]:
            changed.append("points")
        if changed:
            problems[f"questions.{question.key}"] = [f"{lock} its {', '.join(changed)} cannot change."]
    if questions is not None:
        for key in old_questions.keys() - {q.key for q in questions}:
            problems[f"questions.{key}"] = [f"{lock} this question cannot be removed."]
    if problems:
        raise ValidationError(problems)
    for label in labels:
        _update_or_add(
            old_labels.get(label.key), label, ("name", "color", "shortcut", "description", "order")
        )
    for attribute in attributes:
        _update_or_add(
            old_attributes.get(attribute.key), attribute, ("name", "description", "values", "order")
        )
    for target in targets or []:
        _update_or_add(old_targets.get(target.name), target, ("aliases", "description"))
    for question in questions or []:
        _update_or_add(old_questions.get(question.key), question, ("name", "description", "points", "order"))


def _update_or_add(existing: Any, new: Any, fields: tuple[str, ...]) -> None:
    if existing is None:
        new.save()
        return
    for name in fields:
        setattr(existing, name, getattr(new, name))
    existing.save(update_fields=list(fields))


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
