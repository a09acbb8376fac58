"""Attribute agreement: alpha with missing values over aligned span groups (docs/agreement.md section 5).

Grouping: every cross-annotator pair of spans that overlap-matches (same label, ratio >=
threshold) is a candidate; candidates are merged greedily by largest overlap, union-find style,
never putting two spans of one annotator in a group (`spans.greedy_groups`). Each group is a unit,
each annotator a coder; an annotator without a span in the group, or whose span lacks the
attribute or holds a value outside the schema, is missing.

Values per attribute kind (the Attribute model's kinds):

* choice: one value of `spec.values`; boolean: False / True.
* multi: a list of options; one binary variable (has the option or not) per option, the parts.
* target: a list of {"target": name, "stance": value}; one variable per target (the stance toward
  it, missing if the annotator gave none; the first entry for a target counts), the parts.

The attribute's own alpha for multi and target pools its parts (units are group x option or
group x target). Coverage is the share of the spans the attribute applies to that sit in a group
of two or more; it shows how much unitizing disagreement the conditional alpha leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .alpha import alpha_from_coincidences, coincidences
from .core import NO_SPANS, Estimate, FloatArray, IntArray
from .spans import SpanSet, greedy_groups, overlap_candidates

AttributeKind = Literal["choice", "boolean", "multi", "target"]
WHOLE = ""  # the part name of a choice or boolean attribute, which has no parts


@dataclass(frozen=True)
class AttributeSpec:
    """An attribute of the schema: `values` are the choices, the options (multi) or the stance
    values (target); `applies_to` holds label keys, empty meaning every label."""

    key: str
    kind: AttributeKind
    values: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()

    @property
    def n_values(self) -> int:
        return 2 if self.kind in ("boolean", "multi") else len(self.values)

    def value_name(self, code: int) -> str:
        """The value a code stands for: a choice or stance value, or "true" / "false"."""
        if self.kind in ("boolean", "multi"):
            return "true" if code else "false"
        return self.values[code]

    def codes(self, raw: Any) -> dict[str, int]:
        """The code of each part for one span's raw value; absent or invalid values give none."""
        if self.kind == "choice":
            return {WHOLE: self.values.index(raw)} if raw in self.values else {}
        if self.kind == "boolean":
            return {WHOLE: int(raw)} if isinstance(raw, bool) else {}
        if not isinstance(raw, list):
            return {}
        if self.kind == "multi":
            return {option: int(option in raw) for option in self.values}
        found: dict[str, int] = {}
        for entry in raw:
            if isinstance(entry, Mapping) and entry.get("stance") in self.values:
                found.setdefault(str(entry.get("target")), self.values.index(entry["stance"]))
        return found


