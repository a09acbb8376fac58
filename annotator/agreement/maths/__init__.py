"""Inter-annotator agreement for character-span annotation: pure Python + numpy, no Django.

See docs/agreement.md for every figure, its definition and its reference implementation. Modules:

* `alpha`: Krippendorff's alpha from coincidence matrices (any metric, per-label 2 x 2 collapse,
  binary-per-label variables); the one alpha kernel everything else uses.
* `labelsets`: coincidences of label sets (the value of a position where spans may overlap) with
  the Jaccard distance; the headline in overlap mode.
* `positions`: the token regex and per-position coding of layers (tokens or characters).
* `unitizing`: Krippendorff's alpha_U with DKPro Agreement's semantics, from additive statistics.
* `spans`: exact and overlap span matching, pairwise precision / recall / F1, label confusion.
* `attributes`: aligned span groups and alpha per attribute, option and stance target; coverage.
* `kappa`: Cohen's (plus linear weights) and Fleiss' kappa (plus per category).
* `stats`: per-document sufficient statistics (add up, JSON round-trip) and the review-queue
  disagreement score.
* `report`: `report_from_statistics`, a sum of stored statistics followed by the formulas.
* `bootstrap`: cluster bootstrap over documents with a fixed seed.

Undefined numbers. Every number that can be undefined is an `Estimate(value, reason)`; in JSON it
is always the object {"value": float | null, "reason": str | null}, exactly one of them null.
Reasons: "no variation" (a single value among the pairable data, expected disagreement 0),
"insufficient data" (nothing pairable: no unit with two values, fewer than two raters, no
documents), "no spans" (a span ratio with a zero denominator, e.g. F1 of two empty layers) and
"not used" (a label no annotator used: it has no alpha, and no other figure depends on it).
A degenerate input never yields 1.0 and never raises. Bootstrapped estimates add "ci95":
[low, high] or null, and "ci95_reason", null or why there is no interval: "too few documents
for an interval" (fewer than `min_documents`), the value's own reason, or "undefined in N% of
the bootstrap resamples (more than 5%)".

Report (`report_from_statistics`), E being the estimate object above:

    {"resolution": "token" | "character", "allow_overlap": bool, "threshold": float,
     "n_documents": int, "n_layers": int,
     "rater_basis": {"raters": int | null, "n_documents": int},     # documents behind alpha_U, Fleiss
     "overall": {"alpha": E, "alpha_u": E, "f1_exact": E, "f1_overlap": E,
                 "observed_disagreement": E, "coverage": E},
     "labels": {label_key: {"alpha": E, "alpha_u": E, "f1_exact": E, "f1_overlap": E}},
     "attributes": {attribute_key: {"alpha": E, "coverage": E,
                                    "options" (multi) | "targets" (target): {name: {"alpha": E}}}},
     "pairs": [{"annotators": [a, b], "n_documents": int, "percent_agreement": E, "cohen_kappa": E,
                "exact" | "overlap" | "exact_unlabelled" | "overlap_unlabelled":
                    {"precision": E, "recall": E, "f1": E}}],       # precision of b against a
     "fleiss_kappa": {"value", "reason", "categories": {"none" | label_key: E}},
     "confusion": {"labels": [label_key], "counts": [[int]]},       # symmetric, K x K
     "bootstrap": {"replicates": int, "seed": int, "level": 0.95,   # only with n_boot > 0
                   "min_documents": int, "max_undefined_share": 0.05}}

F1 is micro-averaged over annotator pairs and documents; "overall" alpha is nominal alpha over
positions, or with `allow_overlap` alpha over label sets with the Jaccard distance (the two agree
when no spans overlap). Per-label alpha is the 2 x 2 collapse "this label or not". The per-document statistics
JSON is `DocumentStatistics.to_dict()` (see `stats`).
"""

from .alpha import alpha, alpha_from_coincidences, coincidences
from .core import INSUFFICIENT_DATA, NO_SPANS, NO_VARIATION, Estimate
from .positions import tokenize
from .report import report_from_statistics
from .stats import DocumentStatistics, combine, document_statistics

__all__ = [
    "INSUFFICIENT_DATA",
    "NO_SPANS",
    "NO_VARIATION",
    "DocumentStatistics",
    "Estimate",
    "alpha",
    "alpha_from_coincidences",
    "coincidences",
    "combine",
    "document_statistics",
    "report_from_statistics",
    "tokenize",
]
