"""Cohen's and Fleiss' kappa, kept "for familiarity" next to alpha (docs/agreement.md section 6).

Cohen (1960): two raters, a V x V contingency table (rows rater a, columns rater b), separate
marginals; optionally linear weights |i - j| / (V - 1). Fleiss (1971): a subjects x categories
count table with the same number of raters per subject, one pooled marginal; it and the
per-category kappas need only `FleissSums`, which add up over documents with that many raters.
Degenerate inputs give no value and a reason, as everywhere in the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .core import INSUFFICIENT_DATA, NO_VARIATION, Estimate, FloatArray, IntArray


def pair_table(a: npt.ArrayLike, b: npt.ArrayLike, n_values: int) -> IntArray:
    """Contingency table (V x V) of two raters' codes on the same units."""
    x, y = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return np.bincount(x * n_values + y, minlength=n_values * n_values).reshape(n_values, n_values)


def cohen_kappa(table: npt.ArrayLike, weights: Literal["linear"] | None = None) -> Estimate:
    """Cohen's kappa of a contingency table: 1 - sum(w p_o) / sum(w p_e) with w = 1 - I (the
    unweighted kappa) or |i - j| / (V - 1)."""
    t = np.asarray(table, dtype=float)
    total = t.sum()
    if total <= 0:
        return Estimate(None, INSUFFICIENT_DATA)
    size = t.shape[0]
    idx = np.arange(size)
    w = np.abs(idx[:, None] - idx[None, :]) / max(size - 1, 1) if weights == "linear" else 1.0 - np.eye(size)
    p = t / total
    expected = (w * np.outer(p.sum(axis=1), p.sum(axis=0))).sum()
    if expected <= 0:
        return Estimate(None, NO_VARIATION)
    return Estimate(float(1.0 - (w * p).sum() / expected))


@dataclass(frozen=True)
class FleissSums:
    """Sufficient statistics of Fleiss' kappa: `subjects` N with `raters` k each, and per category
    the total count sum_u n_uj and the sum of squares sum_u n_uj^2."""

    subjects: int
    raters: int
    totals: FloatArray
    squares: FloatArray

    def __add__(self, other: FleissSums) -> FleissSums:
        if self.raters != other.raters and self.subjects and other.subjects:
            raise ValueError("Fleiss' kappa needs the same number of raters on every subject")
        return FleissSums(
            self.subjects + other.subjects,
            max(self.raters, other.raters),
            self.totals + other.totals,
            self.squares + other.squares,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "subjects": self.subjects,
            "raters": self.raters,
            "totals": self.totals.tolist(),
            "squares": self.squares.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FleissSums:
        return cls(
            int(data["subjects"]),
            int(data["raters"]),
            np.asarray(data["totals"], dtype=float),
            np.asarray(data["squares"], dtype=float),
        )


def category_counts(codes: npt.ArrayLike, n_values: int) -> IntArray:
    """Subjects x categories counts n_uj from raters x subjects codes (no missing values)."""
    c = np.asarray(codes, dtype=np.int64)
    unit = np.broadcast_to(np.arange(c.shape[1]), c.shape)
    return np.bincount((unit * n_values + c).ravel(), minlength=c.shape[1] * n_values).reshape(-1, n_values)


def fleiss_sums(counts: npt.ArrayLike) -> FleissSums:
    """FleissSums of a subjects x categories count table; every row must sum to the same k."""
    n = np.asarray(counts, dtype=float)
    per_row = n.sum(axis=1)
    if len(per_row) and not np.all(per_row == per_row[0]):
        raise ValueError("every subject needs the same number of raters")
    return FleissSums(len(n), int(per_row[0]) if len(per_row) else 0, n.sum(axis=0), (n**2).sum(axis=0))


def fleiss_kappa(sums: FleissSums) -> tuple[Estimate, list[Estimate]]:
    """Fleiss' kappa and the per-category kappas (Fleiss 1971, eqs. 9 and 12)
    kappa_j = 1 - sum_u n_uj (k - n_uj) / (N k (k - 1) p_j q_j)."""
    big_n, k = sums.subjects, sums.raters
    if big_n == 0 or k < 2:
        return Estimate(None, INSUFFICIENT_DATA), [Estimate(None, INSUFFICIENT_DATA)] * len(sums.totals)
    nk = big_n * k
    p = sums.totals / nk
    p_bar = (sums.squares.sum() - nk) / (nk * (k - 1))
    p_e = float((p**2).sum())
    overall = Estimate(float((p_bar - p_e) / (1 - p_e))) if p_e < 1 else Estimate(None, NO_VARIATION)
    disagree = k * sums.totals - sums.squares  # sum_u n_uj (k - n_uj)
    spread = nk * (k - 1) * p * (1 - p)
    per_category = [
        Estimate(float(1 - d / s)) if s > 0 else Estimate(None, NO_VARIATION)
        for d, s in zip(disagree, spread, strict=True)
    ]
    return overall, per_category
