"""Importing over the API: small imports answer at once, large ones become a job."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import Document, JobRun


def _url(world):
    return f"/api/v1/projects/{world.project.pk}/documents/import/"


def test_json_list_imports_and_reports(world):
    records = [{"text": "Fares rise 5% – the council says.", "source": "herald", "title": "Fares"}]
    response = world.client("manager").post(_url(world), records, format="json")
    assert response.status_code == 201
    assert response.json()["created"] == 1
    again = world.client("manager").post(_url(world), records, format="json")
    assert again.json()["skipped_duplicates"] == 1


def test_bad_record_is_400_naming_the_item_and_field_and_imports_nothing(world):
    before = Document.objects.count()
    records = [{"text": "Fine.", "source": "herald"}, {"title": "No text", "source": "herald"}]
    response = world.client("manager").post(_url(world), {"documents": records}, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["item"], error["field"]) == (1, "text")
    assert Document.objects.count() == before


def test_unknown_default_source_is_a_field_error(world):
    response = world.client("manager").post(
        _url(world), {"documents": [{"text": "x"}], "source": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"source": ["No source has the slug 'nope'."]}


@pytest.mark.parametrize("source", ["he\x00rald", ["herald"], 7])
def test_a_default_source_that_is_no_slug_is_a_field_error_not_a_server_error(world, source):
    before = Document.objects.count()
    response = world.client("manager").post(
        _url(world), {"documents": [{"text": "x"}], "source": source}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"source": ["The source must be a source's slug."]}
    assert Document.objects.count() == before


@pytest.mark.parametrize("body", ["true", "7", '"herald"', "null"])
def test_a_body_that_is_neither_a_list_nor_an_object_is_a_field_error_not_a_server_error(world, body):
    before = Document.objects.count()
    response = world.client("manager").post(_url(world), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "documents" in response.json()
    assert Document.objects.count() == before


def test_file_upload_with_default_source(world):
    upload = SimpleUploadedFile("story.txt", "Headline\r\nBody with an emoji 🚋.\r\n".encode())
    response = world.client("manager").post(
        _url(world), {"files": [upload], "source": "herald"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    document = Document.objects.get(project=world.project, source__slug="herald", text__startswith="Headline")
    assert "\r" not in document.text


def test_large_upload_becomes_a_job_that_finishes(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.ANNOTATOR_IMPORT_INLINE_BYTES = 10
    lines = "\n".join(json.dumps({"text": f"Story {i} about trams.", "source": "herald"}) for i in range(25))
    upload = SimpleUploadedFile("batch.jsonl", lines.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("manager").post(_url(world), {"files": [upload]}, format="multipart")
    assert response.status_code == 202
    assert response["Location"] == f"/api/v1/jobs/{response.json()['id']}/"
    job = world.client("manager").get(response["Location"]).json()
    # Tasks run in-process in this test, so the job has finished by now.
    assert job["status"] == "succeeded"
    assert job["result"]["created"] == 25
    assert JobRun.objects.get(pk=job["id"]).attempts == 1
    assert not list((tmp_path / "imports").rglob("*.jsonl"))


def test_a_background_import_that_imports_nothing_ends_failed_naming_the_problem(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.ANNOTATOR_IMPORT_INLINE_BYTES = 10
    lines = (
        json.dumps({"text": "Story about trams.", "source": "herald"})
        + "\n"
        + json.dumps({"source": "herald"})
    )
    upload = SimpleUploadedFile("batch.jsonl", lines.encode())
    before = Document.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("manager").post(_url(world), {"files": [upload]}, format="multipart")
    assert response.status_code == 202
    job = world.client("manager").get(response["Location"]).json()
    assert job["status"] == "failed"
    assert job["error"].startswith("Nothing imported: batch.jsonl:2")
    assert job["result"]["refused_files"] == ["batch.jsonl"]
    assert Document.objects.count() == before
    assert not list((tmp_path / "imports").rglob("*.jsonl"))
