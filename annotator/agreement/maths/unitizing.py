"""Krippendorff's unitizing alpha_U with DKPro Agreement's semantics (KrippendorffAlphaUnitizingAgreement).

For one category c, every rater partitions the continuum [begin, begin + L) into units of c and
gaps (everything else, including units of other categories). With R raters:

* D_o,c = 2 / (R (R-1) L^2) * sum over rater pairs of sum over overlapping segment pairs of d2,
  where d2 = (b1 - b2)^2 + (e1 - e2)^2 for two units, l^2 for a unit lying inside the other
  rater's gap, else 0 (DKPro's `measureDistance`, here `segment_distance`).
* D_e,c = (2 / L) * sum over units g of c [(N_c - 1)(2l^3 - 3l^2 + l) / 3
  + l^2 * sum over gaps h with l_h >= l of (l_h - l + 1)] / (R L (R L - 1) - sum_g l (l - 1)).
* alpha_U,c = 1 - D_o,c / D_e,c; overall alpha_U = 1 - mean_c D_o,c / mean_c D_e,c over the
  categories that have at least one unit (DKPro's category set).

Everything is kept as sums that add up over documents (`UnitizingStats`): the D_o numerator, the
unit- and gap-length histograms and L. Summing them is alpha_U of the documents laid end to end
with no gap running across a document boundary. Pool only documents with the same R.

Cost: D_o is O(n log n) per rater pair (overlapping segments found by binary search), D_e is
O((units + gaps) log gaps) with sorted gap lengths, `searchsorted` and suffix sums, where DKPro's
double loop is quadratic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .core import INSUFFICIENT_DATA, NO_VARIATION, Estimate, IntArray

Units = tuple[npt.ArrayLike, npt.ArrayLike]  # (starts, ends) of one rater's units of one category


@dataclass(frozen=True)
class Histogram:
    """Counts of integer lengths: `lengths` sorted ascending and distinct, `counts` > 0."""

    lengths: IntArray
    counts: IntArray

    @classmethod
    def of(cls, lengths: npt.ArrayLike, counts: npt.ArrayLike | None = None) -> Histogram:
        raw = np.asarray(lengths, dtype=np.int64).ravel()
        weights = np.ones(len(raw), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
        distinct, inverse = np.unique(raw, return_inverse=True)
        return cls(distinct, np.bincount(inverse, weights=weights, minlength=len(distinct)).astype(np.int64))

    def __add__(self, other: Histogram) -> Histogram:
        return Histogram.of(
            np.concatenate([self.lengths, other.lengths]), np.concatenate([self.counts, other.counts])
        )

    def to_dict(self) -> dict[str, list[int]]:
        return {"lengths": self.lengths.tolist(), "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[int]]) -> Histogram:
        return cls.of(data["lengths"], data["counts"])


@dataclass(frozen=True)
class UnitizingStats:
    """Additive alpha_U statistics of one category over continua rated by the same `raters`.

    `observed` is the D_o numerator (sum of d2 over rater pairs r1 < r2), exact in integers."""

    raters: int
    length: int
    observed: int
    units: Histogram
    gaps: Histogram

    def __add__(self, other: UnitizingStats) -> UnitizingStats:
        if self.raters != other.raters:
            raise ValueError("alpha_U pools only continua with the same number of raters")
        return UnitizingStats(
            self.raters,
            self.length + other.length,
            self.observed + other.observed,
            self.units + other.units,
            self.gaps + other.gaps,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "raters": self.raters,
            "length": self.length,
            "observed": self.observed,
            "units": self.units.to_dict(),
            "gaps": self.gaps.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnitizingStats:
        return cls(
            int(data["raters"]),
            int(data["length"]),
            int(data["observed"]),
            Histogram.from_dict(data["units"]),
            Histogram.from_dict(data["gaps"]),
        )


def merge_overlaps(starts: npt.ArrayLike, ends: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Sorted units with overlapping ones merged (DKPro forbids overlaps within a rater and
    category). Units that only touch stay apart, as DKPro would treat them."""
    s = np.asarray(starts, dtype=np.int64)
    e = np.asarray(ends, dtype=np.int64)
    order = np.lexsort((e, s))
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e) if len(e) else e
    # A unit opens a new merged unit when it starts at or after everything before it has ended.
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] >= reach[:-1]
    group = np.cumsum(new) - 1
    merged_ends = np.zeros(int(new.sum()), dtype=np.int64)
    np.maximum.at(merged_ends, group, e)
    return s[new], merged_ends


