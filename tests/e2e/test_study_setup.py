"""A manager sets up a study in the app from nothing to an export: creates the project, defines
its schema with the preview, previews the guidelines, invites an annotator, imports articles,
follows the work on the dashboard and exports. The schema editor offers only what can still
change once spans exist. A layer sent back reaches its annotator, and the reviewer sees what
changed."""

from __future__ import annotations

import json

import pytest

from annotator.layers.services import layer_assign, layer_submit
from annotator.models import Document, Invitation, Layer, Project, Role
from tests.e2e.conftest import ARTIFACTS, PHRASE, open_next_document, select_text, sign_in
from tests.e2e.test_annotate import _submit, _wait_saved
from tests.factories import SpanFactory, member

pytestmark = [pytest.mark.browser]


def _screens(page, name: str) -> None:
    """Screenshots of the page at a desktop's and a phone's width."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 400):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"setup-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _ready(page) -> None:
    page.wait_for_selector("body[data-ready='true']")


def test_a_manager_sets_up_a_study_from_nothing_to_an_export(page_factory, e2e_project, tmp_path):
    member(e2e_project, Role.MANAGER, username="mona")
    page = page_factory()
    sign_in(page, "mona")

    # 1. Create the project.
    form = page.locator("#new-project")
    page.get_by_text("Start a new project").click()
    form.get_by_label("Name", exact=True).fill("Ferry fares")
    form.get_by_label("Short name").fill("ferry")
    with page.expect_navigation():
        form.get_by_role("button", name="Create the project").click()
    project = Project.objects.get(slug="ferry")

    # 2. The schema: a label, an attribute on it and a target, seen in the preview first.
    page.get_by_role("link", name="Labels, attributes and targets").click()
    _ready(page)
    page.get_by_role("button", name="Add a label").click()
    page.locator("#label-3-key").fill("SATIRE")
    page.locator("#label-3-name").fill("Satire")
    page.locator("#label-3-shortcut").fill("4")
    page.get_by_role("button", name="Add an attribute").click()
    page.locator("#attribute-5-key").fill("target_of_joke")
    page.locator("#attribute-5-name").fill("Target of the joke")
    page.locator("#attribute-5-values").fill("POLITICIAN: a politician\nPUBLIC: the public")
    page.locator("#attribute-5-applies-3").check()
    page.locator("#attribute-5-required-3").check()
    page.get_by_role("button", name="Add a target").click()
    page.locator("#target-0-name").fill("Ferry Company")
    preview = page.locator(".schema-preview")
    satire = preview.get_by_role("button", name="Satire")
    assert satire.locator("kbd").inner_text() == "4"
    satire.click()
    joke = preview.locator("fieldset[data-attribute='target_of_joke']")
    assert "Target of the joke *" in joke.locator("legend").inner_text()  # required: starred
    assert joke.get_by_role("combobox").locator("option").all_inner_texts() == ["—", "POLITICIAN", "PUBLIC"]
    # A clash is the server's to refuse, naming the label.
    page.locator("#label-3-shortcut").fill("1")
    page.get_by_role("button", name="Save the schema").click()
    page.locator("#schema-errors").get_by_text("Label shortcuts must be unique: 1").wait_for()
    page.locator("#label-3-shortcut").fill("4")
    _screens(page, "schema")
    page.get_by_role("button", name="Save the schema").click()
    page.locator("#schema-status").get_by_text("Saved.").wait_for()
    assert list(project.labels.values_list("key", flat=True)) == ["CLAIM", "OPINION", "DISCLAIMER", "SATIRE"]
    joke_attribute = project.attributes.get(key="target_of_joke")
    assert (joke_attribute.applies_to, joke_attribute.required_for) == (["SATIRE"], ["SATIRE"])
    assert list(project.targets.values_list("name", flat=True)) == ["Ferry Company"]

    # 3. Guidelines, previewed as annotators will read them.
    page.goto(f"/projects/{project.pk}/")
    page.get_by_text("Settings", exact=True).click()
    page.get_by_label("Guidelines").fill("Mark **satire** with key 4.")
    page.get_by_role("button", name="Preview the guidelines").click()
    assert page.locator("#guidelines-rendered strong").inner_text() == "satire"

    # 4. Invite an annotator.
    page.get_by_text("Members and invitations").click()
    invite = page.locator("#invite")
    invite.get_by_label("Role").select_option("annotator")
    invite.get_by_role("button", name="Make a sign-up link").click()
    page.locator("#invite-link output").wait_for()
    assert Invitation.objects.get(project=project).role == Role.ANNOTATOR

    # 5. Import the articles.
    articles = tmp_path / "articles.jsonl"
    articles.write_text(
        "".join(
            json.dumps(
                {
                    "text": f"Fares rise by {n}% on the ferry.",
                    "title": f"Fares {n}",
                    "source": "harbour-herald",
                }
            )
            + "\n"
            for n in (3, 5, 8)
        )
    )
    page.locator("#import-form").get_by_label("Files", exact=True).set_input_files(str(articles))
    page.locator("#import-form").get_by_role("button", name="Import").click()
    page.locator("#import-result").get_by_text("Imported: 3 documents").wait_for()

    # 6. Watch the work: two annotators start; the dashboard shows each layer's state.
    anna, ben = (
        member(project, Role.ANNOTATOR, username="anna"),
        member(project, Role.ANNOTATOR, username="ben"),
    )
    first = Document.objects.get(project=project, title="Fares 3")
    layer_submit(layer=layer_assign(document=first, user=anna))
    layer_assign(document=first, user=ben)
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("link", name="The work").click()
    _ready(page)
    assert page.locator("#documents-rows tr").count() == 3
    pace = page.get_by_role("row", name="anna")
    assert pace.locator("td").nth(2).inner_text() == "1"  # submitted
    page.get_by_label("A layer that is").select_option("assigned")
    page.get_by_role("status").get_by_text("1 document shown").wait_for()
    assert page.locator("#documents-rows").inner_text().count("ben: assigned") == 1
    assert "layer_state=assigned" in page.url  # the view can be shared
    _screens(page, "work")

    # 7. Export.
    page.goto(f"/projects/{project.pk}/")
    export = page.locator("#export-form")
    export.get_by_label("Spans labelled").select_option("SATIRE")
    export.get_by_label("Layers of").select_option("anna")
    with page.expect_download() as download:
        export.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename.endswith(".jsonl")
    # The API's own filters, the blank ones left out.
    assert "label=SATIRE" in download.value.url and "annotator=anna" in download.value.url
    assert "source=" not in download.value.url and "since=" not in download.value.url


def test_once_spans_exist_the_editor_offers_only_what_can_change(page_factory, e2e_project):
    member(e2e_project, Role.MANAGER, username="mona")
    layer = layer_assign(
        document=e2e_project.documents.get(), user=e2e_project.memberships.get(user__username="anna").user
    )
    SpanFactory(layer=layer, label=e2e_project.labels.get(key="CLAIM"))
    page = page_factory()
    sign_in(page, "mona")
    page.goto(f"/projects/{e2e_project.pk}/schema/")
    _ready(page)
    assert "what those spans mean is fixed" in page.get_by_role("note").inner_text()
    assert page.get_by_role("button", name="Remove label CLAIM").is_disabled()
    assert page.locator("#label-0-key").is_disabled()
    assert page.locator("#attribute-1-kind").is_disabled()  # evidence keeps its kind
    # A new attribute required for a label in use is refused, and the page says why.
    page.get_by_role("button", name="Add an attribute").click()
    page.locator("#attribute-5-key").fill("tone")
    page.locator("#attribute-5-values").fill("CALM\nANGRY")
    page.locator("#attribute-5-required-0").check()
    page.get_by_role("button", name="Save the schema").click()
    errors = page.locator("#schema-errors")
    errors.get_by_text("a new attribute must be optional").wait_for()
    assert "attributes.tone" in errors.inner_text()
    assert not e2e_project.attributes.filter(key="tone").exists()
    # Optional, it is added; so is a target; and an existing label may be renamed.
    page.locator("#attribute-5-required-0").uncheck()
    page.get_by_role("button", name="Add a target").click()
    page.locator(f"#target-{e2e_project.targets.count()}-name").fill("Ferry Company")
    page.locator("#label-0-name").fill("Factual claim")
    page.get_by_role("button", name="Save the schema").click()
    page.locator("#schema-status").get_by_text("Saved.").wait_for()
    assert e2e_project.attributes.get(key="tone").required_for == []
    assert e2e_project.targets.filter(name="Ferry Company").exists()
    assert e2e_project.labels.get(key="CLAIM").name == "Factual claim"


def test_a_layer_sent_back_reaches_its_annotator_and_the_reviewer_sees_the_change(page_factory, e2e_project):
    member(e2e_project, Role.REVIEWER, username="rita")
    # anna marks the cost claim and submits; ben submits an empty layer.
    page = page_factory()
    sign_in(page, "anna")
    anna_layer = open_next_document(page, e2e_project)
    select_text(page, PHRASE)
    page.keyboard.press("1")
    page.locator("#attr-evidence").select_option("NAMED_SOURCE")
    _wait_saved(page)
    _submit(page)
    page.get_by_role("button", name="Next document").wait_for()
    ben_layer = layer_assign(
        document=e2e_project.documents.get(), user=e2e_project.memberships.get(user__username="ben").user
    )
    layer_submit(layer=ben_layer)

    # The reviewer sends anna's layer back with a comment.
    reviewer = page_factory()
    sign_in(reviewer, "rita")
    reviewer.goto(f"/review/{e2e_project.documents.get().pk}/")
    _ready(reviewer)
    reviewer.locator(f"th[data-layer='{anna_layer}']").get_by_role("button", name="Reopen…").click()
    reviewer.get_by_label("Comment (the annotator reads this)").fill("Mark the critics' opinion too.")
    reviewer.get_by_role("dialog").get_by_role("button", name="Reopen").click()
    reviewer.locator(f"th[data-layer='{anna_layer}'] .layer-status").get_by_text("in progress").wait_for()

    # anna sees it on her project page and above the text, changes it and submits again.
    page.goto(f"/projects/{e2e_project.pk}/")
    row = page.get_by_role("row", name="Tram chaos returns")
    assert "Returned for changes" in row.inner_text()
    assert "Mark the critics' opinion too." in row.inner_text()
    row.get_by_role("link").click()
    _ready(page)
    assert (
        "Mark the critics' opinion too." in page.get_by_role("note", name="Returned for changes").inner_text()
    )
    select_text(page, "critics called the plan reckless")
    page.keyboard.press("2")
    _wait_saved(page)
    _submit(page)
    page.get_by_role("button", name="Next document").wait_for()
    assert Layer.objects.get(pk=anna_layer).status == "submitted"

    # The reviewer sees what changed since the return.
    reviewer.reload()
    _ready(reviewer)
    since = reviewer.locator(f"th[data-layer='{anna_layer}'] .since-return").inner_text()
    assert since.startswith("Since sent back on ")
    assert since.endswith(": 1 span added.")


def test_article_questions_are_answered_beside_the_text_and_adjudicated_into_gold(page_factory, e2e_project):
    from annotator.models import Answer, LayerKind
    from annotator.projects.services import project_schema_replace
    from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS

    questions = [
        {"key": "reliability", "name": "How reliable is it?", "kind": "ordinal", "required": True,
         "points": [{"value": v, "label": {1: "Unreliable", 5: "Reliable"}.get(v, "")} for v in (1, 2, 3, 4, 5)]},
        {"key": "genre", "name": "What kind of piece?", "kind": "choice",
         "points": [{"value": "NEWS", "label": "News report"}, {"value": "OPINION", "label": "Opinion"}]},
    ]  # fmt: skip
    project_schema_replace(
        project=e2e_project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=questions
    )
    member(e2e_project, Role.REVIEWER, username="rita")
    page = page_factory()
    sign_in(page, "anna")
    anna_layer = open_next_document(page, e2e_project)
    panel = page.get_by_role("region", name="About the whole article")
    # Submit first: the required question is named, and its button leads to it.
    page.get_by_role("button", name="Submit", exact=True).click()
    page.get_by_role("dialog", name="Submit this document?").get_by_role(
        "button", name="Submit and lock"
    ).click()
    page.locator("#incomplete").get_by_role("button", name="Answer “How reliable is it?”").click()
    # By keyboard: the focus is on the scale; Space answers, an arrow moves along it.
    page.keyboard.press("Space")
    panel.get_by_role("status").get_by_text("Answers saved.").wait_for()
    assert page.evaluate("document.activeElement.id") == "q-reliability-0"
    page.keyboard.press("ArrowRight")
    panel.get_by_role("radio", name="2", exact=True).and_(page.locator(":checked")).wait_for()
    panel.get_by_role("status").get_by_text("Answers saved.").wait_for()
    panel.get_by_label("News report").check()
    panel.get_by_role("status").get_by_text("Answers saved.").wait_for()
    _submit(page)
    page.get_by_role("button", name="Next document").wait_for()
    answers = dict(Answer.objects.filter(layer_id=anna_layer).values_list("question__key", "value"))
    assert answers == {"reliability": 2, "genre": "NEWS"}
    ben = layer_assign(
        document=e2e_project.documents.get(), user=e2e_project.memberships.get(user__username="ben").user
    )
    from django.db import transaction

    from annotator.questions.services import answer_set

    with transaction.atomic():
        answer_set(layer=ben, key="reliability", value=4, version=None)
    layer_submit(layer=ben)

    reviewer = page_factory()
    sign_in(reviewer, "rita")
    reviewer.goto(f"/review/{e2e_project.documents.get().pk}/")
    _ready(reviewer)
    row = reviewer.locator("#questions-table tr[data-question='reliability']")
    assert row.locator("td").all_inner_texts()[:2] == ["2", "4"]
    row.get_by_label("3").check()
    reviewer.get_by_text("Gold answer saved.").wait_for()
    gold = Answer.objects.get(layer__kind=LayerKind.GOLD, question__key="reliability")
    assert gold.value == 3


def test_a_manager_publishes_the_scorecards_and_takes_them_down(page_factory, e2e_project):
    from annotator.models import ScorecardPublication

    member(e2e_project, Role.MANAGER, username="mona")
    page = page_factory()
    sign_in(page, "mona")
    page.goto(f"/projects/{e2e_project.pk}/")
    page.get_by_text("Publish the scorecards").click()
    form = page.locator("#publish-form")
    form.get_by_label("The figures of").select_option("consensus")
    with page.expect_navigation():
        form.get_by_role("button", name="Publish").click()
    assert ScorecardPublication.objects.get(project=e2e_project).basis == "consensus"
    page.get_by_text("Publish the scorecards").click()
    link = form.get_by_role("link", name=f"/scorecards/{e2e_project.slug}/")
    reader = page_factory()  # nobody signed in
    assert reader.goto(link.get_attribute("href")).status == 200
    assert reader.get_by_role("heading", level=1).inner_text() == e2e_project.name
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        form.get_by_role("button", name="Take down").click()
    assert reader.goto(f"/scorecards/{e2e_project.slug}/").status == 404
