"""Span matching and pairwise F1."""

import itertools

import numpy as np
import pytest

from annotator.agreement.maths.core import NO_SPANS, Estimate
from annotator.agreement.maths.spans import (
    SpanCounts,
    SpanSet,
    greedy_groups,
    match_overlap,
    overlap_candidates,
    precision_recall_f1,
    span_counts,
)

from . import oracles

SEMEVAL_LABELS = ["BRAND", "DRUG", "GROUP"]


def layer(spans, labels=SEMEVAL_LABELS, owner=0):
    return SpanSet.of([(s, e, labels.index(lab)) for s, e, lab in spans], owner)


@pytest.fixture
def semeval():
    return span_counts(layer(oracles.GOLD), layer(oracles.PRED, owner=1), 3)


def f1(tp, counts):
    return precision_recall_f1(tp, counts.n_a.sum(), counts.n_b.sum())[2].value


def test_semeval_strict_is_exact_labelled(semeval):
    assert f1(semeval.tp_exact.sum(), semeval) == pytest.approx(oracles.SEMEVAL_EXPECTED_F1["strict"])
    assert semeval.tp_exact.tolist() == [0, 2, 0]  # COR 2


def test_semeval_exact_is_exact_unlabelled(semeval):
    assert f1(semeval.tp_exact_unlabelled, semeval) == pytest.approx(oracles.SEMEVAL_EXPECTED_F1["exact"])


def test_semeval_type_is_labelled_overlap_here(semeval):
    # Every overlapping pair of this table has ratio >= .5, so labelled overlap matching gives nervaluate's
    # "ent_type" (any overlap, same type): COR 3.
    assert f1(semeval.tp_overlap.sum(), semeval) == pytest.approx(oracles.SEMEVAL_EXPECTED_F1["ent_type"])
    assert semeval.tp_overlap_unlabelled == 5


def test_semeval_label_confusion(semeval):
    # rows: gold label, columns: predicted label, among the 5 unlabelled overlap matches
    assert semeval.confusion.tolist() == [[0, 0, 0], [1, 3, 0], [0, 1, 0]]


def test_identical_layers_give_f1_one():
    a = layer(oracles.GOLD)
    counts = span_counts(a, a._replace(owners=np.ones(6, np.int64)), 3)
    for tp in (
        counts.tp_exact.sum(),
        counts.tp_overlap.sum(),
        counts.tp_exact_unlabelled,
        counts.tp_overlap_unlabelled,
    ):
        assert precision_recall_f1(tp, 6, 6) == (Estimate(1.0), Estimate(1.0), Estimate(1.0))


def test_overlap_ratio_threshold_is_inclusive():
    a = SpanSet.of([(0, 10, 0)])
    assert len(match_overlap(a, SpanSet.of([(5, 15, 0)], 1), labelled=True, threshold=0.5)[0]) == 1  # 5/10
    assert len(match_overlap(a, SpanSet.of([(6, 15, 0)], 1), labelled=True, threshold=0.5)[0]) == 0  # 4/10
    assert (
        len(match_overlap(a, SpanSet.of([(9, 30, 0)], 1), labelled=True, threshold=0.0)[0]) == 1
    )  # any overlap


def test_greedy_takes_the_largest_overlap_first_and_is_one_to_one():
    # a0 overlaps b0 by 8 and b1 by 6; a1 overlaps only b1 (by 5). Greedy: a0-b0 (8), then a1-b1 (5).
    a = SpanSet.of([(0, 10, 0), (14, 20, 0)])
    b = SpanSet.of([(2, 10, 0), (4, 19, 0)], 1)
    ia, ib = match_overlap(a, b, labelled=True, threshold=0.0)
    assert sorted(zip(ia.tolist(), ib.tolist(), strict=True)) == [(0, 0), (1, 1)]
    # Two spans of b compete for one span of a: only the larger overlap is matched.
    ia, ib = match_overlap(
        SpanSet.of([(0, 10, 0)]), SpanSet.of([(0, 6, 0), (3, 10, 0)], 1), labelled=True, threshold=0
    )
    assert (ia.tolist(), ib.tolist()) == ([0], [1])


def brute_force_candidates(spans):
    out = set()
    for i, j in itertools.combinations(range(len(spans.starts)), 2):
        if spans.owners[i] != spans.owners[j] and max(spans.starts[[i, j]]) < min(spans.ends[[i, j]]):
            out.add((i, j))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_sort_and_sweep_finds_exactly_the_overlapping_pairs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    starts = rng.integers(0, 200, n)
    spans = SpanSet(starts, starts + rng.integers(1, 40, n), rng.integers(0, 3, n), rng.integers(0, 3, n))
    i, j = overlap_candidates(spans, labelled=False, threshold=0.0)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == brute_force_candidates(spans)
    assert len(i) == len(set(zip(i.tolist(), j.tolist(), strict=True)))
    overlap = np.minimum(spans.ends[i], spans.ends[j]) - np.maximum(spans.starts[i], spans.starts[j])
    assert np.all(np.diff(overlap) <= 0)  # greedy order: largest overlap first


def test_greedy_groups_never_put_two_spans_of_one_owner_together():
    owners = np.array([0, 1, 2, 0])
    # candidate order: (0,1), (1,3) would add a second owner-0 span, (0,2) joins owner 2
    groups, merged = greedy_groups(owners, np.array([0, 1, 0]), np.array([1, 3, 2]))
    assert merged.tolist() == [True, False, True]
    assert groups[0] == groups[1] == groups[2] != groups[3]


def test_counts_add_up_over_documents():
    one = span_counts(layer(oracles.GOLD), layer(oracles.PRED, owner=1), 3)
    both = one + one
    assert both.tp_overlap.tolist() == [0, 6, 0]
    assert both.tp_exact_unlabelled == 6
    assert SpanCounts.from_dict(both.to_dict()).to_dict() == both.to_dict()


def test_empty_layers_give_no_f1():
    empty = SpanSet.of([])
    counts = span_counts(empty, empty._replace(owners=np.ones(0, np.int64)), 2)
    assert counts.n_a.tolist() == [0, 0]
    assert precision_recall_f1(0, 0, 0) == (Estimate(None, NO_SPANS),) * 3
    assert precision_recall_f1(0, 3, 0)[2] == Estimate(0.0)
