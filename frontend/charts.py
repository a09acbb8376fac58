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
    """One row of a dot plot: a value with its 95% interval, or a note where there is none (shown
    in place of the value, or on hover beside a value without an interval)."""

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


def line_with_band(
    points: Sequence[Interval],
    *,
    title: str,
    low: float,
    high: float,
    width: int = 640,
    height: int = 220,
    value_format: str = "{:.2f}",
) -> SafeString:
    """A value over time as a line through its points, inside the band of their 95% intervals;
    a point without a value breaks the line and is named below the axis with its note."""
    left, right, top, bottom = 56, 40, 16, 40
    step = (width - left - right) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return left + step * i if len(points) > 1 else left + (width - left - right) / 2

    def y(value: float) -> float:
        return top + (1 - _position(value, low, high)) * (height - top - bottom)

    parts = [_svg_open(width, height, title)]
    for tick in _ticks(low, high):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{LINE}"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}" {FONT}>{tick:g}</text>'
        )
    runs: list[list[int]] = [[]]
    for i, point in enumerate(points):
        if point.value is None:
            runs.append([])
        else:
            runs[-1].append(i)
    for run in (r for r in runs if r):
        banded = [i for i in run if points[i].low is not None and points[i].high is not None]
        if len(banded) > 1:
            upper = " ".join(f"{x(i):.1f},{y(points[i].high):.1f}" for i in banded)  # type: ignore[arg-type]
            lower = " ".join(f"{x(i):.1f},{y(points[i].low):.1f}" for i in reversed(banded))  # type: ignore[arg-type]
            parts.append(
                f'<polygon points="{upper} {lower}" fill="{ACCENT}" fill-opacity="0.15" stroke="none"/>'
            )
        parts.append(
            f'<polyline points="{" ".join(f"{x(i):.1f},{y(points[i].value):.1f}" for i in run)}" '  # type: ignore[arg-type]
            f'fill="none" stroke="{ACCENT}" stroke-width="2"/>'
        )
    for i, point in enumerate(points):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 22}" text-anchor="middle" fill="{INK}" {FONT}>{escape(point.label)}</text>'
        )
        if point.value is None:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}" {FONT} '
                f'font-style="italic">{escape(_clip(point.note or "no value", 18))}</text>'
            )
            continue
        if point.low is not None and point.high is not None:
            parts.append(
                f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(point.low):.1f}" y2="{y(point.high):.1f}" '
                f'stroke="{ACCENT}" stroke-width="1"/>'
            )
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="4" fill="{ACCENT}">'
            f"<title>{escape(point.label)}: {value_format.format(point.value)}{_interval_text(point, value_format)}"
            "</title></circle>"
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
    steps = (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000)
    step = next((s for s in steps if span / s <= 8), span / 8)
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
        return f" ({row.note})" if row.note else ""
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


# PER-SOURCE PROFILES: 100% STACKED BARS AND A SCATTER WITH INTERVAL CROSS-HAIRS
# ------------------------------------------------------------------------------

# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
CATEGORY_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#8c8c8c", "#d55e00", "#f0e442")


@dataclass(frozen=True)
class Stack:
    """One 100% bar: the shares of each category (None for the whole bar: no value, `note`
    says why). `reference` draws it apart, e.g. the corpus bar under the sources."""

    label: str
    shares: Sequence[float] | None
    note: str = ""
    reference: bool = False


