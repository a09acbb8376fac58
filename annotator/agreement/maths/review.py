"""Aligned span groups of one document for adjudication, and how the spans of each group differ.

Pure Python + numpy, no Django (annotator.review.selectors feeds it from the database).

* Alignment: the spans of all layers are grouped the way the attribute agreement groups them
  (`spans.overlap_candidates` + `spans.greedy_groups`: overlap ratio |a & b| / max(|a|, |b|) >=
  `threshold`, merged greedily by largest overlap, at most one span per layer in a group), but
  unlabelled, so a CLAIM and an OPINION on the same words share a row and show as a label
  disagreement instead of two rows each missing in the other layer.
* Kinds of disagreement in a group, in this order (`KINDS`); a group can have several:
  - "missing": some layer has no span in the group;
  - "label": the members differ in label;
  - "boundary": the members differ in start or end;
  - "attribute": the members differ in attribute values. An unanswered key (absent, null or an
    empty list) equals an absent one, and list order does not count (consensus.canonical_json).
* A group is agreed when every layer has a span in it and no kind applies. With a single
  layer every span is agreed (nobody disagrees).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .consensus import canonical_json
from .spans import SpanSet, greedy_groups, overlap_candidates

MISSING = "missing"
LABEL = "label"
BOUNDARY = "boundary"
ATTRIBUTE = "attribute"
KINDS = (MISSING, LABEL, BOUNDARY, ATTRIBUTE)


@dataclass(frozen=True)
class ReviewSpan:
    """A span of one layer: `id` names it (a database id), `layer` its layer."""

    id: int
    layer: Hashable
    start: int
    end: int
    label: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpanGroup:
    """One aligned group: its members (in layer order) and how they differ."""

    spans: tuple[ReviewSpan, ...]
    kinds: tuple[str, ...]

    @property
    def agreed(self) -> bool:
        return not self.kinds

    @property
    def start(self) -> int:
        return min(s.start for s in self.spans)

    @property
    def end(self) -> int:
        return max(s.end for s in self.spans)


def answered(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes without unanswered keys (absent, null, an empty list)."""
    return {k: v for k, v in attributes.items() if v is not None and v != []}


def same_attributes(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return canonical_json(answered(a)) == canonical_json(answered(b))


def align_layers(
    layers: Sequence[Hashable], spans: Sequence[ReviewSpan], *, threshold: float = 0.5
) -> list[SpanGroup]:
    """The aligned groups of `spans` (each naming one of `layers`), sorted by start, end and the
    first member's id. Spans of a layer not in `layers` are refused with ValueError."""
    owner_of = {layer: index for index, layer in enumerate(layers)}
    unknown = [s.id for s in spans if s.layer not in owner_of]
    if unknown:
        raise ValueError(f"spans {unknown} belong to no listed layer")
    if not spans:
        return []
    spans = sorted(spans, key=lambda s: (owner_of[s.layer], s.start, s.end, s.id))
    labels = sorted({s.label for s in spans})
    span_set = SpanSet(
        np.array([s.start for s in spans], dtype=np.int64),
        np.array([s.end for s in spans], dtype=np.int64),
        np.array([labels.index(s.label) for s in spans], dtype=np.int64),
        np.array([owner_of[s.layer] for s in spans], dtype=np.int64),
    )
    i, j = overlap_candidates(span_set, labelled=False, threshold=threshold)
    groups = greedy_groups(span_set.owners, i, j)[0]
    members: dict[int, list[ReviewSpan]] = {}
    for index, group in enumerate(groups.tolist()):
        members.setdefault(group, []).append(spans[index])  # layer order: spans are owner-major
    result = [SpanGroup(tuple(m), _kinds(m, len(layers))) for m in members.values()]
    return sorted(result, key=lambda g: (g.start, g.end, g.spans[0].id))


def _kinds(members: Sequence[ReviewSpan], n_layers: int) -> tuple[str, ...]:
    first = members[0]
    found = {
        MISSING: len(members) < n_layers,
        LABEL: any(s.label != first.label for s in members),
        BOUNDARY: any((s.start, s.end) != (first.start, first.end) for s in members),
        ATTRIBUTE: any(not same_attributes(s.attributes, first.attributes) for s in members),
    }
    return tuple(kind for kind in KINDS if found[kind])


def overlap_ratio(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    """|a & b| / max(|a|, |b|) of two half-open ranges (0 when they do not meet)."""
    overlap = min(a_end, b_end) - max(a_start, b_start)
    longest = max(a_end - a_start, b_end - b_start)
    return overlap / longest if overlap > 0 and longest > 0 else 0.0


def gold_matches(group: SpanGroup, gold: Sequence[ReviewSpan], *, threshold: float = 0.5) -> list[int]:
    """Ids of the gold spans that overlap some member of `group` by at least `threshold`
    (any label): what the gold layer already says about the group."""
    return [
        g.id
        for g in gold
        if any(overlap_ratio(g.start, g.end, s.start, s.end) >= threshold for s in group.spans)
    ]
