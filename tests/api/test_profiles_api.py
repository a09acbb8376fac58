"""Source profiles over the API: the list with the corpus, one source, the recompute job, the
CSV comparison table (neutralised against formula injection), and who may read them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotator.jobs import scheduling
from annotator.models import JobRun, JobStatus, Role
from tests.annotator.test_profiles_service import article, claim, layer, stance
from tests.factories import MembershipFactory, ProjectFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.usefixtures("fresh_cache")

COUNCIL = "Harbour City Council"


@pytest.fixture
def setup(db: None) -> dict[str, Any]:
    """A blind project, minimum one article: "=Evil Gazette" (five articles, each with four
    stance spans against the council and a claim) and "Plain Daily" (one article)."""
    project = ProjectFactory(slug="api-profiles", blind=True)
    project.min_profile_articles = 1
    project.save()
    users = {role: UserFactory(username=f"api-prof-{role}") for role in ("annotator", "reviewer", "manager")}
    for role, user in users.items():
        MembershipFactory(project=project, user=user, role=Role(role))
    users["outsider"] = UserFactory(username="api-prof-outsider")
    evil = SourceFactory(slug="evil-gazette", name='=HYPERLINK("http://evil.example","click")')
    plain = SourceFactory(slug="plain-daily", name="Plain Daily")
    writer = users["annotator"]
    for i in range(5):
        document, bounds = article(project, evil, 12, f"e{i}")
        spans = [(k, "OPINION", stance(COUNCIL, "AGAINST", "AUTHOR")) for k in range(4)]
        layer(document, bounds, writer, [*spans, (5, "CLAIM", claim("NAMED_SOURCE"))])
    document, bounds = article(project, plain, 12, "p0")
    layer(document, bounds, writer, [(0, "CLAIM", claim("NONE", voice="AUTHOR"))])
    return {"project": project, "users": users, "evil": evil, "plain": plain}


def client_for(user: Any | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(setup: dict[str, Any], rest: str = "") -> str:
    return f"/api/v1/projects/{setup['project'].pk}/profiles/{rest}"


def test_the_list_gives_every_source_and_the_corpus(setup):
    response = client_for(setup["users"]["reviewer"]).get(url(setup))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"project", "basis", "pending", "corpus", "sources"}
    assert (body["project"], body["basis"], body["pending"]) == (setup["project"].pk, "all", False)
    assert [s["source"]["slug"] for s in body["sources"]] == ["evil-gazette", "plain-daily"]
    evil = body["sources"][0]
    assert set(evil) == {"source", "n_articles", "computed_at", "data_watermark", "profile"}
    assert evil["n_articles"] == 5
    profile = evil["profile"]
    assert set(profile) == {
        "basis",
        "layers",
        "agreement",
        "coverage",
        "metrics",
        "evidence_mix",
        "stance",
        "settings",
    }
    assert profile["basis"] == "all" and profile["layers"] == {"all": 5}
    assert profile["stance"][COUNCIL]["net"]["value"] == -1.0
    assert profile["metrics"]["opinions_per_1k_words"]["value"] == pytest.approx(1000 * 20 / (5 * 48))
    assert body["corpus"]["n_articles"] == 6 and body["corpus"]["n_sources"] == 2
    assert body["corpus"]["profile"]["coverage"]["articles"] == 6


def test_the_basis_is_checked_and_named(setup):
    client = client_for(setup["users"]["manager"])
    response = client.get(url(setup), {"basis": "everything"})
    assert response.status_code == 400
    assert "basis" in response.json()
    body = client.get(url(setup), {"basis": "consensus"}).json()
    # One layer per article: no consensus anywhere, so no source has a profile on it.
    assert (body["basis"], body["sources"], body["corpus"]["n_articles"]) == ("consensus", [], 0)
    response = client.get(url(setup), {"basis": "model"})
    assert response.status_code == 400
    assert response.json()["basis"][0].startswith("No competence estimate yet: basis model needs one.")
    assert client.post(url(setup) + "?basis=model").status_code == 400


def test_one_source_comes_with_the_corpus(setup):
    client = client_for(setup["users"]["reviewer"])
    response = client.get(url(setup, f"{setup['plain'].pk}/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"project", "basis", "pending", "source", "corpus", "across_outlets"}
    assert body["source"]["source"] == {"id": setup["plain"].pk, "slug": "plain-daily", "name": "Plain Daily"}
    assert body["source"]["profile"]["metrics"]["unsupported_author_claims_per_1k_words"][
        "value"
    ] == pytest.approx(1000 / 48)
    assert body["corpus"]["n_articles"] == 6
    missing = client.get(url(setup, f"{setup['plain'].pk}/"), {"basis": "consensus"})
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "No profile of this source on basis consensus: it has no articles on that basis here."
    }
    assert client.get(url(setup, "999999/")).status_code == 404


def test_with_a_broker_a_basis_never_computed_is_a_404_with_a_hint(setup, monkeypatch):
    monkeypatch.setattr(scheduling, "in_process", lambda: False)
    response = client_for(setup["users"]["reviewer"]).get(url(setup), {"basis": "gold"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No source profiles yet on basis gold; POST to compute them."}


def test_post_recomputes_as_a_job(setup, django_capture_on_commit_callbacks):
    client = client_for(setup["users"]["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(setup) + "?basis=gold")
    assert response.status_code == 202, response.content
    job = JobRun.objects.get(pk=response.json()["id"])
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert (job.kind, job.params) == ("profiles_recompute", {"basis": "gold"})
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["n_sources"] == 0  # no gold layer, no consensus: nothing on basis gold
    assert client.post(url(setup) + "?basis=nope").status_code == 400


def test_the_list_reads_a_constant_number_of_queries(setup, django_assert_max_num_queries):
    client = client_for(setup["users"]["reviewer"])
    client.get(url(setup))  # computes
    with django_assert_max_num_queries(12) as few:
        client.get(url(setup))
        count = len(few)
    for i in range(3):
        source = SourceFactory(slug=f"more-{i}")
        document, bounds = article(setup["project"], source, 5, f"m{i}")
        layer(document, bounds, setup["users"]["annotator"], [(0, "CLAIM", claim("DATA"))])
    client.get(url(setup))  # computes the new sources
    with django_assert_max_num_queries(count):
        body = client.get(url(setup)).json()
    assert len(body["sources"]) == 5


# WHO MAY READ
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visible", "blind", "expected"),
    [(False, True, 403), (True, True, 403), (False, False, 403), (True, False, 200)],
)
def test_annotators_read_profiles_only_when_shown_and_not_blind(setup, visible, blind, expected):
    project = setup["project"]
    project.profiles_visible_to_annotators, project.blind = visible, blind
    project.save()
    client = client_for(setup["users"]["annotator"])
    assert client.get(url(setup)).status_code == expected
    assert client.get(url(setup, f"{setup['plain'].pk}/")).status_code == expected
    assert client.get(url(setup, "export.csv")).status_code == expected
    assert client.post(url(setup)).status_code == 403  # reading is not recomputing


def test_outsiders_get_404_and_anonymous_callers_401(setup):
    for path in (url(setup), url(setup, f"{setup['plain'].pk}/"), url(setup, "export.csv")):
        assert client_for(setup["users"]["outsider"]).get(path).status_code == 404
        assert client_for(None).get(path).status_code == 401
    assert client_for(setup["users"]["outsider"]).post(url(setup)).status_code == 404


# THE CSV
# ------------------------------------------------------------------------------


def test_the_csv_is_the_comparison_table_with_text_cells_neutralised(setup):
    response = client_for(setup["users"]["manager"]).get(url(setup, "export.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="api-profiles-profiles-all.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, evil, plain, corpus = rows
    assert header[:4] == ["scope", "source", "name", "basis"]
    # A name a spreadsheet would run as a formula is quoted; numbers stay numbers, even negative.
    assert evil[2] == '\'=HYPERLINK("http://evil.example","click")'
    net = header.index(f"stance.{COUNCIL}.net")
    assert (evil[net], evil[net + 3]) == ("-1.0", "ok")
    assert header[net + 1 : net + 5] == [
        f"stance.{COUNCIL}.net.{part}" for part in ("low", "high", "status", "n")
    ]
    assert plain[:4] == ["source", "plain-daily", "Plain Daily", "all"]
    assert plain[net] == ""  # no stance spans: no value
    assert corpus[:3] == ["corpus", "", "All sources (corpus)"]
    assert corpus[header.index("coverage.articles")] == "6"


def test_the_csv_errors_are_json_whatever_the_client_accepts(setup, monkeypatch):
    monkeypatch.setattr(scheduling, "in_process", lambda: False)
    response = client_for(setup["users"]["manager"]).get(url(setup, "export.csv"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_schema_documents_the_profile_routes():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/projects/{project_id}/profiles/"])
    assert "get" in paths["/api/v1/projects/{project_id}/profiles/{source_id}/"]
    csv_route = paths["/api/v1/projects/{project_id}/profiles/export.csv"]["get"]
    assert "text/csv" in csv_route["responses"]["200"]["content"]
    assert (
        "FigureSerializer" in str(schema["components"]["schemas"])
        or "Figure" in schema["components"]["schemas"]
    )
