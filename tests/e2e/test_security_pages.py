"""Pages under the Content-Security-Policy in a real browser (a violation is a console error,
which fails the test): the API docs served from our own files, and joining by invitation."""

from __future__ import annotations

import pytest

from annotator.models import Membership, Role
from annotator.projects.invitations import invitation_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser]


def test_api_docs_render_every_operation_under_the_csp(page_factory, transactional_db):
    page = page_factory()
    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock-summary-path")
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert any("/api/v1/spans/{span_id}/history/" in path for path in paths)
    assert any("/api/v1/projects/{project_id}/invitations/" in path for path in paths)


def test_a_new_person_joins_by_invitation_and_lands_on_the_project(page_factory, e2e_project):
    _, token = invitation_create(
        project=e2e_project, role=Role.ANNOTATOR, created_by=UserFactory(is_staff=True)
    )
    page = page_factory()
    page.goto(f"/invite/{token}/")
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password", exact=True).fill("password123")
    page.get_by_label("Password again").fill("password123")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_selector("text=This password is too common.")

    page.get_by_label("Password", exact=True).fill("harbour-lantern-tram-77")
    page.get_by_label("Password again").fill("harbour-lantern-tram-77")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"**/projects/{e2e_project.pk}/")
    assert Membership.objects.get(user__username="carla", project=e2e_project).role == Role.ANNOTATOR

    # The link is spent: a second visit says so, and tells nothing more.
    page.goto(f"/invite/{token}/")
    assert "was used already" in page.locator("main").inner_text()
