"""URLs for page scripts, from Django's URL names: a script never writes a path of its own.
A URL with a part only the script knows (a span's id) is a template, `/api/v1/spans/{id}/`,
that lib/urls.js fills in."""

from __future__ import annotations

from django.urls import reverse

# Reversed in place of a placeholder, then replaced by it: no real id is this large.
_SENTINEL = 987_654_320


def url_template(name: str, *args: int | str) -> str:
    """The path of URL `name` with its arguments in order: an int as it is, a str as the
    placeholder `{str}` for the script to fill."""
    placeholders = {}
    reversed_args = []
    for position, arg in enumerate(args):
        if isinstance(arg, str):
            sentinel = str(_SENTINEL + position)
            placeholders[sentinel] = "{" + arg + "}"
            reversed_args.append(sentinel)
        else:
            reversed_args.append(str(arg))
    path = reverse(name, args=reversed_args)
    for sentinel, placeholder in placeholders.items():
        path = path.replace(sentinel, placeholder)
    return path
