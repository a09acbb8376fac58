"""The default annotation schema every new project starts with, and the value rules per
attribute kind. Plain data: services copy it into Label and Attribute rows."""

from __future__ import annotations

from typing import Any, TypedDict


class LabelSpec(TypedDict):
    key: str
    name: str
    color: str
    shortcut: str
    description: str


class AttributeSpec(TypedDict):
    key: str
    name: str
    kind: str
    description: str
    values: list[dict[str, str]]
    applies_to: list[str]
    required_for: list[str]


STANCE_VALUES = ["FAVOR", "AGAINST", "NEUTRAL"]

DEFAULT_LABELS: list[LabelSpec] = [
    {
        "key": "CLAIM",
        "name": "Claim",
        "color": "#2563eb",
        "shortcut": "1",
        "description": "A statement presented as fact that could in principle be shown true or false.",
    },
    {
        "key": "OPINION",
        "name": "Opinion",
        "color": "#d97706",
        "shortcut": "2",
        "description": "A judgement, evaluation, prediction, recommendation or speculation.",
    },
    {
        "key": "DISCLAIMER",
        "name": "Disclaimer",
        "color": "#7c3aed",
        "shortcut": "3",
        "description": (
            "Text about the article itself: views are the author's own, sponsorship, "
            "conflict of interest, correction, AI notice."
        ),
    },
]

DEFAULT_ATTRIBUTES: list[AttributeSpec] = [
    {
        "key": "stance",
        "name": "Stance",
        "kind": "target",
        "description": "The span's stance toward a target from the project's list; several targets allowed.",
        "values": [
            {"value": "FAVOR", "description": "Supports or speaks well of the target."},
            {"value": "AGAINST", "description": "Opposes or speaks badly of the target."},
            {"value": "NEUTRAL", "description": "Mentions the target without taking a side."},
        ],
        "applies_to": ["CLAIM", "OPINION"],
        "required_for": [],
    },
    {
        "key": "evidence",
        "name": "Evidence",
        "kind": "choice",
        "description": "What the statement rests on, as the article presents it.",
        "values": [
            {"value": "NAMED_SOURCE", "description": "A person or organisation named in the text."},
            {
                "value": "ANONYMOUS_SOURCE",
                "description": "An unnamed source: 'officials said', 'a person familiar'.",
            },
            {
                "value": "LINK_DOCUMENT",
                "description": "A linked or cited document, report, ruling or filing.",
            },
            {"value": "DATA", "description": "Figures, statistics or a dataset."},
            {"value": "QUOTE", "description": "A direct quotation is the evidence."},
            {"value": "NONE", "description": "No support is given."},
        ],
        "applies_to": ["CLAIM", "OPINION"],
        "required_for": ["CLAIM"],
    },
    {
        "key": "voice",
        "name": "Voice",
        "kind": "choice",
        "description": "Whose statement it is.",
        "values": [
            {"value": "AUTHOR", "description": "The author speaks in their own voice."},
            {"value": "QUOTED", "description": "A direct quotation of someone else."},
            {"value": "PARAPHRASED", "description": "Someone else's statement in the author's words."},
        ],
        "applies_to": ["CLAIM", "OPINION"],
        "required_for": [],
    },
    {
        "key": "hedged",
        "name": "Hedged",
        "kind": "boolean",
        "description": "Softened with may, could, reportedly, appears to, and the like.",
        "values": [],
        "applies_to": ["CLAIM", "OPINION"],
        "required_for": [],
    },
    {
        "key": "check_worthy",
        "name": "Check-worthy",
        "kind": "boolean",
        "description": "Worth a fact-checker's time: specific, consequential and verifiable.",
        "values": [],
        "applies_to": ["CLAIM"],
        "required_for": [],
    },
]


def is_missing(value: Any) -> bool:
    """An attribute counts as unanswered when absent, null, or an empty list."""
    return value is None or value == []
