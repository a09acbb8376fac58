"""Per-document sufficient statistics and their sum.

`document_statistics` turns one document's submitted layers into `DocumentStatistics`; these add
up (`+`, `combine`) and round-trip through plain JSON (`to_dict` / `from_dict`), so a job stores
them per document and a project, source or label report is `report.report_from_statistics` over
the stored list: a sum, then the formulas. What is summed (docs/agreement.md section 11):

* the coincidence matrix of per-position values (V = K + 1, value 0 = "none") and the K 2 x 2
  per-label matrices (collapsed from it, or binary per label when overlaps are allowed);
* when overlaps are allowed, the coincidences of per-position label sets (`labelsets`), behind
  the headline alpha;
* per number of layers R (alpha_U and Fleiss need the same R everywhere): alpha_U statistics per
  label over characters and Fleiss sums over positions;
* per annotator pair: the position contingency table (Cohen) and the span match counts (F1);
* per attribute: coincidences over aligned span groups and the coverage counts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from .alpha import binary_coincidences, binary_collapse, coincidences
from .attributes import (
    AttributeSpec,
    AttributeStats,
    attribute_codes,
    group_spans,
    in_shared_group,
    statistics_of,
)
from .core import FloatArray, IntArray
from .kappa import FleissSums, category_counts, fleiss_sums, pair_table
from .labelsets import LabelSetCoincidences, headline_coincidences
from .positions import character_units, code_matrix, indicator_tensor
from .spans import SpanCounts, SpanSet, span_counts
from .unitizing import UnitizingStats, category_statistics

# 2: label-set coincidences (the headline where overlaps are allowed); 3: per-pair attribute
# coincidences and per-annotator attribute value counts (agreement and stance by panel).
FORMAT_VERSION = 3

# A span as the caller passes it: (start, end, label key[, attributes dict]).
SpanInput = tuple[int, int, str] | tuple[int, int, str, Mapping[str, Any]]


class _Addable(Protocol):
    def __add__(self: _A, other: _A, /) -> _A: ...


_A = TypeVar("_A", bound=_Addable)
_K = TypeVar("_K", bound=Hashable)


def add_keywise(a: Mapping[_K, _A], b: Mapping[_K, _A]) -> dict[_K, _A]:
    """Key-wise sum of two dicts of additive statistics."""
    out = dict(a)
    for key, value in b.items():
        out[key] = out[key] + value if key in out else value
    return out


@dataclass(frozen=True)
class RaterGroup:
    """Statistics of the documents that have exactly R submitted layers."""

    n_documents: int
    fleiss: FleissSums
    unitizing: dict[str, UnitizingStats]  # per label key

    def __add__(self, other: RaterGroup) -> RaterGroup:
        return RaterGroup(
            self.n_documents + other.n_documents,
            self.fleiss + other.fleiss,
            add_keywise(self.unitizing, other.unitizing),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_documents": self.n_documents,
            "fleiss": self.fleiss.to_dict(),
            "unitizing": {k: u.to_dict() for k, u in self.unitizing.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RaterGroup:
        return cls(
            int(data["n_documents"]),
            FleissSums.from_dict(data["fleiss"]),
            {k: UnitizingStats.from_dict(u) for k, u in data["unitizing"].items()},
        )


@dataclass(frozen=True)
class PairStats:
    """Statistics of one annotator pair (a, b), a < b as strings, over the documents both submitted."""

    n_documents: int
    table: IntArray  # V x V, rows a's position values, columns b's
    spans: SpanCounts
    # Per attribute key, the whole attribute's coincidences between the two alone, over the same
    # span groups as the attribute's own figure (so an alpha of the pair, or of pooled pairs).
    attributes: dict[str, FloatArray] = field(default_factory=dict)

    def __add__(self, other: PairStats) -> PairStats:
        return PairStats(
            self.n_documents + other.n_documents,
            self.table + other.table,
            self.spans + other.spans,
            add_keywise(self.attributes, other.attributes),
        )


@dataclass(frozen=True)
class ValueCounts:
    """How often one annotator gave each value of each attribute, per part (option or target),
    on the spans the attribute applies to: attribute key -> part -> count per value code."""

    counts: dict[str, dict[str, IntArray]]

    def __add__(self, other: ValueCounts) -> ValueCounts:
        merged = {key: dict(parts) for key, parts in self.counts.items()}
        for key, parts in other.counts.items():
            merged[key] = add_keywise(merged.get(key, {}), parts)
        return ValueCounts(merged)

    def to_dict(self) -> dict[str, Any]:
        return {key: {part: c.tolist() for part, c in parts.items()} for key, parts in self.counts.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueCounts:
        return cls(
            {
                key: {part: np.asarray(c, dtype=np.int64) for part, c in parts.items()}
                for key, parts in data.items()
            }
        )


@dataclass(frozen=True)
class DocumentStatistics:
    """Sufficient statistics of one document, or the sum over several (`n_documents`).

    Only statistics with equal `labels`, `resolution`, `allow_overlap` and `threshold` add up."""

    labels: tuple[str, ...]
    resolution: str  # "token" or "character": the units of per-position alpha, Cohen and Fleiss
    allow_overlap: bool
    threshold: float
    n_documents: int
    n_layers: int
    n_spans: int  # all spans of all layers
    n_grouped: int  # spans in a group of two or more annotators (labelled overlap match)
    coincidences: FloatArray  # V x V over positions, V = K + 1
    label_coincidences: FloatArray  # K x 2 x 2
    label_sets: LabelSetCoincidences  # per-position label sets; empty unless allow_overlap
    by_raters: dict[int, RaterGroup]
    pairs: dict[tuple[str, str], PairStats]
    attributes: dict[str, AttributeStats]
    value_counts: dict[str, ValueCounts] = field(default_factory=dict)  # per annotator

    @classmethod
    def empty(
        cls, labels: Sequence[str], resolution: str, allow_overlap: bool = False, threshold: float = 0.5
    ) -> DocumentStatistics:
        """Zero documents: the neutral element of `+`."""
        size = len(labels) + 1
        zeros = np.zeros((size, size)), np.zeros((size - 1, 2, 2))
        empty = LabelSetCoincidences.empty()
        return cls(tuple(labels), resolution, allow_overlap, threshold, 0, 0, 0, 0, *zeros, empty, {}, {}, {})

    def _settings(self) -> tuple[Any, ...]:
        return self.labels, self.resolution, self.allow_overlap, self.threshold

    def __add__(self, other: DocumentStatistics) -> DocumentStatistics:
        if self._settings() != other._settings():
            raise ValueError("statistics differ in labels, resolution, overlap mode or threshold")
        return DocumentStatistics(
            labels=self.labels,
            resolution=self.resolution,
            allow_overlap=self.allow_overlap,
            threshold=self.threshold,
            n_documents=self.n_documents + other.n_documents,
            n_layers=self.n_layers + other.n_layers,
            n_spans=self.n_spans + other.n_spans,
            n_grouped=self.n_grouped + other.n_grouped,
            coincidences=self.coincidences + other.coincidences,
            label_coincidences=self.label_coincidences + other.label_coincidences,
            label_sets=self.label_sets + other.label_sets,
            by_raters=add_keywise(self.by_raters, other.by_raters),
            pairs=add_keywise(self.pairs, other.pairs),
            attributes=add_keywise(self.attributes, other.attributes),
            value_counts=add_keywise(self.value_counts, other.value_counts),
        )

    def headline(self) -> LabelSetCoincidences:
        """The coincidences behind the headline alpha (see `labelsets`)."""
        return headline_coincidences(self.allow_overlap, self.coincidences, self.label_sets)

    def disagreement(self) -> dict[str, Any]:
        """The review-queue key (docs/agreement.md section 8): the headline's observed disagreement
        D_o (0 with no positions: nothing to disagree on) and the count of spans matched by no
        other annotator. `score` = unmatched + D_o orders by unmatched spans first, since
        D_o <= 1, and by D_o among equal counts."""
        d_o = self.headline().observed_disagreement()
        observed = d_o if np.isfinite(d_o) else 0.0
        unmatched = self.n_spans - self.n_grouped
        return {
            "observed_disagreement": observed,
            "unmatched_spans": unmatched,
            "score": unmatched + observed,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (lists, numbers, strings), for a database JSON field; without
        what only agreement by panel reads, which `by_panel_dict` gives apart, so that summing
        the documents of a project without panels does not read it."""
        return {
            "version": FORMAT_VERSION,
            "labels": list(self.labels),
            "resolution": self.resolution,
            "allow_overlap": self.allow_overlap,
            "threshold": self.threshold,
            "n_documents": self.n_documents,
            "n_layers": self.n_layers,
            "n_spans": self.n_spans,
            "n_grouped": self.n_grouped,
            "coincidences": self.coincidences.tolist(),
            "label_coincidences": self.label_coincidences.tolist(),
            "label_sets": self.label_sets.to_dict(),
            "by_raters": {str(r): g.to_dict() for r, g in sorted(self.by_raters.items())},
            "pairs": [
                {
                    "a": a,
                    "b": b,
                    "n_documents": p.n_documents,
                    "table": p.table.tolist(),
                    "spans": p.spans.to_dict(),
                }
                for (a, b), p in sorted(self.pairs.items())
            ],
            "attributes": {k: s.to_dict() for k, s in sorted(self.attributes.items())},
        }

    def by_panel_dict(self) -> dict[str, Any]:
        """Each pair's attribute coincidences and each annotator's value counts, JSON-able."""
        return {
            "pairs": [
                {"a": a, "b": b, "attributes": {k: m.tolist() for k, m in sorted(p.attributes.items())}}
                for (a, b), p in sorted(self.pairs.items())
            ],
            "value_counts": {a: v.to_dict() for a, v in sorted(self.value_counts.items())},
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], by_panel: Mapping[str, Any] | None = None
    ) -> DocumentStatistics:
        """The statistics `to_dict` wrote, with what `by_panel_dict` wrote when given (else
        without pair attribute coincidences and value counts)."""
        pair_attributes = {(p["a"], p["b"]): p["attributes"] for p in (by_panel or {}).get("pairs", [])}
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported statistics version {data.get('version')!r}")
        size = len(data["labels"]) + 1
        return cls(
            tuple(data["labels"]),
            data["resolution"],
            bool(data["allow_overlap"]),
            float(data["threshold"]),
            n_documents=int(data["n_documents"]),
            n_layers=int(data["n_layers"]),
            n_spans=int(data["n_spans"]),
            n_grouped=int(data["n_grouped"]),
            coincidences=np.asarray(data["coincidences"], dtype=float).reshape(size, size),
            label_coincidences=np.asarray(data["label_coincidences"], dtype=float).reshape(size - 1, 2, 2),
            label_sets=LabelSetCoincidences.from_dict(data["label_sets"]),
            by_raters={int(r): RaterGroup.from_dict(g) for r, g in data["by_raters"].items()},
            pairs={
                (p["a"], p["b"]): PairStats(
                    int(p["n_documents"]),
                    np.asarray(p["table"], dtype=np.int64).reshape(size, size),
                    SpanCounts.from_dict(p["spans"]),
                    {
                        k: np.asarray(m, dtype=float)
                        for k, m in pair_attributes.get((p["a"], p["b"]), {}).items()
                    },
                )
                for p in data["pairs"]
            },
            attributes={k: AttributeStats.from_dict(s) for k, s in data["attributes"].items()},
            value_counts={
                a: ValueCounts.from_dict(v) for a, v in (by_panel or {}).get("value_counts", {}).items()
            },
        )