def partition(
    starts: IntArray, ends: IntArray, begin: int, length: int
) -> tuple[IntArray, IntArray, IntArray]:
    """(seg_starts, seg_ends, is_unit): the continuum cut into the sorted, disjoint units and the
    positive-length gaps between them, in order."""
    prev_end = np.concatenate([[begin], ends])
    next_start = np.concatenate([starts, [begin + length]])
    has_gap = next_start > prev_end
    seg_s = np.concatenate([starts, prev_end[has_gap]])
    seg_e = np.concatenate([ends, next_start[has_gap]])
    is_unit = np.concatenate([np.ones(len(starts), np.int64), np.zeros(int(has_gap.sum()), np.int64)])
    order = np.argsort(seg_s, kind="stable")
    return seg_s[order], seg_e[order], is_unit[order]


def segment_distance(
    b1: npt.ArrayLike,
    l1: npt.ArrayLike,
    u1: npt.ArrayLike,
    b2: npt.ArrayLike,
    l2: npt.ArrayLike,
    u2: npt.ArrayLike,
) -> IntArray:
    """DKPro's d2 between segments (begin, length, is_unit), vectorised: two overlapping units give
    (b1-b2)^2 + (e1-e2)^2, a unit inside the other's gap its squared length, anything else 0."""
    b1, l1, b2, l2 = (np.asarray(x, dtype=np.int64) for x in (b1, l1, b2, l2))
    u1, u2 = np.asarray(u1, dtype=bool), np.asarray(u2, dtype=bool)
    begin_diff = b1 - b2
    end_diff = begin_diff + l1 - l2
    both = u1 & u2 & (-l1 < begin_diff) & (begin_diff < l2)
    first_inside = u1 & ~u2 & (begin_diff >= 0) & (end_diff <= 0)
    second_inside = ~u1 & u2 & (begin_diff <= 0) & (end_diff >= 0)
    return np.where(
        both, begin_diff**2 + end_diff**2, np.where(first_inside, l1**2, np.where(second_inside, l2**2, 0))
    )


def _observed_pair(p1: tuple[IntArray, IntArray, IntArray], p2: tuple[IntArray, IntArray, IntArray]) -> int:
    """Sum of d2 over the overlapping segment pairs of two partitions (each pair once, as DKPro's walk)."""
    s1, e1, u1 = p1
    s2, e2, u2 = p2
    lo = np.searchsorted(e2, s1, side="right")  # first segment of p2 ending after s1
    hi = np.searchsorted(s2, e1, side="left")  # segments of p2 starting before e1
    counts = hi - lo
    i = np.repeat(np.arange(len(s1)), counts)
    j = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    d2 = segment_distance(s1[i], e1[i] - s1[i], u1[i], s2[j], e2[j] - s2[j], u2[j])
    return int(d2.sum())


def category_statistics(raters: Sequence[Units], begin: int, length: int) -> UnitizingStats:
    """alpha_U statistics of one category on one continuum [begin, begin + length); one (starts,
    ends) per rater, possibly empty (a rater who marked nothing is all gap). Overlaps are merged."""
    parts = [partition(*merge_overlaps(s, e), begin, length) for s, e in raters]
    observed = sum(
        _observed_pair(parts[a], parts[b]) for a in range(len(parts)) for b in range(a + 1, len(parts))
    )
    seg_lengths = [(e - s, u.astype(bool)) for s, e, u in parts]
    units = np.concatenate([lens[unit] for lens, unit in seg_lengths]) if parts else np.zeros(0, np.int64)
    gaps = np.concatenate([lens[~unit] for lens, unit in seg_lengths]) if parts else np.zeros(0, np.int64)
    return UnitizingStats(len(raters), int(length), observed, Histogram.of(units), Histogram.of(gaps))


