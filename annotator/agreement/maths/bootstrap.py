"""Cluster bootstrap over documents (docs/agreement.md section 10).

Positions within an article are strongly autocorrelated, so the resampled unit is the document:
a replicate draws n documents with replacement, sums their stored statistics and applies the
formula. Drawing indices with replacement is the same as multinomial counts per document, so a
block of replicates is one (B x n) count matrix times the stacked (n x ...) statistics. A fixed
seed makes the interval reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .core import FloatArray

BLOCK = 256  # replicates per matrix product; bounds memory at BLOCK x n_documents counts


class Intervals(NamedTuple):
    """Percentile bounds and, per element, the share of replicates in which it was undefined."""

    low: FloatArray
    high: FloatArray
    undefined: FloatArray


def replicate_values(
    per_document: npt.ArrayLike, statistic: Callable[[FloatArray], FloatArray], n_boot: int, seed: int = 0
) -> FloatArray:
    """`statistic` of `n_boot` resampled sums of `per_document` (n_documents, ...): (n_boot, ...)."""
    x = np.asarray(per_document, dtype=float)
    n = len(x)
    rng = np.random.default_rng(seed)
    flat = x.reshape(n, -1)
    out = []
    for done in range(0, n_boot, BLOCK):
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=min(BLOCK, n_boot - done))
        out.append(statistic((counts @ flat).reshape(-1, *x.shape[1:])))
    return np.concatenate(out)


def percentile_interval(
    per_document: npt.ArrayLike,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Intervals:
    """Percentile interval of `statistic`, elementwise over its output shape.

    Replicates where the statistic is undefined (nan, e.g. no variation) are left out of the
    bounds and counted in `undefined`; where no replicate is defined the bounds are nan. The
    caller decides how large an undefined share still leaves a meaningful interval."""
    values = replicate_values(per_document, statistic, n_boot, seed)
    tail = (1.0 - level) / 2 * 100
    defined = ~np.isnan(values)
    # nanpercentile warns on all-nan columns; fill them with 0 and mask the result instead.
    filled = np.where(defined.any(axis=0), values, 0.0)
    low, high = np.nanpercentile(filled, [tail, 100 - tail], axis=0)
    empty = ~defined.any(axis=0)
    undefined = 1.0 - defined.mean(axis=0)
    return Intervals(np.where(empty, np.nan, low), np.where(empty, np.nan, high), undefined)