def combine(statistics: Iterable[DocumentStatistics]) -> DocumentStatistics:
    """The sum of one or more statistics."""
    return reduce(lambda a, b: a + b, statistics)


def parse_layer(
    spans: Sequence[SpanInput], labels: Sequence[str], text_length: int, owner: int
) -> tuple[SpanSet, list[Mapping[str, Any]]]:
    """A layer as a SpanSet (label indices 0..K-1) and its attribute dicts; rejects bad spans."""
    rows, raw = [], []
    for span in spans:
        start, end, key = span[0], span[1], span[2]
        if not 0 <= start < end <= text_length:
            raise ValueError(f"span [{start}, {end}) is empty or outside a text of length {text_length}")
        if key not in labels:
            raise ValueError(f"unknown label {key!r}")
        rows.append((int(start), int(end), labels.index(key)))
        raw.append(span[3] if len(span) > 3 else {})
    return SpanSet.of(rows, owner), raw


def position_coincidences(
    sets: Sequence[SpanSet],
    k: int,
    text_length: int,
    tokens: npt.ArrayLike | None,
    allow_overlap: bool,
) -> tuple[IntArray, FloatArray, FloatArray, LabelSetCoincidences]:
    """The position level of a document: each layer's value per position (0 = none, 1..K =
    labels; positions are `tokens` or, if None, characters), their coincidence matrix, the
    per-label binary coincidences, and where spans may overlap the label-set coincidences (both
    from the labels' indicators; else the binary ones collapse the single variable)."""
    units = (
        character_units(text_length) if tokens is None else np.asarray(tokens, dtype=np.int64).reshape(-1, 2)
    )
    position_spans = [
        list(zip(s.starts.tolist(), s.ends.tolist(), (s.labels + 1).tolist(), strict=True)) for s in sets
    ]
    codes = code_matrix(units, position_spans)
    o = coincidences(codes, k + 1)
    if not allow_overlap:
        return codes, o, binary_collapse(o)[1:], LabelSetCoincidences.empty()
    indicators = indicator_tensor(units, position_spans, k)
    return codes, o, binary_coincidences(indicators), LabelSetCoincidences.from_indicators(indicators)


