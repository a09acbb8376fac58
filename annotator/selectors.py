"""Reads. Functions here return querysets, models or plain data; they never write."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.models import Attribute, Label, Project, Target


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
    project_id = project if isinstance(project, int) else project.pk
    labels = list(Label.objects.filter(project_id=project_id))
    return ProjectSchema(
        project_id=project_id,
        labels={label.key: label for label in labels},
        labels_by_id={label.pk: label for label in labels},
        attributes={a.key: a for a in Attribute.objects.filter(project_id=project_id)},
        targets=frozenset(Target.objects.filter(project_id=project_id).values_list("name", flat=True)),
    )
