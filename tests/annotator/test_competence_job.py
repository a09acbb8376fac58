"""Annotator competence as a job: the observations over span groups, the fit a real worker runs,
and the figures the annotators overview reads, equal to crowd-kit on the same observations."""

from __future__ import annotations

import pytest

from annotator.agreement.maths.competence import (
    LABEL,
    NO_SPAN,
    MaceModel,
    dawid_skene,
    mace,
    span_group_observations,
)
from annotator.agreement.selectors import agreement_schema_get, document_layers_list
from annotator.calibration.selectors import project_annotators
from annotator.competence.selectors import consensus_model_fitted_at, consensus_model_get
from annotator.competence.services import (
    bases_against_gold,
    competence_recompute_start,
    project_competence_compute,
)
from annotator.layers.services import layer_submit, queue_next
from annotator.models import CompetenceReport, JobRun, JobStatus, Role
from annotator.review.services import review_add, review_adjudicate
from tests.factories import DocumentFactory, ProjectFactory, member, span_at

TEXT = "The council said the tram costs £48 million. Critics called it fantasy. The mayor may resign."


def test_every_annotator_answers_every_span_group_and_no_span_is_an_answer():
    layers = {
        "a": [(0, 10, "CLAIM", {"evidence": "DATA"}), (20, 30, "OPINION", {})],
        "b": [(0, 9, "CLAIM", {"evidence": "QUOTE"})],
        "c": [(1, 10, "OPINION", {})],
    }
    from annotator.agreement.maths.attributes import AttributeSpec

    evidence = AttributeSpec("evidence", "choice", ("DATA", "QUOTE"))
    found = span_group_observations(7, layers, ["CLAIM", "OPINION"], [evidence], text_length=40)
    answers = {(unit, who): value for unit, who, value in found[LABEL]}
    groups = {unit for unit, _ in answers}
    assert len(groups) == 3 and all(unit[0] == 7 for unit in groups)  # a+b's claim, c's opinion, a's opinion
    assert sorted(answers[unit, "b"] for unit in groups) == [NO_SPAN, NO_SPAN, "CLAIM"]
    assert len(found[LABEL]) == 3 * 3
    assert sorted(value for _, _, value in found["evidence"]) == ["DATA", "QUOTE"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_real_worker_fits_competence_and_the_overview_shows_crowd_kits_figures(tmp_path):
    from tests.workers import celery_worker, wait_until

    project = ProjectFactory(slug="competent", annotators_per_document=3)
    coders = [member(project, username=f"coder-{i}") for i in range(3)]
    reviewer = member(project, Role.REVIEWER, username="rita")
    phrases = [
        "The council said the tram costs £48 million",
        "Critics called it fantasy",
        "The mayor may resign",
    ]
    for n in range(6):
        DocumentFactory(project=project, text=f"{n}. {TEXT}")
    for i, coder in enumerate(coders):
        while (layer := queue_next(project=project, user=coder)) is not None:
            # coder-0 marks every sentence as a claim, the others disagree on the last one.
            for p, phrase in enumerate(phrases):
                label = "CLAIM" if i == 0 or p == 0 else "OPINION"
                span_at(layer, label, phrase, **({"evidence": "NAMED_SOURCE"} if label == "CLAIM" else {}))
            layer_submit(layer=layer)
    with celery_worker(tmp_path):
        job = competence_recompute_start(project=project, user=reviewer)
        wait_until(lambda: JobRun.objects.get(pk=job.pk).is_finished, timeout=120)
    assert JobRun.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    report = CompetenceReport.objects.get(project=project)
    assert report.metrics["n_documents"] == 6

    schema = agreement_schema_get(project_id=project.pk)
    observations = []
    for document in document_layers_list(
        schema=schema, document_ids=project.documents.values_list("pk", flat=True)
    ):
        observations += span_group_observations(
            document.document_id,
            document.layers,
            schema.labels,
            schema.attributes,
            text_length=document.text_length,
        )[LABEL]
    direct = {"dawid_skene": dawid_skene(observations), "mace": mace(observations)}
    rows = {row.username: row for row in project_annotators(project=project)}
    for coder in coders:
        for method, fitted in direct.items():
            assert rows[coder.username].competence[method] == pytest.approx(
                fitted.annotators[coder.pk], abs=1e-9
            )
        assert rows[coder.username].competence_per_label == pytest.approx(
            direct["dawid_skene"].per_value[coder.pk], abs=1e-9
        )


EVIDENCE = {"CLAIM": {"evidence": "NAMED_SOURCE"}, "OPINION": {}}
SENTENCES = (
    "The council said the tram costs £48 million",
    "Critics called it fantasy",
    "The mayor may resign",
)


@pytest.fixture
def adjudicated(db):
    """One document, three layers and its gold (a CLAIM on the first sentence, an OPINION on the
    second). coder-0 marks exactly the gold; coder-1 and coder-2 mark both the first and the third
    sentence as claims."""
    project = ProjectFactory(slug="against-gold", annotators_per_document=3)
    coders = [member(project, username=f"coder-{i}") for i in range(3)]
    reviewer = member(project, Role.REVIEWER, username="rita")
    document = DocumentFactory(project=project, text=TEXT)
    for i, coder in enumerate(coders):
        layer = queue_next(project=project, user=coder)
        marks = [("CLAIM", 0), ("OPINION", 1)] if i == 0 else [("CLAIM", 0), ("CLAIM", 2)]
        for label, sentence in marks:
            span_at(layer, label, SENTENCES[sentence], **EVIDENCE[label])
        layer_submit(layer=layer)
    for label, sentence in [("CLAIM", 0), ("OPINION", 1)]:
        start = TEXT.index(SENTENCES[sentence])
        review_add(
            document=document,
            reviewer=reviewer,
            label=label,
            start=start,
            end=start + len(SENTENCES[sentence]),
            text=SENTENCES[sentence],
            attributes=EVIDENCE[label],
        )
    review_adjudicate(document=document, reviewer=reviewer)
    return project, coders, document


def test_each_basis_is_scored_against_gold(adjudicated):
    project, coders, document = adjudicated
    careful, spammer = (0.1, 0.9, (0.25,) * 4), (0.8, 0.2, (0.3, 0.3, 0.3, 0.1))
    model = MaceModel(
        values=("CLAIM", "OPINION", "DISCLAIMER", NO_SPAN),
        annotators={str(coders[0].pk): careful, str(coders[1].pk): spammer, str(coders[2].pk): spammer},
    )
    figures = bases_against_gold(
        schema=agreement_schema_get(project_id=project.pk), document_ids=[document.pk], model=model
    )
    assert figures["n_documents"] == 1
    # Every layer: coder-0 matches 2 of 2, the others 1 of 2 each: 2 * 4 / (6 + 6).
    # Majority: the first claim (3 of 3) and the third (2 of 3), no opinion (1 of 3): 2 * 1 / 4.
    # Model: the first claim, coder-0's opinion (0.925 * 0.08^2 against 0.025 * 0.28^2), not the
    # third claim (0.44^2 * 0.025 against 0.24^2 * 0.925): the gold itself.
    # One document: every bootstrap resample is that document.
    for basis, f1 in (("all", 8 / 12), ("consensus", 0.5), ("model", 1.0)):
        assert figures[basis]["span_f1"] == pytest.approx(f1), basis
        assert figures[basis]["interval"] == pytest.approx((f1, f1)), basis
    without = bases_against_gold(
        schema=agreement_schema_get(project_id=project.pk), document_ids=[document.pk], model=None
    )
    assert without["model"] == {"span_f1": None, "interval": None}


def test_the_stored_fit_keeps_the_mace_model_and_the_bases_against_gold(adjudicated):
    project, _, document = adjudicated
    report = project_competence_compute(project_id=project.pk)
    schema = agreement_schema_get(project_id=project.pk)
    (layers,) = document_layers_list(schema=schema, document_ids=[document.pk])
    observations = span_group_observations(
        document.pk, layers.layers, schema.labels, schema.attributes, text_length=layers.text_length
    )[LABEL]
    direct = mace(observations).model
    stored = consensus_model_get(project_id=project.pk)
    assert isinstance(stored, MaceModel)
    assert consensus_model_fitted_at(project_id=project.pk) == report.computed_at
    assert stored.values == direct.values
    for annotator, (spamming, knowing, strategy) in direct.annotators.items():
        assert stored.annotators[annotator][:2] == pytest.approx((spamming, knowing), abs=1e-12)
        assert stored.annotators[annotator][2] == pytest.approx(strategy, abs=1e-12)
    assert report.metrics["against_gold"] == bases_against_gold(
        schema=schema, document_ids=[document.pk], model=stored
    )
    assert report.metrics["against_gold"]["all"]["span_f1"] == pytest.approx(8 / 12)
