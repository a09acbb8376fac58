"""Shared result type, reasons and array aliases of the agreement package."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, SupportsFloat

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The only reasons a number is withheld (docs/agreement.md section 9). The UI shows "n/a" with the reason.
NO_VARIATION = "no variation"  # one value among the pairable values: expected disagreement is 0
INSUFFICIENT_DATA = "insufficient data"  # nothing pairable: no unit with two values, no raters, no length
NO_SPANS = "no spans"  # a span ratio (F1, precision, coverage) whose denominator is zero
NOT_USED = "not used"  # a label no annotator applied in the documents reported: it has no alpha
TOO_FEW_DOCUMENTS = "too few documents for an interval"  # ci95_reason below the minimum


@dataclass(frozen=True)
class Estimate:
    """A statistic that may be undefined. Contract: exactly one of `value` and `reason` is None."""

    value: float | None
    reason: str | None = None

    @classmethod
    def of(cls, value: SupportsFloat, reason: str) -> Estimate:
        """`value` if it is finite, else no value with `reason`."""
        number = float(value)
        return cls(number, None) if math.isfinite(number) else cls(None, reason)

    @classmethod
    def ratio(cls, numerator: float, denominator: float, reason: str = NO_SPANS) -> Estimate:
        """numerator / denominator, or no value with `reason` when the denominator is 0."""
        return cls(float(numerator) / float(denominator), None) if denominator else cls(None, reason)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason}
