"""Annotation import over the API (POST /projects/{id}/annotations/import/) and its command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from annotator.models import Document, Layer, Span

TEXT = "Rents rose 🚋 12% – the council said so."


def _url(world):
    return f"/api/v1/projects/{world.project.pk}/annotations/import/"


def _export(label="OPINION", end=None):
    start = TEXT.index("12%") + 1  # one UTF-16 unit more: the emoji before it takes two
    return json.dumps({"id": 1, "text": TEXT, "label": [[start, end or start + 3, label]]}).encode()


def _form(world, content, **fields):
    return {
        "file": SimpleUploadedFile("ann.jsonl", content),
        "format": "doccano",
        "annotators": json.dumps({"ann": world.users["annotator"].username}),
        "source": "herald",
        **fields,
    }


def test_a_manager_imports_an_export(world):
    response = world.client("manager").post(_url(world), _form(world, _export()), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["layers"] == 1
    span = Span.objects.get(layer__document__text=TEXT)
    assert span.text == "12%"
    assert span.layer.user == world.users["annotator"]


def test_a_source_no_slug_can_be_is_a_400_naming_it_and_imports_nothing(world):
    # A NUL byte once reached PostgreSQL in the source lookup, which answered with an error (500).
    response = world.client("manager").post(
        _url(world), _form(world, _export(), source="öA\x00"), format="multipart"
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"source": ["Invalid value."]}
    assert not Span.objects.filter(layer__document__text=TEXT).exists()


@pytest.mark.parametrize(
    ("who", "code"), [("annotator", 403), ("reviewer", 403), ("outsider", 404), (None, 401)]
)
def test_only_managers_import(world, who, code):
    before = Layer.objects.count()
    response = world.client(who).post(_url(world), _form(world, _export()), format="multipart")
    assert response.status_code == code
    assert Layer.objects.count() == before


def test_a_refused_export_is_400_listing_the_problems_and_imports_nothing(world):
    before = (Document.objects.count(), Layer.objects.count())
    response = world.client("manager").post(
        _url(world), _form(world, _export(label="PERSON")), format="multipart"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "labels"
    assert "'PERSON'" in error["message"]
    assert (Document.objects.count(), Layer.objects.count()) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"format": "brat"}, "format"),
        ({"annotators": "[1, 2]"}, "annotators"),
        ({"annotators": "{not json"}, "annotators"),
        ({"annotators": '{"ann": "a\\u0000b"}'}, "annotators"),
        ({"status": "skipped"}, "status"),
        ({"source": "nowhere"}, "source"),
    ],
)
def test_bad_options_are_400_naming_the_field(world, fields, field):
    response = world.client("manager").post(
        _url(world), _form(world, _export(), **fields), format="multipart"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_command_imports_and_refuses(world, tmp_path):
    export = tmp_path / "ann.jsonl"
    export.write_bytes(_export())
    options = {
        "project": world.project.slug,
        "format": "doccano",
        "source": "herald",
        "stdout": io.StringIO(),
    }
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_annotations", str(export), **options)
    assert "not mapped to project members: 'ann'" in options["stdout"].getvalue()
    mapping = [f"ann={world.users['annotator'].username}"]
    call_command("import_annotations", str(export), **options, annotator=mapping)
    assert "Imported 1 layer with 1 span" in options["stdout"].getvalue()
    assert Span.objects.filter(layer__document__text=TEXT).count() == 1


@pytest.mark.parametrize(("label", "outcome"), [("OPINION", "succeeded"), ("PERSON", "failed")])
def test_a_large_upload_becomes_a_job(
    world, settings, tmp_path, django_capture_on_commit_callbacks, label, outcome
):
    settings.MEDIA_ROOT = tmp_path
    settings.ANNOTATOR_IMPORT_INLINE_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("manager").post(
            _url(world), _form(world, _export(label=label)), format="multipart"
        )
    assert response.status_code == 202
    job = world.client("manager").get(response["Location"]).json()
    # Tasks run in-process in this test, so the job has finished by now.
    assert job["status"] == outcome
    if outcome == "succeeded":
        assert job["result"]["layers"] == 1
        assert Span.objects.get(layer__document__text=TEXT).layer.user == world.users["annotator"]
        imported = Span.objects.get(layer__document__text=TEXT)
        assert Span.history.get(id=imported.pk).history_user == world.users["manager"]
    else:
        assert job["error"].startswith("Nothing imported: ann.jsonl:1: labels:")
        assert not Layer.objects.filter(document__text=TEXT).exists()
    assert not list((tmp_path / "imports").rglob("*.jsonl"))
