"""Suggestions that need no training, read from the project's own articles and layers."""

from __future__ import annotations

from typing import Any

from annotator.models import Document, Label
from annotator.suggestions.boilerplate import Boilerplate, boilerplate_in, source_boilerplate

DISCLAIMER = "DISCLAIMER"


def boilerplate_of_source(*, project_id: int, source_id: int) -> list[Boilerplate]:
    """The sentences the source repeats across its articles in the project."""
    texts = list(
        Document.objects.filter(project_id=project_id, source_id=source_id).values_list("text", flat=True)
    )
    return source_boilerplate(texts)


def disclaimer_suggestions(*, document: Document) -> list[dict[str, Any]]:
    """DISCLAIMER suggestions for the document: where it carries a sentence its source repeats
    across its articles. None for a project without a DISCLAIMER label."""
    if not Label.objects.filter(project_id=document.project_id, key=DISCLAIMER).exists():
        return []
    found = {
        b.key: b for b in boilerplate_of_source(project_id=document.project_id, source_id=document.source_id)
    }
    return [
        {
            "label": DISCLAIMER,
            "start": sentence.start,
            "end": sentence.end,
            "text": document.text[sentence.start : sentence.end],
            "rule": "boilerplate",
            "articles": found[sentence.key].articles,
            "share": found[sentence.key].share,
        }
        for sentence in boilerplate_in(document.text, found)
    ]
