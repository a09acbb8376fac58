"""What the suggestions page shows beside its tables: the current model's calibration curve."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString

from frontend.charts import Point, scatter


def calibration_chart(metrics: dict[str, Any]) -> SafeString | None:
    """Each probability bin of the held-out sentences: the mean probability the model gave
    against the share that truly carried the label; a calibrated model sits on the diagonal."""
    bins = metrics.get("calibration") or []
    if not bins:
        return None
    points = [
        Point(label=f"{b['bin'][0]:.1f}–{b['bin'][1]:.1f}", x=b["predicted"], y=b["observed"], size=b["n"])
        for b in bins
    ]
    return scatter(
        points,
        title="Calibration on held-out sentences: predicted probability against the share that carried the label",
        x_label="Predicted probability",
        y_label="Observed share",
    )
