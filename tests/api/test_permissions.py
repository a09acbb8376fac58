"""Every endpoint for every role. The table must name every route in api.urls, so a new
endpoint without a permission rule fails here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern

from annotator.models import JobRun
from api.urls import urlpatterns
from tests.api.conftest import World

ROLES = ["anonymous", "outsider", "annotator", "annotator_b", "reviewer", "manager", "staff"]


def _statuses(
    anonymous=401, outsider=404, annotator=200, annotator_b=200, reviewer=200, manager=200, staff=None
):
    expected = locals()
    expected["staff"] = manager if staff is None else staff
    return expected


def _job(world: World) -> int:
    return JobRun.objects.create(kind="import", project=world.project).pk


def _own_token(world: World) -> str:
    from annotator.accounts.services import token_create

    token, _ = token_create(user=world.users["annotator"], name="notebook")
    return f"/api/v1/auth/tokens/{token.pk}/"


def _invitation(world: World) -> str:
    from annotator.projects.invitations import invitation_create

    invitation, _ = invitation_create(
        project=world.project, role="annotator", created_by=world.users["manager"]
    )
    return f"/api/v1/projects/{world.project.pk}/invitations/{invitation.pk}/"


def _project_agreement(world: World) -> str:
    """The path of a project agreement report that exists."""
    from annotator.agreement.services import project_agreement_refresh

    project_agreement_refresh(project_id=world.project.pk, n_boot=0)
    return f"/api/v1/projects/{world.project.pk}/agreement/"


def _document_agreement(world: World) -> str:
    """The path of the agreement of a document whose two layers are submitted."""
    from django.utils import timezone

    from annotator.agreement.services import document_agreement_refresh
    from annotator.models import Layer, LayerStatus

    Layer.objects.filter(pk__in=[world.layer_a.pk, world.layer_b.pk]).update(
        status=LayerStatus.SUBMITTED, submitted_at=timezone.now()
    )
    document_agreement_refresh(document_id=world.document.pk)
    return f"/api/v1/documents/{world.document.pk}/agreement/"


def _answer(world: World) -> str:
    """The path of the annotator's answer to an article question the project asks."""
    from annotator.models import Question

    Question.objects.get_or_create(
        project=world.project,
        key="genre",
        defaults={"name": "Genre", "kind": "choice", "points": [{"value": "NEWS"}, {"value": "OPINION"}]},
    )
    return f"/api/v1/assignments/{world.layer_a.pk}/answers/genre/"


def _deleted_span(world: World) -> dict[str, int]:
    """Delete the annotator's span and answer the body that restores it."""
    from annotator.models import Span
    from annotator.spans.services import span_delete

    span_delete(span=world.span_a, version=world.span_a.version, actor=world.users["annotator"])
    deletion = Span.history.get(id=world.span_a.pk, history_type="-")
    return {"history_id": deletion.history_id}


def _profiles(world: World, rest: str) -> str:
    """A profiles path of the project, once its two layers are submitted (reads in eager mode
    compute the profiles first)."""
    from django.utils import timezone

    from annotator.models import Layer, LayerStatus

    Layer.objects.filter(pk__in=[world.layer_a.pk, world.layer_b.pk]).update(
        status=LayerStatus.SUBMITTED, submitted_at=timezone.now()
    )
    return f"/api/v1/projects/{world.project.pk}/profiles/{rest}"


def _panel(world: World) -> str:
    """The path of a panel nobody belongs to."""
    from annotator.panels.services import panel_create

    panel = panel_create(project=world.project, key="left", name="Left")
    return f"/api/v1/projects/{world.project.pk}/panels/{panel.pk}/"


def _fitted(world: World) -> str:
    """The path of the project's competence fit, with one fit stored."""
    from annotator.competence.services import project_competence_compute

    project_competence_compute(project_id=world.project.pk)
    return f"/api/v1/projects/{world.project.pk}/annotators/competence/"


def _self_placement(world: World) -> str:
    """The self-placement path of a project that asks its question."""
    from annotator.projects.services import project_update

    _panel(world)
    project_update(project=world.project, changes={"panel_question": "Where do you stand?"})
    return f"/api/v1/projects/{world.project.pk}/panel/"


# Routes whose success is a file rather than JSON (their errors are JSON).
FILE_ROUTES = {"profiles-export": "text/csv", "claims-claimreview": "application/ld+json"}


