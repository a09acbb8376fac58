"""A manager starts a project in the app and changes its settings, through the same API
endpoints scripts use; the API's refusals show beside the fields they name."""

from __future__ import annotations

import pytest

from annotator.models import Membership, Project, Role
from tests.e2e.conftest import sign_in
from tests.factories import member

pytestmark = [pytest.mark.browser]


def test_a_manager_creates_a_project_and_changes_its_settings(page_factory, e2e_project):
    member(e2e_project, Role.MANAGER, username="mona")
    page = page_factory()
    sign_in(page, "mona")
    form = page.locator("#new-project")
    page.get_by_text("Start a new project").click()
    form.get_by_label("Name", exact=True).fill("Strike coverage")
    form.get_by_label("Short name").fill("e2e")  # taken by the e2e project
    form.get_by_label("Stance targets").fill("Bus Drivers' Union\nHarbour Transit Authority")
    form.get_by_role("button", name="Create the project").click()
    form.locator(".field-error").wait_for()
    # The API's own words, beside the field it names.
    assert form.locator("#np-slug + .field-error").inner_text() == "Project with this Slug already exists."
    form.get_by_label("Short name").fill("strike")
    form.get_by_label("Annotators per document").fill("2")
    with page.expect_navigation():
        form.get_by_role("button", name="Create the project").click()
    project = Project.objects.get(slug="strike")
    assert page.url.endswith(f"/projects/{project.pk}/")
    assert (project.name, project.annotators_per_document) == ("Strike coverage", 2)
    assert sorted(project.targets.values_list("name", flat=True)) == [
        "Bus Drivers' Union",
        "Harbour Transit Authority",
    ]
    assert Membership.objects.get(project=project, user__username="mona").role == Role.MANAGER

    settings = page.locator("#project-settings")
    page.get_by_text("Settings", exact=True).click()
    settings.get_by_label("Annotators per document").fill("0")
    settings.get_by_role("button", name="Save the settings").click()
    assert "greater than or equal to 1" in settings.locator("#ps-k + .field-error").inner_text()
    settings.get_by_label("Annotators per document").fill("3")
    settings.get_by_label("Guidelines").fill("## Labels\n\nMark **claims**.")
    with page.expect_navigation():
        settings.get_by_role("button", name="Save the settings").click()
    project.refresh_from_db()
    assert (project.annotators_per_document, project.guidelines) == (3, "## Labels\n\nMark **claims**.")
    page.get_by_text("Annotation guidelines").click()
    assert page.locator("details.guidelines strong").inner_text() == "claims"


def test_a_manager_manages_members_and_invitations(page_factory, e2e_project):
    from annotator.models import Invitation
    from tests.factories import ProjectFactory, UserFactory

    mona = member(e2e_project, Role.MANAGER, username="mona")
    # A manager adds people they work with in another project; anyone else, by invitation.
    other = ProjectFactory(slug="other")
    Membership.objects.create(project=other, user=mona, role=Role.MANAGER)
    Membership.objects.create(project=other, user=UserFactory(username="carl"), role=Role.ANNOTATOR)
    page = page_factory()
    sign_in(page, "mona")
    page.goto(f"/projects/{e2e_project.pk}/")
    page.get_by_text("Members and invitations").click()
    add = page.locator("#add-member")
    add.get_by_label("Username").fill("nobody")
    add.get_by_role("button", name="Add").click()
    add.locator(".field-error").wait_for()  # the API says why, beside the field
    add.get_by_label("Username").fill("carl")
    add.get_by_label("Role").select_option("reviewer")
    with page.expect_navigation():
        add.get_by_role("button", name="Add").click()
    assert Membership.objects.get(project=e2e_project, user__username="carl").role == Role.REVIEWER

    page.get_by_text("Members and invitations").click()
    with page.expect_navigation():
        page.get_by_label("Role of carl").select_option("annotator")
    assert Membership.objects.get(project=e2e_project, user__username="carl").role == Role.ANNOTATOR
    # The last manager cannot step down: the refusal is said, and the role stays.
    page.get_by_text("Members and invitations").click()
    page.get_by_label("Role of mona").select_option("annotator")
    page.locator("#members-status").get_by_text("manager").wait_for()
    assert page.get_by_label("Role of mona").input_value() == "manager"

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("row", name="carl").get_by_role("button", name="Remove").click()
    assert not Membership.objects.filter(project=e2e_project, user__username="carl").exists()

    page.get_by_text("Members and invitations").click()
    invite = page.locator("#invite")
    invite.get_by_label("Role").select_option("annotator")
    invite.get_by_role("button", name="Make a sign-up link").click()
    link = page.locator("#invite-link output")
    link.wait_for()
    assert "/invite/" in link.inner_text()
    page.reload()
    page.get_by_text("Members and invitations").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke").click()
    assert Invitation.objects.get(project=e2e_project).revoked_at is not None
