"""An annotator's day in a real browser: select, label, edit, reload, undo, submit, offline."""

from __future__ import annotations

import json
import re

import pytest

from annotator.models import Layer, Span
from tests.e2e.conftest import ARTICLE, ARTIFACTS, PHRASE, open_next_document, select_text, sign_in

pytestmark = [pytest.mark.browser]


def _spans(layer_id):
    return list(Span.objects.filter(layer_id=layer_id).select_related("label").order_by("start"))


def _wait_saved(page):
    page.wait_for_selector("#save-state[data-state='saved']")


# What _mark_critics_and_trade makes, as (label, text) in reading order.
TWO_SPANS = [("OPINION", "critics called the plan reckless"), ("CLAIM", "trade fell by 12%")]


def _mark_critics_and_trade(page):
    """Mark an OPINION and then a CLAIM from the keyboard."""
    select_text(page, "critics called the plan reckless")
    page.keyboard.press("2")
    select_text(page, "trade fell by 12%")
    page.keyboard.press("1")


def _submit(page):
    page.get_by_role("button", name="Submit", exact=True).click()
    page.get_by_role("dialog", name="Submit this document?").get_by_role(
        "button", name="Submit and lock"
    ).click()


def test_guidelines_render_markdown_and_the_drawer_closes_with_its_button_or_esc(page_factory, e2e_project):
    e2e_project.guidelines = (
        "## Labels\n\nMark **claims**.\n\n<script>window.bad = 1</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    e2e_project.save(update_fields=["guidelines"])
    page = page_factory()
    sign_in(page, "anna")
    open_next_document(page, e2e_project)
    page.get_by_role("button", name="Guidelines").click()
    drawer = page.get_by_role("complementary", name="Guidelines")
    assert drawer.get_by_role("heading", name="Labels").is_visible()
    assert drawer.locator("strong").inner_text() == "claims"
    assert drawer.locator("table td").count() == 2
    assert "##" not in drawer.inner_text() and page.evaluate("() => window.bad") is None
    page.keyboard.press("Escape")
    assert drawer.is_hidden()
    assert page.evaluate("() => document.activeElement.id") == "guidelines-toggle"
    page.get_by_role("button", name="Guidelines").click()
    page.get_by_role("button", name="Close the guidelines").click()
    assert drawer.is_hidden()


def test_annotator_labels_a_phrase_after_an_emoji_and_it_survives_reload(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    assert "🚋 chaos" in page.locator("#doc-text").inner_text()

    select_text(page, PHRASE)
    page.keyboard.press("1")
    _wait_saved(page)
    page.get_by_label("Evidence").select_option("NAMED_SOURCE")
    page.get_by_label("Add a stance target").select_option("Harbour City Council")
    page.get_by_role("radiogroup", name="Stance toward Harbour City Council").get_by_label("AGAINST").check()
    _wait_saved(page)

    # The API holds exactly that phrase, at code-point offsets (two astral characters earlier
    # in the text would shift UTF-16 offsets by 2 and more).
    (span,) = _spans(layer_id)
    start = ARTICLE.index(PHRASE)
    assert (span.start, span.end, span.text) == (start, start + len(PHRASE), PHRASE)
    assert span.label.key == "CLAIM"
    assert span.attributes == {
        "evidence": "NAMED_SOURCE",
        "stance": [{"target": "Harbour City Council", "stance": "AGAINST"}],
    }
    response = page.request.get(f"/api/v1/assignments/{layer_id}/")
    assert [(s["start"], s["end"], s["text"]) for s in response.json()["spans"]] == [
        (start, start + len(PHRASE), PHRASE)
    ]

    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.locator("#span-list li").count() == 1
    page.locator("#span-list li button").first.click()
    assert page.get_by_label("Evidence").input_value() == "NAMED_SOURCE"

    # Change a boundary: the end moves back one word ("million" leaves the span).
    page.get_by_role("button", name="◀ End").click()
    _wait_saved(page)
    (span,) = _spans(layer_id)
    assert span.text == "the repairs would cost £48"

    # Delete, then undo: the span comes back with its attributes.
    page.get_by_role("button", name="Delete span").click()
    _wait_saved(page)
    assert _spans(layer_id) == []
    page.get_by_role("button", name="Undo").click()
    _wait_saved(page)
    (restored,) = _spans(layer_id)
    assert restored.text == span.text
    assert restored.attributes == span.attributes

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "annotate-1280.png"), full_page=True)
    page.set_viewport_size({"width": 1024, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "annotate-1024.png"), full_page=True)


