"""Panels and calibration over the API: placing members, balanced Next under concurrent calls on
the live server, calibration items that look like any other document, and the annotators
overview."""

from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from annotator.calibration.services import document_calibration_set
from annotator.layers.services import layer_submit, queue_next
from annotator.models import Layer, LayerKind, Role
from annotator.projects.services import project_update
from annotator.review.services import review_adjudicate
from tests.factories import DocumentFactory, ProjectFactory, member, span_at
from tests.span_clients import Http, queue_problems, run_all, token_for


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_managers_define_panels_and_place_members_and_members_place_themselves_once():
    project = ProjectFactory(slug="placing")
    manager, annotator = member(project, Role.MANAGER), member(project, username="newcomer")
    boss = _client(manager)
    base = f"/api/v1/projects/{project.pk}"
    for order, key in enumerate(["left", "centre", "right"]):
        created = boss.post(
            f"{base}/panels/", {"key": key, "name": key.title(), "order": order}, format="json"
        )
        assert created.status_code == 201, created.content
    duplicate = boss.post(f"{base}/panels/", {"key": "left", "name": "Again"}, format="json")
    assert duplicate.status_code == 400 and "key" in duplicate.json()
    me = _client(annotator)
    assert me.post(f"{base}/panel/", {"panel": "left"}, format="json").status_code == 409  # no question yet
    boss.patch(f"{base}/", {"panel_question": "Which describes you best?"}, format="json")
    unknown = me.post(f"{base}/panel/", {"panel": "far-left"}, format="json")
    assert unknown.status_code == 400 and "left, centre, right" in unknown.json()["panel"][0]
    answered = me.post(f"{base}/panel/", {"panel": "left"}, format="json").json()
    assert (answered["panel"], answered["panel_set_by"], answered["question"]) == (
        "left",
        "newcomer",
        "Which describes you best?",
    )
    assert [p["key"] for p in answered["panels"]] == ["left", "centre", "right"]
    assert me.post(f"{base}/panel/", {"panel": "right"}, format="json").status_code == 409
    moved = boss.patch(f"{base}/members/{annotator.pk}/", {"panel": "right"}, format="json").json()
    assert (moved["panel"], moved["panel_set_by"], moved["role"]) == ("right", manager.username, "annotator")
    assert boss.patch(f"{base}/members/{annotator.pk}/", {}, format="json").status_code == 400
    in_use = boss.delete(f"{base}/panels/{project.panels.get(key='right').pk}/")
    assert in_use.status_code == 409 and "place them in another panel" in in_use.json()["detail"]
    listed = {p["key"]: p["n_members"] for p in boss.get(f"{base}/panels/").json()}
    assert listed == {"left": 0, "centre": 0, "right": 1}


PANELS = ["left", "centre", "right"]


@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_next_calls_give_every_document_one_layer_per_panel(live_server):
    """k = 3, three panels of five: fifteen annotators press Next at once, submit, and press it
    again at once; thirty layers on ten documents, one from each panel on every one."""
    project = ProjectFactory(slug="panelled", annotators_per_document=3)
    project_update(project=project, changes={"panel_balance": True})
    manager = member(project, Role.MANAGER, username="panel-manager")
    boss = _client(manager)
    for order, key in enumerate(PANELS):
        boss.post(
            f"/api/v1/projects/{project.pk}/panels/", {"key": key, "name": key, "order": order}, format="json"
        )
    clients = []
    for key in PANELS:
        for i in range(5):
            user = member(project, username=f"{key}-{i}")
            boss.patch(f"/api/v1/projects/{project.pk}/members/{user.pk}/", {"panel": key}, format="json")
            clients.append(Http(live_server.url, token_for(user)))
    documents = [DocumentFactory(project=project, text=f"Article {i} on the tram.") for i in range(10)]
    start = threading.Barrier(len(clients))
    handed: list[int] = []

    def annotate(http: Http) -> None:
        for _ in range(2):
            start.wait(timeout=60)
            status, layer = http.call("POST", f"/api/v1/projects/{project.pk}/queue/next/", kind="next")
            assert status == 200, (status, layer)
            handed.append(layer["document"]["id"])
            assert http.call("POST", f"/api/v1/assignments/{layer['id']}/submit/")[0] == 200

    run_all([lambda http=http: annotate(http) for http in clients])
    assert len(handed) == 30
    assert queue_problems(project_id=project.pk, k=3) == []
    for document in documents:
        layers = Layer.objects.filter(document=document).select_related("panel")
        assert sorted(layer.panel.key for layer in layers) == sorted(PANELS), document.pk
        assert not any(layer.outside_panel for layer in layers)


