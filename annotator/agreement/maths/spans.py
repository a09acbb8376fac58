"""Span matching between annotators and the pairwise precision / recall / F1 it gives.

Spans are half-open [start, end) code-point ranges with a label index 0..K-1.

* Exact match: same start and end (and label when labelled), one-to-one (a multiset intersection).
* Overlap match: same label when labelled, one-to-one, overlap ratio |a & b| / max(|a|, |b|) >=
  `threshold` (0.5 by default). Candidates come from a sort-and-sweep, so only pairs that share a
  character are ever looked at; they are then taken greedily by largest overlap in characters,
  ties broken by larger ratio, then lower span indices. The same greedy merge, with "at most one
  span per annotator in a group", groups spans of many annotators (`attributes.group_spans`), so
  for two annotators a group is exactly a matched pair.
* Unlabelled F1 ignores labels when matching. The label confusion counts label pairs among the
  unlabelled overlap matches, which shows CLAIM / OPINION mix-ups directly.

`SpanCounts` adds up over documents, so project F1 is micro-averaged: F1 = 2 TP / (|A| + |B|).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .core import NO_SPANS, Estimate, FloatArray, IntArray


class SpanSet(NamedTuple):
    """Spans of one or more layers as parallel arrays; `owners` names the layer of each span."""

    starts: IntArray
    ends: IntArray
    labels: IntArray
    owners: IntArray

    @classmethod
    def of(cls, spans: Sequence[tuple[int, int, int]], owner: int = 0) -> SpanSet:
        arr = np.array(spans, dtype=np.int64).reshape(-1, 3)
        return cls(arr[:, 0], arr[:, 1], arr[:, 2], np.full(len(arr), owner, dtype=np.int64))

    def __add__(self, other: tuple[Any, ...]) -> SpanSet:  # concatenation, keeping owners
        return SpanSet(*(np.concatenate([x, y]) for x, y in zip(self, other, strict=True)))


def overlap_candidates(spans: SpanSet, *, labelled: bool, threshold: float) -> tuple[IntArray, IntArray]:
    """Pairs (i, j), i < j, of spans of different owners that share characters, have the same label
    when `labelled`, and overlap by at least `threshold` of the longer one; in greedy order.

    Sort-and-sweep: with spans sorted by start, span x meets exactly the later spans that start
    before x ends, found by one binary search each; O(n log n + pairs)."""
    order = np.argsort(spans.starts, kind="stable")
    s, e = spans.starts[order], spans.ends[order]
    hi = np.searchsorted(s, e, side="left")
    counts = np.maximum(hi - np.arange(len(s)) - 1, 0)
    x = np.repeat(np.arange(len(s)), counts)
    y = x + 1 + np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    i, j = np.minimum(order[x], order[y]), np.maximum(order[x], order[y])
    keep = spans.owners[i] != spans.owners[j]
    if labelled:
        keep &= spans.labels[i] == spans.labels[j]
    i, j = i[keep], j[keep]
    overlap = np.minimum(spans.ends[i], spans.ends[j]) - np.maximum(spans.starts[i], spans.starts[j])
    longest = np.maximum(spans.ends[i] - spans.starts[i], spans.ends[j] - spans.starts[j])
    keep = overlap >= threshold * longest
    i, j, overlap, longest = i[keep], j[keep], overlap[keep], longest[keep]
    # Largest overlap first; then larger ratio (shorter longest span); then indices, for determinism.
    rank = np.lexsort((j, i, longest, -overlap))
    return i[rank], j[rank]


def greedy_groups(owners: IntArray, i: IntArray, j: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Union-find over candidate pairs in the given order, merging two groups only if no owner
    appears in both. Returns (group index 0..G-1 per span, which candidate pairs were merged)."""
    parent = list(range(len(owners)))
    members = [1 << int(o) for o in owners]  # bit set of the owners in each root's group

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    merged = np.zeros(len(i), dtype=bool)
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
        ra, rb = find(a), find(b)
        if members[ra] & members[rb]:  # also true when ra == rb
            continue
        parent[rb] = ra
        members[ra] |= members[rb]
        merged[k] = True
    roots = np.array([find(x) for x in range(len(owners))], dtype=np.int64)
    return np.unique(roots, return_inverse=True)[1].astype(np.int64), merged


