"""The admin loads for staff, shows what a manager needs, and imports uploads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.models import Document
from tests.factories import DocumentFactory, LayerFactory, SourceFactory, SpanFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "source", "project", "membership", "label", "attribute", "target", "document",
    "layer", "span", "decision", "agreementreport", "sourceprofile", "jobrun",
]  # fmt: skip


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_and_add_pages_load_for_staff(staff_client, model):
    span = SpanFactory()
    assert staff_client.get(reverse(f"admin:annotator_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:annotator_{model}_changelist"), {"q": "tram"}).status_code == 200
    if model in {"project", "document", "layer"}:
        obj = {
            "project": span.layer.document.project,
            "document": span.layer.document,
            "layer": span.layer,
        }[model]
        assert staff_client.get(reverse(f"admin:annotator_{model}_change", args=[obj.pk])).status_code == 200


def test_a_project_added_in_the_admin_is_made_as_the_api_makes_one(staff_client):
    from annotator.models import Membership, Project

    response = staff_client.post(
        reverse("admin:annotator_project_add"),
        {
            "name": "Harbour study",
            "slug": "harbour-study",
            "annotators_per_document": 2,
            "min_profile_articles": 15,
            "panel_wait_minutes": 60,
            "calibration_every": 0,
            "calibration_window": 10,
            "blind": "on",
            "allow_overlap": "on",
            **{f"{prefix}-{field}": value for prefix in ("memberships", "labels", "attributes", "targets")
               for field, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))},
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(slug="harbour-study")
    assert (project.annotators_per_document, project.created_by.username) == (2, "admin")
    assert list(project.labels.values_list("key", flat=True)) == ["CLAIM", "OPINION", "DISCLAIMER"]
    assert Membership.objects.get(project=project).role == "manager"


def test_document_text_is_read_only_once_it_has_spans(staff_client):
    document = DocumentFactory()
    page = staff_client.get(reverse("admin:annotator_document_change", args=[document.pk])).content.decode()
    assert 'name="text"' in page
    SpanFactory(layer=LayerFactory(document=document))
    page = staff_client.get(reverse("admin:annotator_document_change", args=[document.pk])).content.decode()
    assert 'name="text"' not in page


def test_admin_upload_imports_documents(staff_client, project):
    source = SourceFactory(slug="herald")
    upload = SimpleUploadedFile("story.txt", b"Trams return\r\nThe line reopens on Monday.")
    response = staff_client.post(
        reverse("admin:annotator_document_import"),
        {"project": project.pk, "source": source.pk, "uploads": [upload]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Created 1, skipped 0 duplicates, refused 0 file(s)." in response.content.decode()
    assert Document.objects.get(project=project).text == "Trams return\nThe line reopens on Monday."


def test_admin_upload_error_names_file_and_field(staff_client, project):
    upload = SimpleUploadedFile("bad.jsonl", b'{"title": "No text"}\n')
    response = staff_client.post(
        reverse("admin:annotator_document_import"), {"project": project.pk, "uploads": [upload]}, follow=True
    )
    assert "ad.jsonl:1: text: is missing" in response.content.decode()  # the admin capitalises messages
    assert not Document.objects.filter(project=project).exists()


def test_non_staff_cannot_open_the_admin(client):
    client.force_login(UserFactory())
    assert client.get(reverse("admin:annotator_document_import")).status_code == 302


def test_admin_upload_imports_annotations_with_their_annotators(staff_client, project):
    from annotator.models import Layer, Role
    from tests.factories import MembershipFactory

    source = SourceFactory(slug="herald")
    member = UserFactory(username="anna-admin")
    MembershipFactory(project=project, user=member, role=Role.ANNOTATOR)
    text = "Tram 🚋 fares rise again."
    line = json.dumps({"text": text, "label": [[8, 18, "OPINION"]]})  # UTF-16: the emoji takes two
    form = {
        "project": project.pk,
        "format": "doccano",
        "annotators": "anna = anna-admin",
        "source": source.pk,
    }
    page = staff_client.get(reverse("admin:annotator_document_import_annotations"))
    assert "Import annotations" in page.content.decode()
    response = staff_client.post(
        reverse("admin:annotator_document_import_annotations"),
        {
            **form,
            "source": SourceFactory(slug="herald").pk,
            "upload": SimpleUploadedFile("anna.jsonl", line.encode()),
        },
        follow=True,
    )
    assert "Imported 1 layer(s) with 1 span(s)" in response.content.decode()
    assert Layer.objects.get(document__project=project).spans.get().text == "fares rise"
    refused = staff_client.post(
        reverse("admin:annotator_document_import_annotations"),
        {**form, "annotators": "", "upload": SimpleUploadedFile("bob.jsonl", line.encode())},
    )
    assert "not mapped to project members: &#x27;bob&#x27;" in refused.content.decode()
    bad_map = staff_client.post(
        reverse("admin:annotator_document_import_annotations"),
        {**form, "annotators": "anna", "upload": SimpleUploadedFile("anna.jsonl", line.encode())},
    )
    assert "write each as NAME=VALUE, not &#x27;anna&#x27;" in bad_map.content.decode()
