"""Boilerplate: the sentences an outlet repeats across its articles ("The views expressed are
the author's own", "This article first appeared on ..."). A sentence is normalised (case,
whitespace, quotes and dashes folded, digits read as one digit) and hashed; one found in enough
of a source's articles is the outlet's boilerplate, and each place it occurs is a DISCLAIMER
suggestion. Plain Python: no Django, no model, nothing to train."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotator.suggestions.sentences import sentence_bounds

_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})
# Repeated by chance rather than by the outlet: short sentences ("Read more.") are left out.
MIN_WORDS = 4


@dataclass(frozen=True)
class Sentence:
    start: int  # code points, half-open, as span offsets are
    end: int
    key: str  # the hash of the normalised text


@dataclass(frozen=True)
class Boilerplate:
    key: str
    text: str  # as it first appears
    articles: int  # how many of the source's articles carry it
    share: float  # of the source's articles


def normalise(sentence: str) -> str:
    text = unicodedata.normalize("NFKC", sentence).translate(_FOLD).casefold()
    text = re.sub(r"\d+", "0", text)
    return " ".join(text.split())


def sentences(text: str) -> list[Sentence]:
    """The article's sentences of MIN_WORDS words or more, with the hash of each."""
    out = []
    for start, end in sentence_bounds(text):
        normal = normalise(text[start:end])
        if len(normal.split()) >= MIN_WORDS:
            out.append(Sentence(start, end, hashlib.sha256(normal.encode()).hexdigest()[:24]))
    return out


def source_boilerplate(
    articles: Sequence[str], *, min_articles: int = 3, min_share: float = 0.2
) -> list[Boilerplate]:
    """The sentences found in at least `min_articles` of a source's articles and at least
    `min_share` of them, most common first."""
    seen: dict[str, tuple[str, int]] = {}
    for text in articles:
        for sentence in {s.key: s for s in sentences(text)}.values():
            first, n = seen.get(sentence.key, (text[sentence.start : sentence.end], 0))
            seen[sentence.key] = (first, n + 1)
    total = len(articles)
    found = [
        Boilerplate(key, first, n, n / total)
        for key, (first, n) in seen.items()
        if n >= min_articles and n / total >= min_share
    ]
    return sorted(found, key=lambda b: (-b.articles, b.text))


def boilerplate_in(text: str, keys: Iterable[str]) -> list[Sentence]:
    """Where the article carries any of the boilerplate sentences `keys`."""
    wanted = set(keys)
    return [s for s in sentences(text) if s.key in wanted]
