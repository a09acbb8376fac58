"""Panels and calibration in a real browser: a newcomer answers the self-placement question, a
manager moves them on the Annotators page, and marks an adjudicated document as a calibration
item on the review page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotator.layers.services import layer_assign, layer_submit
from annotator.models import Document, Membership, Role
from annotator.panels.services import panel_create
from annotator.projects.services import project_update
from annotator.review.services import review_adjudicate
from tests.e2e.conftest import sign_in
from tests.factories import DocumentFactory, ProjectFactory, member

pytestmark = [pytest.mark.browser]

QUESTION = "Where would you place your own politics?"


@pytest.fixture
def panelled(transactional_db):
    project = ProjectFactory(slug="e2e-panels", annotators_per_document=1, blind=True)
    project_update(project=project, changes={"panel_balance": True, "panel_question": QUESTION})
    for order, key in enumerate(["left", "centre", "right"]):
        panel_create(project=project, key=key, name=key.title(), order=order)
    people = {
        "nia": member(project, Role.ANNOTATOR, username="nia"),
        "max": member(project, Role.MANAGER, username="max"),
        "rita": member(project, Role.REVIEWER, username="rita"),
    }
    return project, people


def test_a_newcomer_places_themselves_and_a_manager_moves_them(page_factory, panelled):
    project, _ = panelled
    page = page_factory()
    sign_in(page, "nia")
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("radio", name="Centre").check()
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("Your panel:")).to_contain_text("Centre (your answer")
    assert Membership.objects.get(project=project, user__username="nia").panel.key == "centre"

    manager = page_factory()
    sign_in(manager, "max")
    manager.goto(f"/projects/{project.pk}/annotators/")
    manager.get_by_label("Panel of nia").select_option("right")
    expect(manager.locator("#annotators-status")).to_have_text("nia: in Right.")
    moved = Membership.objects.select_related("panel", "panel_set_by").get(
        project=project, user__username="nia"
    )
    assert (moved.panel.key, moved.panel_set_by.username) == ("right", "max")


def test_a_manager_marks_an_adjudicated_document_as_a_calibration_item(page_factory, panelled):
    project, people = panelled
    document = DocumentFactory(project=project, title="Tram costs", text="The tram costs £48 million.")
    layer_submit(layer=layer_assign(document=document, user=people["nia"]))
    review_adjudicate(document=document, reviewer=people["rita"])
    page = page_factory()
    sign_in(page, "max")
    page.goto(f"/review/{document.pk}/")
    page.wait_for_selector("body[data-ready='true']")
    page.get_by_label("Calibration item").check()
    expect(page.locator("#flash")).to_contain_text("A calibration item")
    assert Document.objects.get(pk=document.pk).calibration
