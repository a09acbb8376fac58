"""Calibration arithmetic: an annotator's span F1 against gold over their calibration items.

Pure Python + numpy, no Django (annotator.calibration.selectors feeds it from the database).

Each item adds (tp, n_gold, n_spans): the annotator's spans overlap-matched to a gold span of the
same label, the gold spans, the annotator's spans. Over a set of items the span F1 is pooled as
the engine pools it, 2 * sum(tp) / sum(n_gold + n_spans); a set whose items hold no span at all
has no F1 (None). Its 95% interval is a percentile bootstrap over items (clusters), the same
resampling the source profiles use.

The pass gate reads the latest `window` items (fewer while there are fewer): the annotator passes
while that figure is at least the gate; with no item, or no span in the window, there is nothing
to judge yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from annotator.profiles.maths.bootstrap import percentile_intervals, resample

ItemCounts = tuple[int, int, int]  # (tp, n_gold, n_spans)
BOOTSTRAP_RESAMPLES = 2000


class GateState(StrEnum):
    NO_GATE = "no_gate"
    NOT_YET = "not_yet"  # no calibration item with a span scored yet
    PASSING = "passing"
    FAILING = "failing"


def pooled_f1(items: Sequence[ItemCounts]) -> float | None:
    tp = sum(item[0] for item in items)
    total = sum(item[1] + item[2] for item in items)
    return 2 * tp / total if total else None


def f1_interval(items: Sequence[ItemCounts], *, seed: int = 0) -> tuple[float, float] | None:
    """95% percentile bootstrap interval of `pooled_f1` over the items; None with no spans."""
    if pooled_f1(items) is None:
        return None
    columns = np.array([(2 * tp, n_gold + n_spans) for tp, n_gold, n_spans in items], dtype=np.float64)
    sums, _ = resample(columns, np.empty((len(items), 0)), n_boot=BOOTSTRAP_RESAMPLES, seed=seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        replicates = np.where(sums[:, 1] > 0, sums[:, 0] / sums[:, 1], np.nan)
    low, high = percentile_intervals(replicates[:, None])
    return float(low[0]), float(high[0])


@dataclass(frozen=True)
class Gate:
    state: GateState
    figure: float | None  # span F1 over the window
    n_items: int  # items in the window


def gate(items: Sequence[ItemCounts], *, threshold: float | None, window: int) -> Gate:
    """The gate over the latest `window` of `items` (oldest first)."""
    latest = list(items[-window:]) if window > 0 else []
    figure = pooled_f1(latest)
    if threshold is None:
        state = GateState.NO_GATE
    elif figure is None:
        state = GateState.NOT_YET
    else:
        state = GateState.PASSING if figure >= threshold else GateState.FAILING
    return Gate(state, figure, len(latest))


def rolling_f1(items: Sequence[ItemCounts], *, window: int) -> list[float | None]:
    """After each item, the span F1 over the latest `window` items up to it: the figure over time."""
    return [pooled_f1(items[max(0, end - window) : end]) for end in range(1, len(items) + 1)]