def _claim_cluster(world: World, *, name: str = "permissions") -> Any:
    """A claim cluster of the world project (the first one holds two claims of its document)."""
    from annotator.models import Claim, ClaimCluster

    cluster, _ = ClaimCluster.objects.get_or_create(project=world.project, name=name)
    if name != "permissions":
        return cluster
    for start, end in ((0, 4), (5, 9)):
        Claim.objects.get_or_create(
            document=world.document,
            start=start,
            end=end,
            defaults={
                "project": world.project,
                "text": world.document.text[start:end],
                "basis": "consensus",
                "embedding": b"",
                "cluster": cluster,
            },
        )
    return cluster


def _cluster_path(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/claim-clusters/{_claim_cluster(w).pk}/{suffix}"


# (route name, method, path builder, body, expected status per role)
CASES: list[tuple[str, str, Callable[[World], str], Any, dict[str, int]]] = [
    # The root names paths, never data: open to anyone.
    ("root", "get", lambda w: "/api/v1/", None, _statuses(anonymous=200, outsider=200)),
    (
        "token",
        "delete",
        lambda w: "/api/v1/auth/token/",
        None,
        _statuses(outsider=204, annotator=204, annotator_b=204, reviewer=204, manager=204),
    ),
    ("tokens", "get", lambda w: "/api/v1/auth/tokens/", None, _statuses(outsider=200)),
    (
        # The annotator's own token: only its owner may revoke it; to anyone else it does not exist.
        "token-detail",
        "delete",
        _own_token,
        None,
        _statuses(outsider=404, annotator=204, annotator_b=404, reviewer=404, manager=404, staff=404),
    ),
    ("projects", "get", lambda w: "/api/v1/projects/", None, _statuses(outsider=200)),
    (
        "projects",
        "post",
        lambda w: "/api/v1/projects/",
        {"name": "New", "slug": "new"},
        _statuses(outsider=201, annotator=403, annotator_b=403, reviewer=403, manager=201),
    ),
    ("project", "get", lambda w: f"/api/v1/projects/{w.project.pk}/", None, _statuses()),
    (
        "project",
        "patch",
        lambda w: f"/api/v1/projects/{w.project.pk}/",
        {"description": "x"},
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
    (
        "members",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "members",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/",
        # olga shares no project with max: only staff may add her by name.
        {"username": "olga", "role": "annotator"},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=400, staff=201),
    ),
    (
        "member-detail",
        "patch",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/{w.users['annotator_b'].pk}/",
        {"role": "reviewer"},
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
    (
        "member-detail",
        "delete",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/{w.users['annotator_b'].pk}/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
    ("schema", "get", lambda w: f"/api/v1/projects/{w.project.pk}/schema/", None, _statuses()),
    # Publishing scorecards: every member sees whether they are published; managers decide.
    ("publication", "get", lambda w: f"/api/v1/projects/{w.project.pk}/publication/", None, _statuses()),
    (
        "publication",
        "put",
        lambda w: f"/api/v1/projects/{w.project.pk}/publication/",
        {"basis": "consensus"},
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
    (
        "publication",
        "delete",
        lambda w: f"/api/v1/projects/{w.project.pk}/publication/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=204),
    ),
    # Panels: every member reads them and places themselves (staff, with no membership, cannot);
    # managers define them; managers and reviewers read the annotators overview.
    ("panels", "get", lambda w: f"/api/v1/projects/{w.project.pk}/panels/", None, _statuses()),
    (
        "panels",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/panels/",
        {"key": "centre", "name": "Centre"},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=201),
    ),
    (
        "panel-detail",
        "patch",
        _panel,
        {"name": "Left of centre"},
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
    (
        "panel-detail",
        "delete",
        _panel,
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=204),
    ),
    ("my-panel", "get", lambda w: f"/api/v1/projects/{w.project.pk}/panel/", None, _statuses()),
    ("my-panel", "post", _self_placement, {"panel": "left"}, _statuses(staff=404)),
    (
        "annotators",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/annotators/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    ("annotators-competence", "get", _fitted, None, _statuses(annotator=403, annotator_b=403)),
    (
        "annotators-competence",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/annotators/competence/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=202, manager=202),
    ),
    ("my-calibration", "get", lambda w: f"/api/v1/projects/{w.project.pk}/calibration/", None, _statuses()),
    # Only an adjudicated document becomes a calibration item: this one is not (400).
    (
        "document-calibration",
        "put",
        lambda w: f"/api/v1/documents/{w.document.pk}/calibration/",
        {"calibration": True},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=400),
    ),
    (
        "schema",
        "put",
        lambda w: f"/api/v1/projects/{w.project.pk}/schema/",
        {"labels": [{"key": "FACT"}]},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=400),
    ),
    ("documents", "get", lambda w: f"/api/v1/projects/{w.project.pk}/documents/", None, _statuses()),
    (
        "documents-import",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/documents/import/",
        {"documents": [{"text": "Fresh news.", "source": "herald"}]},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=201),
    ),
    (
        # A multipart upload (tests/api/test_annotation_import_api.py sends real ones): the JSON
        # body here passes the role check and is then refused as the wrong media type.
        "annotations-import",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/annotations/import/",
        {"format": "doccano"},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=415),
    ),
    (
        "queue-next",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/queue/next/",
        None,
        _statuses(reviewer=403),
    ),
    (
        "project-agreement",
        "get",
        _project_agreement,
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "project-agreement",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/agreement/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=202, manager=202),
    ),
    ("my-assignments", "get", lambda w: f"/api/v1/projects/{w.project.pk}/assignments/", None, _statuses()),
    # Exports show every layer: annotators of a blind project may not export (access.can_export).
    (
        "export",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/export/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    # Source profiles sum every layer: reviewers and managers; annotators only where the project
    # shows them and is not blind (access.can_read_profiles; this project is blind).
    ("profiles", "get", lambda w: _profiles(w, ""), None, _statuses(annotator=403, annotator_b=403)),
    (
        "profiles",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/profiles/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=202, manager=202),
    ),
    (
        "profile",
        "get",
        lambda w: _profiles(w, f"{w.document.source_id}/"),
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "profiles-export",
        "get",
        lambda w: _profiles(w, "export.csv"),
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    # Review: reviewers and managers only (access.can_review); annotators 403, outsiders 404.
    (
        "review-queue",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/review/queue/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "decisions-export",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/decisions/export/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "document-review",
        "get",
        lambda w: f"/api/v1/documents/{w.document.pk}/review/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "decisions",
        "post",
        lambda w: f"/api/v1/documents/{w.document.pk}/decisions/",
        lambda w: {"action": "reject", "span_id": w.span_a.pk, "note": "not a claim"},
        _statuses(annotator=403, annotator_b=403),
    ),
    ("sources", "get", lambda w: "/api/v1/sources/", None, _statuses(outsider=200)),
    (
        "sources",
        "post",
        lambda w: "/api/v1/sources/",
        {"name": "New outlet", "slug": "new-outlet"},
        _statuses(outsider=201, annotator=403, annotator_b=403, reviewer=403, manager=201),
    ),
    ("document", "get", lambda w: f"/api/v1/documents/{w.document.pk}/", None, _statuses()),
    (
        "document-agreement",
        "get",
        _document_agreement,
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    ("job", "get", lambda w: f"/api/v1/jobs/{_job(w)}/", None, _statuses(annotator=403, annotator_b=403)),
    ("assignment", "get", lambda w: f"/api/v1/assignments/{w.layer_a.pk}/", None, _statuses(annotator_b=404)),
    (
        "spans",
        "get",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/spans/",
        None,
        _statuses(annotator_b=404),
    ),
    (
        "spans",
        "post",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/spans/",
        {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"},
        _statuses(annotator=201, annotator_b=404, reviewer=403, manager=403),
    ),
    (
        "suggestions",
        "get",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/suggestions/",
        None,
        _statuses(annotator_b=404),
    ),
    (
        "suggestion-rejections",
        "post",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/suggestions/rejections/",
        {"label": "OPINION", "start": 0, "end": 4},
        _statuses(annotator=201, annotator_b=404, reviewer=403, manager=403),
    ),
    (
        "claims",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/claims/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "claims-refresh",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/claims/refresh/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=202, manager=202),
    ),
    (
        "claims-claimreview",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/claims/claimreview/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    ("claim-cluster", "get", _cluster_path(), None, _statuses(annotator=403, annotator_b=403)),
    (
        "claim-cluster",
        "patch",
        _cluster_path(),
        {"name": "Tram costs"},
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "claim-cluster-merge",
        "post",
        _cluster_path("merge/"),
        lambda w: {
            "other": __import__("annotator.models").models.ClaimCluster.objects.create(project=w.project).pk
        },
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "claim-cluster-split",
        "post",
        _cluster_path("split/"),
        lambda w: {"claims": [_claim_cluster(w).claims.order_by("pk")[0].pk]},
        _statuses(annotator=403, annotator_b=403, reviewer=201, manager=201),
    ),
    (
        "claim-cluster-history",
        "get",
        _cluster_path("history/"),
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "suggestion-models",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/suggestions/models/",
        None,
        _statuses(annotator=403, annotator_b=403),
    ),
    (
        "suggestion-models",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/suggestions/models/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=202),
    ),
    (
        "answers",
        "get",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/answers/",
        None,
        _statuses(annotator_b=404),
    ),
    (
        "answer",
        "put",
        _answer,
        {"value": "NEWS"},
        _statuses(annotator=201, annotator_b=404, reviewer=403, manager=403),
    ),
    (
        "answer",
        "delete",
        lambda w: f"{_answer(w)}?version=1",
        None,
        _statuses(annotator=204, annotator_b=404, reviewer=403, manager=403),
    ),
    (
        "submit",
        "post",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/submit/",
        None,
        _statuses(annotator_b=404, reviewer=403, manager=403),
    ),
    # Reviewers may reopen; this layer is not submitted, hence 409 for them.
    (
        "reopen",
        "post",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/reopen/",
        {},
        # Its own annotator may take a submitted layer back; this one is not submitted.
        _statuses(annotator=409, annotator_b=404, reviewer=409, manager=409),
    ),
    (
        "skip",
        "post",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/skip/",
        {"reason": "Not news"},
        _statuses(annotator_b=404, reviewer=403, manager=403),
    ),
    ("span", "get", lambda w: f"/api/v1/spans/{w.span_a.pk}/", None, _statuses(annotator_b=404)),
    (
        "span",
        "patch",
        lambda w: f"/api/v1/spans/{w.span_a.pk}/",
        {"version": 1, "attributes": {"evidence": "DATA"}},
        _statuses(annotator_b=404, reviewer=403, manager=403),
    ),
    (
        "span",
        "delete",
        lambda w: f"/api/v1/spans/{w.span_a.pk}/?version=1",
        None,
        _statuses(annotator=204, annotator_b=404, reviewer=403, manager=403),
    ),
    # The span audit trail: reviewers, managers and the layer's own annotator; restore: managers.
    (
        "span-history",
        "get",
        lambda w: f"/api/v1/spans/{w.span_a.pk}/history/",
        None,
        _statuses(annotator_b=404),
    ),
    (
        "assignment-history",
        "get",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/history/",
        None,
        _statuses(annotator_b=404),
    ),
    (
        "spans-restore",
        "post",
        lambda w: f"/api/v1/assignments/{w.layer_a.pk}/spans/restore/",
        _deleted_span,
        _statuses(annotator=403, annotator_b=404, reviewer=403, manager=201),
    ),
    (
        "invitations",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/invitations/",
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
    (
        "invitations",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/invitations/",
        {"role": "annotator", "email": "new@example.org"},
        _statuses(annotator=403, annotator_b=403, reviewer=403, manager=201),
    ),
    (
        "invitation-detail",
        "delete",
        _invitation,
        None,
        _statuses(annotator=403, annotator_b=403, reviewer=403),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "path", "body", "expected"), CASES, ids=[f"{c[1]}-{c[0]}" for c in CASES]
)
def test_every_endpoint_for_every_role(world, role, name, method, path, body, expected):
    client = world.client(None if role == "anonymous" else role)
    body = body(world) if callable(body) else body
    response = getattr(client, method)(path(world), body, format="json")
    assert response.status_code == expected[role], response.content
    if response.status_code != 204:
        expected_type = (
            FILE_ROUTES.get(name, "application/json") if response.status_code == 200 else "application/json"
        )
        assert response["Content-Type"].startswith(expected_type)


# Routes that name a layer, called with a token: the same answers as with a session.
ROUTES = {p.name: p for p in urlpatterns if isinstance(p, URLPattern)}
LAYER_CASES = [c for c in CASES if "<int:assignment_id>" in str(ROUTES[c[0]].pattern)]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
@pytest.mark.parametrize(
    ("name", "method", "path", "body", "expected"), LAYER_CASES, ids=[f"{c[1]}-{c[0]}" for c in LAYER_CASES]
)
def test_every_layer_endpoint_for_every_role_with_a_token(world, role, name, method, path, body, expected):
    client = world.client(role, token=True)
    body = body(world) if callable(body) else body
    response = getattr(client, method)(path(world), body, format="json")
    assert response.status_code == expected[role], response.content


def test_every_api_route_has_permission_cases():
    assert set(ROUTES) == {c[0] for c in CASES}
    assert len(LAYER_CASES) >= 8


def test_project_list_shows_only_the_callers_projects(world):
    names = {p["slug"] for p in world.client("outsider").get("/api/v1/projects/").json()}
    assert names == {"elsewhere"}
    assert {p["slug"] for p in world.client("staff").get("/api/v1/projects/").json()} >= {
        "world",
        "elsewhere",
    }


def test_source_notes_are_for_members_of_some_project_and_staff(world):
    from rest_framework.test import APIClient

    from tests.factories import SourceFactory, UserFactory

    SourceFactory(slug="noted-outlet", notes="owner lobbies the council")
    nobody = APIClient()
    nobody.force_authenticate(UserFactory(username="nobody"))
    listed = {x["slug"]: x for x in nobody.get("/api/v1/sources/").json()}
    assert "notes" not in listed["noted-outlet"]
    for who in ("annotator", "outsider", "staff"):
        listed = {x["slug"]: x for x in world.client(who).get("/api/v1/sources/").json()}
        assert listed["noted-outlet"]["notes"] == "owner lobbies the council"


def test_whoever_started_a_project_job_reads_it_whatever_their_role(world):
    job = JobRun.objects.create(kind="import", project=world.project, created_by=world.users["annotator"])
    assert world.client("annotator").get(f"/api/v1/jobs/{job.pk}/").status_code == 200
    assert world.client("annotator_b").get(f"/api/v1/jobs/{job.pk}/").status_code == 403
    assert world.client("reviewer").get(f"/api/v1/jobs/{job.pk}/").status_code == 200


def test_object_ids_of_other_projects_answer_404(world):
    from annotator.panels.services import panel_create

    client = world.client("manager")
    elsewhere = panel_create(project=world.other_project, key="left", name="Left")
    assert client.patch(f"/api/v1/projects/{world.project.pk}/panels/{elsewhere.pk}/", {}).status_code == 404
    assert client.get(f"/api/v1/assignments/{world.other_layer.pk}/").status_code == 404
    assert client.get(f"/api/v1/documents/{world.other_layer.document_id}/").status_code == 404
    assert client.get(f"/api/v1/projects/{world.other_project.pk}/documents/").status_code == 404
    assert client.get("/api/v1/assignments/999999/").status_code == 404


def test_annotator_cannot_read_another_annotators_spans_in_blind_project(world):
    response = world.client("annotator_b").get(f"/api/v1/spans/{world.span_a.pk}/")
    assert response.status_code == 404
    documents = world.client("annotator_b").get(f"/api/v1/projects/{world.project.pk}/documents/").json()
    # Counts of other people's layers are hidden too.
    assert [d["layers_submitted"] for d in documents["results"]] == [None]


def test_annotators_see_each_other_when_the_project_is_not_blind(world):
    world.project.blind = False
    world.project.save()
    response = world.client("annotator_b").get(f"/api/v1/assignments/{world.layer_a.pk}/")
    assert response.status_code == 200
    assert [s["text"] for s in response.json()["spans"]] == [world.span_a.text]
    # Reading is not writing.
    response = world.client("annotator_b").post(
        f"/api/v1/assignments/{world.layer_a.pk}/spans/",
        {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"},
        format="json",
    )
    assert response.status_code == 403


# -- own and other projects, blind on and off --------------------------------------------------

# Objects that belong to no project: any id of them is fine in a route that also names a project.
GLOBAL_KWARGS = {"source_id"}
OBJECT_ROUTES = [
    (pattern.name, method)
    for pattern in urlpatterns
    if isinstance(pattern, URLPattern) and set(pattern.pattern.converters) - GLOBAL_KWARGS
    for method in ("get", "post", "put", "patch", "delete")
    if hasattr(pattern.callback.view_class, method)  # type: ignore[attr-defined]
]


def _object_ids(world: World, *, foreign_to: str) -> dict[str, int | str]:
    """For each kind of object a route can name, the id of one the user `foreign_to` may not
    see: from the other project for the world project's members, from the world project for
    the outsider (who manages only the other project)."""
    from annotator.accounts.services import token_create
    from annotator.models import ClaimCluster, Source
    from annotator.panels.services import panel_create
    from annotator.projects.invitations import invitation_create
    from annotator.spans.services import span_create

    if foreign_to == "outsider":
        project, layer, manager = world.project, world.layer_a, world.users["manager"]
    else:
        project, layer, manager = world.other_project, world.other_layer, world.users["outsider"]
    text = layer.document.text
    span, _ = span_create(layer=layer, label="OPINION", start=0, end=7, text=text[:7])
    return {
        "project_id": project.pk,
        "document_id": layer.document_id,
        "assignment_id": layer.pk,
        "span_id": span.pk,
        "job_id": JobRun.objects.create(kind="import", project=project).pk,
        "user_id": manager.pk,
        "token_id": token_create(user=manager, name="someone else's")[0].pk,
        "invitation_id": invitation_create(project=project, role="annotator", created_by=manager)[0].pk,
        "source_id": Source.objects.get(slug="herald").pk,
        "key": "genre",  # an article question's key: the layer it is asked in is foreign
        "panel_id": panel_create(project=project, key=f"panel-{foreign_to}", name="A panel").pk,
        "cluster_id": ClaimCluster.objects.create(project=project).pk,
    }


@pytest.mark.parametrize(("name", "method"), OBJECT_ROUTES, ids=[f"{m}-{n}" for n, m in OBJECT_ROUTES])
def test_objects_of_a_project_the_caller_is_not_in_answer_404_on_every_route(world, name, method):
    from django.urls import reverse

    pattern = next(p for p in urlpatterns if isinstance(p, URLPattern) and p.name == name)
    foreign = {
        "outsider": _object_ids(world, foreign_to="outsider"),
        "member": _object_ids(world, foreign_to="member"),
    }
    for role in ["outsider", "annotator", "annotator_b", "reviewer", "manager"]:
        ids = foreign["outsider" if role == "outsider" else "member"]
        unknown = set(pattern.pattern.converters) - set(ids)
        assert not unknown, f"add an id for {unknown} to _object_ids"
        path = reverse(f"api:{name}", kwargs={k: ids[k] for k in pattern.pattern.converters})
        body = None if method == "get" else {}
        response = getattr(world.client(role), method)(path, body, format="json")
        assert response.status_code == 404, (role, method, path, response.content)
        assert response["Content-Type"].startswith("application/json")


# An annotator reading another annotator's layer: (path, status when blind, status when not).
LAYER_READS = [
    ("assignment", lambda w: f"/api/v1/assignments/{w.layer_a.pk}/", 404, 200),
    ("spans", lambda w: f"/api/v1/assignments/{w.layer_a.pk}/spans/", 404, 200),
    ("answers", lambda w: f"/api/v1/assignments/{w.layer_a.pk}/answers/", 404, 200),
    ("span", lambda w: f"/api/v1/spans/{w.span_a.pk}/", 404, 200),
    # Who changed what stays with the layer's annotator, reviewers and managers.
    ("span-history", lambda w: f"/api/v1/spans/{w.span_a.pk}/history/", 404, 403),
    ("assignment-history", lambda w: f"/api/v1/assignments/{w.layer_a.pk}/history/", 404, 403),
]


@pytest.mark.parametrize("blind", [True, False], ids=["blind", "not-blind"])
@pytest.mark.parametrize(
    ("name", "path", "if_blind", "if_not_blind"), LAYER_READS, ids=[r[0] for r in LAYER_READS]
)
def test_annotators_read_another_annotators_layer_only_in_a_project_that_is_not_blind(
    world, blind, name, path, if_blind, if_not_blind
):
    world.project.blind = blind
    world.project.save()
    client = world.client("annotator_b")

    assert client.get(path(world)).status_code == (if_blind if blind else if_not_blind)
    # Reading is never writing.
    write = client.post(
        f"/api/v1/assignments/{world.layer_a.pk}/spans/",
        {"label": "OPINION", "start": 0, "end": 4, "text": "Tram"},
        format="json",
    )
    assert write.status_code == (404 if blind else 403)
    # Their own layer is theirs either way.
    assert client.get(f"/api/v1/assignments/{world.layer_b.pk}/").status_code == 200


def test_the_api_root_links_the_collections_schema_docs_and_every_endpoint(world):
    from rest_framework.test import APIClient

    body = APIClient().get("/api/v1/").json()
    assert body["projects"] == "http://testserver/api/v1/projects/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["endpoints"]["span"] == "/api/v1/spans/{span_id}/"
    assert body["endpoints"]["member-detail"] == "/api/v1/projects/{project_id}/members/{user_id}/"
    assert set(body["endpoints"]) == set(ROUTES) - {"root"}
