"""Browser tests: Playwright for Python drives Debian's Chromium against the live test server
(PostgreSQL). Screenshots go to tests/artifacts/, which git ignores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotator.models import Role
from tests.factories import DEFAULT_PASSWORD, DocumentFactory, ProjectFactory, SourceFactory, member

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are still
# synchronous code, so Django's guard against ORM use inside an event loop is lifted for them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTICLE = (
    "Tram 🚋 chaos returns\n\n"
    "The 𝐇𝐚𝐫𝐛𝐨𝐮𝐫 line closed again on Monday. "
    "The council said the repairs would cost £48 million, and critics called the plan reckless.\n\n"
    "Café owners near the depot say trade fell by 12%."
)
PHRASE = "the repairs would cost £48 million"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser: Any, live_server: Any) -> Iterator[Any]:
    """New browser pages (each its own cookie jar), failing the test on any console error."""
    contexts = []
    errors: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()
    unexpected = [e for e in errors if "Failed to load resource" not in e]
    assert not unexpected, f"console errors: {unexpected}"


@pytest.fixture
def e2e_project(transactional_db: None) -> Any:
    project = ProjectFactory(slug="e2e", annotators_per_document=2, blind=True)
    source = SourceFactory(slug="harbour-herald", name="The Harbour Herald")
    DocumentFactory(project=project, source=source, title="Tram chaos returns", text=ARTICLE)
    for name in ("anna", "ben"):
        member(project, Role.ANNOTATOR, username=name)
    return project


def sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def open_next_document(page: Any, project: Any) -> int:
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("button", name="Start").or_(page.get_by_role("button", name="Next document")).click()
    page.wait_for_url("**/annotate/*/")
    page.wait_for_selector("body[data-ready='true']")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def select_text(page: Any, phrase: str, occurrence: int = 1) -> None:
    """Select `phrase` in the article the way a user's drag would: a DOM selection found with the
    browser's own string search (UTF-16), independent of the page's offset code."""
    page.evaluate(
        """([phrase, occurrence]) => {
            const box = document.getElementById('doc-text');
            const nodes = [];
            const walk = (n) => { for (const c of n.childNodes) {
                if (c.nodeType === 3) nodes.push(c);
                else if (!c.hasAttribute('data-offset-ignore')) walk(c); } };
            walk(box);
            const text = nodes.map((n) => n.nodeValue).join('');
            let at = -1;
            for (let i = 0; i < occurrence; i++) at = text.indexOf(phrase, at + 1);
            if (at < 0) throw new Error('phrase not found: ' + phrase);
            const locate = (offset) => {
                for (const n of nodes) { if (offset <= n.nodeValue.length) return [n, offset]; offset -= n.nodeValue.length; }
            };
            const [a, ai] = locate(at); const [b, bi] = locate(at + phrase.length);
            window.getSelection().setBaseAndExtent(a, ai, b, bi);
        }""",
        [phrase, occurrence],
    )
