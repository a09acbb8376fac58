"""Agreement kept current: per-document statistics when a layer is submitted or reopened, the
project and source reports as their sum, coalesced project refreshes, the full recompute, the
command, and the same path with a real Celery worker."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterable
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotator.agreement.maths import (
    DocumentStatistics,
    document_statistics,
    report_from_statistics,
    tokenize,
)
from annotator.agreement.maths.attributes import AttributeSpec
from annotator.agreement.services import (
    agreement_recompute_start,
    project_agreement_current,
    project_agreement_refresh,
)
from annotator.jobs.scheduling import Refresh, refresh_count
from annotator.layers.services import layer_assign
from annotator.models import (
    AgreementReport,
    Attribute,
    DocumentAgreement,
    JobRun,
    JobStatus,
    Layer,
    ReportScope,
    Role,
)
from annotator.schema import DEFAULT_ATTRIBUTES
from tests.factories import DocumentFactory, ProjectFactory, SourceFactory, member, span_add
from tests.workers import celery_worker, wait_until

pytestmark = pytest.mark.usefixtures("fresh_cache")

COUNCIL = "Harbour City Council"
SENTENCES = [
    "The council said the tram will cost £48 million.",
    "Critics called the plan a waste of money.",
    "Ridership fell 12% last year, the report shows.",
    "The mayor may resign, officials said.",
    "Views expressed are the author's own.",
]
LABELS = ("CLAIM", "OPINION", "DISCLAIMER")
ATTRIBUTE_SPECS = [
    AttributeSpec(
        key=a["key"],
        kind=a["kind"],  # type: ignore[arg-type]
        values=tuple(v["value"] for v in a["values"]),
        applies_to=tuple(a["applies_to"]),
    )
    for a in DEFAULT_ATTRIBUTES
]


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_project(n_annotators: int = 3) -> tuple[Any, list[Any], Any]:
    """A project (default schema, overlaps allowed) with annotators and a reviewer."""
    project = ProjectFactory(targets=(COUNCIL, "Tramline Extension"))
    annotators = [member(project, Role.ANNOTATOR) for _ in range(n_annotators)]
    return project, annotators, member(project, Role.REVIEWER)


def make_document(project: Any, index: int, source: Any = None) -> Any:
    text = f"Story {index}. " + " ".join(SENTENCES)
    return DocumentFactory(project=project, source=source or SourceFactory(slug="herald"), text=text)


def random_spans(text: str, seed: int) -> list[tuple[int, int, str, dict[str, Any]]]:
    """A layer that agrees with the others mostly: each sentence is kept with p = .8, labelled
    CLAIM or OPINION by a coin that favours one side, boundaries jittered a little."""
    rng = random.Random(seed)
    spans = []
    for number, sentence in enumerate(SENTENCES):
        if rng.random() > 0.8:
            continue
        start = text.index(sentence)
        end = start + len(sentence) - 1
        start = min(start + rng.choice([0, 0, 0, 4]), end - 1)
        label = "CLAIM" if (number % 2 == 0) != (rng.random() < 0.15) else "OPINION"
        if number == 4 and rng.random() < 0.5:
            label = "DISCLAIMER"
        attributes: dict[str, Any] = {}
        if label == "CLAIM":
            attributes["evidence"] = rng.choice(["NAMED_SOURCE", "NAMED_SOURCE", "DATA"])
            attributes["check_worthy"] = rng.random() < 0.7
        if label in ("CLAIM", "OPINION"):
            attributes["stance"] = [
                {"target": COUNCIL, "stance": rng.choice(["FAVOR", "AGAINST", "AGAINST"])}
            ]
            attributes["hedged"] = rng.random() < 0.3
        spans.append((start, end, label, attributes))
    return spans


def make_layer(document: Any, user: Any, spans: list[tuple[int, int, str, dict[str, Any]]]) -> Layer:
    layer = layer_assign(document=document, user=user)
    for start, end, label, attributes in spans:
        span_add(
            layer, label=label, start=start, end=end, text=document.text[start:end], attributes=attributes
        )
    return layer


def submit(layer: Layer) -> None:
    response = client_for(layer.user).post(f"/api/v1/assignments/{layer.pk}/submit/")
    assert response.status_code == 200, response.content


def submit_each(layers: Iterable[Layer], capture_on_commit: Any) -> None:
    """Submit each layer in a request of its own, running the jobs its commit starts."""
    for layer in layers:
        with capture_on_commit(execute=True):
            submit(layer)


def expected_statistics(
    document: Any, layers: dict[Any, list[Any]], resolution: str = "token"
) -> DocumentStatistics:
    """The engine called directly on the layers as the test built them."""
    return document_statistics(
        {user.pk: spans for user, spans in layers.items()},
        LABELS,
        text_length=len(document.text),
        tokens=tokenize(document.text) if resolution == "token" else None,
        attributes=ATTRIBUTE_SPECS,
        allow_overlap=True,
    )


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def make_burst(source_slug: str, seed_step: int) -> tuple[Any, list[Layer]]:
    """A project of 50 documents from one source, each with two unsubmitted layers."""
    project, annotators, _ = make_project(n_annotators=2)
    source = SourceFactory(slug=source_slug)
    layers = []
    for i in range(50):
        document = make_document(project, i, source)
        layers += [
            make_layer(document, user, random_spans(document.text, seed=seed_step * i + j))
            for j, user in enumerate(annotators)
        ]
    return project, layers


def build_world(n_documents: int, n_annotators: int = 3, sources: int = 1) -> dict[str, Any]:
    """Documents with one unsubmitted layer per annotator; `spans[doc][user]` as built."""
    project, annotators, reviewer = make_project(n_annotators)
    outlets = [SourceFactory(slug=f"outlet-{project.pk}-{i}") for i in range(sources)]
    documents, layers, spans = [], {}, {}
    for i in range(n_documents):
        document = make_document(project, i, outlets[i % sources])
        documents.append(document)
        spans[document.pk] = {}
        for j, user in enumerate(annotators):
            spans[document.pk][user] = random_spans(document.text, seed=1000 * i + j)
            layers[document.pk, user.pk] = make_layer(document, user, spans[document.pk][user])
    return {
        "project": project,
        "annotators": annotators,
        "reviewer": reviewer,
        "sources": outlets,
        "documents": documents,
        "layers": layers,
        "spans": spans,
    }


# EAGER MODE (no broker: tasks run in-process)
# ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submitting_layers_over_the_api_stores_each_documents_statistics_and_the_project_report(
    django_capture_on_commit_callbacks,
):
    w = build_world(n_documents=3, sources=2)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)

    expected = {}
    for document in w["documents"]:
        stored = DocumentAgreement.objects.get(document=document, resolution="token")
        direct = expected_statistics(document, w["spans"][document.pk])
        assert stored.statistics == as_json(direct.to_dict())
        assert stored.n_layers == 3
        assert stored.disagreement == pytest.approx(direct.disagreement()["score"])
        assert stored.layers_watermark == max(
            Layer.objects.filter(document=document).values_list("submitted_at", flat=True)
        )
        expected[document.pk] = direct

    current = project_agreement_current(project_id=w["project"].pk)
    assert current.report is not None
    assert not current.pending
    ordered = [expected[pk] for pk in sorted(expected)]
    assert current.report.metrics == as_json(report_from_statistics(ordered, n_boot=1000, seed=0))
    assert current.report.data_watermark == max(
        Layer.objects.filter(document__project=w["project"]).values_list("submitted_at", flat=True)
    )
    by_source = {r.scope_key: r.metrics for _, r in current.sources}
    first, second = w["sources"]
    assert by_source[first.slug] == as_json(
        report_from_statistics([expected[w["documents"][0].pk], expected[w["documents"][2].pk]], n_boot=1000)
    )
    assert by_source[second.slug]["n_documents"] == 1


@pytest.mark.django_db
def test_the_report_names_every_figure_and_gives_a_reason_for_each_null(
    django_capture_on_commit_callbacks, settings
):
    settings.ANNOTATOR_AGREEMENT_INTERVAL_MIN_DOCUMENTS = 2
    w = build_world(n_documents=2)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)
    metrics = project_agreement_current(project_id=w["project"].pk).report.metrics

    assert metrics["resolution"] == "token"
    assert (metrics["n_documents"], metrics["n_layers"]) == (2, 6)
    for name in ("alpha", "alpha_u", "f1_exact", "f1_overlap"):
        assert isinstance(metrics["overall"][name]["value"], float)
        assert metrics["overall"][name]["reason"] is None
    assert metrics["overall"]["alpha"]["ci95"][0] <= metrics["overall"]["alpha"]["value"]
    assert metrics["overall"]["alpha"]["ci95_reason"] is None
    assert metrics["bootstrap"]["min_documents"] == 2
    for label in LABELS:
        assert set(metrics["labels"][label]) == {"alpha", "alpha_u", "f1_exact", "f1_overlap"}
    for key in ("evidence", "stance", "hedged", "check_worthy", "voice"):
        assert set(metrics["attributes"][key]) >= {"alpha", "coverage"}
    assert COUNCIL in metrics["attributes"]["stance"]["targets"]
    # Nobody gave a voice: no number, and a reason instead of a 1 or a crash.
    assert metrics["attributes"]["voice"]["alpha"] == {"value": None, "reason": "insufficient data"}
    assert [p["annotators"] for p in metrics["pairs"]] == [
        [str(a.pk), str(b.pk)] for i, a in enumerate(w["annotators"]) for b in w["annotators"][i + 1 :]
    ]


@pytest.mark.django_db
def test_a_project_without_two_submitted_layers_gets_a_report_of_nulls_with_reasons(
    django_capture_on_commit_callbacks,
):
    w = build_world(n_documents=1)
    with django_capture_on_commit_callbacks(execute=True):
        submit(w["layers"][w["documents"][0].pk, w["annotators"][0].pk])
    assert not DocumentAgreement.objects.exists()
    metrics = project_agreement_current(project_id=w["project"].pk).report.metrics
    assert metrics["n_documents"] == 0
    assert metrics["overall"]["alpha"] == {
        "value": None,
        "reason": "insufficient data",
        "ci95": None,
        "ci95_reason": "insufficient data",
    }


@pytest.mark.django_db
def test_reopening_a_layer_refreshes_the_document_and_below_two_layers_removes_it(
    django_capture_on_commit_callbacks,
):
    w = build_world(n_documents=2)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)
    first, second = w["documents"]
    anna, ben, carl = w["annotators"]
    reviewer = client_for(w["reviewer"])

    def reopen(document: Any, user: Any) -> None:
        layer = w["layers"][document.pk, user.pk]
        with django_capture_on_commit_callbacks(execute=True):
            response = reviewer.post(
                f"/api/v1/assignments/{layer.pk}/reopen/", {"note": "look again"}, format="json"
            )
        assert response.status_code == 200, response.content

    reopen(first, carl)
    stored = DocumentAgreement.objects.get(document=first)
    assert stored.n_layers == 2
    remaining = {u: s for u, s in w["spans"][first.pk].items() if u != carl}
    assert stored.statistics == as_json(expected_statistics(first, remaining).to_dict())

    reopen(second, anna)
    reopen(second, ben)
    assert not DocumentAgreement.objects.filter(document=second).exists()
    metrics = project_agreement_current(project_id=w["project"].pk).report.metrics
    assert (metrics["n_documents"], metrics["n_layers"]) == (1, 2)


@pytest.mark.django_db
def test_a_burst_of_50_submits_runs_far_fewer_than_50_project_refreshes(django_capture_on_commit_callbacks):
    project, layers = make_burst("burst-daily", seed_step=7)
    submit_each(layers, django_capture_on_commit_callbacks)

    refreshes = refresh_count(Refresh.AGREEMENT, project_id=project.pk)
    assert 1 <= refreshes <= 10
    assert DocumentAgreement.objects.filter(project=project).count() == 50
    # What is read is current: the read sums the changes the throttle held back, once.
    current = project_agreement_current(project_id=project.pk)
    assert current.report.metrics["n_documents"] == 50
    assert refresh_count(Refresh.AGREEMENT, project_id=project.pk) <= refreshes + 1
    project_agreement_current(project_id=project.pk)
    assert refresh_count(Refresh.AGREEMENT, project_id=project.pk) <= refreshes + 1


@pytest.mark.django_db
def test_full_recompute_job_runs_one_task_per_chunk_and_ends_with_progress_equal_to_total(
    django_capture_on_commit_callbacks,
):
    w = build_world(n_documents=5, n_annotators=2)
    # Submitted behind the services' back, so only the recompute can know.
    Layer.objects.filter(document__project=w["project"]).update(status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        job = agreement_recompute_start(
            project=w["project"], resolution="char", user=w["reviewer"], chunk_size=2
        )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.kind == "agreement_recompute"
    assert (job.progress, job.total) == (5, 5)
    assert sorted(job.params["done"]) == [0, 1, 2]
    assert DocumentAgreement.objects.filter(project=w["project"], resolution="char").count() == 5
    report = AgreementReport.objects.get(project=w["project"], scope=ReportScope.PROJECT, resolution="char")
    assert job.result["report"] == report.pk
    assert report.metrics["resolution"] == "character"
    expected = [expected_statistics(d, w["spans"][d.pk], "char") for d in w["documents"]]
    assert report.metrics == as_json(report_from_statistics(expected, n_boot=1000))


@pytest.mark.django_db
def test_once_a_character_report_exists_submits_keep_it_current_too(django_capture_on_commit_callbacks):
    w = build_world(n_documents=2, n_annotators=2)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_recompute_start(project=w["project"], resolution="char", user=None)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)
    assert DocumentAgreement.objects.filter(project=w["project"], resolution="char").count() == 2
    assert (
        project_agreement_current(project_id=w["project"].pk, resolution="char").report.metrics["n_documents"]
        == 2
    )


@pytest.mark.django_db
def test_changing_the_overlap_mode_or_the_schema_recomputes_the_stored_statistics_at_the_next_refresh(
    django_capture_on_commit_callbacks,
):
    w = build_world(n_documents=2, n_annotators=2)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)
    w["project"].allow_overlap = False
    w["project"].save()
    report = project_agreement_refresh(project_id=w["project"].pk, n_boot=0)
    stored = DocumentAgreement.objects.filter(project=w["project"])
    assert {s.statistics["allow_overlap"] for s in stored} == {False}
    assert report.metrics["allow_overlap"] is False
    assert report.metrics["n_documents"] == 2

    # An attribute added behind the services' back: stored statistics lack it, so they are redone.
    Attribute.objects.create(project=w["project"], key="tone", name="Tone", kind="boolean")
    report = project_agreement_refresh(project_id=w["project"].pk, n_boot=0)
    assert report.metrics["attributes"]["tone"]["alpha"]["reason"] == "insufficient data"
    assert all(
        "tone" in s.statistics["attributes"] for s in DocumentAgreement.objects.filter(project=w["project"])
    )


@pytest.mark.django_db
def test_the_command_recomputes_and_prints_the_report_as_json():
    w = build_world(n_documents=3)
    Layer.objects.filter(document__project=w["project"]).update(status="submitted")
    out = io.StringIO()
    call_command("compute_agreement", "--project", w["project"].slug, stdout=out)
    printed = json.loads(out.getvalue())
    expected = [expected_statistics(d, w["spans"][d.pk]) for d in w["documents"]]
    assert printed == as_json(report_from_statistics(expected, n_boot=1000))
    assert out.getvalue().startswith('{\n  "resolution": "token",')


# A REAL WORKER
# ------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_computes_the_report_after_submits_and_runs_the_recompute_job(tmp_path):
    w = build_world(n_documents=3, sources=2)
    reviewer = client_for(w["reviewer"])
    url = f"/api/v1/projects/{w['project'].pk}/agreement/"

    def project_report() -> AgreementReport | None:
        return AgreementReport.objects.filter(project=w["project"], scope=ReportScope.PROJECT).first()

    with celery_worker(tmp_path) as worker:
        for layer in w["layers"].values():
            submit(layer)
        wait_until(lambda: (r := project_report()) is not None and r.metrics["n_documents"] == 3, timeout=90)
        wait_until(lambda: not reviewer.get(url).json()["pending"], timeout=90)
        body = reviewer.get(url).json()

        response = reviewer.post(f"{url}?resolution=char")
        assert response.status_code == 202
        job_id = response.json()["id"]
        wait_until(lambda: JobRun.objects.get(pk=job_id).is_finished, timeout=90)

    expected = [expected_statistics(d, w["spans"][d.pk]) for d in w["documents"]]
    assert body["metrics"] == as_json(report_from_statistics(expected, n_boot=1000)), worker.log.read_text()[
        -3000:
    ]
    assert len(body["sources"]) == 2
    job = JobRun.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED, (job.error, worker.log.read_text()[-3000:])
    assert job.progress == job.total == 3
    assert job.celery_id
    assert reviewer.get(f"{url}?resolution=char").json()["metrics"]["resolution"] == "character"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_coalesces_a_burst_of_50_submits_into_a_few_project_refreshes(tmp_path):
    project, layers = make_burst("burst-weekly", seed_step=3)

    def summed() -> int:
        report = AgreementReport.objects.filter(project=project, scope=ReportScope.PROJECT).first()
        return report.metrics["n_documents"] if report else -1

    with celery_worker(tmp_path) as worker:
        for layer in layers:
            submit(layer)
        wait_until(lambda: summed() == 50, timeout=120)
        # Let a refresh scheduled behind the last one run out before counting.
        wait_until(lambda: not project_agreement_current(project_id=project.pk).pending, timeout=60)

    refreshes = refresh_count(Refresh.AGREEMENT, project_id=project.pk)
    assert 1 <= refreshes <= 10, worker.log.read_text()[-3000:]


@pytest.mark.django_db
def test_a_full_recompute_forgets_documents_that_lost_their_second_layer():
    w = build_world(n_documents=2, n_annotators=2)
    Layer.objects.filter(document__project=w["project"]).update(status="submitted")
    call_command(
        "compute_agreement", "--project", w["project"].slug, "--bootstrap", "0", stdout=io.StringIO()
    )
    assert DocumentAgreement.objects.filter(project=w["project"]).count() == 2

    first = w["documents"][0]
    Layer.objects.filter(document=first, user=w["annotators"][0]).update(status="in_progress")
    out = io.StringIO()
    call_command("compute_agreement", "--project", w["project"].slug, "--bootstrap", "0", stdout=out)
    assert list(
        DocumentAgreement.objects.filter(project=w["project"]).values_list("document_id", flat=True)
    ) == [w["documents"][1].pk]
    assert json.loads(out.getvalue())["n_documents"] == 1
    assert "bootstrap" not in json.loads(out.getvalue())


@pytest.mark.django_db
def test_layers_made_with_suggestions_are_reported_apart_from_those_made_without(
    django_capture_on_commit_callbacks,
):
    from annotator.agreement.maths.stats import DocumentStatistics

    w = build_world(n_documents=6, n_annotators=2)
    submit_each(w["layers"].values(), django_capture_on_commit_callbacks)
    documents = sorted({layer.document_id for layer in w["layers"].values()})
    with_suggestions, mixed = documents[:3], documents[3]
    Layer.objects.filter(document_id__in=with_suggestions).update(suggestions_shown=True)
    Layer.objects.filter(pk=Layer.objects.filter(document_id=mixed).order_by("pk")[0].pk).update(
        suggestions_shown=True
    )
    report = project_agreement_refresh(project_id=w["project"].pk, n_boot=0)
    split = report.metrics["suggestions"]
    assert split["n_documents"] == {"every": 3, "some": 1, "none": 2}
    stored = {a.document_id: a.statistics for a in DocumentAgreement.objects.filter(project=w["project"])}
    for name, ids in (("with", with_suggestions), ("without", documents[4:])):
        alone = report_from_statistics([DocumentStatistics.from_dict(stored[i]) for i in ids])
        assert split[name]["overall"] == alone["overall"], name
    # A project where nobody saw suggestions has no such section.
    Layer.objects.update(suggestions_shown=False)
    assert "suggestions" not in project_agreement_refresh(project_id=w["project"].pk, n_boot=0).metrics
