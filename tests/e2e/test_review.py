"""A reviewer's round in a real browser: from the queue to the document with the most
disagreement, accept, fix a boundary, add a span, adjudicate; the gold export holds exactly that."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from annotator.agreement.services import document_agreement_refresh
from annotator.layers.services import layer_assign, layer_submit
from annotator.models import Decision, Role
from tests.e2e.conftest import ARTICLE, ARTIFACTS, PHRASE, select_text, sign_in
from tests.factories import DocumentFactory, ProjectFactory, SourceFactory, member, span_at

pytestmark = [pytest.mark.browser]

HARBOUR = "The 𝐇𝐚𝐫𝐛𝐨𝐮𝐫 line closed again on Monday"
SHORT = "the repairs would cost £48"
CRITICS = "critics called the plan reckless"
QUIET = "The ferry ran on time. Nobody complained."


@pytest.fixture
def review_project(transactional_db):
    """Two documents, each with two submitted layers: the tram article (anna and ben differ on
    three spans) and a quiet one they agree on."""
    project = ProjectFactory(slug="e2e-review", annotators_per_document=2, blind=True)
    source = SourceFactory(slug="harbour-herald", name="The Harbour Herald")
    roles = {"anna": Role.ANNOTATOR, "ben": Role.ANNOTATOR, "rita": Role.REVIEWER}
    users = {name: member(project, role, username=name) for name, role in roles.items()}
    quiet = DocumentFactory(project=project, source=source, title="A quiet day", text=QUIET)
    tram = DocumentFactory(project=project, source=source, title="Tram chaos returns", text=ARTICLE)
    layers = {
        (d.pk, n): layer_assign(document=d, user=users[n]) for d in (quiet, tram) for n in ("anna", "ben")
    }
    for name in ("anna", "ben"):
        span_at(layers[quiet.pk, name], "CLAIM", "The ferry ran on time.", evidence="NONE")
    span_at(layers[tram.pk, "anna"], "CLAIM", HARBOUR, evidence="NONE")
    span_at(layers[tram.pk, "anna"], "CLAIM", PHRASE, evidence="NAMED_SOURCE")
    span_at(layers[tram.pk, "ben"], "CLAIM", SHORT, evidence="NAMED_SOURCE")
    span_at(layers[tram.pk, "ben"], "OPINION", CRITICS)
    for layer in layers.values():
        layer_submit(layer=layer)
    for document in (quiet, tram):
        document_agreement_refresh(document_id=document.pk)
    return project, tram


def test_reviewer_adjudicates_the_most_disputed_document_and_the_gold_export_matches(
    page_factory, review_project
):
    project, tram = review_project
    page = page_factory()
    sign_in(page, "rita")

    # The queue: the tram article comes first, with the most disagreement.
    page.goto(f"/projects/{project.pk}/review/")
    rows = page.locator("table.review-queue tbody tr")
    assert rows.count() == 2
    assert rows.first.get_attribute("data-document") == str(tram.pk)
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/review/{tram.pk}/")
    page.wait_for_selector("body[data-ready='true']")
    table = page.locator("#groups tbody tr")
    assert table.count() == 3
    assert table.nth(0).get_attribute("data-kinds") == "missing"
    assert table.nth(1).get_attribute("data-kinds") == "boundary"

    # Keyboard: the first row, anna's column, is current; "a" accepts her span into gold.
    page.keyboard.press("a")
    expect(page.locator("#gold-list li")).to_have_count(1)
    # Next row ("j"), ben's column ("l"): accept his shorter span, open it ("e"), move its end
    # one word on and save (Ctrl+Enter).
    page.keyboard.press("j")
    page.keyboard.press("l")
    page.keyboard.press("a")
    expect(page.locator("#gold-list li")).to_have_count(2)
    page.keyboard.press("e")
    assert page.locator("#gold-text").inner_text() == SHORT
    page.get_by_role("button", name="End ▶").click()
    assert page.locator("#gold-text").inner_text() == PHRASE
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#flash:has-text('Gold span saved.')")

    # Add a span of the reviewer's own: select the text and press 2 (Opinion).
    select_text(page, CRITICS)
    page.keyboard.press("2")
    expect(page.locator("#gold-list li")).to_have_count(3)

    page.get_by_role("button", name="Mark adjudicated").click()
    page.wait_for_selector("#review-status[data-adjudicated='true']")
    assert page.locator("#decisions li").count() == 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-1280.png"), full_page=True)

    # The gold export holds exactly the three spans, at code-point offsets.
    response = page.request.get(f"/api/v1/projects/{project.pk}/export/?basis=gold&format=jsonl")
    assert response.status == 200
    (record,) = [json.loads(line) for line in response.text().splitlines()]
    assert record["document_id"] == tram.pk

    def at(label, phrase):
        start = ARTICLE.index(phrase)
        return (label, start, start + len(phrase), phrase)

    assert sorted((s["label"], s["start"], s["end"], s["text"]) for s in record["spans"]) == sorted(
        [at("CLAIM", HARBOUR), at("CLAIM", PHRASE), at("OPINION", CRITICS)]
    )
    assert list(Decision.objects.order_by("pk").values_list("action", flat=True)) == [
        "accept",
        "accept",
        "edit",
        "add",
        "adjudicate",
    ]
