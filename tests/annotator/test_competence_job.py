"""Annotator competence as a job: the observations over span groups, the fit a real worker runs,
and the figures the annotators overview reads, equal to crowd-kit on the same observations."""

from __future__ import annotations

import pytest

from annotator.agreement.maths.competence import LABEL, NO_SPAN, dawid_skene, mace, span_group_observations
from annotator.agreement.selectors import agreement_schema_get, document_layers_list
from annotator.calibration.selectors import project_annotators
from annotator.competence.services import competence_recompute_start
from annotator.layers.services import layer_submit, queue_next
from annotator.models import CompetenceReport, JobRun, JobStatus, Role
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
