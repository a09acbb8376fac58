"""What an article question may be, what answers it, and which answer several layers agree
on: plain data in and out (no Django), for the schema and answer services and the exports."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

KINDS = ("ordinal", "interval", "choice", "multi", "boolean")
SCALES = ("ordinal", "interval")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def question_problems(kind: str, points: Sequence[Any]) -> list[str]:
    """Why a question of `kind` with `points` cannot be asked (empty: it can)."""
    if kind not in KINDS:
        return [f"unknown kind {kind!r}; use one of {', '.join(KINDS)}"]
    if kind == "boolean":
        return ["a yes/no question takes no points"] if points else []
    if not all(isinstance(p, Mapping) and "value" in p for p in points):
        return ['points must be objects like {"value": 1, "label": "Not reliable"}']
    values = [p["value"] for p in points]
    problems = []
    if len(values) < 2:
        problems.append("give at least two points")
    if len(set(map(repr, values))) != len(values):
        problems.append("point values must be unique")
    if kind in SCALES:
        if not all(_number(v) for v in values):
            problems.append("a scale's points are numbers")
        elif values != sorted(values):
            problems.append("a scale's points go from lowest to highest")
    elif not all(isinstance(v, str) and v for v in values):
        problems.append("a choice's values are non-empty text")
    return problems


def answer_problem(kind: str, points: Sequence[Mapping[str, Any]], value: Any) -> str | None:
    """Why `value` does not answer a question of `kind` with `points` (None: it does)."""
    values = [p["value"] for p in points]
    if kind == "boolean":
        return None if isinstance(value, bool) else "answer true or false"
    if kind == "ordinal":
        ok = _number(value) and value in values
        return None if ok else f"answer one of the scale's points: {', '.join(map(str, values))}"
    if kind == "interval":
        ok = _number(value) and values[0] <= value <= values[-1]
        return None if ok else f"answer a number from {values[0]} to {values[-1]}"
    if kind == "choice":
        return None if isinstance(value, str) and value in values else f"answer one of: {', '.join(values)}"
    if kind == "multi":
        ok = (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, str) and v in values for v in value)
            and len(set(value)) == len(value)
        )
        return None if ok else f"answer a list of distinct values from: {', '.join(values)}"
    return f"unknown kind {kind!r}"


def consensus_answer(kind: str, points: Sequence[Mapping[str, Any]], values: Sequence[Any]) -> Any:
    """The answer the layers agree on, for the consensus export: the median of an ordinal scale
    (the lower middle point of an even count), the mean of an interval scale, the choice more
    than half the layers gave (none on a split), for several choices those more than half gave.
    None when no layer answered or no majority exists."""
    if not values:
        return None
    if kind == "ordinal":
        ordered = sorted(values)
        return ordered[(len(ordered) - 1) // 2]
    if kind == "interval":
        return sum(values) / len(values)
    if kind == "multi":
        chosen = [p["value"] for p in points if sum(p["value"] in v for v in values) * 2 > len(values)]
        return chosen or None
    for candidate in dict.fromkeys(values):  # choice and yes/no: a strict majority
        if values.count(candidate) * 2 > len(values):
            return candidate
    return None
