"""Writes to a project's panels and to who belongs to which.

A member belongs to at most one panel. A manager places them (`member_panel_set`), or they place
themselves once by answering the project's self-placement question (`member_panel_declare`);
either way the membership keeps who made the choice and when. Queue Next reads the panels when
the project balances them (annotator.layers.services).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotator.errors import Conflict, NotFound, ValidationError
from annotator.models import Layer, Membership, Panel, Project

PANEL_FIELDS = ("key", "name", "description", "order")


def panel_create(*, project: Project, key: str, name: str, **details: Any) -> Panel:
    """Add a panel; `details` are its description and order."""
    unknown = sorted(set(details) - set(PANEL_FIELDS))
    if unknown:
        raise ValidationError({field: ["Not a panel field."] for field in unknown})
    panel = Panel(project=project, key=key, name=name, **details)
    _check(panel)
    panel.save()
    return panel


def _check(panel: Panel) -> None:
    """The model's checks, with the clash of keys named on the key."""
    if Panel.objects.filter(project_id=panel.project_id, key=panel.key).exclude(pk=panel.pk).exists():
        raise ValidationError({"key": [f"This project already has a panel {panel.key!r}."]})
    panel.full_clean()


def panel_update(*, panel: Panel, changes: dict[str, Any]) -> Panel:
    unknown = sorted(set(changes) - set(PANEL_FIELDS))
    if unknown:
        raise ValidationError({field: ["Not a panel field."] for field in unknown})
    for field, value in changes.items():
        setattr(panel, field, value)
    _check(panel)
    panel.save(update_fields=list(changes))
    return panel


def panel_delete(*, panel: Panel) -> None:
    """Remove a panel nobody belongs to and no layer was handed out for: the layers' panels are
    what agreement by panel reads."""
    with transaction.atomic():
        if Membership.objects.filter(panel=panel).exists():
            raise Conflict(f"Members belong to the panel {panel.key!r}: place them in another panel first.")
        if Layer.objects.filter(panel=panel).exists():
            raise Conflict(
                f"Layers were handed out for the panel {panel.key!r}; it stays so agreement by panel keeps them."
            )
        panel.delete()


def _panel_of(project: Project, key: str | None) -> Panel | None:
    if key is None:
        return None
    panel = Panel.objects.filter(project=project, key=key).first()
    if panel is None:
        known = ", ".join(Panel.objects.filter(project=project).values_list("key", flat=True)) or "none yet"
        raise ValidationError({"panel": [f"The project has no panel {key!r} (its panels: {known})."]})
    return panel


def _place(membership: Membership, panel: Panel | None, actor: User) -> Membership:
    """Put the (locked) membership in `panel`, recording who did and when."""
    membership.panel = panel
    membership.panel_set_by = actor
    membership.panel_set_at = timezone.now()
    membership.save(update_fields=["panel", "panel_set_by", "panel_set_at"])
    return membership


def member_panel_set(*, project: Project, user: User, panel_key: str | None, actor: User) -> Membership:
    """A manager places a member in a panel (or, with None, in none)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
        if membership is None:
            raise NotFound("No such member of this project.")
        return _place(membership, _panel_of(project, panel_key), actor)


def member_panel_declare(*, project: Project, user: User, panel_key: str) -> Membership:
    """A member answers the project's self-placement question. Once only: after that, only a
    manager changes it, so nobody moves themselves to where the work is."""
    if not project.panel_question:
        raise Conflict("This project has no self-placement question: a manager places members in panels.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
        if membership is None:
            raise NotFound("Project not found.")
        if membership.panel_id is not None:
            raise Conflict("Your panel is already set; ask a manager to change it.")
        return _place(membership, _panel_of(project, panel_key), user)