@dataclass(frozen=True)
class AttributeStats:
    """Additive statistics of one attribute: span counts for coverage, the coincidence matrix and,
    for multi and target attributes, one matrix per part (option or target name)."""

    kind: AttributeKind
    n_spans: int
    n_grouped: int
    coincidences: FloatArray
    parts: dict[str, FloatArray] = field(default_factory=dict)

    def __add__(self, other: AttributeStats) -> AttributeStats:
        parts = dict(self.parts)
        for name, matrix in other.parts.items():
            parts[name] = parts[name] + matrix if name in parts else matrix
        return AttributeStats(
            self.kind,
            self.n_spans + other.n_spans,
            self.n_grouped + other.n_grouped,
            self.coincidences + other.coincidences,
            parts,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "n_spans": self.n_spans,
            "n_grouped": self.n_grouped,
            "coincidences": self.coincidences.tolist(),
            "parts": {name: m.tolist() for name, m in self.parts.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttributeStats:
        return cls(
            data["kind"],
            int(data["n_spans"]),
            int(data["n_grouped"]),
            np.asarray(data["coincidences"], dtype=float),
            {name: np.asarray(m, dtype=float) for name, m in data["parts"].items()},
        )


def group_spans(spans: SpanSet, threshold: float = 0.5) -> IntArray:
    """Group index per span (0..G-1): overlap-matched, same label, at most one span per owner."""
    i, j = overlap_candidates(spans, labelled=True, threshold=threshold)
    return greedy_groups(spans.owners, i, j)[0]


def in_shared_group(groups: IntArray) -> npt.NDArray[np.bool_]:
    """Whether each span sits in a group with at least one other annotator's span."""
    return np.bincount(groups)[groups] >= 2


@dataclass(frozen=True)
class AttributeCodes:
    """One attribute over one document: which spans it applies to, and per part the (owners x
    groups) matrix of value codes, -1 where an annotator gave none."""

    spec: AttributeSpec
    applies: npt.NDArray[np.bool_]
    parts: dict[str, IntArray]

    def whole(self, matrices: Mapping[str, FloatArray]) -> FloatArray:
        """The attribute's own matrix from per-part ones: the part of a choice or boolean, the
        sum of the parts of a multi or target attribute."""
        zero = np.zeros((self.spec.n_values, self.spec.n_values))
        if self.spec.kind in ("choice", "boolean"):
            return np.asarray(matrices.get(WHOLE, zero))
        return sum(matrices.values(), zero)

    def pair(self, a: int, b: int) -> FloatArray:
        """Coincidences of the whole attribute between owners a and b alone (two coders)."""
        return self.whole(
            {part: coincidences(c[[a, b]], self.spec.n_values) for part, c in self.parts.items()}
        )

    def value_counts(self, owner: int) -> dict[str, IntArray]:
        """How often `owner` gave each value (by code), per part, on the spans it applies to."""
        counts = {}
        for part, c in self.parts.items():
            given = c[owner][c[owner] >= 0]
            if len(given):
                counts[part] = np.bincount(given, minlength=self.spec.n_values).astype(np.int64)
        return counts


def attribute_codes(
    spec: AttributeSpec,
    spans: SpanSet,
    raw_values: Sequence[Mapping[str, Any]],
    groups: IntArray,
    label_keys: Sequence[str],
    n_owners: int,
) -> AttributeCodes:
    """The codes of `spec` over one document: `raw_values[s]` is span s's attributes dict,
    `groups` comes from `group_spans`, label indices in `spans.labels` point into `label_keys`."""
    applies = np.array(
        [not spec.applies_to or label_keys[label] in spec.applies_to for label in spans.labels.tolist()],
        dtype=bool,
    ).reshape(-1)
    n_groups = int(groups.max(initial=-1)) + 1
    codes: dict[str, IntArray] = {}
    for s in np.flatnonzero(applies).tolist():
        for part, code in spec.codes(raw_values[s].get(spec.key)).items():
            matrix = codes.setdefault(part, np.full((n_owners, n_groups), -1, dtype=np.int64))
            matrix[spans.owners[s], groups[s]] = code
    if spec.kind == "multi":  # every option is a part, used or not, so per-option alpha exists
        for option in spec.values:
            codes.setdefault(option, np.full((n_owners, n_groups), -1, dtype=np.int64))
    return AttributeCodes(spec, applies, codes)


def statistics_of(codes: AttributeCodes, groups: IntArray) -> AttributeStats:
    """The attribute's additive statistics over one document."""
    matrices = {part: coincidences(c, codes.spec.n_values) for part, c in codes.parts.items()}
    whole = codes.whole(matrices)
    matrices.pop(WHOLE, None)
    applies = codes.applies
    return AttributeStats(
        codes.spec.kind, int(applies.sum()), int((applies & in_shared_group(groups)).sum()), whole, matrices
    )


def attribute_alpha(stats: AttributeStats) -> tuple[Estimate, dict[str, Estimate]]:
    """Nominal alpha of the attribute and of each part (option or target)."""
    parts = {name: alpha_from_coincidences(m) for name, m in sorted(stats.parts.items())}
    return alpha_from_coincidences(stats.coincidences), parts


def coverage(stats: AttributeStats) -> Estimate:
    """Share of the attribute's spans that sit in a group of two or more annotators."""
    return Estimate.ratio(stats.n_grouped, stats.n_spans, NO_SPANS)
