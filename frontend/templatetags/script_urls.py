"""{% url_template "api:member-detail" project.pk "user" %}: a URL template for a page script
(see frontend.script_urls)."""

from __future__ import annotations

from django import template

from frontend.script_urls import url_template as build

register = template.Library()


@register.simple_tag
def url_template(name: str, *args: int | str) -> str:
    return build(name, *args)
