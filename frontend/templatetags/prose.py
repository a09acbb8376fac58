"""Text that project staff write in Markdown (the guidelines), rendered for the page: CommonMark
with tables, raw HTML off, then cleaned by nh3's allow-list, so the text can be formatted but
can never run script or carry attributes the page's CSP would have to refuse."""

from __future__ import annotations

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


@register.filter
def markdown(text: str | None) -> SafeString:
    """The Markdown `text` as clean HTML."""
    return mark_safe(nh3.clean(_MARKDOWN.render(text or ""), link_rel="noopener noreferrer"))  # noqa: S308
