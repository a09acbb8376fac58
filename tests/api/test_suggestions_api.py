"""Trained suggestions over HTTP: a real worker trains on the project's truth, the model's
held-out evaluation and baseline are listed, suggestions carry their model version and
confidence, an accepted one becomes a span that keeps the version in its history and in exports,
a rejected one is not offered again and is counted by the next training, blind projects are off
until a manager turns them on, enough new gold trains again, and one project's model is never
used in another."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from annotator.models import (
    JobKind,
    JobRun,
    JobStatus,
    Layer,
    SuggestionModel,
)
from annotator.review.services import review_adjudicate
from annotator.suggestions.services import suggestion_model_train, suggestions_train_job_run
from tests.annotator.suggestion_corpus import CLAIMS, NEW_TEXT, OPINIONS
from tests.annotator.suggestion_team import SuggestionTeam


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_real_worker_trains_and_an_accepted_suggestion_keeps_its_model_version(tmp_path):
    from tests.workers import celery_worker, wait_until

    team = SuggestionTeam("suggested")
    url = f"/api/v1/projects/{team.project.pk}/suggestions/models/"
    assert _client(team.annotator).post(url).status_code == 403
    assert _client(team.reviewer).post(url).status_code == 403
    assert _client(team.annotator).get(url).status_code == 403
    with celery_worker(tmp_path):
        started = _client(team.manager).post(url)
        assert started.status_code == 202, started.content
        job_id = started.json()["id"]
        wait_until(lambda: JobRun.objects.get(pk=job_id).is_finished, timeout=120)
    job = JobRun.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.progress, job.total) == (3, 3)
    (listed,) = _client(team.reviewer).get(url).json()
    assert listed["model_version"] == job.result["model_version"]
    assert (listed["created_by"], listed["trigger"], listed["n_documents"]) == (
        team.manager.username,
        "manual",
        40,
    )
    assert listed["layers_version"] == team.project.layers_version
    assert listed["in_use"] and set(listed["labels_used"]) == {"CLAIM", "OPINION", "DISCLAIMER"}
    claim = listed["metrics"]["labels"]["CLAIM"]
    assert claim["span_f1"] > claim["baseline_span_f1"]
    assert listed["metrics"]["baseline"] == "Every sentence marked with the label"

    body = team.suggestions()
    version = listed["model_version"]
    claim_text, evidence = CLAIMS[1]
    assert [(s["label"], s["text"], s["rule"], s["model_version"]) for s in body["suggestions"]] == [
        ("CLAIM", claim_text, "model", version),
        ("OPINION", OPINIONS[0], "model", version),
    ]
    first = body["suggestions"][0]
    assert first["confidence"] >= 0.5 and first["attributes"]["evidence"]["value"] == evidence
    assert Layer.objects.get(pk=team.layer.pk).suggestions_shown

    anna = _client(team.annotator)
    created = anna.post(
        f"/api/v1/assignments/{team.layer.pk}/spans/",
        {
            "label": "CLAIM",
            "start": first["start"],
            "end": first["end"],
            "text": first["text"],
            "attributes": {"evidence": evidence},
            "model_version": version,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    span = created.json()
    assert span["model_version"] == version
    history = anna.get(f"/api/v1/spans/{span['id']}/history/").json()
    assert [(row["action"], row["model_version"]) for row in history] == [("created", version)]
    # Accepted, it is no longer offered; the opinion is rejected and not offered again.
    opinion = team.suggestions()["suggestions"][0]
    assert opinion["label"] == "OPINION"
    rejected = anna.post(
        f"/api/v1/assignments/{team.layer.pk}/suggestions/rejections/",
        {"label": "OPINION", "start": opinion["start"], "end": opinion["end"], "model_version": version},
        format="json",
    )
    assert rejected.status_code == 201, rejected.content
    assert team.suggestions()["suggestions"] == []
    assert anna.post(f"/api/v1/assignments/{team.layer.pk}/submit/").status_code == 200
    exported = _client(team.manager).get(f"/api/v1/projects/{team.project.pk}/export/?format=jsonl")
    records = [json.loads(line) for line in b"".join(exported.streaming_content).decode().splitlines()]
    (new,) = [r for r in records if r["document_id"] == team.document.pk]
    assert [(s["label"], s["model_version"]) for s in new["spans"]] == [("CLAIM", version)]
    assert {s["model_version"] for r in records if r is not new for s in r["spans"]} == {None}
    # The rejection is data for the next training.
    assert suggestion_model_train(project_id=team.project.pk).n_rejections == 1


def test_one_projects_model_is_never_used_in_another(db):
    ours, theirs = SuggestionTeam("ours"), SuggestionTeam("theirs", n_documents=3)
    model = suggestion_model_train(project_id=ours.project.pk)
    assert theirs.suggestions()["suggestions"] == []  # theirs has no model of its own
    refused = _client(theirs.annotator).post(
        f"/api/v1/assignments/{theirs.layer.pk}/spans/",
        {"label": "OPINION", "start": 0, "end": 19, "text": NEW_TEXT[:19], "model_version": model.pk},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"model_version": [f"No suggestion model {model.pk} in this project."]}
    rejection = _client(theirs.annotator).post(
        f"/api/v1/assignments/{theirs.layer.pk}/suggestions/rejections/",
        {"label": "OPINION", "start": 0, "end": 19, "model_version": model.pk},
        format="json",
    )
    assert rejection.status_code == 400 and "model_version" in rejection.json()
    assert (
        _client(theirs.manager).get(f"/api/v1/projects/{ours.project.pk}/suggestions/models/").status_code
        == 404
    )


def test_too_little_truth_fails_the_job_with_the_reason(db):
    team = SuggestionTeam("sparse", n_documents=4)
    started = _client(team.manager).post(f"/api/v1/projects/{team.project.pk}/suggestions/models/")
    job_id = started.json()["id"]
    suggestions_train_job_run(job_id=job_id)
    job = JobRun.objects.get(pk=job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == "4 documents have gold or consensus; training needs 10."
    assert not SuggestionModel.objects.filter(project=team.project).exists()


def test_a_blind_project_offers_nothing_until_a_manager_turns_suggestions_on(db):
    team = SuggestionTeam("blinded", blind=True)
    suggestion_model_train(project_id=team.project.pk)
    off = team.suggestions()
    assert off == {
        "enabled": False,
        "reason": "Suggestions are off in this blind project until a manager turns them on.",
        "suggestions": [],
    }
    assert not Layer.objects.get(pk=team.layer.pk).suggestions_shown
    project_url = f"/api/v1/projects/{team.project.pk}/"
    assert (
        _client(team.annotator)
        .patch(project_url, {"suggestions_when_blind": True}, format="json")
        .status_code
        == 403
    )
    turned = _client(team.manager).patch(project_url, {"suggestions_when_blind": True}, format="json")
    assert turned.status_code == 200 and turned.json()["suggestions_when_blind"] is True
    # A reviewer looking does not count as the annotator having seen them.
    assert len(team.suggestions(team.reviewer)["suggestions"]) == 2
    assert not Layer.objects.get(pk=team.layer.pk).suggestions_shown
    assert len(team.suggestions()["suggestions"]) == 2
    assert Layer.objects.get(pk=team.layer.pk).suggestions_shown


def test_bad_rejections_name_the_field(db):
    team = SuggestionTeam("refusing", n_documents=3)
    url = f"/api/v1/assignments/{team.layer.pk}/suggestions/rejections/"
    anna = _client(team.annotator)
    assert anna.post(url, {"label": "SATIRE", "start": 0, "end": 5}, format="json").json() == {
        "label": ["No label 'SATIRE' in this project."]
    }
    assert anna.post(url, {"label": "CLAIM", "start": 0, "end": 10_000}, format="json").json() == {
        "end": [f"Need 0 <= start < end <= {len(NEW_TEXT)} (the text's length)."]
    }
    assert (
        _client(team.reviewer).post(url, {"label": "CLAIM", "start": 0, "end": 5}, format="json").status_code
        == 403
    )


def test_enough_new_gold_trains_the_model_again(db, settings, django_capture_on_commit_callbacks):
    # The test settings run tasks in-process, as the embedded default does.
    settings.ANNOTATOR_SUGGESTIONS_RETRAIN_AFTER = 2
    team = SuggestionTeam("growing")
    documents = list(team.project.documents.order_by("pk")[:2])
    with django_capture_on_commit_callbacks(execute=True):
        review_adjudicate(document=documents[0], reviewer=team.reviewer)
    assert not JobRun.objects.filter(kind=JobKind.SUGGESTIONS_TRAIN).exists()
    with django_capture_on_commit_callbacks(execute=True):
        review_adjudicate(document=documents[1], reviewer=team.reviewer)
    (job,) = JobRun.objects.filter(kind=JobKind.SUGGESTIONS_TRAIN)
    assert job.status == JobStatus.SUCCEEDED, job.error
    model = SuggestionModel.objects.get(project=team.project)
    assert (model.trigger, model.n_gold) == ("new_truth", 2)
