"""Agreement within and between rater panels, from the per-document statistics.

Pure Python + numpy, no Django (annotator.agreement.services feeds it from the database).

Every figure here pools annotator pairs. A document's pairs (`stats.PairStats`) are summed into
panel pairs: (P, P) when both annotators were in panel P for that document (their layers' panel),
(P, Q) with P < Q when they were in different panels; annotators without a panel are left out. A
cell's figures are the pairwise figures of the engine over its pooled pairs:

* alpha: Krippendorff's alpha over positions from the pairs' tables, each position a unit of two
  coders (coincidences T + T'), the same per-position value Cohen's kappa of a pair reads;
* alpha per label: the 2 x 2 collapse "this label or not" of those coincidences;
* span F1 (overlap match): 2 TP / (|A| + |B|) over the pairs;
* alpha per attribute: the attribute's coincidences between the two annotators of each pair, over
  the same span groups as the attribute's own figure.

"Within" pools the (P, P) cells, "between" the (P, Q) ones. A figure is flagged where agreement
between panels is markedly lower than within them: both defined, each over at least
MIN_DOCUMENT_PAIRS document pairs, and within - between >= FLAG_GAP. That gap is the signature
of a partisan reading: people agree with their own side and not with the other.

`value_counts` gives, per panel, how often each attribute value was given, per part: for a
stance attribute, the stance toward each target, which is where partisanship shows first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .alpha import alpha_from_coincidences, binary_collapse
from .attributes import AttributeSpec
from .core import NO_SPANS, Estimate, FloatArray
from .spans import f1_values
from .stats import PairStats, ValueCounts, add_keywise

FLAG_GAP = 0.1
MIN_DOCUMENT_PAIRS = 10
PanelPair = tuple[str, str]


def panel_pairs(
    pairs: Mapping[tuple[str, str], PairStats], panel_of: Mapping[str, str]
) -> dict[PanelPair, PairStats]:
    """One document's annotator pairs summed into panel pairs (P, Q), P <= Q."""
    cells: dict[PanelPair, PairStats] = {}
    for (a, b), stats in pairs.items():
        if a not in panel_of or b not in panel_of:
            continue
        key = tuple(sorted((panel_of[a], panel_of[b])))
        cells = add_keywise(cells, {(key[0], key[1]): stats})
    return cells


def panel_value_counts(
    counts: Mapping[str, ValueCounts], panel_of: Mapping[str, str]
) -> dict[str, ValueCounts]:
    """One document's per-annotator value counts summed per panel."""
    out: dict[str, ValueCounts] = {}
    for annotator, value_counts in counts.items():
        if annotator in panel_of:
            out = add_keywise(out, {panel_of[annotator]: value_counts})
    return out


def _figures(
    pairs: Iterable[PairStats], labels: Sequence[str], attributes: Sequence[AttributeSpec]
) -> dict[str, Any]:
    pooled = list(pairs)
    size = len(labels) + 1
    table = np.asarray(sum((p.table for p in pooled), np.zeros((size, size))), dtype=float)
    o: FloatArray = table + table.T
    binary = binary_collapse(o)[1:]
    tp = sum(float(p.spans.tp_overlap.sum()) for p in pooled)
    n = sum(float(p.spans.n_a.sum() + p.spans.n_b.sum()) for p in pooled)
    figures: dict[str, Any] = {
        "n_document_pairs": sum(p.n_documents for p in pooled),
        "alpha": alpha_from_coincidences(o).to_dict(),
        "f1_overlap": Estimate.of(f1_values(tp, n), NO_SPANS).to_dict(),
        "labels": {key: alpha_from_coincidences(binary[c]).to_dict() for c, key in enumerate(labels)},
        "attributes": {},
    }
    for spec in attributes:
        zero = np.zeros((spec.n_values, spec.n_values))
        matrix = sum((p.attributes.get(spec.key, zero) for p in pooled), zero)
        figures["attributes"][spec.key] = alpha_from_coincidences(matrix).to_dict()
    return figures


def _flags(within: Mapping[str, Any], between: Mapping[str, Any]) -> list[dict[str, Any]]:
    if min(within["n_document_pairs"], between["n_document_pairs"]) < MIN_DOCUMENT_PAIRS:
        return []
    candidates = [("alpha", "", within["alpha"], between["alpha"])]
    candidates += [("label", key, within["labels"][key], between["labels"][key]) for key in within["labels"]]
    candidates += [
        ("attribute", key, within["attributes"][key], between["attributes"][key])
        for key in within["attributes"]
    ]
    flags = []
    for figure, key, w, b in candidates:
        if w["value"] is None or b["value"] is None or w["value"] - b["value"] < FLAG_GAP:
            continue
        flags.append(
            {
                "figure": figure,
                "key": key,
                "within": w["value"],
                "between": b["value"],
                "gap": w["value"] - b["value"],
            }
        )
    return flags


def panel_report(
    cells: Mapping[PanelPair, PairStats],
    counts: Mapping[str, ValueCounts],
    *,
    panels: Sequence[str],
    labels: Sequence[str],
    attributes: Sequence[AttributeSpec],
) -> dict[str, Any]:
    """The report's `panels` section:

    {"panels": [key], "cells": [{"panels": [P, Q], **figures}], "within": figures,
     "between": figures, "flags": [{"figure": "alpha"|"label"|"attribute", "key", "within",
     "between", "gap"}], "values": {panel: {attribute: {part: {value: count}}}},
     "stance_attributes": [the keys of the target attributes, whose parts are targets]}

    where figures = {"n_document_pairs", "alpha", "f1_overlap", "labels": {key: alpha},
    "attributes": {key: alpha}}, every figure an Estimate dict."""
    order = {key: i for i, key in enumerate(panels)}

    def ordered(pq: PanelPair) -> tuple[int, int]:
        return tuple(sorted(order.get(p, len(order)) for p in pq))  # type: ignore[return-value]

    keys = sorted(cells, key=ordered)
    within = _figures((cells[pq] for pq in keys if pq[0] == pq[1]), labels, attributes)
    between = _figures((cells[pq] for pq in keys if pq[0] != pq[1]), labels, attributes)
    names = {spec.key: spec for spec in attributes}
    values: dict[str, Any] = {}
    for panel in panels:
        if panel not in counts:
            continue
        values[panel] = {
            key: {
                part: {names[key].value_name(code): int(n) for code, n in enumerate(c.tolist()) if n}
                for part, c in sorted(parts.items())
            }
            for key, parts in sorted(counts[panel].counts.items())
            if key in names
        }
    return {
        "panels": list(panels),
        "cells": [
            {
                "panels": sorted(pq, key=lambda p: order.get(p, len(order))),
                **_figures([cells[pq]], labels, attributes),
            }
            for pq in keys
        ],
        "within": within,
        "between": between,
        "flags": _flags(within, between),
        "values": values,
        "stance_attributes": [spec.key for spec in attributes if spec.kind == "target"],
    }
