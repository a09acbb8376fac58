"""Rater panels: placing members (by a manager, or once by themselves), and queue Next filling
each document's k layers across the panels, with the recorded fallback after the wait."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import RestrictedError

from annotator.errors import Conflict
from annotator.layers.services import _PanelRule, queue_next
from annotator.models import Document, Layer, Membership, Project, Role
from annotator.panels.selectors import panel_cap
from annotator.panels.services import (
    member_panel_declare,
    member_panel_set,
    panel_create,
    panel_delete,
)
from annotator.projects.services import project_update
from tests.factories import DocumentFactory, ProjectFactory, member

HOUR = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    ("k", "n_panels", "cap"), [(3, 3, 1), (2, 3, 1), (5, 3, 2), (6, 3, 2), (4, 2, 2), (3, 0, 3)]
)
def test_a_panel_takes_an_equal_share_of_the_layers_rounded_up(k, n_panels, cap):
    assert panel_cap(k=k, n_panels=n_panels) == cap


def test_each_wait_lets_one_more_layer_go_outside_the_panel():
    rule = _PanelRule(panel_id=1, k=3, cap=1, wait=HOUR)
    now = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
    added = now - 90 * datetime.timedelta(minutes=1)  # one wait and a half ago
    assert rule.admits(panel_layers=0, layer_added_at=None, now=now) is True
    assert rule.admits(panel_layers=0, layer_added_at=added, now=now) is True
    assert (
        rule.admits(panel_layers=1, layer_added_at=now - 59 * datetime.timedelta(minutes=1), now=now) is None
    )
    assert rule.admits(panel_layers=1, layer_added_at=added, now=now) is False  # outside its panel
    assert rule.admits(panel_layers=2, layer_added_at=added, now=now) is None  # a second wait first
    assert rule.admits(panel_layers=2, layer_added_at=now - 2 * HOUR, now=now) is False


def balanced_project(
    *, k: int = 3, per_panel: int = 1, slug: str = "balanced", **settings
) -> tuple[Project, dict]:
    """A project balancing three panels (left, centre, right) with `per_panel` annotators each."""
    project = ProjectFactory(slug=slug, annotators_per_document=k)
    project_update(project=project, changes={"panel_balance": True, **settings})
    manager = member(project, Role.MANAGER, username=f"{slug}-manager")
    people = {}
    for order, key in enumerate(["left", "centre", "right"]):
        panel_create(project=project, key=key, name=key.title(), order=order)
        for i in range(per_panel):
            user = member(project, username=f"{slug}-{key}-{i}")
            member_panel_set(project=project, user=user, panel_key=key, actor=manager)
            people.setdefault(key, []).append(user)
    return project, people


def _panels_of(document: Document) -> list[str]:
    return sorted(layer.panel.key for layer in document.layers.select_related("panel"))


@pytest.mark.django_db
def test_a_document_gets_one_layer_from_each_panel():
    project, people = balanced_project(per_panel=2)
    first, second = DocumentFactory(project=project), DocumentFactory(project=project)
    order = [people["centre"][0], people["centre"][1], people["left"][0], people["right"][0]]
    handed = [queue_next(project=project, user=user).document_id for user in order]
    # The second centre annotator cannot join the first document: centre has its one layer there.
    assert handed == [first.pk, second.pk, first.pk, first.pk]
    assert _panels_of(first) == ["centre", "left", "right"]
    assert not Layer.objects.filter(outside_panel=True).exists()


@pytest.mark.django_db
def test_after_the_wait_a_layer_goes_outside_its_panel_and_says_so():
    project, people = balanced_project(per_panel=2, panel_wait_minutes=60)
    document = DocumentFactory(project=project)
    for user in (people["left"][0], people["centre"][0]):
        queue_next(project=project, user=user)
    # Nobody from the right is free; the second centre annotator must leave it to them for now.
    assert queue_next(project=project, user=people["centre"][1]) is None
    Document.objects.filter(pk=document.pk).update(layer_added_at=document.created_at - 2 * HOUR)
    layer = queue_next(project=project, user=people["centre"][1])
    assert (layer.document_id, layer.panel.key, layer.outside_panel) == (document.pk, "centre", True)
    assert _panels_of(document) == ["centre", "centre", "left"]


@pytest.mark.django_db
def test_a_document_that_waited_comes_before_a_new_one():
    project, people = balanced_project(per_panel=2)
    waiting = DocumentFactory(project=project)
    fresh = DocumentFactory(project=project)
    queue_next(project=project, user=people["centre"][0])
    Document.objects.filter(pk=waiting.pk).update(layer_added_at=waiting.created_at - 2 * HOUR)
    assert queue_next(project=project, user=people["centre"][1]).document_id == waiting.pk
    assert fresh.pk


@pytest.mark.django_db
def test_next_asks_for_a_panel_before_handing_out_work():
    project, _ = balanced_project()
    DocumentFactory(project=project)
    unplaced = member(project, username="unplaced")
    with pytest.raises(Conflict, match="manager has not placed you"):
        queue_next(project=project, user=unplaced)
    project_update(project=project, changes={"panel_question": "Where do you stand?"})
    with pytest.raises(Conflict, match="Choose your panel first"):
        queue_next(project=project, user=unplaced)
    member_panel_declare(project=project, user=unplaced, panel_key="right")
    assert queue_next(project=project, user=unplaced).panel.key == "right"


@pytest.mark.django_db
def test_members_place_themselves_once_and_the_choice_records_who_and_when():
    project, _people = balanced_project()
    manager = Membership.objects.get(project=project, role=Role.MANAGER).user
    newcomer = member(project, username="newcomer")
    with pytest.raises(Conflict, match="no self-placement question"):
        member_panel_declare(project=project, user=newcomer, panel_key="left")
    project_update(project=project, changes={"panel_question": "Which describes your politics best?"})
    with pytest.raises(ValidationError, match=r"no panel .far-left.*left, centre, right"):
        member_panel_declare(project=project, user=newcomer, panel_key="far-left")
    placed = member_panel_declare(project=project, user=newcomer, panel_key="left")
    assert (placed.panel.key, placed.panel_set_by, placed.panel_set_at is not None) == (
        "left",
        newcomer,
        True,
    )
    with pytest.raises(Conflict, match="ask a manager"):
        member_panel_declare(project=project, user=newcomer, panel_key="right")
    moved = member_panel_set(project=project, user=newcomer, panel_key="right", actor=manager)
    assert (moved.panel.key, moved.panel_set_by) == ("right", manager)
    assert member_panel_set(project=project, user=newcomer, panel_key=None, actor=manager).panel is None


@pytest.mark.django_db
def test_a_panel_in_use_stays_and_a_project_goes_with_its_panels():
    project, people = balanced_project()
    left = project.panels.get(key="left")
    with pytest.raises(Conflict, match="Members belong"):
        panel_delete(panel=left)
    DocumentFactory(project=project)
    queue_next(project=project, user=people["left"][0])
    Membership.objects.filter(panel=left).update(panel=None)
    with pytest.raises(Conflict, match="Layers were handed out"):
        panel_delete(panel=left)
    spare = panel_create(project=project, key="spare", name="Spare")
    panel_delete(panel=spare)
    with pytest.raises(RestrictedError):
        project.panels.get(key="centre").delete()  # the database refuses too
    project.delete()
    assert not Layer.objects.exists()


@pytest.mark.django_db
def test_the_query_and_the_check_under_the_lock_agree_on_every_wait():
    """k = 5 over three panels: a share of two, then one layer more per wait (of an hour)."""
    from django.db.models import Value

    project, _ = balanced_project(k=5, slug="five")
    rule = _PanelRule.of(project=project, panel_id=project.panels.get(key="left").pk)
    document = DocumentFactory(project=project)
    now = document.created_at
    for panel_layers in range(5):
        for minutes in (0, 59, 61, 119, 121, 179, 181):
            added = now - datetime.timedelta(minutes=minutes)
            Document.objects.filter(pk=document.pk).update(layer_added_at=added)
            in_sql = (
                Document.objects.filter(pk=document.pk)
                .annotate(panel_layers=Value(panel_layers))
                .filter(rule.room(now))
                .exists()
            )
            checked = rule.admits(panel_layers=panel_layers, layer_added_at=added, now=now)
            assert in_sql == (checked is not None), (panel_layers, minutes)
            assert checked == (
                True if panel_layers < 2 else (False if minutes >= 60 * (panel_layers - 1) else None)
            )


@pytest.mark.django_db
def test_agreement_splits_by_the_members_panels_where_layers_were_not_handed_out_for_one():
    from annotator.agreement.services import project_agreement_refresh
    from annotator.layers.services import layer_assign, layer_submit

    project, people = balanced_project(slug="unbalanced", per_panel=1)
    project_update(project=project, changes={"panel_balance": False})
    document = DocumentFactory(project=project)
    for key in ("left", "centre", "right"):
        layer = layer_assign(document=document, user=people[key][0])
        assert layer.panel is None
        layer_submit(layer=layer)
    cells = project_agreement_refresh(project_id=project.pk, n_boot=0).metrics["panels"]["cells"]
    assert sorted(tuple(c["panels"]) for c in cells) == [
        ("centre", "right"),
        ("left", "centre"),
        ("left", "right"),
    ]
