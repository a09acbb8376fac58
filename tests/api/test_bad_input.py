"""Input that was answered wrongly (a 500, or accepted): each is now a 4xx naming the field, and
nothing is written."""

from __future__ import annotations

import pytest

from annotator.models import Project, Span

pytestmark = pytest.mark.django_db


def test_a_json_body_nested_a_thousand_deep_is_a_400(world):
    body = "[" * 1000 + "]" * 1000
    for client in (world.client("annotator"), world.client(None)):
        response = client.post("/api/v1/auth/token/", body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("target", [["Harbour City Council"], {"name": "Harbour City Council"}])
def test_a_stance_target_given_as_a_list_or_an_object_is_a_400(world, target):
    text = world.document.text
    before = Span.objects.count()
    response = world.client("annotator").post(
        f"/api/v1/assignments/{world.layer_a.pk}/spans/",
        {
            "label": "CLAIM",
            "start": 0,
            "end": 5,
            "text": text[:5],
            "attributes": {"stance": [{"target": target, "stance": "FAVOR"}]},
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"attributes.stance": ["stance names its target and stance as strings."]}
    assert Span.objects.count() == before


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_span_version_past_the_largest_integer_is_a_400(world, method):
    response = getattr(world.client("annotator"), method)(
        f"/api/v1/spans/{world.span_a.pk}/", {"version": 2**63}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["version"]


def test_a_project_with_no_annotators_per_document_is_a_400(world):
    response = world.client("manager").patch(
        f"/api/v1/projects/{world.project.pk}/", {"annotators_per_document": 0}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "annotators_per_document" in str(response.json())
    assert Project.objects.get(pk=world.project.pk).annotators_per_document != 0


def test_a_repeated_client_uuid_with_another_span_is_a_409_naming_the_difference(world):
    client = world.client("annotator")
    path = f"/api/v1/assignments/{world.layer_a.pk}/spans/"
    text = world.document.text
    body = {"client_uuid": "7b0f2f5e-8d3a-4c39-9c1e-1f4f3b8f0a11", "label": "OPINION", "start": 0, "end": 5,
            "text": text[:5]}  # fmt: skip
    first = client.post(path, body, format="json")
    assert first.status_code == 201, first.content
    assert client.post(path, body, format="json").json() == first.json()
    changed = client.post(path, {**body, "label": "DISCLAIMER"}, format="json")
    assert changed.status_code == 409, changed.content
    assert "another label" in changed.json()["detail"]
    assert changed.json()["current"]["label"] == "OPINION"
    assert Span.objects.filter(client_uuid=body["client_uuid"]).count() == 1


def test_a_label_colour_that_is_not_rrggbb_is_a_400(world):
    from annotator.models import Label, Membership, Role

    project = Project.objects.create(name="Colours", slug="colours")  # no spans: its schema may change
    Membership.objects.create(project=project, user=world.users["manager"], role=Role.MANAGER)
    response = world.client("manager").put(
        f"/api/v1/projects/{project.pk}/schema/",
        {"labels": [{"key": "CLAIM", "color": "url(x)"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"labels.CLAIM.color": ["Give the colour as #rrggbb, six hex digits."]}
    assert not Label.objects.filter(project=project).exists()


def test_the_token_answer_is_never_cached(world):
    from tests.factories import DEFAULT_PASSWORD

    response = world.client(None).post(
        "/api/v1/auth/token/", {"username": "anna", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
