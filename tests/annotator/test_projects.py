"""Creating a project fills in the default schema; once spans exist, the schema only grows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from annotator.models import Membership, Project, Role, Target
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


def _schema_now(project):
    """The project's schema as the API and the editor hand it back."""
    labels = list(project.labels.values("key", "name", "color", "shortcut", "description"))
    attributes = list(
        project.attributes.values(
            "key", "name", "kind", "description", "values", "applies_to", "required_for"
        )
    )
    return labels, attributes, list(project.targets.values("name", "aliases", "description"))


@pytest.fixture
def locked(project):
    from tests.factories import DocumentFactory, LayerFactory

    Target.objects.create(project=project, name="Council")
    SpanFactory(
        layer=LayerFactory(document=DocumentFactory(project=project)), label=project.labels.get(key="CLAIM")
    )
    return project


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda labels, attributes, targets: labels.pop(), "labels.DISCLAIMER", "cannot be removed"),
        (lambda labels, attributes, targets: attributes.pop(0), "attributes.stance", "cannot be removed"),
        (lambda labels, attributes, targets: targets.clear(), "targets.Council", "cannot be removed"),
        (
            lambda labels, attributes, targets: attributes[1].update(required_for=["CLAIM", "OPINION"]),
            "attributes.evidence",
            "its required_for cannot change",
        ),
        (
            lambda labels, attributes, targets: attributes[1]["values"].pop(),
            "attributes.evidence",
            "its values cannot change",
        ),
        (
            lambda labels, attributes, targets: attributes.append(
                {"key": "tone", "kind": "boolean", "required_for": ["CLAIM"]}
            ),
            "attributes.tone",
            "a new attribute must be optional",
        ),
    ],
)
def test_once_spans_exist_what_they_mean_cannot_change(locked, change, field, message):
    labels, attributes, targets = _schema_now(locked)
    targets = [dict(t) for t in targets]
    change(labels, attributes, targets)
    version = Project.objects.get(pk=locked.pk).schema_version
    with pytest.raises(ValidationError) as refused:
        project_schema_replace(project=locked, labels=labels, attributes=attributes, targets=targets)
    assert field in refused.value.message_dict
    assert message in " ".join(refused.value.message_dict[field])
    assert Project.objects.get(pk=locked.pk).schema_version == version
    assert _schema_now(locked)[0][-1]["key"] == "DISCLAIMER"


def test_once_spans_exist_a_label_a_target_an_optional_attribute_and_wording_may_change(locked):
    labels, attributes, targets = _schema_now(locked)
    claim_id = locked.labels.get(key="CLAIM").pk
    labels[0].update(name="Factual claim", color="#112233")
    labels.append({"key": "SATIRE", "name": "Satire", "color": "#445566", "shortcut": "4"})
    attributes.append(
        {"key": "tone", "kind": "choice", "values": [{"value": "CALM"}], "applies_to": ["SATIRE"]}
    )
    targets = [*targets, {"name": "Mayor"}]
    project_schema_replace(project=locked, labels=labels, attributes=attributes, targets=targets)
    claim = locked.labels.get(key="CLAIM")
    assert (claim.pk, claim.name, claim.color) == (claim_id, "Factual claim", "#112233")
    assert list(locked.labels.values_list("key", flat=True)) == ["CLAIM", "OPINION", "DISCLAIMER", "SATIRE"]
    assert locked.attributes.get(key="tone").applies_to == ["SATIRE"]
    assert sorted(locked.targets.values_list("name", flat=True)) == sorted(t["name"] for t in targets)
    assert {"Council", "Mayor"} <= {t["name"] for t in targets}


@pytest.mark.parametrize(
    ("labels", "field", "message"),
    [
        (
            [{"key": "A", "shortcut": "1"}, {"key": "B", "shortcut": "1"}],
            "labels",
            "Label shortcuts must be unique: 1",
        ),
        ([{"key": "A"}, {"key": "A"}], "labels", "Label keys must be unique: A"),
        ([{"key": "A", "shortcut": "]"}], "labels.A.shortcut", "kept for stepping"),
        ([{"key": "A", "color": "url(x)"}], "labels.A.color", "#rrggbb"),
    ],
)
def test_clashing_or_bad_labels_are_refused_naming_them(project, labels, field, message):
    with pytest.raises(ValidationError) as refused:
        project_schema_replace(project=project, labels=labels, attributes=[])
    assert message in " ".join(refused.value.message_dict[field])
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
