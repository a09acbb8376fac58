"""Accessibility: axe-core (from npm, pinned in package-lock.json) finds no serious or critical
violation on any page, for any role. The checks run in a context that lets the test inject
axe despite the pages' Content-Security-Policy; the pages are otherwise as served."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.models import Layer, Role
from tests.e2e.conftest import sign_in
from tests.e2e.test_review import review_project  # noqa: F401  (a fixture)
from tests.factories import member

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def _violations(page) -> list[str]:
    results = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def axe_page(browser, live_server):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make jstest` (npm ci) installs axe-core.")
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server.url, bypass_csp=True, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def _check(page, url: str, *, ready: bool = False) -> list[str]:
    page.goto(url)
    if ready:
        page.wait_for_selector("body[data-ready='true']")
    page.add_script_tag(path=str(AXE))
    return [f"{url}: {v}" for v in _violations(page)]


def test_no_serious_violations_on_any_page_for_any_role(axe_page, review_project):  # noqa: F811
    project, tram = review_project
    member(project, Role.MANAGER, username="mona")
    source = tram.source_id
    found: list[str] = []

    page = axe_page()
    found += _check(page, "/accounts/login/")
    anna_layer = Layer.objects.get(document=tram, user__username="anna").pk
    visits = {
        "anna": [("/", False), (f"/projects/{project.pk}/", False), (f"/annotate/{anna_layer}/", True)],
        "rita": [
            (f"/projects/{project.pk}/", False),
            (f"/projects/{project.pk}/review/", False),
            (f"/review/{tram.pk}/", True),
            (f"/projects/{project.pk}/agreement/", False),
            (f"/projects/{project.pk}/annotators/", False),
            (f"/projects/{project.pk}/suggestions/", False),
            (f"/projects/{project.pk}/claims/?all=1", False),
            (f"/projects/{project.pk}/sources/", False),
            (f"/projects/{project.pk}/sources/{source}/", False),
            (f"/projects/{project.pk}/sources/compare/", False),
            (f"/projects/{project.pk}/work/", True),
        ],
        "mona": [
            (f"/projects/{project.pk}/", False),
            (f"/projects/{project.pk}/schema/", True),
            ("/accounts/tokens/", False),
        ],
    }
    for who, urls in visits.items():
        page = axe_page()
        sign_in(page, who)
        for url, ready in urls:
            found += _check(page, url, ready=ready)
    # The published scorecards, as anyone reads them (the profiles were computed above).
    from annotator.publishing.services import scorecards_publish

    scorecards_publish(project=project, basis="all", user=None)
    page = axe_page()
    for url in (f"/scorecards/{project.slug}/", f"/scorecards/{project.slug}/{tram.source.slug}/"):
        assert page.request.get(url).status == 200, url
        found += _check(page, url)
    assert not found, "\n".join(found)