def stacked_bars(
    rows: Sequence[Stack],
    *,
    categories: Sequence[str],
    title: str,
    colours: Sequence[str] = CATEGORY_COLOURS,
    width: int = 640,
) -> SafeString:
    """Horizontal 100% stacked bars, one row each, with a legend above; each segment says its
    category and share on hover."""
    label_width, right, row_height, top = 170, 20, 26, 30
    plot_width = width - label_width - right
    gap = sum(1 for r in rows if r.reference) * 8
    height = top + row_height * len(rows) + gap + 24
    parts = [_svg_open(width, height, title)]
    x = label_width
    for k, category in enumerate(categories):
        colour = colours[k % len(colours)]
        parts.append(
            f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="15" fill="{INK}" {FONT}>{escape(category)}</text>'
        )
        x += 22 + 7 * len(category)
    y = top
    for row in rows:
        if row.reference:
            y += 8
        weight = ' font-weight="600"' if row.reference else ""
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row_height / 2 + 4:.1f}" text-anchor="end" fill="{INK}" '
            f"{FONT}{weight}>{escape(_clip(row.label, 26))}</text>"
        )
        if row.shares is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + row_height / 2 + 4:.1f}" fill="{MUTED}" {FONT} '
                f'font-style="italic">{escape(row.note or "no value")}</text>'
            )
            y += row_height
            continue
        x0 = float(label_width)
        for k, share in enumerate(row.shares):
            w = max(share, 0.0) * plot_width
            if w <= 0:
                continue
            colour = colours[k % len(colours)]
            parts.append(
                f'<rect x="{x0:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_height - 8}" fill="{colour}">'
                f"<title>{escape(row.label)}: {escape(categories[k])} {share:.0%}</title></rect>"
            )
            if w >= 30:
                parts.append(
                    f'<text x="{x0 + w / 2:.1f}" y="{y + row_height / 2 + 4:.1f}" text-anchor="middle" '
                    f'fill="white" {FONT}>{share:.0%}</text>'
                )
            x0 += w
        y += row_height
    for tick in (0, 0.25, 0.5, 0.75, 1):
        tx = label_width + tick * plot_width
        parts.append(
            f'<text x="{tx:.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}" {FONT}>{tick:.0%}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class Point:
    """One point of a scatter: x and y with their 95% intervals, a size (e.g. articles) that
    sets the bubble's area, and `hollow` (a dashed, empty bubble) for a point to read with
    caution (low confidence)."""

    label: str
    x: float
    y: float
    x_low: float | None = None
    x_high: float | None = None
    y_low: float | None = None
    y_high: float | None = None
    size: float = 1.0
    hollow: bool = False
    reference: bool = False


def scatter(
    points: Sequence[Point],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] = (0.0, 1.0),
    y_range: tuple[float, float] = (0.0, 1.0),
    width: int = 640,
    height: int = 440,
    value_format: str = "{:.2f}",
) -> SafeString:
    """Points with interval cross-hairs (a horizontal bar for x's interval, a vertical one for
    y's) and bubbles whose area follows `size`; each point is labelled. A `reference` point
    (the corpus) is drawn as a diamond."""
    left, right, top, bottom = 60, 20, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    (x0, x1), (y0, y1) = x_range, y_range

    def px(v: float) -> float:
        return left + _position(v, x0, x1) * plot_w

    def py(v: float) -> float:
        return top + (1 - _position(v, y0, y1)) * plot_h

    parts = [_svg_open(width, height, title)]
    for tick in _ticks(x0, x1):
        parts.append(
            f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{top}" y2="{top + plot_h}" stroke="{LINE}"/>'
            f'<text x="{px(tick):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{MUTED}" {FONT}>'
            f"{tick:g}</text>"
        )
    for tick in _ticks(y0, y1):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" stroke="{LINE}"/>'
            f'<text x="{left - 6}" y="{py(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}" {FONT}>{tick:g}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="{INK}" {FONT}>'
        f"{escape(x_label)}</text>"
        f'<text transform="translate(14,{top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'fill="{INK}" {FONT}>{escape(y_label)}</text>'
    )
    peak = max((p.size for p in points), default=1.0) or 1.0
    for p in sorted(points, key=lambda q: -q.size):  # small bubbles on top
        cx, cy = px(p.x), py(p.y)
        tip = (
            f"{escape(p.label)}: {escape(x_label)} {value_format.format(p.x)}"
            f"{_range_text(p.x_low, p.x_high, value_format)}, {escape(y_label)} {value_format.format(p.y)}"
            f"{_range_text(p.y_low, p.y_high, value_format)}"
        )
        if p.reference:
            r = 7.0
            parts.append(
                f'<path d="M{cx:.1f},{cy - r:.1f} L{cx + r:.1f},{cy:.1f} L{cx:.1f},{cy + r:.1f} '
                f'L{cx - r:.1f},{cy:.1f} Z" fill="{INK}"><title>{tip}</title></path>'
            )
        else:  # a light bubble under its cross-hairs, so the intervals stay readable
            r = 3 + 7 * (max(p.size, 0.0) / peak) ** 0.5
            style = (
                'fill="white" stroke-dasharray="3 2"' if p.hollow else f'fill="{ACCENT}" fill-opacity="0.3"'
            )
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" {style} '
                f'stroke="{ACCENT}" stroke-width="1.5"><title>{tip}</title></circle>'
            )
        if p.x_low is not None and p.x_high is not None:
            parts.append(
                f'<line x1="{px(p.x_low):.1f}" x2="{px(p.x_high):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
                f'stroke="{INK if p.reference else ACCENT}" stroke-width="1.5"/>'
            )
        if p.y_low is not None and p.y_high is not None:
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{py(p.y_low):.1f}" y2="{py(p.y_high):.1f}" '
                f'stroke="{INK if p.reference else ACCENT}" stroke-width="1.5"/>'
            )
        parts.append(
            f'<text x="{cx + r + 3:.1f}" y="{cy - r:.1f}" fill="{INK}" {FONT}>{escape(_clip(p.label, 22))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _range_text(low: float | None, high: float | None, value_format: str) -> str:
    if low is None or high is None:
        return ""
    return f" [{value_format.format(low)}, {value_format.format(high)}]"
