"""Template filters for figures that may be missing: an estimate is {"value", "reason", "ci95",
"ci95_reason"}."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def estimate(value: Any, digits: int = 3) -> str:
    """A number with its 95% interval, or "n/a" with the reason on hover: never a bare blank."""
    if not isinstance(value, dict):
        return "–"
    if value.get("value") is None:
        reason = value.get("reason") or "no value"
        return format_html('<span class="na" title="{}">n/a ({})</span>', reason, reason)
    text = f"{value['value']:.{digits}f}"
    ci = value.get("ci95")
    if ci and ci[0] is not None:
        return format_html(
            '{} <span class="ci">[{}, {}]</span>', text, f"{ci[0]:.{digits}f}", f"{ci[1]:.{digits}f}"
        )
    if value.get("ci95_reason"):
        return format_html(
            '{} <span class="ci na" title="{}">[no interval]</span>', text, value["ci95_reason"]
        )
    return text


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def figure(value: Any, digits: int = 3) -> str:
    """A source-profile figure ({"value", "ci95", "status", "reason", ...}) for a table cell:
    the number with its 95% interval, a dagger on a low-confidence one, and for a figure with no
    value a short note ("insufficient data", "no claims", ...) with the full reason on hover."""
    if not isinstance(value, dict):
        return "–"
    reason = value.get("reason") or ""
    if value.get("value") is None:
        note = "insufficient data" if reason.startswith("insufficient data") else reason or "no value"
        return format_html('<span class="na" title="{}">{}</span>', reason or note, note)
    shown = estimate(value, digits)
    if value.get("status") == "low_confidence":
        return format_html('{} <span class="low" title="{}">†</span>', shown, reason)
    return shown


@register.filter
def minutes(value: float | None) -> str:
    """A duration given in minutes, in the unit a person reads it in: 12 min, 3.5 h, 2.1 days."""
    if value is None:
        return "–"
    if value < 90:
        return f"{value:.0f} min"
    if value < 36 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} days"