def document_statistics(
    layers: Mapping[Hashable, Sequence[SpanInput]],
    label_keys: Sequence[str],
    *,
    text_length: int,
    tokens: npt.ArrayLike | None = None,
    attributes: Sequence[AttributeSpec] = (),
    allow_overlap: bool = False,
    threshold: float = 0.5,
) -> DocumentStatistics:
    """Statistics of one document.

    `layers` maps each annotator who submitted (never one who did not) to their spans (start, end,
    label key[, attributes dict]), code-point offsets, half-open. Per-position units are `tokens`
    (bounds from `positions.tokenize`) or, if None, characters; alpha_U always uses characters.
    With fewer than two layers the result is empty (`n_documents` 0): such documents are skipped.
    Raises ValueError for an empty or out-of-range span or an unknown label."""
    labels = tuple(label_keys)
    k = len(labels)
    resolution = "character" if tokens is None else "token"
    annotators = sorted(layers, key=str)
    if len(annotators) < 2:
        return DocumentStatistics.empty(labels, resolution, allow_overlap, threshold)
    parsed = [parse_layer(layers[a], labels, text_length, owner) for owner, a in enumerate(annotators)]
    sets = [spans for spans, _ in parsed]
    codes, o, label_o, label_sets = position_coincidences(sets, k, text_length, tokens, allow_overlap)

    m = len(annotators)
    group = RaterGroup(
        1,
        fleiss_sums(category_counts(codes, k + 1)),
        {
            key: category_statistics(
                [(s.starts[s.labels == c], s.ends[s.labels == c]) for s in sets], 0, text_length
            )
            for c, key in enumerate(labels)
        },
    )
    everything = reduce(lambda x, y: x + y, sets)
    raw = [values for _, layer_raw in parsed for values in layer_raw]
    groups = group_spans(everything, threshold)
    attribute_values = {
        spec.key: attribute_codes(spec, everything, raw, groups, labels, m) for spec in attributes
    }
    pairs = {
        (str(annotators[a]), str(annotators[b])): PairStats(
            1,
            pair_table(codes[a], codes[b], k + 1),
            span_counts(sets[a], sets[b], k, threshold),
            {key: values.pair(a, b) for key, values in attribute_values.items()},
        )
        for a in range(m)
        for b in range(a + 1, m)
    }
    return DocumentStatistics(
        labels,
        resolution,
        allow_overlap,
        threshold,
        n_documents=1,
        n_layers=m,
        n_spans=len(groups),
        n_grouped=int(in_shared_group(groups).sum()),
        coincidences=o,
        label_coincidences=label_o,
        label_sets=label_sets,
        by_raters={m: group},
        pairs=pairs,
        attributes={key: statistics_of(values, groups) for key, values in attribute_values.items()},
        value_counts={
            str(annotators[owner]): ValueCounts(
                {key: v.value_counts(owner) for key, v in attribute_values.items()}
            )
            for owner in range(m)
        },
    )
