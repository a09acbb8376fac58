"""The sentences of an article: the unit that suggestions (boilerplate and trained) are made
of. Plain Python, no Django."""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (with closing quotes or brackets) before whitespace, or at a line end.
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?…][\"'”’)\]]*(?=\s)|$)", re.MULTILINE)


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in code points, half-open as span offsets are, with the
    whitespace around it left out."""
    bounds = []
    for match in _SENTENCE.finditer(text):
        raw = match.group()
        start = match.start() + (len(raw) - len(raw.lstrip()))
        end = match.end() - (len(raw) - len(raw.rstrip()))
        if end > start:
            bounds.append((start, end))
    return bounds
