"""Label sets as position values: the headline alpha of every report.

Where a project allows overlapping spans, one position can lie in spans of several labels. Its
value is then the set of labels covering it, the empty set where no span does, and two values
are compared with the Jaccard distance

    d(A, B) = 1 - |A & B| / |A | B|,   d({}, {}) = 0,

used as the disagreement weight of Krippendorff's alpha (alpha.disagreements with a distance
matrix), as nltk's AnnotationTask does with a set distance. Where overlaps are forbidden, each
position has at most one label and the values are the single labels and the empty set: Jaccard
is then 1 - I, so the same code gives nominal alpha on the single variable.

Why Jaccard rather than MASI (Passonneau 2006): both give 0 for equal sets and 1 for a label
against none or against another label, which is nearly all real disagreement, so both reduce to
nominal alpha where no position holds two labels. They differ only on partial overlap ({CLAIM}
against {CLAIM, OPINION}: Jaccard 1/2, MASI 2/3). Jaccard is a metric with one definition;
MASI's monotonicity weights are 2/3 and 1/3 in the paper and 0.67 and 0.33 in nltk, so two
MASI figures of the same data differ by implementation.

A label nobody used never appears in a set, so no headline depends on the labels a schema
defines but nobody applied. Values are tuples of label indices in ascending order; () is the
empty set. The coincidences add up over documents like every other statistic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .alpha import alpha_from_coincidences, coincidences, disagreements
from .core import Estimate, FloatArray, IntArray

LabelSet = tuple[int, ...]


def _order(value: LabelSet) -> tuple[int, LabelSet]:
    return len(value), value


def jaccard_distances(values: Sequence[LabelSet]) -> FloatArray:
    """The matrix of Jaccard distances between `values`; 0 between two empty sets."""
    sets = [frozenset(v) for v in values]
    size = len(sets)
    out = np.zeros((size, size))
    for i in range(size):
        for j in range(i + 1, size):
            union = len(sets[i] | sets[j])
            out[i, j] = out[j, i] = 1.0 - len(sets[i] & sets[j]) / union
    return out


@dataclass(frozen=True)
class LabelSetCoincidences:
    """The coincidence matrix of label-set values: `matrix[i, j]` pairs `values[i]` with
    `values[j]`. Values are kept in one order (size, then labels), so equal data compare equal."""

    values: tuple[LabelSet, ...]
    matrix: FloatArray

    @classmethod
    def of(cls, values: Sequence[LabelSet], matrix: FloatArray) -> LabelSetCoincidences:
        order = sorted(range(len(values)), key=lambda i: _order(values[i]))
        return cls(tuple(values[i] for i in order), np.asarray(matrix, dtype=float)[np.ix_(order, order)])

    @classmethod
    def empty(cls) -> LabelSetCoincidences:
        return cls((), np.zeros((0, 0)))

    @classmethod
    def single_labels(cls, o: FloatArray) -> LabelSetCoincidences:
        """The one-variable coincidences `o` (value 0 = none, c = label c - 1) as label sets."""
        return cls(((), *((c,) for c in range(len(o) - 1))), np.asarray(o, dtype=float))

    @classmethod
    def from_indicators(cls, indicators: IntArray) -> LabelSetCoincidences:
        """Coincidences of the label sets of 0/1 `indicators` (labels x layers x positions)."""
        k, layers, positions = indicators.shape
        flat = np.asarray(indicators, dtype=bool).reshape(k, -1).T  # one row per layer and position
        packed = np.packbits(flat, axis=1)  # (n, ceil(k / 8)) bytes: rows compare as byte strings
        rows, inverse = np.unique(packed, axis=0, return_inverse=True)
        bits = np.unpackbits(rows, axis=1, count=k).reshape(len(rows), k)
        values = [tuple(np.flatnonzero(row).tolist()) for row in bits]
        codes = inverse.reshape(layers, positions)
        return cls.of(values, coincidences(codes, len(values)))

    def on(self, values: Sequence[LabelSet]) -> FloatArray:
        """The matrix laid out over `values`, which must hold all of this one's."""
        if tuple(values) == self.values:  # the common case: nothing to move
            return self.matrix
        index = {value: i for i, value in enumerate(values)}
        at = [index[value] for value in self.values]
        out = np.zeros((len(values), len(values)))
        out[np.ix_(at, at)] = self.matrix
        return out

    def __add__(self, other: LabelSetCoincidences) -> LabelSetCoincidences:
        if self.values == other.values:  # the common case: documents with the same label sets
            return LabelSetCoincidences(self.values, self.matrix + other.matrix)
        values = tuple(sorted(set(self.values) | set(other.values), key=_order))
        return LabelSetCoincidences(values, self.on(values) + other.on(values))

    def alpha(self) -> Estimate:
        return alpha_from_coincidences(self.matrix, jaccard_distances(self.values))

    def observed_disagreement(self) -> float:
        """D_o (nan with fewer than two pairable values)."""
        return float(disagreements(self.matrix, jaccard_distances(self.values))[0])

    def to_dict(self) -> dict[str, Any]:
        return {"values": [list(v) for v in self.values], "matrix": self.matrix.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelSetCoincidences:
        values = tuple(tuple(int(c) for c in v) for v in data["values"])
        matrix = np.asarray(data["matrix"], dtype=float).reshape(len(values), len(values))
        return cls.of(values, matrix)


def headline_coincidences(
    allow_overlap: bool, single: FloatArray, label_sets: LabelSetCoincidences
) -> LabelSetCoincidences:
    """The coincidences behind a report's headline alpha: the label sets where overlaps are
    allowed, else the single variable `single` (V x V, value 0 = none) as single-label sets."""
    return label_sets if allow_overlap else LabelSetCoincidences.single_labels(single)
