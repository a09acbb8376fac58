"""Every screen: the annotation, review and report pages at a phone's, a tablet's and a
desktop's width, with nothing wider than the window. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest

from annotator.models import Layer, Role
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.e2e.test_review import review_project  # noqa: F401  (a fixture)
from tests.factories import member

pytestmark = [pytest.mark.browser]

WIDTHS = (400, 768, 1280)


def _overflow(page) -> int:
    """How far the page is wider than its window, in CSS pixels (0 when it fits)."""
    return page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_window_at_every_width(page_factory, review_project, width):  # noqa: F811
    project, tram = review_project
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {
        "rita": [
            ("project", f"/projects/{project.pk}/"),
            ("review-queue", f"/projects/{project.pk}/review/"),
            ("review", f"/review/{tram.pk}/"),
            ("agreement", f"/projects/{project.pk}/agreement/"),
            ("work", f"/projects/{project.pk}/work/"),
        ],
        "anna": [("annotate", f"/annotate/{Layer.objects.get(document=tram, user__username='anna').pk}/")],
        # The import, export and members forms, and the schema editor.
        "mona": [
            ("manager-project", f"/projects/{project.pk}/"),
            ("schema", f"/projects/{project.pk}/schema/"),
        ],
    }
    member(project, Role.MANAGER, username="mona")
    for who, visits in pages.items():
        page = page_factory(width=width, height=900)
        sign_in(page, who)
        for name, url in visits:
            page.goto(url)
            for details in page.locator("main details").all():  # the forms folded away, open
                details.evaluate("node => { node.open = true; }")
            if name in ("annotate", "review", "work", "schema"):
                page.wait_for_selector("body[data-ready='true']")
            page.screenshot(path=str(ARTIFACTS / f"screen-{name}-{width}.png"), full_page=True)
            assert _overflow(page) <= 0, f"{name} at {width} px is {_overflow(page)} px too wide"
