"""A manager imports articles and another tool's annotations from the project page, sees what
was imported (or, for a bad file, every problem with its file, line and field, and nothing
imported), and downloads an export."""

from __future__ import annotations

import json
import zipfile

import pytest

from annotator.models import Document, Layer, Role, Span
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import member

pytestmark = [pytest.mark.browser]

ARTICLE = "The ferry will run every 20 minutes from Quayside pier until Friday."


def _label_studio(text: str) -> str:
    needle = "every 20 minutes"
    start = text.index(needle)
    result = [
        {"id": "r1", "type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": start, "end": start + len(needle), "text": needle, "labels": ["OPINION"]}},
    ]  # fmt: skip
    return json.dumps(
        [{"id": 1, "data": {"text": text}, "annotations": [{"completed_by": 7, "result": result}]}]
    )


def test_a_manager_imports_and_exports_from_the_project_page(page_factory, e2e_project, tmp_path):
    member(e2e_project, Role.MANAGER, username="mona")
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"text": ARTICLE, "title": "Ferry", "source": "harbour-herald"}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"text": "x", "source": "harbour-herald"}) + "\n" + json.dumps({"title": "no text"}) + "\n"
    )
    tasks = tmp_path / "tasks.json"
    tasks.write_text(_label_studio(ARTICLE))

    page = page_factory()
    sign_in(page, "mona")
    page.goto(f"/projects/{e2e_project.pk}/")
    form = page.locator("#import-form")
    result = page.locator("#import-result")

    # A bad file: every problem listed with its file and line, nothing imported.
    form.get_by_label("Files", exact=True).set_input_files(str(bad))
    form.get_by_role("button", name="Import").click()
    result.get_by_text("Nothing was imported").wait_for()
    assert "bad.jsonl:2" in result.inner_text()
    assert not Document.objects.filter(title="Ferry").exists()

    form.get_by_label("Files", exact=True).set_input_files(str(articles))
    form.get_by_role("button", name="Import").click()
    result.get_by_text("Imported: 1 document").wait_for()

    # Another tool's annotations, its annotator mapped to a member.
    form.get_by_label("What the files hold").select_option("annotations")
    form.get_by_label("The tool's format").select_option("label-studio")
    form.get_by_role("textbox", name="Annotators").fill("7=anna")
    form.get_by_label("Files", exact=True).set_input_files(str(tasks))
    form.get_by_role("button", name="Import").click()
    result.get_by_text("Imported: 0 new documents, 1 matched, 1 layer, 1 span").wait_for()
    (span,) = Span.objects.filter(layer__document__title="Ferry")
    assert (span.text, span.label.key, span.layer.user.username) == ("every 20 minutes", "OPINION", "anna")
    assert Layer.objects.get(pk=span.layer_id).status == "submitted"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "project-import-export-1280.png"), full_page=True)

    # Export: a download, in the chosen format and basis.
    export = page.locator("#export-form")
    export.get_by_label("Format").select_option("webanno-tsv")
    with page.expect_download() as download:
        export.get_by_role("button", name="Download").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith("-all.zip")
    assert any(name.endswith("/anna.tsv") for name in zipfile.ZipFile(path).namelist())
