"""The agreement report: sum the stored per-document statistics, then apply the formulas.

The shape of the returned dict is documented in the package docstring. F1 is micro-averaged
over annotator pairs and documents. Bootstrap intervals resample the given statistics (normally
one per document) with one seed, so every metric sees the same replicates. An interval is
given only where the data can carry it: from MIN_DOCUMENTS_FOR_INTERVAL documents, for a
defined figure, and when the figure is undefined in at most MAX_UNDEFINED_SHARE of the
replicates; otherwise "ci95" is null and "ci95_reason" says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .alpha import alpha_from_coincidences, alpha_values
from .attributes import attribute_alpha, coverage
from .bootstrap import Intervals, percentile_interval
from .core import INSUFFICIENT_DATA, NO_SPANS, NOT_USED, TOO_FEW_DOCUMENTS, Estimate, FloatArray
from .kappa import cohen_kappa, fleiss_kappa
from .labelsets import jaccard_distances
from .spans import f1_values, precision_recall_f1
from .stats import DocumentStatistics, PairStats, combine
from .unitizing import unitizing_alpha

NONE_LABEL = "none"  # the key of position value 0 where the report lists categories
BOOTSTRAPPED = ("alpha", "f1_exact", "f1_overlap")  # the metrics that get a "ci95"
MIN_DOCUMENTS_FOR_INTERVAL = 10  # fewer documents give no interval (the default; callers may set it)
MAX_UNDEFINED_SHARE = 0.05  # above this share of undefined replicates the interval is withheld


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


def interval_withheld(
    estimate: Estimate, n_documents: int, min_documents: int, undefined: float
) -> str | None:
    """Why a figure gets no interval, or None when it gets one. A figure without a value keeps
    its own reason ("not used", "no variation"), which says more than the document count."""
    if estimate.value is None:
        return estimate.reason
    if n_documents < min_documents:
        return TOO_FEW_DOCUMENTS
    if undefined > MAX_UNDEFINED_SHARE:
        return (
            f"undefined in {undefined:.0%} of the bootstrap resamples (more than {MAX_UNDEFINED_SHARE:.0%})"
        )
    return None


def _with_interval(estimate: Estimate, intervals: Intervals, at: int, withheld: str | None) -> dict[str, Any]:
    low, high = float(intervals.low[at]), float(intervals.high[at])
    if withheld is None and not (np.isfinite(low) and np.isfinite(high)):
        withheld = INSUFFICIENT_DATA
    bounds = None if withheld else [low, high]
    return {**estimate.to_dict(), "ci95": bounds, "ci95_reason": withheld}


def report_from_statistics(
    statistics: Sequence[DocumentStatistics],
    *,
    raters: int | None = None,
    n_boot: int = 0,
    seed: int = 0,
    min_documents: int = MIN_DOCUMENTS_FOR_INTERVAL,
) -> dict[str, Any]:
    """The agreement report of the documents whose statistics are given (at least one; empty ones
    are fine). alpha_U and Fleiss' kappa use the documents with `raters` layers, by default the
    layer count with the most documents (ties: the larger). With `n_boot` > 0, alpha, per-label
    alpha and F1 carry a 95 % cluster-bootstrap interval "ci95", seeded by `seed`, or null with
    "ci95_reason" (fewer than `min_documents` documents, an undefined figure, or one undefined
    in too many replicates). A label nobody used has no alpha ("not used")."""
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

    used = spans[2] > 0  # some annotator applied the label in these documents
    not_used = Estimate(None, NOT_USED)
    fleiss_categories = [e if c == 0 or used[c - 1] else not_used for c, e in enumerate(fleiss_categories)]
    headline = total.headline()
    overall = {
        "alpha": headline.alpha(),
        "alpha_u": alpha_u,
        "f1_exact": Estimate.of(f1_values(spans[0].sum(), spans[2].sum()), NO_SPANS),
        "f1_overlap": Estimate.of(f1_values(spans[1].sum(), spans[2].sum()), NO_SPANS),
        "observed_disagreement": Estimate.of(headline.observed_disagreement(), INSUFFICIENT_DATA),
        "coverage": Estimate.ratio(total.n_grouped, total.n_spans, NO_SPANS),
    }
    per_label = {
        key: {
            "alpha": alpha_from_coincidences(total.label_coincidences[c]) if used[c] else not_used,
            "alpha_u": alpha_u_labels.get(key, no_basis) if used[c] else not_used,
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
        n_resampled = sum(1 for s in statistics if s.n_documents > 0)
        for name, intervals in _bootstrap(statistics, headline.values, n_boot, seed).items():
            estimates = [*(per_label[key][name] for key in labels), overall[name]]
            outputs = [*(out_labels[key] for key in labels), out_overall]
            for at, (estimate, output) in enumerate(zip(estimates, outputs, strict=True)):
                withheld = interval_withheld(estimate, n_resampled, min_documents, intervals.undefined[at])
                output[name] = _with_interval(estimate, intervals, at, withheld)

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
        **(
            {
                "bootstrap": {
                    "replicates": n_boot,
                    "seed": seed,
                    "level": 0.95,
                    "min_documents": min_documents,
                    "max_undefined_share": MAX_UNDEFINED_SHARE,
                }
            }
            if n_boot > 0
            else {}
        ),
    }


def _bootstrap(
    statistics: Sequence[DocumentStatistics], values: Sequence[tuple[int, ...]], n_boot: int, seed: int
) -> dict[str, Intervals]:
    """95 % intervals of BOOTSTRAPPED, each K + 1 long (labels, then overall). `values` are the
    label sets of the summed headline coincidences, over which every document's are laid out."""
    docs = [s for s in statistics if s.n_documents > 0]
    size = len(statistics[0].labels) + 1
    if not docs:
        nan = np.full(size, np.nan)
        return dict.fromkeys(BOOTSTRAPPED, Intervals(nan, nan, np.ones(size)))
    n_values = len(values)
    distances = jaccard_distances(values)
    matrices = np.stack(
        [np.concatenate([s.headline().on(values).ravel(), s.label_coincidences.ravel()]) for s in docs]
    )
    counts = np.stack([span_totals(s) for s in docs])

    def alpha_stat(sums: FloatArray) -> FloatArray:
        headline = sums[:, : n_values * n_values].reshape(-1, n_values, n_values)
        label_o = sums[:, n_values * n_values :].reshape(-1, size - 1, 2, 2)
        overall = alpha_values(headline, distances)
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
