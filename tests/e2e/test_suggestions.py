"""Suggestions on the annotation page in Chromium: drawn dashed, Enter accepts the current one
as a span that records its model version, Delete rejects the next, which the server keeps."""

from __future__ import annotations

import pytest

from annotator.models import Span, SuggestionRejection
from annotator.suggestions.services import suggestion_model_train
from tests.annotator.suggestion_corpus import CLAIMS, OPINIONS
from tests.annotator.suggestion_team import SuggestionTeam
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser]


def test_an_annotator_accepts_one_suggestion_and_rejects_the_next_from_the_keyboard(
    page_factory, transactional_db
):
    team = SuggestionTeam("e2e-suggest")
    model = suggestion_model_train(project_id=team.project.pk)
    page = page_factory()
    sign_in(page, team.annotator.username)
    page.goto(f"/annotate/{team.layer.pk}/")
    page.wait_for_selector("body[data-ready='true']")
    panel = page.get_by_role("complementary", name="Span details").locator("#suggestions")
    page.wait_for_selector("#suggestions:not([hidden])")
    assert panel.locator("li").count() == 2
    assert "model" in panel.locator("li").first.inner_text()
    drawn = page.locator("#doc-text .seg.suggested")
    assert drawn.count() == 2
    assert "Suggested: Claim" in drawn.first.get_attribute("title")
    assert page.locator("#doc-text .seg.current-suggestion").inner_text() == CLAIMS[1][0]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "annotate-suggestions.png"))

    page.locator("#doc-text").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#save-state[data-state='saved']")
    assert panel.locator("li").count() == 1
    assert page.locator("#doc-text .seg.current-suggestion").inner_text() == OPINIONS[0]
    page.keyboard.press("Delete")
    page.wait_for_selector("#suggestions[hidden]", state="attached")
    page.wait_for_function("() => !document.querySelector('#doc-text .seg.suggested')")

    (span,) = Span.objects.filter(layer=team.layer).select_related("label")
    assert (span.label.key, span.text, span.model_version_id) == ("CLAIM", CLAIMS[1][0], model.pk)
    assert span.attributes == {"evidence": CLAIMS[1][1]}  # the model's hint, taken with it
    assert "suggested by model" in page.locator("#doc-text .seg.hl").first.get_attribute("title")
    # The rejection reaches the server a moment after the key.
    for _ in range(50):
        if SuggestionRejection.objects.filter(layer=team.layer).exists():
            break
        page.wait_for_timeout(100)
    (rejected,) = SuggestionRejection.objects.filter(layer=team.layer).select_related("label")
    assert (rejected.label.key, team.document.text[rejected.start : rejected.end]) == ("OPINION", OPINIONS[0])
    assert rejected.model_version_id == model.pk
    # After a reload the rejected suggestion is not offered again, nor the accepted one.
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_timeout(300)
    assert page.locator("#doc-text .seg.suggested").count() == 0
