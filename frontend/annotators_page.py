"""What the annotators page shows beside its table: each annotator's calibration span F1 with
its interval, against the project's pass gate."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from annotator.calibration.selectors import AnnotatorOverview
from annotator.models import Project
from frontend.charts import Interval, Mark, dot_plot


def calibration_chart(rows: Sequence[AnnotatorOverview], project: Project) -> SafeString | None:
    """A dot plot of every annotator's span F1 against gold on their calibration items, or
    None while nobody has a scored item."""
    scored = [row for row in rows if row.calibration.n_items]
    if not scored:
        return None
    intervals = [
        Interval(
            label=row.username,
            value=row.calibration.span_f1,
            low=row.calibration.interval[0] if row.calibration.interval else None,
            high=row.calibration.interval[1] if row.calibration.interval else None,
            note="" if row.calibration.span_f1 is not None else "no spans on its items",
        )
        for row in scored
    ]
    marks = [Mark(project.calibration_gate, "gate")] if project.calibration_gate is not None else []
    return dot_plot(
        intervals, title="Span F1 against gold on calibration items, 95% interval", low=0, high=1, marks=marks
    )
