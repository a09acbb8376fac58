"""Creating a project fills in the default schema; the schema is frozen once spans exist."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from annotator.models import Membership, Role
from annotator.projects.services import project_create, project_schema_replace
from tests.factories import SpanFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_project_has_the_default_labels_with_their_definitions():
    project = project_create(name="P", slug="p")
    labels = {label.key: label for label in project.labels.all()}
    assert list(labels) == ["CLAIM", "OPINION", "DISCLAIMER"]
    assert labels["CLAIM"].description.startswith("A statement presented as fact")
    assert labels["OPINION"].description.startswith("A judgement, evaluation, prediction")
    assert "sponsorship" in labels["DISCLAIMER"].description
    assert [label.shortcut for label in labels.values()] == ["1", "2", "3"]


def test_new_project_has_the_default_attributes():
    project = project_create(name="P", slug="p")
    attributes = {a.key: a for a in project.attributes.all()}
    assert list(attributes) == ["stance", "evidence", "voice", "hedged", "check_worthy"]
    assert attributes["stance"].kind == "target"
    assert attributes["stance"].value_keys == ["FAVOR", "AGAINST", "NEUTRAL"]
    assert attributes["evidence"].value_keys == [
        "NAMED_SOURCE",
        "ANONYMOUS_SOURCE",
        "LINK_DOCUMENT",
        "DATA",
        "QUOTE",
        "NONE",
    ]
    assert attributes["evidence"].required_for == ["CLAIM"]
    assert "OPINION" in attributes["evidence"].applies_to
    assert attributes["voice"].value_keys == ["AUTHOR", "QUOTED", "PARAPHRASED"]
    assert attributes["hedged"].kind == attributes["check_worthy"].kind == "boolean"
    assert all(a.description for a in attributes.values())


def test_creator_becomes_manager():
    user = UserFactory()
    project = project_create(name="P", slug="p", created_by=user)
    assert Membership.objects.get(project=project, user=user).role == Role.MANAGER


def test_schema_can_change_before_spans_exist(project):
    project_schema_replace(
        project=project,
        labels=[{"key": "FACT"}, {"key": "SPIN"}],
        attributes=[
            {"key": "tone", "kind": "choice", "values": [{"value": "ANGRY"}], "applies_to": ["SPIN"]}
        ],
    )
    assert list(project.labels.values_list("key", flat=True)) == ["FACT", "SPIN"]
    assert list(project.attributes.values_list("key", flat=True)) == ["tone"]


def test_schema_is_frozen_once_a_span_exists(project):
    from tests.factories import DocumentFactory, LayerFactory

    SpanFactory(layer=LayerFactory(document=DocumentFactory(project=project)))
    with pytest.raises(ValidationError, match="cannot change once spans exist"):
        project_schema_replace(project=project, labels=[{"key": "FACT"}], attributes=[])
    assert project.labels.count() == 3


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ({"key": "x", "kind": "colour"}, "unknown kind"),
        ({"key": "x", "kind": "choice", "values": []}, "at least one value"),
        ({"key": "x", "kind": "choice", "values": ["A"]}, "values must be objects"),
        ({"key": "x", "kind": "boolean", "applies_to": ["NOPE"]}, "applies_to names unknown labels: NOPE"),
    ],
)
def test_bad_attribute_definitions_are_refused_and_nothing_changes(project, attribute, message):
    with pytest.raises(ValidationError, match=message):
        project_schema_replace(project=project, labels=[{"key": "FACT"}], attributes=[attribute])
    assert project.labels.count() == 3
