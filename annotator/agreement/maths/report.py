"""The agreement report: sum the stored per-document statistics, then apply the formulas.

The shape of the returned dict is documented in the package docstring. F1 is micro-averaged
over annotator pairs and documents. Bootstrap intervals resample the given statistics (normally
one per document) with one seed, so every metric sees the same replicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .alpha import alpha_from_coincidences, alpha_values, disagreements
from .attributes import attribute_alpha, coverage
from .bootstrap import percentile_interval
from .core import INSUFFICIENT_DATA, NO_SPANS, Estimate, FloatArray
from .kappa import cohen_kappa, fleiss_kappa
from .spans import f1_values, precision_recall_f1
from .stats import DocumentStatistics, PairStats, combine
from .unitizing import unitizing_alpha

NONE_LABEL = "none"  # the key of position value 0 where the report lists categories
BOOTSTRAPPED = ("alpha", "f1_exact", "f1_overlap")  # the metrics that get a "ci95"


def overall_coincidences(o: FloatArray, label_o: FloatArray, allow_overlap: bool) -> FloatArray:
    """The matrix behind overall alpha (batched): the single per-position variable, or with
    overlaps allowed the K binary label variables pooled (units are position x label)."""
    return label_o.sum(axis=-3) if allow_overlap else o


def span_totals(stats: DocumentStatistics) -> FloatArray:
    """(3, K): TP exact, TP overlap and |A| + |B| per label, summed over annotator pairs."""
    total = np.zeros((3, len(stats.labels)))
    for p in stats.pairs.values():
        total += [p.spans.tp_exact, p.spans.tp_overlap, p.spans.n_a + p.spans.n_b]
    return total


def _pair_entry(a: str, b: str, p: PairStats) -> dict[str, Any]:
    s = p.spans
    n_a, n_b = s.n_a.sum(), s.n_b.sum()

    def scores(tp: float) -> dict[str, Any]:
        precision, recall, f1 = precision_recall_f1(tp, n_a, n_b)
        return {"precision": precision.to_dict(), "recall": recall.to_dict(), "f1": f1.to_dict()}

    return {
        "annotators": [a, b],
        "n_documents": p.n_documents,
        "percent_agreement": Estimate.ratio(np.trace(p.table), p.table.sum(), INSUFFICIENT_DATA).to_dict(),
        "cohen_kappa": cohen_kappa(p.table).to_dict(),
        "exact": scores(s.tp_exact.sum()),
        "overlap": scores(s.tp_overlap.sum()),
        "exact_unlabelled": scores(s.tp_exact_unlabelled),
        "overlap_unlabelled": scores(s.tp_overlap_unlabelled),
    }


def _with_interval(estimate: Estimate, low: float, high: float) -> dict[str, Any]:
    bounds = [float(low), float(high)] if np.isfinite(low) and np.isfinite(high) else None
    return {**estimate.to_dict(), "ci95": bounds}


def report_from_statistics(
    statistics: Sequence[DocumentStatistics], *, raters: int | None = None, n_boot: int = 0, seed: int = 0
) -> dict[str, Any]:
    """The agreement report of the documents whose statistics are given (at least one; empty ones
    are fine). alpha_U and Fleiss' kappa use the documents with `raters` layers, by default the
    layer count with the most documents (ties: the larger). With `n_boot` > 0, alpha, per-label
    alpha and F1 carry a 95 % cluster-bootstrap interval "ci95", seeded by `seed`."""
    if not statistics:
        raise ValueError("no statistics: pass at least one, e.g. DocumentStatistics.empty(...)")
    total = combine(statistics)
    labels = total.labels
    k = len(labels)
    spans = span_totals(total)

    if raters is None and total.by_raters:
        raters = max(total.by_raters, key=lambda r: (total.by_raters[r].n_documents, r))
    basis = total.by_raters.get(raters) if raters is not None else None
    no_basis = Estimate(None, INSUFFICIENT_DATA)
    alpha_u, alpha_u_labels = unitizing_alpha(basis.unitizing) if basis else (no_basis, {})
    fleiss, fleiss_categories = fleiss_kappa(basis.fleiss) if basis else (no_basis, [])

    overall = {
        "alpha": alpha_from_coincidences(
            overall_coincidences(total.coincidences, total.label_coincidences, total.allow_overlap)
        ),
        "alpha_u": alpha_u,
        "f1_exact": Estimate.of(f1_values(spans[0].sum(), spans[2].sum()), NO_SPANS),
        "f1_overlap": Estimate.of(f1_values(spans[1].sum(), spans[2].sum()), NO_SPANS),
        "observed_disagreement": Estimate.of(disagreements(total.coincidences)[0], INSUFFICIENT_DATA),
        "coverage": Estimate.ratio(total.n_grouped, total.n_spans, NO_SPANS),
    }
    per_label = {
        key: {
            "alpha": alpha_from_coincidences(total.label_coincidences[c]),
            "alpha_u": alpha_u_labels.get(key, no_basis),
            "f1_exact": Estimate.of(f1_values(spans[0, c], spans[2, c]), NO_SPANS),
            "f1_overlap": Estimate.of(f1_values(spans[1, c], spans[2, c]), NO_SPANS),
        }
        for c, key in enumerate(labels)
    }
    out_overall: dict[str, Any] = {name: e.to_dict() for name, e in overall.items()}
    out_labels: dict[str, dict[str, Any]] = {
        key: {name: e.to_dict() for name, e in entry.items()} for key, entry in per_label.items()
    }
    if n_boot > 0:
        for name, (low, high) in _bootstrap(statistics, n_boot, seed).items():
            out_overall[name] = _with_interval(overall[name], low[-1], high[-1])
            for c, key in enumerate(labels):
                out_labels[key][name] = _with_interval(per_label[key][name], low[c], high[c])

    attributes = {}
    for key, a in sorted(total.attributes.items()):
        value, parts = attribute_alpha(a)
        entry: dict[str, Any] = {"alpha": value.to_dict(), "coverage": coverage(a).to_dict()}
        if a.kind in ("multi", "target"):
            entry["options" if a.kind == "multi" else "targets"] = {
                name: {"alpha": e.to_dict()} for name, e in parts.items()
            }
        attributes[key] = entry
    confusion = sum((p.spans.confusion for p in total.pairs.values()), np.zeros((k, k), dtype=np.int64))
    return {
        "resolution": total.resolution,
        "allow_overlap": total.allow_overlap,
        "threshold": total.threshold,
        "n_documents": total.n_documents,
        "n_layers": total.n_layers,
        "rater_basis": {
            "raters": raters if basis else None,
            "n_documents": basis.n_documents if basis else 0,
        },
        "overall": out_overall,
        "labels": out_labels,
        "attributes": attributes,
        "pairs": [_pair_entry(a, b, p) for (a, b), p in sorted(total.pairs.items())],
        "fleiss_kappa": {
            **fleiss.to_dict(),
            "categories": {
                key: e.to_dict() for key, e in zip((NONE_LABEL, *labels), fleiss_categories, strict=False)
            },
        },
        # Symmetric: [i][j] counts matched pairs with one span labelled i and the other j; the
        # stored counts are ordered (a's label, b's label), and pair order carries no meaning.
        "confusion": {
            "labels": list(labels),
            "counts": (confusion + confusion.T - np.diag(np.diag(confusion))).tolist(),
        },
        **({"bootstrap": {"replicates": n_boot, "seed": seed, "level": 0.95}} if n_boot > 0 else {}),
    }


def _bootstrap(
    statistics: Sequence[DocumentStatistics], n_boot: int, seed: int
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """95 % intervals of BOOTSTRAPPED: (low, high), each K + 1 long (labels, then overall)."""
    docs = [s for s in statistics if s.n_documents > 0]
    size = len(statistics[0].labels) + 1
    if not docs:
        nan = np.full(size, np.nan)
        return dict.fromkeys(BOOTSTRAPPED, (nan, nan))
    allow_overlap = docs[0].allow_overlap
    matrices = np.stack(
        [np.concatenate([s.coincidences.ravel(), s.label_coincidences.ravel()]) for s in docs]
    )
    counts = np.stack([span_totals(s) for s in docs])

    def alpha_stat(sums: FloatArray) -> FloatArray:
        o = sums[:, : size * size].reshape(-1, size, size)
        label_o = sums[:, size * size :].reshape(-1, size - 1, 2, 2)
        overall = alpha_values(overall_coincidences(o, label_o, allow_overlap))
        return np.concatenate([alpha_values(label_o), overall[:, None]], axis=1)

    def f1_stat(row: int) -> Callable[[FloatArray], FloatArray]:
        def stat(sums: FloatArray) -> FloatArray:
            overall = f1_values(sums[:, row].sum(axis=1), sums[:, 2].sum(axis=1))
            return np.concatenate([f1_values(sums[:, row], sums[:, 2]), overall[:, None]], axis=1)

        return stat

    return {
        "alpha": percentile_interval(matrices, alpha_stat, n_boot=n_boot, seed=seed),
        "f1_exact": percentile_interval(counts, f1_stat(0), n_boot=n_boot, seed=seed),
        "f1_overlap": percentile_interval(counts, f1_stat(1), n_boot=n_boot, seed=seed),
    }
