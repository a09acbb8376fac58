"""Charts drawn on the server as SVG: no script, no library, crisp at any zoom, and readable by
screen readers (a title and a description). Every chart on a page also has a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="system-ui, sans-serif" font-size="12"'
INK = "#1f2328"
MUTED = "#59636e"
LINE = "#d0d7de"
ACCENT = "#0b5cad"


@dataclass(frozen=True)
class Interval:
    """One row of a dot plot: a value with its 95% interval, or a note where there is none."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""
    hatched: bool = False


@dataclass(frozen=True)
class Mark:
    """A reference line across a dot plot, such as Krippendorff's .667 and .800."""

    at: float
    label: str


def dot_plot(
    rows: Sequence[Interval],
    *,
    title: str,
    low: float,
    high: float,
    marks: Sequence[Mark] = (),
    width: int = 640,
    value_format: str = "{:.3f}",
) -> SafeString:
    """Dots with interval bars, one row each, on a shared axis from `low` to `high`."""
    label_width, right, row_height, top = 170, 70, 26, 36
    plot_width = width - label_width - right
    height = top + row_height * len(rows) + 24

    def x(value: float) -> float:
        clamped = min(max(value, low), high)
        return label_width + (clamped - low) / (high - low) * plot_width

    parts = [_svg_open(width, height, title)]
    for tick in _ticks(low, high):
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 6}" y2="{height - 20}" stroke="{LINE}"/>'
            f'<text x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}" {FONT}>{tick:g}</text>'
        )
    for k, mark in enumerate(marks):
        # Labels alternate between two heights so neighbouring marks stay legible.
        label_y = top - 12 - 12 * (k % 2)
        parts.append(
            f'<line x1="{x(mark.at):.1f}" x2="{x(mark.at):.1f}" y1="{label_y + 2}" y2="{height - 20}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
            f'<text x="{x(mark.at):.1f}" y="{label_y}" text-anchor="middle" fill="{MUTED}" {FONT}>'
            f"{escape(mark.label)}</text>"
        )
    for i, row in enumerate(rows):
        y = top + row_height * i + row_height / 2
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}" {FONT}>'
            f"{escape(_clip(row.label, 26))}</text>"
        )
        if row.value is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + 4:.1f}" fill="{MUTED}" {FONT} font-style="italic">'
                f"{escape(row.note or 'no value')}</text>"
            )
            continue
        if row.low is not None and row.high is not None:
            parts.append(
                f'<line x1="{x(row.low):.1f}" x2="{x(row.high):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{ACCENT}" stroke-width="2"/>'
            )
        fill = "white" if row.hatched else ACCENT
        parts.append(
            f'<circle cx="{x(row.value):.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="{ACCENT}" stroke-width="2">'
            f"<title>{escape(row.label)}: {value_format.format(row.value)}"
            f"{_interval_text(row, value_format)}</title></circle>"
            f'<text x="{width - right + 8}" y="{y + 4:.1f}" fill="{INK}" {FONT}>'
            f"{value_format.format(row.value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def heat_map(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    low: float,
    high: float,
    value_format: str = "{:.2f}",
    diverging: bool = False,
    hatched: Sequence[Sequence[bool]] | None = None,
) -> SafeString:
    """A matrix of coloured cells with their values written in. Diverging maps run red (low)
    through white to blue (high); sequential ones white to blue. None is a grey, hatched cell."""
    cell, label_width, top = 56, 150, 90
    width = label_width + cell * len(columns) + 90  # room for the last slanted column label
    height = top + cell * len(rows) + 10
    parts = [
        _svg_open(width, height, title),
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{LINE}" stroke-width="3"/></pattern></defs>',
    ]
    for j, column in enumerate(columns):
        cx = label_width + cell * j + cell / 2
        parts.append(
            f'<text transform="translate({cx:.1f},{top - 8}) rotate(-40)" fill="{INK}" {FONT}>'
            f"{escape(_clip(column, 16))}</text>"
        )
    for i, row in enumerate(rows):
        y = top + cell * i
        parts.append(
            f'<text x="{label_width - 8}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" fill="{INK}" {FONT}>'
            f"{escape(_clip(row, 22))}</text>"
        )
        for j, value in enumerate(values[i]):
            x0 = label_width + cell * j
            if value is None:
                fill, text = "url(#hatch)", "–"
            else:
                fill, text = _colour(value, low, high, diverging), value_format.format(value)
            if hatched is not None and hatched[i][j] and value is not None:
                fill = "url(#hatch)"
            dark = value is not None and _darkness(value, low, high, diverging) > 0.55
            parts.append(
                f'<rect x="{x0}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}" stroke="{LINE}">'
                f"<title>{escape(row)} × {escape(columns[j])}: {escape(text)}</title></rect>"
                f'<text x="{x0 + cell / 2 - 1:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                f'fill="{"white" if dark else INK}" {FONT}>{escape(text)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next(s for s in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100) if span / s <= 8)
    first = round(low / step) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        if value >= low - 1e-9:
            ticks.append(round(value, 6))
        value += step
    return ticks


def _interval_text(row: Interval, value_format: str) -> str:
    if row.low is None or row.high is None:
        return ""
    return f" (95% interval {value_format.format(row.low)} to {value_format.format(row.high)})"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _position(value: float, low: float, high: float) -> float:
    return min(max((value - low) / (high - low), 0.0), 1.0) if high > low else 0.5


def _darkness(value: float, low: float, high: float, diverging: bool) -> float:
    t = _position(value, low, high)
    return abs(t - 0.5) * 2 if diverging else t


def _colour(value: float, low: float, high: float, diverging: bool) -> str:
    """Blue for high, red for low (diverging) through white; white to blue (sequential)."""
    t = _position(value, low, high)
    blue, red = (11, 92, 173), (180, 35, 24)
    if diverging:
        target, strength = (blue, (t - 0.5) * 2) if t >= 0.5 else (red, (0.5 - t) * 2)
    else:
        target, strength = blue, t
    r, g, b = (round(255 + (c - 255) * strength) for c in target)
    return f"rgb({r},{g},{b})"
