"""Input that used to answer 500: each is now a 400 naming the field, and nothing is written."""

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
