"""Krippendorff's alpha from coincidence matrices (Krippendorff 2011, "Computing Krippendorff's
alpha-reliability").

Codes are an int array of shape (coders, units) with values 0..V-1 and -1 for missing. The
coincidence matrix o (V x V) holds, for every unit with m_u >= 2 values, each ordered pair of
values from different coders weighted 1 / (m_u - 1). It is all alpha needs and it adds up over
documents, so a project value is a sum of per-document matrices followed by `alpha_values`.

alpha = 1 - D_o / D_e with n_v = o.sum(1), n = sum(n_v), D_o = sum(o * d2) / n and
D_e = sum(n_c * n_k * d2) / (n * (n - 1)), where d2 is the squared distance between values:
nominal 1 - I, interval (c - k)^2, ratio ((c - k) / (c + k))^2, ordinal from the marginals, or any
V x V matrix given by the caller.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from .core import INSUFFICIENT_DATA, NO_VARIATION, Estimate, FloatArray, IntArray

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Metric = Level | npt.ArrayLike  # a level name or a V x V matrix of squared distances


def coincidences(codes: npt.ArrayLike, n_values: int) -> FloatArray:
    """The V x V coincidence matrix of `codes` (coders x units, 0..V-1, -1 = missing).

    O(m^2 N) time and O(N) memory: one `np.bincount` per unordered coder pair."""
    c = np.asarray(codes)
    if c.ndim != 2:
        raise ValueError("codes must be a 2-d array of coders x units")
    if c.size and c.max() >= n_values:
        raise ValueError(f"codes must be below n_values={n_values}")
    present = c >= 0
    m_u = present.sum(axis=0)
    # Unpairable units get weight 0, so no unit mask is needed in the loop below.
    weight = np.divide(1.0, m_u - 1, out=np.zeros(m_u.shape), where=m_u >= 2)
    # Missing values become the extra code V; its row and column are cut off at the end. This
    # avoids boolean indexing per pair, which costs more than the bincount itself.
    size = n_values + 1
    filled = np.where(present, c, n_values).astype(np.int64)
    flat = np.zeros(size * size)
    for i in range(c.shape[0]):
        row = filled[i] * size
        for j in range(i + 1, c.shape[0]):
            flat += np.bincount(row + filled[j], weights=weight, minlength=size * size)
    upper = flat.reshape(size, size)[:n_values, :n_values]
    return upper + upper.T  # the pair (j, i) contributes the transpose of (i, j)


def squared_distances(
    metric: Metric, marginals: FloatArray, values: npt.ArrayLike | None = None
) -> FloatArray:
    """The matrix d2 of squared distances, batched over the leading axes of `marginals` (..., V).

    `values` are the numbers behind codes 0..V-1 for interval and ratio (default 0..V-1); ordinal
    uses only their order, which is the code order."""
    n_v = np.asarray(marginals, dtype=float)
    size = n_v.shape[-1]
    if not isinstance(metric, str):
        return np.asarray(metric, dtype=float)
    x = np.arange(size, dtype=float) if values is None else np.asarray(values, dtype=float)
    if metric == "nominal":
        return 1.0 - np.eye(size)
    if metric == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if metric == "ratio":
        total = x[:, None] + x[None, :]
        diff = x[:, None] - x[None, :]
        return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
    if metric == "ordinal":
        # (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 = (cum_k - cum_c + (n_c - n_k) / 2)^2 for any c, k.
        cum = np.cumsum(n_v, axis=-1)
        squared: FloatArray = (
            cum[..., None, :] - cum[..., :, None] + (n_v[..., :, None] - n_v[..., None, :]) / 2
        ) ** 2
        return squared
    raise ValueError(f"unknown level of measurement {metric!r}")


def disagreements(
    o: npt.ArrayLike, metric: Metric = "nominal", values: npt.ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """Observed and expected disagreement (D_o, D_e) of coincidence matrices (..., V, V).

    nan where fewer than two pairable values exist. This is the one alpha kernel of the package."""
    o = np.asarray(o, dtype=float)
    n_v = o.sum(axis=-1)
    n = n_v.sum(axis=-1)
    d2 = squared_distances(metric, n_v, values)
    with np.errstate(invalid="ignore", divide="ignore"):
        d_o = (o * d2).sum(axis=(-2, -1)) / n
        d_e = (n_v[..., :, None] * n_v[..., None, :] * d2).sum(axis=(-2, -1)) / (n * (n - 1))
    return np.where(n >= 2, d_o, np.nan), np.where(n >= 2, d_e, np.nan)


def alpha_values(
    o: npt.ArrayLike, metric: Metric = "nominal", values: npt.ArrayLike | None = None
) -> FloatArray:
    """alpha of coincidence matrices (..., V, V), vectorised for bootstrap replicates; nan if undefined."""
    d_o, d_e = disagreements(o, metric, values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d_e > 0, 1.0 - d_o / d_e, np.nan)


def alpha_from_coincidences(
    o: npt.ArrayLike, metric: Metric = "nominal", values: npt.ArrayLike | None = None
) -> Estimate:
    """alpha of one coincidence matrix, or no value with "insufficient data" (no pairable unit) or
    "no variation" (D_e = 0, e.g. a single value). Never 1.0 for a degenerate input."""
    d_o, d_e = disagreements(o, metric, values)
    if not np.isfinite(d_e):
        return Estimate(None, INSUFFICIENT_DATA)
    if d_e <= 0:
        return Estimate(None, NO_VARIATION)
    return Estimate(float(1.0 - d_o / d_e))


def alpha(
    codes: npt.ArrayLike,
    metric: Metric = "nominal",
    values: npt.ArrayLike | None = None,
    n_values: int | None = None,
) -> Estimate:
    """alpha of coders x units `codes` (-1 = missing); V defaults to len(values) or max code + 1."""
    c = np.asarray(codes)
    if n_values is None:
        n_values = len(np.asarray(values)) if values is not None else int(c.max(initial=-1)) + 1
    return alpha_from_coincidences(coincidences(c, n_values), metric, values)


def encode(data: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    """Codes (-1 for nan) and the sorted distinct values of a numeric coders x units array."""
    x = np.asarray(data, dtype=float)
    present = ~np.isnan(x)
    values, inverse = np.unique(x[present], return_inverse=True)
    codes = np.full(x.shape, -1, dtype=np.int64)
    codes[present] = inverse
    return codes, values


def binary_collapse(o: npt.ArrayLike) -> FloatArray:
    """Per value c, the 2 x 2 matrix [[not c, not c], [c, c]] of (V, V) `o`, shape (V, 2, 2).

    Index 1 is "c", index 0 "anything else"; nominal alpha of it is the per-category alpha."""
    o = np.asarray(o, dtype=float)
    diag = np.diagonal(o)
    off = o.sum(axis=1) - diag  # c paired with another value
    rest = o.sum() - diag - 2 * off
    return np.stack([np.stack([rest, off], axis=-1), np.stack([off, diag], axis=-1)], axis=-2)


def binary_coincidences(indicators: npt.ArrayLike) -> FloatArray:
    """2 x 2 coincidence matrices of K binary variables, (K, coders, units) with 1 = has the label,
    0 = not, -1 = missing; shape (K, 2, 2). Used when one position may hold several labels."""
    return np.stack([coincidences(layer, 2) for layer in np.asarray(indicators)]).reshape(-1, 2, 2)