def match_overlap(a: SpanSet, b: SpanSet, *, labelled: bool, threshold: float) -> tuple[IntArray, IntArray]:
    """One-to-one greedy overlap matching of layer a against layer b: indices (ia, ib) of pairs."""
    both = a._replace(owners=np.zeros(len(a.starts), np.int64)) + b._replace(
        owners=np.ones(len(b.starts), np.int64)
    )
    i, j = overlap_candidates(both, labelled=labelled, threshold=threshold)
    merged = greedy_groups(both.owners, i, j)[1]
    return i[merged], j[merged] - len(a.starts)  # i < j, so i is always the span of a


def _exact_matches(a: SpanSet, b: SpanSet, *, labelled: bool) -> Counter[tuple[int, ...]]:
    """Exact matches as a multiset intersection of (start, end, label) or (start, end) keys."""

    def keys(s: SpanSet) -> Counter[tuple[int, ...]]:
        cols = (s.starts, s.ends, s.labels) if labelled else (s.starts, s.ends)
        return Counter(zip(*(c.tolist() for c in cols), strict=True))

    return keys(a) & keys(b)


@dataclass(frozen=True)
class SpanCounts:
    """Additive match counts of one ordered layer pair (a, b); per-label arrays have length K."""

    n_a: IntArray
    n_b: IntArray
    tp_exact: IntArray
    tp_overlap: IntArray
    tp_exact_unlabelled: int
    tp_overlap_unlabelled: int
    confusion: IntArray  # (K, K): a's label x b's label among unlabelled overlap matches

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: np.asarray(getattr(self, f.name)).tolist() for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpanCounts:
        arrays = {k: np.asarray(data[k], dtype=np.int64) for k in ("n_a", "n_b", "tp_exact", "tp_overlap")}
        k = len(arrays["n_a"])
        return cls(
            **arrays,
            tp_exact_unlabelled=int(data["tp_exact_unlabelled"]),
            tp_overlap_unlabelled=int(data["tp_overlap_unlabelled"]),
            confusion=np.asarray(data["confusion"], dtype=np.int64).reshape(k, k),
        )


def span_counts(a: SpanSet, b: SpanSet, n_labels: int, threshold: float = 0.5) -> SpanCounts:
    """All match counts between layers a and b (label indices 0..n_labels-1)."""

    def per_label(labels: npt.ArrayLike) -> IntArray:
        return np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_labels)

    exact = _exact_matches(a, b, labelled=True)
    ia, _ = match_overlap(a, b, labelled=True, threshold=threshold)
    ua, ub = match_overlap(a, b, labelled=False, threshold=threshold)
    confusion = np.bincount(a.labels[ua] * n_labels + b.labels[ub], minlength=n_labels * n_labels)
    return SpanCounts(
        n_a=per_label(a.labels),
        n_b=per_label(b.labels),
        tp_exact=per_label([key[2] for key, n in exact.items() for _ in range(n)]),
        tp_overlap=per_label(a.labels[ia]),
        tp_exact_unlabelled=sum(_exact_matches(a, b, labelled=False).values()),
        tp_overlap_unlabelled=len(ua),
        confusion=confusion.reshape(n_labels, n_labels),
    )


def f1_values(tp: npt.ArrayLike, n_spans: npt.ArrayLike) -> FloatArray:
    """F1 = 2 TP / (|A| + |B|) elementwise, `n_spans` = |A| + |B|; nan where there are no spans.
    Vectorised for bootstrap replicates."""
    tp, n = np.asarray(tp, dtype=float), np.asarray(n_spans, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, 2 * tp / n, np.nan)


def precision_recall_f1(tp: float, n_a: float, n_b: float) -> tuple[Estimate, Estimate, Estimate]:
    """Scores of layer b against layer a: precision TP/|B|, recall TP/|A|, F1 2TP/(|A|+|B|).
    F1 is symmetric; "no spans" where a denominator is 0 (both layers empty for F1)."""
    f1 = Estimate.of(f1_values(tp, n_a + n_b), NO_SPANS)
    return Estimate.ratio(tp, n_b, NO_SPANS), Estimate.ratio(tp, n_a, NO_SPANS), f1
