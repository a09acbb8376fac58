"""Documents, projects, members, schema and tokens over HTTP."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotator.models import Layer, LayerStatus, Role
from tests.api.conftest import token_attempts
from tests.factories import DocumentFactory, MembershipFactory, SourceFactory, UserFactory


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_document_list_runs_a_constant_number_of_queries(world):
    reviewer = world.client("reviewer")
    url = f"/api/v1/projects/{world.project.pk}/documents/"
    small, _ = _queries(reviewer, url, page_size=5)
    for i in range(30):
        document = DocumentFactory(project=world.project, source=SourceFactory(slug=f"s{i}"))
        Layer.objects.create(document=document, user=world.users["annotator"], status=LayerStatus.SUBMITTED)
    large, body = _queries(reviewer, url, page_size=30)
    assert len(body["results"]) == 30
    assert large == small


def test_document_filters(world):
    reviewer = world.client("reviewer")
    url = f"/api/v1/projects/{world.project.pk}/documents/"
    other_source = SourceFactory(slug="klaxon")
    done = DocumentFactory(project=world.project, source=other_source, title="Strike looms")
    for user in ("annotator", "annotator_b", "manager"):
        Layer.objects.create(document=done, user=world.users[user], status=LayerStatus.SUBMITTED)
    ids = lambda **params: [d["id"] for d in reviewer.get(url, params).json()["results"]]  # noqa: E731
    assert ids(source="klaxon") == [done.pk]
    assert ids(source=str(other_source.pk)) == [done.pk]
    assert ids(search="tram") == [world.document.pk]
    assert ids(status="complete") == [done.pk]
    assert ids(status="unstarted") == [world.document.pk]
    assert ids(layers_submitted=3) == [done.pk]
    assert reviewer.get(url, {"status": "bogus"}).status_code == 400
    # A count, as the schema says: not rounded from a fraction.
    assert set(reviewer.get(url, {"layers_submitted": "0.5"}).json()) == {"layers_submitted"}
    # A source that does not exist, named by slug or by something that only looks like a number.
    for ref in ("nowhere", "²", "999999"):
        refused = reviewer.get(url, {"source": ref})
        assert refused.status_code == 400, (ref, refused.content)
        assert refused.json() == {"source": [f"No source has the id or slug {ref!r}."]}


def test_annotator_sees_only_documents_handed_to_them(world):
    DocumentFactory(project=world.project)
    results = (
        world.client("annotator").get(f"/api/v1/projects/{world.project.pk}/documents/").json()["results"]
    )
    assert [d["id"] for d in results] == [world.document.pk]


def test_annotator_may_not_filter_by_other_peoples_progress(world):
    response = world.client("annotator").get(
        f"/api/v1/projects/{world.project.pk}/documents/", {"status": "complete"}
    )
    assert response.status_code == 403


def test_document_detail_has_the_exact_text(world):
    body = world.client("annotator").get(f"/api/v1/documents/{world.document.pk}/").json()
    assert body["text"] == world.document.text
    assert body["n_chars"] == len(world.document.text)


def test_schema_lists_labels_attributes_and_targets_with_definitions(world):
    body = world.client("annotator").get(f"/api/v1/projects/{world.project.pk}/schema/").json()
    assert [label["key"] for label in body["labels"]] == ["CLAIM", "OPINION", "DISCLAIMER"]
    evidence = next(a for a in body["attributes"] if a["key"] == "evidence")
    assert evidence["required_for"] == ["CLAIM"]
    assert all(v["description"] for v in evidence["values"])
    assert {t["name"] for t in body["targets"]} == {"Harbour City Council", "Tramline Extension"}


def test_one_projects_schema_starts_another_as_the_get_answers_it(world):
    manager = world.client("manager")
    exported = manager.get(f"/api/v1/projects/{world.project.pk}/schema/").json()
    created = manager.post("/api/v1/projects/", {"name": "Copy", "slug": "copy"}, format="json").json()
    url = f"/api/v1/projects/{created['id']}/schema/"
    exported["labels"].append(
        {"key": "SATIRE", "name": "Satire", "color": "#123456", "shortcut": "4", "description": ""}
    )
    response = manager.put(url, exported, format="json")
    assert response.status_code == 200, response.content
    copied = manager.get(url).json()
    assert copied["locked"] is False
    assert copied == {**exported, "locked": False}


def test_a_locked_schema_grows_over_the_api_and_refuses_removals_naming_them(world):
    manager = world.client("manager")
    url = f"/api/v1/projects/{world.project.pk}/schema/"
    schema = manager.get(url).json()
    assert schema["locked"] is True
    without_disclaimer = {**schema, "labels": [lab for lab in schema["labels"] if lab["key"] != "DISCLAIMER"]}
    response = manager.put(url, without_disclaimer, format="json")
    assert response.status_code == 400
    assert response.json()["labels.DISCLAIMER"] == ["spans exist, so this label cannot be removed."]
    grown = {**schema, "targets": [*schema["targets"], {"name": "Port Authority"}]}
    response = manager.put(url, grown, format="json")
    assert response.status_code == 200, response.content
    assert "Port Authority" in {t["name"] for t in response.json()["targets"]}


def test_manager_adds_a_member_and_unknown_users_are_named(world):
    # max manages the project olga works in too, so he may add her by name.
    MembershipFactory(project=world.other_project, user=world.users["manager"], role=Role.MANAGER)
    manager = world.client("manager")
    url = f"/api/v1/projects/{world.project.pk}/members/"
    assert manager.post(url, {"username": "olga", "role": "reviewer"}, format="json").status_code == 201
    assert world.client("outsider").get(f"/api/v1/projects/{world.project.pk}/").json()["role"] == "reviewer"
    response = manager.post(url, {"username": "nobody", "role": "reviewer"}, format="json")
    assert response.json()["username"][0].startswith("No one called 'nobody' that you can add")
    response = manager.post(url, {"username": "olga", "role": "owner"}, format="json")
    assert "role" in response.json()


def test_project_created_over_the_api_gets_the_default_schema(world):
    response = world.client("manager").post(
        "/api/v1/projects/",
        {"name": "Budget watch", "slug": "budget", "targets": ["Treasury"]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["role"] == "manager"
    schema = world.client("manager").get(f"/api/v1/projects/{response.json()['id']}/schema/").json()
    assert len(schema["labels"]) == 3
    assert [t["name"] for t in schema["targets"]] == ["Treasury"]


def test_duplicate_project_slug_is_a_field_error(world):
    response = world.client("manager").post(
        "/api/v1/projects/", {"name": "Again", "slug": "world"}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()


@pytest.mark.django_db
def test_token_login_use_and_revocation():
    UserFactory(username="scripter")
    anonymous = APIClient()
    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "scripter", "password": "correct-horse-battery-staple"}
    ).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/projects/").status_code == 401


@pytest.mark.django_db
def test_wrong_password_is_401_and_logins_are_throttled():
    UserFactory(username="scripter")
    client = APIClient()
    codes = token_attempts(client, "scripter", "nope", times=12)
    assert codes[0] == 401
    assert codes[-1] == 429


@pytest.mark.django_db
def test_anonymous_requests_get_401():
    assert APIClient().get("/api/v1/projects/").status_code == 401


@pytest.mark.django_db
def test_openapi_schema_is_valid_and_names_the_contract():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/projects/{project_id}/queue/next/",
        "/api/v1/assignments/{assignment_id}/spans/",
        "/api/v1/spans/{span_id}/",
    ]:
        assert path in schema["paths"]
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200


def test_reviewers_see_each_layers_state_and_filter_by_state_and_annotator(world):
    from annotator.layers.services import layer_assign, layer_reopen, layer_submit

    second = DocumentFactory(project=world.project, source=world.document.source, title="Second")
    layer_assign(document=second, user=world.users["annotator_b"])
    layer_submit(layer=world.layer_a)
    layer_reopen(layer=world.layer_a, reviewer=world.users["reviewer"], note="Check the evidence.")
    url = f"/api/v1/projects/{world.project.pk}/documents/"
    reviewer = world.client("reviewer")

    body = reviewer.get(url).json()
    states = {
        d["title"]: {layer["annotator"]: layer["state"] for layer in d["layers"]} for d in body["results"]
    }
    assert states == {"Tram costs": {"anna": "returned", "ben": "assigned"}, "Second": {"ben": "assigned"}}

    def titles(**params):
        response = reviewer.get(url, params)
        assert response.status_code == 200, response.content
        return [d["title"] for d in response.json()["results"]]

    assert titles(layer_state="returned") == ["Tram costs"]
    assert titles(layer_state="assigned", annotator="ben") == ["Tram costs", "Second"]
    assert titles(layer_state="assigned", annotator="anna") == []
    assert titles(annotator=str(world.users["annotator"].pk)) == ["Tram costs"]
    # Submitted again: the return is closed and the layer counts as submitted.
    layer_submit(layer=world.layer_a)
    assert titles(layer_state="returned") == []
    assert titles(layer_state="submitted") == ["Tram costs"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"layer_state": "lost"}, "layer_state", "Unknown state 'lost'"),
        ({"annotator": "nobody"}, "annotator", "No user has the id or username 'nobody'"),
        ({"layer_state": ""}, "layer_state", "Give a value"),
        # Found by fuzzing: it answered 500 when it reached PostgreSQL.
        ({"annotator": "an\x00na"}, "annotator", "Null characters are not allowed."),
    ],
)
def test_a_bad_layer_filter_is_a_400_naming_it(world, params, field, message):
    response = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/documents/", params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_annotators_in_a_blind_project_get_no_layers_and_may_not_filter_by_them(world):
    url = f"/api/v1/projects/{world.project.pk}/documents/"
    annotator = world.client("annotator")
    assert all(d["layers"] is None for d in annotator.get(url).json()["results"])
    assert annotator.get(url, {"layer_state": "assigned"}).status_code == 403
    assert annotator.get(url, {"annotator": "ben"}).status_code == 403
