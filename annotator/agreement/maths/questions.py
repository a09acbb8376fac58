"""Agreement on article questions: Krippendorff's alpha at each question's level of measurement
(ordinal for an ordinal scale, interval for an interval scale, nominal for a choice or yes/no),
with the cluster-bootstrap interval over documents the span figures get.

A unit is a document; its values are the answers of the layers that answered. Alpha does not
depend on which coder gave which value, only on the values each unit holds, so a unit is a plain
list of answers. A question of several choices is one yes/no decision per choice: its alpha
pools those decisions, and each choice has its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .alpha import Metric, alpha_from_coincidences, alpha_values, coincidences
from .bootstrap import percentile_interval
from .core import INSUFFICIENT_DATA, Estimate, FloatArray
from .report import MIN_DOCUMENTS_FOR_INTERVAL, interval_withheld

LEVELS = {
    "ordinal": "ordinal",
    "interval": "interval",
    "choice": "nominal",
    "multi": "nominal",
    "boolean": "nominal",
}


def _key(value: Any) -> str:
    """An answer as a distribution's key: "true", "NEWS", "3", "1.5"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _unit_coincidences(codes: Sequence[Sequence[int]], n_values: int) -> FloatArray:
    """Per unit, its V x V coincidence matrix: (units, V, V)."""
    out = np.zeros((len(codes), n_values, n_values))
    for u, unit in enumerate(codes):
        if len(unit) >= 2:
            out[u] = coincidences(np.asarray(unit, dtype=np.int64)[:, None], n_values)
    return out


def _estimate(
    per_unit: FloatArray,
    metric: Metric,
    values: FloatArray | None,
    n_boot: int,
    seed: int,
    min_documents: int,
) -> dict[str, Any]:
    """alpha of the summed per-unit coincidences, with its bootstrap interval over units."""
    pairable = per_unit.sum(axis=(1, 2)) > 0
    if not pairable.any():
        return {**Estimate(None, INSUFFICIENT_DATA).to_dict(), "ci95": None, "ci95_reason": INSUFFICIENT_DATA}
    estimate = alpha_from_coincidences(per_unit.sum(axis=0), metric, values)
    if n_boot <= 0:
        return estimate.to_dict()
    kept = per_unit[pairable]
    intervals = percentile_interval(kept, lambda o: alpha_values(o, metric, values), n_boot=n_boot, seed=seed)
    withheld = interval_withheld(estimate, len(kept), min_documents, float(intervals.undefined))
    low, high = float(intervals.low), float(intervals.high)
    if withheld is None and not (np.isfinite(low) and np.isfinite(high)):
        withheld = INSUFFICIENT_DATA
    return {**estimate.to_dict(), "ci95": None if withheld else [low, high], "ci95_reason": withheld}


def question_agreement(
    units: Sequence[Sequence[Any]],
    *,
    kind: str,
    points: Sequence[Mapping[str, Any]],
    n_boot: int = 0,
    seed: int = 0,
    min_documents: int = MIN_DOCUMENTS_FOR_INTERVAL,
) -> dict[str, Any]:
    """The agreement on one question whose answers per document are `units`: alpha at the
    kind's level with its interval, how many documents have two answers or more, and how the
    answers are spread ("distribution": value -> count; per choice for several choices)."""
    level = LEVELS[kind]
    paired = sum(1 for unit in units if len(unit) >= 2)
    answers = [value for unit in units for value in unit]
    entry: dict[str, Any] = {"level": level, "n_documents": paired, "n_answers": len(answers)}
    if kind == "multi":
        options = [p["value"] for p in points]
        per_option = {
            option: _unit_coincidences([[int(option in value) for value in unit] for unit in units], 2)
            for option in options
        }
        pooled = sum(per_option.values(), np.zeros((len(units), 2, 2)))
        entry["alpha"] = _estimate(pooled, "nominal", None, n_boot, seed, min_documents)
        entry["options"] = {
            option: {"alpha": _estimate(o, "nominal", None, n_boot, seed, min_documents)}
            for option, o in per_option.items()
        }
        entry["distribution"] = {option: sum(option in value for value in answers) for option in options}
        return entry
    if kind == "interval":
        domain = sorted({float(v) for v in answers})
        values: FloatArray | None = np.asarray(domain)
    elif kind == "boolean":
        domain, values = [False, True], None
    else:  # ordinal and choice: the points, in their order
        domain, values = [p["value"] for p in points], None
    index = {value: i for i, value in enumerate(domain)}
    codes = [[index[float(v) if kind == "interval" else v] for v in unit] for unit in units]
    per_unit = _unit_coincidences(codes, max(1, len(domain)))
    entry["alpha"] = _estimate(per_unit, level, values, n_boot, seed, min_documents)
    counts = Counter(answers)
    entry["distribution"] = {_key(value): counts[value] for value in domain}
    if kind in ("ordinal", "interval") and answers:
        entry["mean"] = float(np.mean(np.asarray(answers, dtype=float)))
    return entry
