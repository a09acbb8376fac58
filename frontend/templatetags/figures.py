"""Template filters for figures that may be missing: an estimate is {"value", "reason", "ci95"}."""

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
    return text


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
