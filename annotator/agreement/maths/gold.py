"""Agreement of each annotator with the adjudicated gold layer.

Pure Python + numpy, no Django (annotator.agreement.services feeds it from the database).

Per document and annotator, `gold_statistics` compares the annotator's submitted layer with the
gold layer as two coders, with the same definitions as the inter-annotator figures:

* span F1, exact (same start, end and label) and overlap (same label, one-to-one, greedy,
  ratio >= `threshold`), per label and overall: F1 = 2 TP / (|gold| + |annotator|); overall
  precision TP / |annotator| and recall TP / |gold| as well;
* Krippendorff's alpha on per-position values, tokens or characters, two coders: the overall
  alpha is the report's headline (nominal on the single variable, or with overlapping spans
  allowed the label sets with the Jaccard distance, see `labelsets`); per-label alpha is the
  2 x 2 collapse (or the binary variable).

`attribute_matches` counts, over the spans matched to a gold span (the attribute agreement's
grouping, so one-to-one), the attribute values given on both and those equal to gold's.

`GoldStats` adds up over documents, so a project figure is a sum followed by the formulas
(`gold_report`). Undefined figures are Estimates with a reason, never 1.0 (see the package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from .alpha import alpha_from_coincidences
from .attributes import group_spans
from .consensus import canonical_json
from .core import NO_SPANS, Estimate, FloatArray
from .labelsets import LabelSetCoincidences, headline_coincidences
from .spans import SpanCounts, SpanSet, f1_values, span_counts
from .stats import SpanInput, position_coincidences


@dataclass(frozen=True)
class GoldStats:
    """Additive statistics of one annotator against gold; in `spans` layer a is gold."""

    labels: tuple[str, ...]
    allow_overlap: bool
    n_documents: int
    spans: SpanCounts
    coincidences: FloatArray  # V x V over positions, V = K + 1
    label_coincidences: FloatArray  # K x 2 x 2
    label_sets: LabelSetCoincidences  # empty unless allow_overlap

    def __add__(self, other: GoldStats) -> GoldStats:
        if (self.labels, self.allow_overlap) != (other.labels, other.allow_overlap):
            raise ValueError("gold statistics differ in labels or overlap mode")
        return GoldStats(
            self.labels,
            self.allow_overlap,
            self.n_documents + other.n_documents,
            self.spans + other.spans,
            self.coincidences + other.coincidences,
            self.label_coincidences + other.label_coincidences,
            self.label_sets + other.label_sets,
        )


def _span_set(spans: Sequence[SpanInput], labels: Sequence[str], text_length: int, owner: int) -> SpanSet:
    rows = []
    for span in spans:
        start, end, key = int(span[0]), int(span[1]), span[2]
        if not 0 <= start < end <= text_length:
            raise ValueError(f"span [{start}, {end}) is empty or outside a text of length {text_length}")
        if key not in labels:
            raise ValueError(f"unknown label {key!r}")
        rows.append((start, end, labels.index(key)))
    return SpanSet.of(rows, owner)


def gold_statistics(
    gold: Sequence[SpanInput],
    layer: Sequence[SpanInput],
    label_keys: Sequence[str],
    *,
    text_length: int,
    tokens: npt.ArrayLike | None = None,
    allow_overlap: bool = False,
    threshold: float = 0.5,
) -> GoldStats:
    """Statistics of one annotator's layer against the gold layer of one document. Spans are
    (start, end, label key[, attributes]) in code points, half-open; positions are `tokens`
    (bounds from `positions.tokenize`) or, if None, characters."""
    labels = tuple(label_keys)
    k = len(labels)
    sets = [_span_set(gold, labels, text_length, 0), _span_set(layer, labels, text_length, 1)]
    _, o, label_o, label_sets = position_coincidences(sets, k, text_length, tokens, allow_overlap)
    spans = span_counts(sets[0], sets[1], k, threshold)
    return GoldStats(labels, allow_overlap, 1, spans, o, label_o, label_sets)


def attribute_matches(
    gold: Sequence[SpanInput],
    layer: Sequence[SpanInput],
    label_keys: Sequence[str],
    attribute_keys: Sequence[str],
    *,
    text_length: int,
    threshold: float = 0.5,
) -> tuple[int, int]:
    """(given, agreed): over each annotator span matched to a gold span and each attribute key,
    the values present (not missing or null) on both, and those equal to gold's (as canonical
    JSON, so the order of multi options and stance entries does not count). Spans carry their
    attributes as a fourth item."""
    labels = tuple(label_keys)
    spans = _span_set(gold, labels, text_length, 0) + _span_set(layer, labels, text_length, 1)
    groups = group_spans(spans, threshold)
    members: dict[int, dict[int, Mapping[str, Any]]] = {}
    for index, (owner, group) in enumerate(zip(spans.owners.tolist(), groups.tolist(), strict=True)):
        span = gold[index] if owner == 0 else layer[index - len(gold)]
        members.setdefault(group, {})[owner] = span[3] if len(span) > 3 else {}
    given = agreed = 0
    for pair in members.values():
        if len(pair) < 2:
            continue
        for key in attribute_keys:
            truth, answer = pair[0].get(key), pair[1].get(key)
            if truth is None or answer is None:
                continue
            given += 1
            agreed += canonical_json(truth) == canonical_json(answer)
    return given, agreed


def _f1(tp: Any, n: Any) -> dict[str, Any]:
    return Estimate.of(f1_values(tp, n), NO_SPANS).to_dict()


def gold_annotator_report(stats: GoldStats) -> dict[str, Any]:
    """The figures of one annotator against gold:

    {"n_documents": int, "n_spans": int, "n_gold_spans": int,
     "overall": {"f1_exact": E, "f1_overlap": E, "precision_exact": E, "recall_exact": E,
                 "precision_overlap": E, "recall_overlap": E, "alpha": E},
     "labels": {label_key: {"f1_exact": E, "f1_overlap": E, "alpha": E}}}
    """
    s = stats.spans
    n_gold, n_layer = int(s.n_a.sum()), int(s.n_b.sum())
    tp_exact, tp_overlap = int(s.tp_exact.sum()), int(s.tp_overlap.sum())
    overall = {
        "f1_exact": _f1(tp_exact, n_gold + n_layer),
        "f1_overlap": _f1(tp_overlap, n_gold + n_layer),
        "precision_exact": Estimate.ratio(tp_exact, n_layer, NO_SPANS).to_dict(),
        "recall_exact": Estimate.ratio(tp_exact, n_gold, NO_SPANS).to_dict(),
        "precision_overlap": Estimate.ratio(tp_overlap, n_layer, NO_SPANS).to_dict(),
        "recall_overlap": Estimate.ratio(tp_overlap, n_gold, NO_SPANS).to_dict(),
        "alpha": headline_coincidences(stats.allow_overlap, stats.coincidences, stats.label_sets)
        .alpha()
        .to_dict(),
    }
    labels = {
        key: {
            "f1_exact": _f1(s.tp_exact[c], s.n_a[c] + s.n_b[c]),
            "f1_overlap": _f1(s.tp_overlap[c], s.n_a[c] + s.n_b[c]),
            "alpha": alpha_from_coincidences(stats.label_coincidences[c]).to_dict(),
        }
        for c, key in enumerate(stats.labels)
    }
    return {
        "n_documents": stats.n_documents,
        "n_spans": n_layer,
        "n_gold_spans": n_gold,
        "overall": overall,
        "labels": labels,
    }


def gold_report(by_annotator: Mapping[str, GoldStats], *, n_documents: int) -> dict[str, Any]:
    """The gold section of a report: {"n_documents": the gold documents compared,
    "annotators": {annotator: gold_annotator_report(...)}} with annotators in sorted order."""
    return {
        "n_documents": n_documents,
        "annotators": {key: gold_annotator_report(by_annotator[key]) for key in sorted(by_annotator)},
    }
