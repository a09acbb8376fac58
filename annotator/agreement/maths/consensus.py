"""Consensus spans of one document: the spans a majority of its submitted layers agree on.

Pure Python + numpy, no Django (a selector in annotator.exports.services feeds it from the database).

* Coders are the submitted annotation layers of the document; with fewer than two there is no
  consensus (an empty list). An empty layer still counts: it voted for no span.
* Spans are grouped exactly as the attribute agreement groups them (`attributes.group_spans`):
  overlap-matched (same label, one-to-one, |a & b| / max(|a|, |b|) >= `threshold`), merged
  greedily by largest overlap, at most one span per layer in a group.
* A group is a consensus span when more than half of the layers have a span in it
  (2 of 2, 2 of 3, 3 of 4 or 5, ...).
* Boundaries: the (start, end) pair most members share; ties go to the earliest start, then the
  shortest span.
* Attributes: each key takes the value most members that answered it gave (a key that is absent
  or null is no answer); a tie for the most answers leaves the key out. Values are compared as
  canonical JSON in which list order does not count (multi options, stance entries), and the
  consensus keeps the first such value in layer order, as that layer stored it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .attributes import group_spans
from .spans import SpanSet


@dataclass(frozen=True)
class LayerSpan:
    """A span of one layer: half-open [start, end) in code points, a label key, its attributes."""

    start: int
    end: int
    label: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsensusSpan:
    """A span a majority agrees on; `support` is how many layers have a span in its group."""

    start: int
    end: int
    label: str
    attributes: dict[str, Any]
    support: int


def consensus_spans(layers: Sequence[Sequence[LayerSpan]], *, threshold: float = 0.5) -> list[ConsensusSpan]:
    """The consensus of `layers` (one sequence of spans per submitted layer), sorted by start,
    end and label. See the module docstring for the rules."""
    if len(layers) < 2:
        return []
    agreed = [
        group_consensus([span for _, span in members])
        for members in span_groups(layers, threshold=threshold)
        if 2 * len(members) > len(layers)
    ]
    return sorted(agreed, key=lambda s: (s.start, s.end, s.label))


def span_groups(
    layers: Sequence[Sequence[LayerSpan]], *, threshold: float = 0.5
) -> list[list[tuple[int, LayerSpan]]]:
    """The spans of `layers` grouped as the module docstring says: each group a list of
    (layer index, span), in layer order, one span per layer at most, all of one label."""
    flat = [(owner, span) for owner, spans in enumerate(layers) for span in spans]
    if not flat:
        return []
    label_keys = sorted({span.label for _, span in flat})
    spans = SpanSet(
        np.array([s.start for _, s in flat], dtype=np.int64),
        np.array([s.end for _, s in flat], dtype=np.int64),
        np.array([label_keys.index(s.label) for _, s in flat], dtype=np.int64),
        np.array([owner for owner, _ in flat], dtype=np.int64),
    )
    groups = group_spans(spans, threshold=threshold)
    members: dict[int, list[tuple[int, LayerSpan]]] = {}
    for index, group in enumerate(groups.tolist()):
        members.setdefault(group, []).append(flat[index])  # in layer order: flat is owner-major
    return list(members.values())


def group_consensus(members: Sequence[LayerSpan]) -> ConsensusSpan:
    """The one span that stands for a group: the boundaries and attribute values most of its
    members share."""
    start, end = _boundaries(members)
    return ConsensusSpan(
        start=start,
        end=end,
        label=members[0].label,
        attributes=_majority_attributes(members),
        support=len(members),
    )


def _boundaries(members: Sequence[LayerSpan]) -> tuple[int, int]:
    counts = Counter((s.start, s.end) for s in members)
    return min(counts, key=lambda b: (-counts[b], b[0], b[1] - b[0]))


def _majority_attributes(members: Sequence[LayerSpan]) -> dict[str, Any]:
    keys = sorted({key for s in members for key, value in s.attributes.items() if value is not None})
    result: dict[str, Any] = {}
    for key in keys:
        votes: Counter[str] = Counter()
        first: dict[str, Any] = {}
        for span in members:
            value = span.attributes.get(key)
            if value is None:
                continue
            canonical = canonical_json(value)
            votes[canonical] += 1
            first.setdefault(canonical, value)
        (top, n), *rest = votes.most_common()
        if not rest or rest[0][1] < n:
            result[key] = first[top]
    return result


def canonical_json(value: Any) -> str:
    """JSON of `value` with sorted object keys and lists in a fixed order (sorted by their items'
    canonical JSON), so two answers that differ only in order compare equal."""
    return json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False)


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value
