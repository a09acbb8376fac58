"""Agreement over HTTP: the project report with its times and per-source reports, the full
recompute as a job, one document's figures. Who may call them is in test_permissions.py."""

from __future__ import annotations

import pytest

from annotator.agreement.maths import report_from_statistics
from annotator.models import JobStatus
from tests.annotator.test_agreement_jobs import (
    as_json,
    build_world,
    client_for,
    expected_statistics,
    make_document,
    make_layer,
    make_project,
    random_spans,
    submit,
    submit_each,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    """Three documents from two sources, three layers each, submitted over the API."""
    w = build_world(n_documents=3, sources=2)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)
    w["client"] = client_for(w["reviewer"])
    w["url"] = f"/api/v1/projects/{w['project'].pk}/agreement/"
    return w


def test_project_agreement_is_a_404_with_a_hint_until_a_report_exists(world):
    response = world.client("reviewer").get(f"/api/v1/projects/{world.project.pk}/agreement/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No agreement report yet; POST to compute one."}


def test_project_agreement_gives_the_report_its_times_and_one_report_per_source(
    submitted, django_assert_max_num_queries
):
    # The first read sums what the eager-mode throttle held back (a bounded number of queries
    # whatever the number of documents, one of them the project's article questions and one
    # which layers were made with suggestions shown); later reads only read.
    with django_assert_max_num_queries(23):
        submitted["client"].get(submitted["url"])
    with django_assert_max_num_queries(7):
        response = submitted["client"].get(submitted["url"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "project",
        "resolution",
        "computed_at",
        "data_watermark",
        "pending",
        "stale",
        "metrics",
        "sources",
        "annotators",
    }
    assert (body["project"], body["resolution"], body["pending"]) == (submitted["project"].pk, "token", False)
    assert body["stale"] is False
    assert body["computed_at"] >= body["data_watermark"]
    documents = submitted["documents"]
    direct = [expected_statistics(d, submitted["spans"][d.pk]) for d in documents]
    assert body["metrics"] == as_json(report_from_statistics(direct, n_boot=1000, seed=0))
    # Three documents are too few for an interval (ANNOTATOR_AGREEMENT_INTERVAL_MIN_DOCUMENTS).
    assert body["metrics"]["overall"]["alpha"]["ci95"] is None
    assert body["metrics"]["overall"]["alpha"]["ci95_reason"] == "too few documents for an interval"
    first, second = submitted["sources"]
    assert [(s["source_id"], s["slug"], s["name"]) for s in body["sources"]] == sorted(
        [(first.pk, first.slug, first.name), (second.pk, second.slug, second.name)], key=lambda s: s[2]
    )
    by_slug = {s["slug"]: s for s in body["sources"]}
    assert by_slug[first.slug]["metrics"] == as_json(
        report_from_statistics([direct[0], direct[2]], n_boot=1000)
    )
    assert by_slug[second.slug]["metrics"]["n_documents"] == 1
    assert body["annotators"] == {str(u.pk): u.username for u in submitted["annotators"]}


def test_a_project_using_one_label_reports_that_labels_alpha_as_its_headline(
    django_capture_on_commit_callbacks,
):
    # Overlaps allowed, three labels defined, only CLAIM used: the headline over label sets is
    # the CLAIM alpha exactly, and the labels nobody used have no alpha.
    project, annotators, reviewer = make_project(n_annotators=3)
    for i in range(4):
        document = make_document(project, i)
        for j, user in enumerate(annotators):
            spans = [
                (start, end, "CLAIM", {"evidence": "DATA"})
                for start, end, _, _ in random_spans(document.text, 10 * i + j)
            ]
            layer = make_layer(document, user, spans)
            with django_capture_on_commit_callbacks(execute=True):
                submit(layer)
    body = client_for(reviewer).get(f"/api/v1/projects/{project.pk}/agreement/").json()["metrics"]
    assert body["allow_overlap"] is True
    claim = body["labels"]["CLAIM"]["alpha"]["value"]
    assert claim is not None
    assert body["overall"]["alpha"]["value"] == pytest.approx(claim, abs=1e-12)
    for unused in ("OPINION", "DISCLAIMER"):
        assert body["labels"][unused]["alpha"] == {
            "value": None,
            "reason": "not used",
            "ci95": None,
            "ci95_reason": "not used",
        }


def test_post_starts_a_full_recompute_answers_202_and_the_job_ends_succeeded(
    submitted, django_capture_on_commit_callbacks
):
    client = submitted["client"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{submitted['url']}?resolution=char")
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["kind"] == "agreement_recompute"
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"

    job = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert job["status"] == JobStatus.SUCCEEDED, job["error"]
    assert job["progress"] == job["total"] == 3

    body = client.get(f"{submitted['url']}?resolution=char").json()
    assert body["resolution"] == "char"
    assert body["metrics"]["resolution"] == "character"
    direct = [expected_statistics(d, submitted["spans"][d.pk], "char") for d in submitted["documents"]]
    assert body["metrics"] == as_json(report_from_statistics(direct, n_boot=1000))


def test_an_unknown_resolution_is_refused(submitted):
    response = submitted["client"].get(f"{submitted['url']}?resolution=word")
    assert response.status_code == 400
    assert "resolution" in response.json()


def test_document_agreement_gives_the_documents_own_report_and_its_disagreement_score(submitted):
    document = submitted["documents"][1]
    response = submitted["client"].get(f"/api/v1/documents/{document.pk}/agreement/")
    assert response.status_code == 200, response.content
    body = response.json()
    direct = expected_statistics(document, submitted["spans"][document.pk])
    assert (body["document"], body["resolution"], body["n_layers"]) == (document.pk, "token", 3)
    assert body["metrics"] == as_json(report_from_statistics([direct]))
    assert body["disagreement"] == pytest.approx(direct.disagreement())
    assert body["layers_watermark"] is not None
    assert set(body["annotators"]) == {str(u.pk) for u in submitted["annotators"]}


def test_document_agreement_is_a_404_below_two_submitted_layers(world):
    response = world.client("manager").get(f"/api/v1/documents/{world.document.pk}/agreement/")
    assert response.status_code == 404
    assert "two submitted annotation layers" in response.json()["detail"]