@pytest.fixture
def with_calibration(db):
    """A blind project with an ordinary document and an adjudicated calibration item, and an
    annotator who has had neither."""
    project = ProjectFactory(slug="checked", annotators_per_document=1)
    reviewer, first = member(project, Role.REVIEWER, username="rita"), member(project, username="first")
    item = DocumentFactory(
        project=project, title="Tram costs", text="The tram costs £48 million, the council said."
    )
    layer = queue_next(project=project, user=first)
    span_at(layer, "CLAIM", "The tram costs £48 million", evidence="NAMED_SOURCE")
    layer_submit(layer=layer)
    from annotator.review.services import review_accept_agreed

    review_accept_agreed(document=item, reviewer=reviewer)
    review_adjudicate(document=item, reviewer=reviewer)
    document_calibration_set(document=item, calibration=True)
    ordinary = DocumentFactory(
        project=project, title="Bus fares", text="Bus fares rise by 5p, the operator said."
    )
    coder = member(project, username="coder")
    return project, item, ordinary, coder, reviewer


def _shape(value):
    """The keys and value types of a payload, recursively: what a client can tell apart."""
    if isinstance(value, dict):
        return {key: _shape(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


@pytest.mark.django_db
def test_a_calibration_item_looks_like_any_other_document_field_by_field(with_calibration):
    project, item, ordinary, coder, _ = with_calibration
    client = _client(coder)
    next_url = f"/api/v1/projects/{project.pk}/queue/next/"
    project_update(project=project, changes={"calibration_every": 1})
    check = client.post(next_url).json()
    assert Layer.objects.get(pk=check["id"]).kind == LayerKind.CALIBRATION
    client.post(f"/api/v1/assignments/{check['id']}/submit/")
    project_update(project=project, changes={"calibration_every": 0})
    normal = client.post(next_url).json()
    assert (check["document"]["id"], normal["document"]["id"]) == (item.pk, ordinary.pk)

    def compared(path_of):
        a, b = client.get(path_of(check)).json(), client.get(path_of(normal)).json()
        return a, b

    assert _shape(check) == _shape(normal)
    assert check["kind"] == normal["kind"] == "annotation"
    for field in ("status", "skip_reason", "submitted_at", "spans"):
        assert check[field] == normal[field], field
    assert set(check["document"]) == set(normal["document"])
    layer_a, layer_b = compared(lambda layer: f"/api/v1/assignments/{layer['id']}/")
    assert _shape(layer_a) == _shape({**layer_b, "submitted_at": "x"}) and layer_a["kind"] == "annotation"
    document_a, document_b = compared(lambda layer: f"/api/v1/documents/{layer['document']['id']}/")
    assert _shape(document_a) == _shape(document_b)
    assert document_a["layers_submitted"] is None and document_b["layers_submitted"] is None
    mine = client.get(f"/api/v1/projects/{project.pk}/assignments/").json()
    assert {layer["kind"] for layer in mine} == {"annotation"} and len(mine) == 2
    listed = client.get(f"/api/v1/projects/{project.pk}/documents/").json()["results"]
    assert {d["id"] for d in listed} == {item.pk, ordinary.pk}
    assert len({tuple(sorted(d)) for d in listed}) == 1


@pytest.mark.django_db
def test_annotators_see_their_own_figures_and_managers_the_overview(with_calibration):
    project, _item, _, coder, reviewer = with_calibration
    project_update(project=project, changes={"calibration_every": 1, "calibration_gate": 0.6})
    layer = queue_next(project=project, user=coder)
    span_at(layer, "CLAIM", "The tram costs £48 million", evidence="NAMED_SOURCE")
    layer_submit(layer=layer)
    mine = _client(coder).get(f"/api/v1/projects/{project.pk}/calibration/").json()
    assert mine == {"n_items": 1, "window": 10, "window_f1": 1.0, "gate": 0.6}
    rows = {
        r["username"]: r for r in _client(reviewer).get(f"/api/v1/projects/{project.pk}/annotators/").json()
    }
    assert set(rows) == {"first", "coder"}
    figures = rows["coder"]["calibration"]
    assert (figures["n_items"], figures["span_f1"], figures["interval"]) == (1, 1.0, [1.0, 1.0])
    assert figures["gate"] == {"state": "passing", "figure": 1.0, "n_items": 1}
    assert (rows["coder"]["layers_submitted"], rows["first"]["layers_submitted"]) == (0, 1)
    project_update(project=project, changes={"calibration_feedback": False})
    assert _client(coder).get(f"/api/v1/projects/{project.pk}/calibration/").status_code == 403


def test_the_competence_fit_over_the_api(db):
    from annotator.competence.services import project_competence_compute

    project = ProjectFactory(slug="fitted")
    reviewer = member(project, Role.REVIEWER, username="rita")
    url = f"/api/v1/projects/{project.pk}/annotators/competence/"
    response = _client(reviewer).get(url)
    assert response.status_code == 404
    assert response.json()["detail"] == "Competence was not estimated yet; POST to estimate it."
    report = project_competence_compute(project_id=project.pk)
    body = _client(reviewer).get(url).json()
    assert body == {
        "computed_at": report.computed_at.isoformat().replace("+00:00", "Z"),
        "n_documents": 0,
        "behind": False,
        "against_gold": {
            "n_documents": 0,
            **{basis: {"span_f1": None, "interval": None} for basis in ("all", "consensus", "model")},
        },
    }
