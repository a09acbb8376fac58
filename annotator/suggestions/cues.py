"""Attribute hints read off a suggested span's words, with no training: a hedge cue
("reportedly", "appears to", "may") hints `hedged`, quotation marks hint `voice` QUOTED and a
speech verb without them ("said", "told", "according to") hints PARAPHRASED. Plain Python, no
Django. Each hint names the cue, so the annotator sees why."""

from __future__ import annotations

import re

HEDGED, VOICE = "hedged", "voice"
QUOTED, PARAPHRASED = "QUOTED", "PARAPHRASED"
HEDGE_CUES = (
    "reportedly",
    "allegedly",
    "apparently",
    "appears to",
    "appear to",
    "seems to",
    "seem to",
    "may",
    "might",
    "could",
    "likely",
    "probably",
    "possibly",
    "expected to",
    "is understood to",
    "is thought to",
    "is believed to",
    "suggests",
)
SPEECH_VERBS = (
    "said",
    "says",
    "told",
    "claimed",
    "claims",
    "stated",
    "according to",
    "insisted",
    "denied",
    "announced",
    "argued",
    "warned",
    "added",
)
_QUOTE = re.compile(r"[“\"«][^”\"»]{3,}[”\"»]")


def _first(cues: tuple[str, ...], text: str) -> str | None:
    folded = text.casefold()
    found = [
        (match.start(), cue)
        for cue in cues
        if (match := re.search(rf"\b{re.escape(cue)}\b", folded)) is not None
    ]
    return min(found)[1] if found else None


def cue_hints(text: str) -> dict[str, tuple[bool | str, str]]:
    """Attribute key -> (value, the cue that suggests it)."""
    hints: dict[str, tuple[bool | str, str]] = {}
    hedge = _first(HEDGE_CUES, text)
    if hedge is not None:
        hints[HEDGED] = (True, hedge)
    quote = _QUOTE.search(text)
    if quote is not None:
        hints[VOICE] = (QUOTED, "quotation marks")
    else:
        verb = _first(SPEECH_VERBS, text)
        if verb is not None:
            hints[VOICE] = (PARAPHRASED, verb)
    return hints
