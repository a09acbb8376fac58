"""Silent gold checks: calibration items mixed into the queue, scored against gold on submit,
the pass gate with its arithmetic checked by hand, pausing, and layers marked for review."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from django.core.exceptions import ValidationError

from annotator.agreement.maths.gold import attribute_matches
from annotator.calibration.maths import GateState, f1_interval, gate, pooled_f1, rolling_f1
from annotator.calibration.selectors import member_calibration
from annotator.calibration.services import document_calibration_set
from annotator.layers.services import layer_submit, queue_next
from annotator.models import CalibrationScore, Document, Layer, LayerKind, LayerStatus, Membership, Role
from annotator.projects.services import project_update
from annotator.review.selectors import review_queue, review_queue_filters_resolve
from annotator.review.services import review_add, review_adjudicate, review_reopen
from tests.factories import DocumentFactory, ProjectFactory, member, span_at

TEXT = "The council said the tram costs £48 million. Critics called it fantasy. The mayor may resign."
CLAIM = "The council said the tram costs £48 million"
OPINION = "Critics called it fantasy"
HEDGE = "The mayor may resign"

# (tp, n_gold, n_spans) per item, oldest first; the figures below are worked by hand.
ITEMS = [(1, 2, 2), (0, 2, 1), (2, 2, 2)]


def test_span_f1_pools_the_items_as_the_engine_does():
    assert pooled_f1(ITEMS) == pytest.approx(2 * 3 / (4 + 3 + 4))  # 6 / 11
    assert pooled_f1(ITEMS[:1]) == pytest.approx(0.5)
    assert pooled_f1([(0, 0, 0)]) is None
    assert pooled_f1([]) is None
    assert rolling_f1(ITEMS, window=2) == pytest.approx([0.5, 2 / 7, 4 / 7])


@pytest.mark.parametrize(
    ("threshold", "window", "state", "figure", "n_items"),
    [
        (0.6, 2, GateState.FAILING, 4 / 7, 2),  # the latest two: 2 * 2 / (3 + 4)
        (0.5, 2, GateState.PASSING, 4 / 7, 2),
        (0.6, 1, GateState.PASSING, 1.0, 1),  # the latest alone: 2 * 2 / 4
        (0.6, 10, GateState.FAILING, 6 / 11, 3),  # fewer items than the window: all of them
        (None, 10, GateState.NO_GATE, 6 / 11, 3),
    ],
)
def test_the_gate_reads_the_latest_window(threshold, window, state, figure, n_items):
    assert gate(ITEMS, threshold=threshold, window=window) == pytest.approx(
        type(gate([], threshold=None, window=1))(state, figure, n_items)
    )


def test_nothing_to_judge_before_a_span_is_scored():
    assert gate([], threshold=0.6, window=10).state == GateState.NOT_YET
    assert gate([(0, 0, 0)], threshold=0.6, window=10).state == GateState.NOT_YET


def test_the_interval_brackets_the_figure_and_is_reproducible():
    items = [(3, 4, 4), (1, 4, 3), (4, 4, 5), (0, 2, 2), (2, 3, 3)]
    low, high = f1_interval(items)
    assert low <= pooled_f1(items) <= high
    assert f1_interval(items) == (low, high)
    assert f1_interval([(1, 2, 2)]) == pytest.approx((0.5, 0.5))  # one item: no spread
    assert f1_interval([]) is None


def test_attribute_matches_compare_the_values_on_spans_matched_to_gold():
    gold = [(0, 10, "CLAIM", {"evidence": "DATA", "hedged": False}), (20, 30, "OPINION", {"stance": []})]
    layer = [
        (0, 9, "CLAIM", {"evidence": "DATA", "hedged": True}),  # matched: one agreed, one not
        (20, 30, "CLAIM", {"evidence": "QUOTE"}),  # another label: no match
        (40, 50, "CLAIM", {"evidence": "DATA"}),  # no gold span there
    ]
    assert attribute_matches(gold, layer, ["CLAIM", "OPINION"], ["evidence", "hedged"], text_length=60) == (
        2,
        1,
    )


def _adjudicated(project, reviewer, annotator, *, number, gold):
    """A document of TEXT with one submitted annotation layer and a gold layer holding `gold`
    (label, phrase, attributes) spans, adjudicated."""
    document = DocumentFactory(project=project, text=f"Item {number}. {TEXT}")
    layer = queue_next(project=project, user=annotator)
    assert layer.document_id == document.pk
    layer_submit(layer=layer)
    for label, phrase, attributes in gold:
        start = document.text.index(phrase)
        review_add(
            document=document,
            reviewer=reviewer,
            label=label,
            start=start,
            end=start + len(phrase),
            text=phrase,
            attributes=attributes,
        )
    review_adjudicate(document=document, reviewer=reviewer)
    return document


GOLD = [("CLAIM", CLAIM, {"evidence": "NAMED_SOURCE"}), ("OPINION", OPINION, {})]


@pytest.fixture
def calibrated(db):
    project = ProjectFactory(slug="calibrated", annotators_per_document=1)
    reviewer = member(project, Role.REVIEWER, username="rita")
    first = member(project, username="first-coder")
    items = [_adjudicated(project, reviewer, first, number=i, gold=GOLD) for i in range(3)]
    for item in items:
        document_calibration_set(document=item, calibration=True)
    project_update(
        project=project, changes={"calibration_every": 1, "calibration_gate": 0.6, "calibration_window": 2}
    )
    return project, reviewer, items


@pytest.mark.django_db
def test_only_adjudicated_documents_of_blind_projects_become_calibration_items(calibrated):
    project, _reviewer, items = calibrated
    fresh = DocumentFactory(project=project)
    with pytest.raises(ValidationError, match="Only an adjudicated document"):
        document_calibration_set(document=fresh, calibration=True)
    with pytest.raises(ValidationError, match="blind project"):
        project_update(project=project, changes={"blind": False})
    project_update(project=project, changes={"calibration_every": 0, "blind": False})
    with pytest.raises(ValidationError, match="blind project"):
        document_calibration_set(document=items[0], calibration=True)
    assert not document_calibration_set(document=items[0], calibration=False).calibration


@pytest.mark.django_db
def test_a_calibration_layer_counts_toward_nothing_and_is_scored_on_submit(calibrated):
    project, _, items = calibrated
    coder = member(project, username="coder")
    layer = queue_next(project=project, user=coder)
    assert (layer.kind, layer.document_id in {d.pk for d in items}) == (LayerKind.CALIBRATION, True)
    assert Document.objects.get(pk=layer.document_id).n_layers == 1  # k is not touched
    span_at(layer, "CLAIM", CLAIM, evidence="ANONYMOUS_SOURCE")  # matched, evidence differs
    span_at(layer, "OPINION", HEDGE)  # not in gold
    submitted = layer_submit(layer=layer)
    score = CalibrationScore.objects.get(layer=layer)
    assert (score.tp, score.n_gold_spans, score.n_spans) == (1, 2, 2)
    assert score.span_f1 == pytest.approx(0.5)
    assert (score.n_attribute_pairs, score.n_attribute_agreed) == (1, 0)
    assert score.scored_at == submitted.submitted_at
    # Label alpha over characters, gold and annotator as two coders: with no overlapping spans
    # the headline is nominal alpha (docs/agreement.md), as the krippendorff package gives it.
    text = Document.objects.get(pk=layer.document_id).text
    values = np.zeros((2, len(text)))
    for row, spans in enumerate(
        [[("CLAIM", CLAIM), ("OPINION", OPINION)], [("CLAIM", CLAIM), ("OPINION", HEDGE)]]
    ):
        for label, phrase in spans:
            start = text.index(phrase)
            values[row, start : start + len(phrase)] = 1 + ["CLAIM", "OPINION"].index(label)
    expected = krippendorff.alpha(
        reliability_data=values, level_of_measurement="nominal", value_domain=[0, 1, 2]
    )
    assert score.label_alpha == pytest.approx(expected, abs=1e-9)
    # An unfinished calibration layer is handed back first, like any other.
    second = queue_next(project=project, user=coder)
    assert queue_next(project=project, user=coder) == second


@pytest.mark.django_db
def test_falling_below_the_gate_marks_layers_for_review_and_pauses_the_annotator(calibrated):
    project, _reviewer, _items = calibrated
    coder = member(project, username="coder")
    project_update(project=project, changes={"calibration_every": 0, "calibration_pause": True})
    DocumentFactory(project=project, text="An ordinary article.")
    ordinary = queue_next(project=project, user=coder)
    layer_submit(layer=ordinary)
    project_update(project=project, changes={"calibration_every": 1})

    def answer(spans):
        layer = queue_next(project=project, user=coder)
        assert layer.kind == LayerKind.CALIBRATION
        for label, phrase in spans:
            span_at(layer, label, phrase, **({"evidence": "NAMED_SOURCE"} if label == "CLAIM" else {}))
        layer_submit(layer=layer)

    answer([("CLAIM", CLAIM), ("OPINION", OPINION)])  # F1 1.0: passing
    membership = Membership.objects.get(project=project, user=coder)
    assert (membership.calibration_failing_since, membership.calibration_passed_at is not None) == (
        None,
        True,
    )
    answer([("OPINION", HEDGE)])  # F1 0; window of two: 2 * 2 / (4 + 3) = 0.571 < 0.6
    membership.refresh_from_db()
    assert membership.calibration_failing_since is not None
    ordinary.refresh_from_db()
    assert not ordinary.needs_review  # submitted before the last pass
    figures = member_calibration(project=project, user_id=coder.pk)
    assert (figures.gate.state, figures.gate.figure) == (GateState.FAILING, pytest.approx(4 / 7))
    assert [p.window_f1 for p in figures.history] == pytest.approx([1.0, 4 / 7])

    # Paused: with calibration items left, only those; then nothing, never an ordinary document.
    project_update(project=project, changes={"calibration_every": 0})
    answer([("CLAIM", CLAIM), ("OPINION", OPINION)])  # window: 0 and 1.0 -> 2 * 2 / 7, still below
    DocumentFactory(project=project, text="Another ordinary article.")
    assert queue_next(project=project, user=coder) is None

    # Unpaused but still below the gate: every layer submitted now needs review.
    project_update(project=project, changes={"calibration_pause": False})
    later = queue_next(project=project, user=coder)
    assert later.kind == LayerKind.ANNOTATION
    layer_submit(layer=later)
    later.refresh_from_db()
    assert later.needs_review
    # Reviewers find them in the review queue.
    flagged = review_queue(
        project=project, filters=review_queue_filters_resolve(project=project, needs_review=True)
    )
    assert [d.pk for d in flagged] == [later.document_id]
    others = review_queue(
        project=project, filters=review_queue_filters_resolve(project=project, needs_review=False)
    )
    assert later.document_id not in {d.pk for d in others} and ordinary.document_id in {d.pk for d in others}


@pytest.mark.django_db
def test_layers_since_the_last_pass_are_marked_when_the_gate_is_failed(calibrated):
    project, _, _ = calibrated
    coder = member(project, username="coder")
    project_update(project=project, changes={"calibration_every": 0})
    DocumentFactory(project=project, text="An ordinary article.")
    ordinary = queue_next(project=project, user=coder)
    layer_submit(layer=ordinary)
    project_update(project=project, changes={"calibration_every": 1})
    layer = queue_next(project=project, user=coder)
    span_at(layer, "OPINION", HEDGE)
    layer_submit(layer=layer)  # never passed: everything they submitted needs review
    ordinary.refresh_from_db()
    assert ordinary.needs_review


@pytest.mark.django_db
def test_a_calibration_item_whose_gold_was_reopened_is_not_handed_out_and_not_scored(calibrated):
    project, reviewer, _items = calibrated
    coder = member(project, username="coder")
    layer = queue_next(project=project, user=coder)
    gold = Layer.objects.get(document_id=layer.document_id, kind=LayerKind.GOLD)
    review_reopen(document=gold.document, reviewer=reviewer, layer_id=gold.pk)
    layer_submit(layer=layer)  # goes through as any submit would
    assert Layer.objects.get(pk=layer.pk).status == LayerStatus.SUBMITTED
    assert not CalibrationScore.objects.filter(layer=layer).exists()
    handed = {
        queue_next(project=project, user=member(project, username=f"c{i}")).document_id for i in range(4)
    }
    assert gold.document_id not in handed
