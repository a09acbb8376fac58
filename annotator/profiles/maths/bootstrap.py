"""Cluster bootstrap over articles, vectorised (SOURCE-PROFILES.md 3b "Uncertainty").

A replicate draws n articles with replacement. The draws of a block of replicates are one (b x n)
index matrix; its per-row counts W give every column sum at once as W @ columns, so any ratio of
sums is (W @ numerator) / (W @ denominator). A per-article median is read off the cumulative
weights of the articles in ascending order of value (sorted once, not per replicate). Blocks
bound memory at about MAX_CELLS draws; one generator seeded once means the same seed gives the
same replicates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .counts import FloatArray

IntArray = npt.NDArray[np.int64]

MAX_CELLS = 2_000_000  # article draws per block (rows x n)


def quantiles(x: npt.ArrayLike, q: Sequence[float], axis: int = 0) -> FloatArray:
    """Quantiles `q` (0..1) along `axis`, ignoring nan, numpy's "linear" method; nan where a
    slice has no value. Result shape: (len(q), *shape without axis). No warnings."""
    a = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    if len(a) == 0:
        return np.full((len(q), *a.shape[1:]), np.nan)
    s = np.sort(a, axis=0)  # nan sorts last
    m = np.sum(~np.isnan(a), axis=0)
    out = []
    for p in q:
        pos = p * np.maximum(m - 1, 0)
        low = np.floor(pos).astype(np.int32)
        high = np.minimum(low + 1, np.maximum(m - 1, 0))
        below = np.take_along_axis(s, low[None], axis=0)[0]
        above = np.take_along_axis(s, high[None], axis=0)[0]
        value = below + (pos - low) * (above - below)
        out.append(np.where(m > 0, value, np.nan))
    return np.stack(out) if out else np.empty((0, *a.shape[1:]))


def _sorted_values(values: FloatArray) -> list[tuple[IntArray, FloatArray]]:
    """Per column of (n, m) `values`: the articles that have a value in ascending order of
    value, and those values."""
    out = []
    for column in values.T:
        have = np.flatnonzero(~np.isnan(column))
        order = have[np.argsort(column[have], kind="stable")]
        out.append((order, column[order]))
    return out


def _weighted_medians(weights: IntArray, order: IntArray, values: FloatArray) -> FloatArray:
    """Median of each row's sample, where row i holds article a weights[i, a] times, from the
    articles' ascending `order` and sorted `values`; numpy's linear median, nan for an empty row.

    The value at rank r of a row is values[#(cumulative weight <= r)]. Each row's cumulative
    weights lie in 0..n, so shifting row i by i * (n + 1) makes the whole block one ascending
    array and every row's count is one searchsorted: no sort per replicate."""
    b = len(weights)
    if len(order) == 0:
        return np.full(b, np.nan)
    # int32 is exact: shifted values are at most b * (n + 1) <= 2 * max(MAX_CELLS, n).
    cumulative = np.cumsum(weights[:, order], axis=1, dtype=np.int32)
    m = cumulative[:, -1]
    shift = np.arange(b, dtype=np.int32) * np.int32(weights.shape[1] + 1)
    flat = (cumulative + shift[:, None]).ravel()
    first = np.arange(b) * len(order)
    last = len(values) - 1

    def at_rank(rank: npt.NDArray[np.integer]) -> FloatArray:
        found = np.searchsorted(flat, rank + shift, side="right") - first
        at: FloatArray = values[np.clip(found, 0, last)]
        return at

    pos = 0.5 * np.maximum(m - 1, 0)
    low = np.floor(pos).astype(np.int32)
    high = np.minimum(low + 1, np.maximum(m - 1, 0))
    below, above = at_rank(low), at_rank(high)
    return np.where(m > 0, below + (pos - low) * (above - below), np.nan)


def resample(
    columns: npt.ArrayLike, medians: npt.ArrayLike, *, n_boot: int, seed: int = 0
) -> tuple[FloatArray, FloatArray]:
    """Replicates of the column sums and of per-article medians.

    `columns` (n, k): per-article values whose sums the ratios need. `medians` (n, m): per-article
    values whose median is wanted, nan for an article that has none. Returns (n_boot, k) sums and
    (n_boot, m) medians (nan where a replicate drew no article with a value)."""
    x = np.asarray(columns, dtype=np.float64)
    v = np.asarray(medians, dtype=np.float64)
    n = len(x)
    if n == 0 or n_boot <= 0:
        return np.full((max(n_boot, 0), x.shape[1]), np.nan), np.full((max(n_boot, 0), v.shape[1]), np.nan)
    rng = np.random.default_rng(seed)
    rows = max(1, min(n_boot, MAX_CELLS // n))
    ranked = _sorted_values(v)
    sums, meds = [], []
    for done in range(0, n_boot, rows):
        b = min(rows, n_boot - done)
        index = rng.integers(0, n, size=(b, n))
        offsets = (index + n * np.arange(b)[:, None]).ravel()
        weights = np.bincount(offsets, minlength=b * n).reshape(b, n)
        sums.append(weights.astype(np.float64) @ x)
        meds.append(
            np.stack([_weighted_medians(weights, o, s) for o, s in ranked], axis=1)
            if ranked
            else np.empty((b, 0))
        )
    return np.concatenate(sums), np.concatenate(meds)


def percentile_intervals(replicates: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Percentile interval per column of (B, k) replicates; undefined (nan) replicates are left
    out and a column with none defined gives nan bounds."""
    tail = (1.0 - level) / 2
    low, high = quantiles(replicates, [tail, 1.0 - tail], axis=0)
    return low, high