def disagreements(stats: UnitizingStats) -> tuple[float, float]:
    """(D_o, D_e) of one category; nan when there are fewer than two raters or no length."""
    r, big_l = stats.raters, float(stats.length)
    if r < 2 or big_l <= 0:
        return float("nan"), float("nan")
    d_o = 2.0 * stats.observed / (r * (r - 1) * big_l * big_l)
    lengths = stats.units.lengths.astype(float)
    counts = stats.units.counts.astype(float)
    n_c = counts.sum()
    gap_len = stats.gaps.lengths.astype(float)
    gap_cnt = stats.gaps.counts.astype(float)
    # Suffix sums over gaps sorted by length: sum_{h >= l} cnt_h (h - l + 1) = S_hc - (l - 1) S_c.
    suffix_c = np.concatenate([np.cumsum(gap_cnt[::-1])[::-1], [0.0]])
    suffix_hc = np.concatenate([np.cumsum((gap_len * gap_cnt)[::-1])[::-1], [0.0]])
    at = np.searchsorted(gap_len, lengths, side="left")
    within_gaps = suffix_hc[at] - (lengths - 1) * suffix_c[at]
    total = (n_c - 1) * (counts * (2 * lengths**3 - 3 * lengths**2 + lengths)).sum() / 3 + (
        counts * lengths**2 * within_gaps
    ).sum()
    norm = r * big_l * (r * big_l - 1) - (counts * lengths * (lengths - 1)).sum()
    d_e = 2.0 / big_l * total / norm if norm > 0 else 0.0
    return float(d_o), float(d_e)


def _estimate(d_o: float, d_e: float) -> Estimate:
    if not np.isfinite(d_e):
        return Estimate(None, INSUFFICIENT_DATA)
    if d_e <= 0:
        return Estimate(None, NO_VARIATION)
    return Estimate(float(1.0 - d_o / d_e))


def _uniform(stats: UnitizingStats) -> bool:
    """Every rater put every character in one unit of the category, the same for all: no gap
    anywhere and no distance. DKPro's D_e is still positive there and its alpha_U 1.0, but the
    data has no variation, and the report says so rather than claim perfect agreement."""
    return stats.units.counts.sum() > 0 and stats.gaps.counts.sum() == 0 and stats.observed == 0


def category_alpha(stats: UnitizingStats) -> Estimate:
    """alpha_U of one category; "no variation" when nobody marked a unit of it (D_e = 0) or
    everybody marked the whole continuum alike."""
    return Estimate(None, NO_VARIATION) if _uniform(stats) else _estimate(*disagreements(stats))


def unitizing_alpha(by_category: Mapping[str, UnitizingStats]) -> tuple[Estimate, dict[str, Estimate]]:
    """Overall alpha_U (means over the categories with units) and alpha_U per category."""
    pairs = {c: disagreements(s) for c, s in by_category.items()}
    per_category = {c: category_alpha(s) for c, s in by_category.items()}
    if not pairs or any(np.isnan(d_e) for _, d_e in pairs.values()):
        return Estimate(None, INSUFFICIENT_DATA), per_category
    used = [c for c, s in by_category.items() if s.units.counts.sum() > 0]
    if not used or all(_uniform(by_category[c]) for c in used):
        return Estimate(None, NO_VARIATION), per_category
    d_o = float(np.mean([pairs[c][0] for c in used]))
    d_e = float(np.mean([pairs[c][1] for c in used]))
    return _estimate(d_o, d_e), per_category