def test_submit_lists_incomplete_spans_then_succeeds_once_fixed(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    _mark_critics_and_trade(page)
    _wait_saved(page)
    # Submit asks first, saying what it locks; keeping on working changes nothing.
    page.get_by_role("button", name="Submit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Submit this document?")
    assert "2 spans" in dialog.inner_text() and "locked" in dialog.inner_text()
    dialog.get_by_role("button", name="Keep working").click()
    assert Layer.objects.get(pk=layer_id).status != "submitted"
    _submit(page)
    incomplete = page.locator("#incomplete")
    incomplete.wait_for()
    assert re.search(r"CLAIM “trade fell by 12%” needs evidence", incomplete.inner_text())
    incomplete.get_by_role("button").first.click()
    page.get_by_label("Evidence").select_option("DATA")
    _wait_saved(page)
    _submit(page)
    page.get_by_role("button", name="Next document").wait_for()
    assert Layer.objects.get(pk=layer_id).status == "submitted"
    # After submit the layer is read-only.
    assert page.locator("#doc-text").get_attribute("contenteditable") == "false"


def test_second_annotator_in_a_blind_project_sees_none_of_the_first_ones_spans(page_factory, e2e_project):
    first = page_factory()
    sign_in(first, "anna")
    open_next_document(first, e2e_project)
    select_text(first, PHRASE)
    first.keyboard.press("1")
    _wait_saved(first)

    second = page_factory()
    requests: list[str] = []
    second.on("request", lambda r: requests.append(r.url))
    sign_in(second, "ben")
    ben_layer = open_next_document(second, e2e_project)
    assert second.locator("#span-list li").count() == 0
    assert second.locator("#doc-text .hl").count() == 0
    anna_layer = Layer.objects.get(user__username="anna").pk
    assert ben_layer != anna_layer
    assert not [u for u in requests if f"/assignments/{anna_layer}/" in u]
    assert second.request.get(f"/api/v1/assignments/{anna_layer}/").status == 404


def test_keyboard_only_labelling(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    page.locator("#doc-text").focus()
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("2")
    _wait_saved(page)
    (span,) = _spans(layer_id)
    assert span.label.key == "OPINION"
    assert span.text == "The 𝐇𝐚𝐫𝐛𝐨𝐮𝐫 line"
    assert ARTICLE[span.start : span.end] == span.text
    # The new span is selected: its label can be changed from the keyboard too.
    page.keyboard.press("3")
    _wait_saved(page)
    assert _spans(layer_id)[0].label.key == "DISCLAIMER"


def test_offline_changes_are_kept_and_not_duplicated(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    _mark_critics_and_trade(page)
    page.wait_for_selector("#save-state[data-state='offline']")
    assert _spans(layer_id) == []
    page.unroute("**/api/v1/**")
    _wait_saved(page)
    spans = _spans(layer_id)
    assert [(s.label.key, s.text) for s in spans] == TWO_SPANS


def _fail_span_creates(page, decide):
    """Answer POSTs of new spans as `decide(body)` says: a (status, body) to refuse it, or None to
    let it through to the server."""

    def handle(route):
        request = route.request
        if request.method == "POST" and request.url.endswith("/spans/"):
            answer = decide(request.post_data_json)
            if answer is not None:
                status, body = answer
                route.fulfill(status=status, content_type="application/json", body=json.dumps(body))
                return
        route.continue_()

    page.route("**/api/v1/assignments/*/spans/", handle)


def test_a_server_failing_three_times_then_recovering_saves_every_span_once(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    failures = []

    def fail_three_times(body):
        if len(failures) < 3:
            failures.append(body["text"])
            return 500, {"detail": "Internal server error"}
        return None

    _fail_span_creates(page, fail_three_times)
    _mark_critics_and_trade(page)
    page.wait_for_selector("#save-state[data-state='offline']")
    assert "retrying" in page.locator("#save-state").inner_text()
    _wait_saved(page)
    assert len(failures) == 3
    assert [(s.label.key, s.text) for s in _spans(layer_id)] == TWO_SPANS


def test_a_refused_span_is_marked_and_the_later_ones_are_saved(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    refusal = {"start": ["This span overlaps another one."]}
    _fail_span_creates(page, lambda body: (400, refusal) if body["text"].startswith("critics") else None)
    _mark_critics_and_trade(page)
    _wait_saved(page)
    assert [s.text for s in _spans(layer_id)] == ["trade fell by 12%"]
    refused = page.locator("#span-list li", has_text="critics called")
    assert "Not saved: start: This span overlaps another one." in refused.inner_text()
    assert page.locator("#span-list .refused").count() == 1
    # Changing the refused span tries it again; this time the server takes it.
    page.unroute("**/api/v1/assignments/*/spans/")
    refused.get_by_role("button").click()
    page.locator("#span-label").select_option("CLAIM")
    page.get_by_label("Evidence").select_option("NAMED_SOURCE")
    _wait_saved(page)
    assert [(s.label.key, s.text, s.attributes) for s in _spans(layer_id)] == [
        ("CLAIM", "critics called the plan reckless", {"evidence": "NAMED_SOURCE"}),
        ("CLAIM", "trade fell by 12%", {}),
    ]
    assert page.locator("#span-list .refused").count() == 0


def test_saving_stops_after_its_retries_and_retry_sends_the_kept_changes(page_factory, e2e_project):
    page = page_factory()
    page.clock.install()  # the waits between retries pass when the test says
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    _fail_span_creates(page, lambda body: (503, {"detail": "Service unavailable"}))
    select_text(page, "trade fell by 12%")
    page.keyboard.press("1")
    for _ in range(20):
        if page.locator("#save-state[data-state='stopped']").count():
            break
        page.clock.run_for(40_000)
        page.wait_for_timeout(100)  # the retry's request, in real time
    state = page.locator("#save-state").inner_text()
    assert state.startswith("Saving has stopped: 1 change not saved (Service unavailable)"), state
    assert _spans(layer_id) == []
    page.unroute("**/api/v1/assignments/*/spans/")
    page.get_by_role("button", name="Retry saving").click()
    _wait_saved(page)
    assert [s.text for s in _spans(layer_id)] == ["trade fell by 12%"]
    assert page.get_by_role("button", name="Retry saving").is_hidden()


def test_changes_unsent_when_the_tab_reloads_are_sent_once_after(page_factory, e2e_project):
    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    page.route("**/api/v1/assignments/*/spans/", lambda route: route.abort("internetdisconnected"))
    _mark_critics_and_trade(page)
    page.wait_for_selector("#save-state[data-state='offline']")
    page.once("dialog", lambda dialog: dialog.accept())  # "leave the page?": unsaved changes
    page.reload()  # the server still out of reach: nothing is saved yet
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_selector("#save-state[data-state='offline']")
    assert page.locator("#span-list li").count() == 2  # kept in the browser
    assert _spans(layer_id) == []
    page.unroute("**/api/v1/assignments/*/spans/")
    _wait_saved(page)
    assert [(s.label.key, s.text) for s in _spans(layer_id)] == TWO_SPANS
    assert page.locator("#span-list li").count() == 2


def test_three_nested_spans_are_told_apart_and_a_click_offers_them(page_factory, e2e_project):
    from tests.factories import span_at

    layer = Layer.objects.create(
        document=e2e_project.documents.get(), user=e2e_project.memberships.get(user__username="anna").user
    )
    outer = "The council said the repairs would cost £48 million, and critics called the plan reckless."
    span_at(layer, "CLAIM", outer, evidence="NAMED_SOURCE")
    span_at(layer, "OPINION", "the repairs would cost £48 million")
    span_at(layer, "DISCLAIMER", "£48 million")
    page = page_factory()
    sign_in(page, "anna")
    page.goto(f"/annotate/{layer.pk}/")
    page.wait_for_selector("body[data-ready='true']")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#doc-text").screenshot(path=str(ARTIFACTS / "nested-spans.png"))
    # Each span keeps one underline height along its extent: where all three cover the text,
    # three underlines at three heights, the outer one lowest.
    innermost = page.locator(".seg.hl", has_text="£48")
    positions = innermost.evaluate("node => node.style.backgroundPosition")
    assert positions == "0px calc(100% - 0px), 0px calc(100% - 3px), 0px calc(100% - 6px)"
    # Hovering shows a span's whole extent.
    page.locator(".seg.hl", has_text="reckless").hover()
    assert "reckless" in page.locator(".seg.hovered").all_inner_texts()[-1]
    # A click where three spans lie offers the three, innermost first.
    innermost.click()
    chooser = page.get_by_role("menu", name="Spans at this place")
    assert [item.split(" ", 1)[0] for item in chooser.get_by_role("menuitem").all_inner_texts()] == [
        "DISCLAIMER",
        "OPINION",
        "CLAIM",
    ]
    chooser.get_by_role("menuitem").nth(1).click()
    assert chooser.is_hidden()
    assert page.locator("#span-label").input_value() == "OPINION"


def test_an_annotator_takes_back_a_submitted_layer_until_a_reviewer_acts(page_factory, e2e_project):
    from annotator.review.services import review_reopen
    from tests.factories import member

    page = page_factory()
    sign_in(page, "anna")
    layer_id = open_next_document(page, e2e_project)
    select_text(page, "critics called the plan reckless")
    page.keyboard.press("2")
    _wait_saved(page)
    _submit(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Take back to change").click()
    page.wait_for_selector("body[data-ready='true']")
    assert Layer.objects.get(pk=layer_id).status == "in_progress"
    assert page.locator("#doc-text").get_attribute("contenteditable") == "true"
    _submit(page)
    page.get_by_role("button", name="Next document").wait_for()
    # A reviewer sends it back: the annotator sees why; once resubmitted, it is theirs no more.
    layer = Layer.objects.get(pk=layer_id)
    rita = member(e2e_project, "reviewer", username="rita")
    review_reopen(document=layer.document, reviewer=rita, layer_id=layer_id, note="Add the cost claim.")
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert "Add the cost claim." in page.get_by_role("note", name="Returned for changes").inner_text()
    _submit(page)
    page.get_by_role("button", name="Next document").wait_for()
    # Resubmitted and not looked at since: still the annotator's to take back, until the
    # reviewer acts on the document again.
    assert page.get_by_role("button", name="Take back to change").is_visible()
    from annotator.review.services import review_reject

    span = layer.spans.get()
    review_reject(document=layer.document, reviewer=rita, span_id=span.pk, note="")
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.get_by_role("button", name="Take back to change").is_hidden()
