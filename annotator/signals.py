"""Keeps Project.schema_version current when labels, attributes or targets change by any path
(services, admin inlines), so cached schemas are never used stale; and revokes an account's API
tokens when its password changes or it is deactivated, by any path."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from annotator.models import Attribute, Label, Project, Question, Target


def schema_changed(*, project_id: int) -> None:
    Project.objects.filter(pk=project_id).update(schema_version=F("schema_version") + 1)


def _on_schema_row_change(
    sender: Any, instance: Label | Attribute | Target | Question, **kwargs: Any
) -> None:
    schema_changed(project_id=instance.project_id)


def connect() -> None:
    from django.contrib.auth.models import User
    from django.db.models.signals import pre_save

    from annotator.accounts.services import on_user_save

    pre_save.connect(on_user_save, sender=User, dispatch_uid="api-tokens-on-user-save")
    for model in (Label, Attribute, Target, Question):
        post_save.connect(
            _on_schema_row_change, sender=model, dispatch_uid=f"schema-version-{model.__name__}"
        )
        post_delete.connect(
            _on_schema_row_change, sender=model, dispatch_uid=f"schema-version-{model.__name__}-del"
        )
