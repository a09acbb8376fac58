"""Per-source profile metrics from per-article counts (DESIGN.md 7, SOURCE-PROFILES.md 3b).

Every figure is a ratio of sums over articles (or a median of per-article rates), so one cluster
bootstrap over articles serves them all: the per-article numerators and denominators are stacked
as columns, each block of replicates is one matrix product, and each figure's replicates are a
column ratio. The output shape is documented in the package docstring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .bootstrap import percentile_intervals, quantiles, resample
from .counts import ANONYMOUS, EVIDENCE_VALUES, NONE, STANCE_VALUES, VOICE_GROUPS, ArticleCounts, pool

LEVEL = 0.95
OK, LOW_CONFIDENCE, INSUFFICIENT = "ok", "low_confidence", "insufficient"

# Singular forms for reasons like "insufficient data: 1 article (needs 15)".
_SINGULAR = {
    "articles": "article",
    "claims": "claim",
    "sourced claims": "sourced claim",
    "claims with evidence": "claim with evidence",
    "claims and opinions": "claim or opinion",
    "stance spans": "stance span",
    "articles with stance spans": "article with stance spans",
}


def _number(x: float) -> int | float:
    """A count for JSON, to two decimals and an int when whole. Counts averaged over layers (basis
    all) are fractions like 83 / 6, and their sums carry float noise (2.9999999999999996) that
    would read as a different count."""
    rounded = round(float(x), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _counted(count: float, unit: str) -> str:
    shown = _number(count)
    return f"{shown} {_SINGULAR.get(unit, unit) if shown == 1 else unit}"


@dataclass(frozen=True)
class Thresholds:
    """Minimum samples (SOURCE-PROFILES.md 3b). Below `min_articles` every figure is insufficient;
    from there up to `ok_articles` - 1 it is low confidence; each figure may add its own minimum."""

    min_articles: int = 15
    ok_articles: int = 30
    min_claims: int = 50
    min_sourced_claims: int = 30
    min_stance_spans: int = 20
    min_stance_articles: int = 5


def status(
    n_articles: int,
    thresholds: Thresholds,
    checks: Sequence[tuple[float, int, str]] = (),
    empty: str | None = None,
) -> tuple[str, str | None]:
    """(status, reason) of a figure. In order: too few articles; an empty denominator (`empty`
    is its reason, e.g. "no claims"); a `checks` entry (count, minimum, unit) below its minimum;
    then low confidence below `ok_articles`; else ok."""
    if n_articles < thresholds.min_articles:
        return (
            INSUFFICIENT,
            f"insufficient data: {_counted(n_articles, 'articles')} (needs {thresholds.min_articles})",
        )
    if empty is not None:
        return INSUFFICIENT, empty
    for count, minimum, unit in checks:
        if count < minimum:
            return INSUFFICIENT, f"insufficient data: {_counted(count, unit)} (needs {minimum})"
    if n_articles < thresholds.ok_articles:
        return LOW_CONFIDENCE, (
            f"low confidence: {_counted(n_articles, 'articles')} (ok from {thresholds.ok_articles})"
        )
    return OK, None


@dataclass
class _Figure:
    path: tuple[str, ...]
    n: float
    unit: str
    empty: str  # the reason when the denominator is zero
    checks: list[tuple[float, int, str]]
    num: int = -1  # ratio: columns of the numerator and denominator
    den: int = -1
    scale: float = 1.0
    median: int = -1  # median: column of the per-article values


@dataclass
class _Plan:
    """Per-article columns (summed by the bootstrap) and the figures built from them."""

    columns: list[npt.NDArray[np.float64]] = field(default_factory=list)
    medians: list[npt.NDArray[np.float64]] = field(default_factory=list)
    figures: list[_Figure] = field(default_factory=list)

    def column(self, values: npt.ArrayLike) -> int:
        self.columns.append(np.asarray(values, dtype=np.float64))
        return len(self.columns) - 1

    def ratio(
        self,
        path: tuple[str, ...],
        num: int,
        den: int,
        *,
        n: float,
        unit: str,
        empty: str,
        scale: float = 1.0,
        checks: Sequence[tuple[float, int, str]] = (),
    ) -> None:
        self.figures.append(_Figure(path, n, unit, empty, list(checks), num=num, den=den, scale=scale))

    def median_of(self, path: tuple[str, ...], values: npt.ArrayLike, *, empty: str) -> None:
        v = np.asarray(values, dtype=np.float64)
        self.medians.append(v)
        n = float(np.sum(~np.isnan(v)))
        self.figures.append(_Figure(path, n, "articles", empty, [], median=len(self.medians) - 1))


def _rate_per_1k(
    numerator: npt.NDArray[np.float64], words: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per-article count per 1,000 words; nan for an article without words."""
    out = np.full(len(words), np.nan)
    np.divide(1000.0 * numerator, words, out=out, where=words > 0)
    return out


def _net_columns(counts: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(n, T, 3) stance counts -> per-article net (F - A) / (F + A + N), 0 where an article has no
    span for the target, and the indicator of articles that have one: both (n, T)."""
    total = counts.sum(axis=-1)
    has = (total > 0).astype(np.float64)
    net = np.zeros_like(total)
    np.divide(counts[..., 0] - counts[..., 1], total, out=net, where=total > 0)
    return net, has


def _plan(c: ArticleCounts, t: Thresholds) -> _Plan:
    p = _Plan()
    articles = c.n_articles
    words = p.column(c.words)
    claims = p.column(c.claims)
    opinions = p.column(c.opinions)
    n_claims = float(c.claims.sum())
    no_words = "no words"

    p.ratio(
        ("metrics", "claims_per_1k_words"),
        claims,
        words,
        scale=1000,
        n=articles,
        unit="articles",
        empty=no_words,
    )
    p.median_of(("metrics", "median_claims_per_1k_words"), _rate_per_1k(c.claims, c.words), empty=no_words)
    p.ratio(
        ("metrics", "opinions_per_1k_words"),
        opinions,
        words,
        scale=1000,
        n=articles,
        unit="articles",
        empty=no_words,
    )
    p.median_of(
        ("metrics", "median_opinions_per_1k_words"), _rate_per_1k(c.opinions, c.words), empty=no_words
    )
    spans = float(c.claims.sum() + c.opinions.sum())
    p.ratio(
        ("metrics", "opinion_share"),
        opinions,
        p.column(c.claims + c.opinions),
        n=spans,
        unit="claims and opinions",
        empty="no claims or opinions",
    )

    with_evidence = p.column(c.evidence.sum(axis=1))
    n_evidence = float(c.evidence.sum())
    evidence_checks = [(n_evidence, t.min_claims, "claims with evidence")]
    for i, value in enumerate(EVIDENCE_VALUES):
        p.ratio(
            ("evidence_mix", value),
            p.column(c.evidence[:, i]),
            with_evidence,
            n=n_evidence,
            unit="claims with evidence",
            empty="no claims with evidence",
            checks=evidence_checks,
        )
    sourced = c.evidence.sum(axis=1) - c.evidence[:, NONE]
    sourced_col = p.column(sourced)
    p.ratio(
        ("metrics", "sourced_claim_rate"),
        sourced_col,
        with_evidence,
        n=n_evidence,
        unit="claims with evidence",
        empty="no claims with evidence",
        checks=evidence_checks,
    )
    n_sourced = float(sourced.sum())
    p.ratio(
        ("metrics", "anonymous_source_share"),
        p.column(c.evidence[:, ANONYMOUS]),
        sourced_col,
        n=n_sourced,
        unit="sourced claims",
        empty="no sourced claims",
        checks=[(n_sourced, t.min_sourced_claims, "sourced claims")],
    )
    p.ratio(
        ("metrics", "unsupported_author_claims_per_1k_words"),
        p.column(c.author_voice_unsupported),
        words,
        scale=1000,
        n=articles,
        unit="articles",
        empty=no_words,
    )
    claim_checks = [(n_claims, t.min_claims, "claims")]
    for key, flagged in (("hedged_share", c.hedged_claims), ("check_worthy_share", c.check_worthy_claims)):
        p.ratio(
            ("metrics", key),
            p.column(flagged),
            claims,
            n=n_claims,
            unit="claims",
            empty="no claims",
            checks=claim_checks,
        )
    p.ratio(
        ("metrics", "disclaimer_presence"),
        p.column(c.disclaimers > 0),
        p.column(np.ones(articles)),
        n=articles,
        unit="articles",
        empty="no articles",
    )

    groups = [(("net",), c.stance)] + [
        (("by_voice", voice, "net"), c.stance_by_voice[:, :, v]) for v, voice in enumerate(VOICE_GROUPS)
    ]
    for where, counts in groups:
        net, has = _net_columns(counts)
        span_totals = counts.sum(axis=(0, 2))
        article_totals = has.sum(axis=0)
        for j, target in enumerate(c.targets):
            p.ratio(
                ("stance", target, *where),
                p.column(net[:, j]),
                p.column(has[:, j]),
                n=float(span_totals[j]),
                unit="stance spans",
                empty="no stance spans",
                checks=[
                    (float(span_totals[j]), t.min_stance_spans, "stance spans"),
                    (float(article_totals[j]), t.min_stance_articles, "articles with stance spans"),
                ],
            )
    return p


def _coverage(c: ArticleCounts, n_annotators: int, t: Thresholds) -> dict[str, Any]:
    known = c.published[~np.isnat(c.published)]
    first, last = (
        (str(np.datetime_as_string(known.min(), unit="D")), str(np.datetime_as_string(known.max(), unit="D")))
        if len(known)
        else (None, None)
    )
    double = int(np.sum(c.n_layers >= 2))
    badge, reason = status(c.n_articles, t)
    return {
        "articles": c.n_articles,
        "words": _number(float(c.words.sum())),
        "annotators": int(n_annotators),
        "double_annotated": double,
        "double_annotated_share": double / c.n_articles if c.n_articles else None,
        "first_published": first,
        "last_published": last,
        "status": badge,
        "reason": reason,
    }


def _stance_counts(counts: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Counts for one target from its (n, 3) stance counts."""
    per_value = counts.sum(axis=0)
    return {
        "spans": _number(float(per_value.sum())),
        "articles": int(np.sum(counts.sum(axis=1) > 0)),
        "counts": {value: _number(float(x)) for value, x in zip(STANCE_VALUES, per_value, strict=True)},
    }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def source_profile(
    counts: ArticleCounts,
    *,
    n_annotators: int,
    min_articles: int = 15,
    ok_articles: int = 30,
    min_claims: int = 50,
    min_sourced_claims: int = 30,
    min_stance_spans: int = 20,
    min_stance_articles: int = 5,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """The profile of one source (shape: package docstring). JSON-able with allow_nan=False;
    the same inputs and seed give identical output. n_boot = 0 gives no intervals."""
    t = Thresholds(
        min_articles, ok_articles, min_claims, min_sourced_claims, min_stance_spans, min_stance_articles
    )
    c = counts
    plan = _plan(c, t)
    n = c.n_articles
    columns = np.stack(plan.columns, axis=1) if n else np.zeros((0, len(plan.columns)))
    medians = np.stack(plan.medians, axis=1) if n else np.zeros((0, len(plan.medians)))
    sums = columns.sum(axis=0)

    ratios = [f for f in plan.figures if f.median < 0]
    meds = [f for f in plan.figures if f.median >= 0]
    num = np.array([f.num for f in ratios], dtype=np.int64)
    den = np.array([f.den for f in ratios], dtype=np.int64)
    scale = np.array([f.scale for f in ratios])
    point_ratio = np.full(len(ratios), np.nan)
    np.divide(scale * sums[num], sums[den], out=point_ratio, where=sums[den] > 0)
    point_median = quantiles(medians, [0.5], axis=0)[0]

    boot = n_boot > 0 and n >= t.min_articles  # below the minimum nothing is shown, so skip the work
    low = high = np.full(len(plan.figures), np.nan)
    if boot:
        rep_sums, rep_medians = resample(columns, medians, n_boot=n_boot, seed=seed)
        rep_ratio = np.full((n_boot, len(ratios)), np.nan)
        np.divide(scale * rep_sums[:, num], rep_sums[:, den], out=rep_ratio, where=rep_sums[:, den] > 0)
        low, high = percentile_intervals(np.concatenate([rep_ratio, rep_medians], axis=1), LEVEL)

    profile: dict[str, Any] = {
        "coverage": _coverage(c, n_annotators, t),
        "metrics": {},
        "evidence_mix": {},
        "stance": {},
    }
    for j, target in enumerate(c.targets):
        entry = _stance_counts(c.stance[:, j]) | {"net": None}  # net is filled in below
        entry["by_voice"] = {
            v: _stance_counts(c.stance_by_voice[:, j, i]) for i, v in enumerate(VOICE_GROUPS)
        }
        profile["stance"][target] = entry

    points = np.concatenate([point_ratio, point_median])
    position = {id(f): k for k, f in enumerate(ratios + meds)}
    for f in plan.figures:  # in plan order, so the JSON keys keep the documented order
        k = position[id(f)]
        value, lo, hi = points[k], low[k], high[k]
        defined = math.isfinite(value)
        badge, reason = status(n, t, f.checks, None if defined else f.empty)
        shown = badge != INSUFFICIENT
        ci = [float(lo), float(hi)] if shown and math.isfinite(lo) and math.isfinite(hi) else None
        metric = {
            "value": _finite(value) if shown else None,
            "ci95": ci,
            "n": _number(f.n),
            "unit": f.unit,
            "status": badge,
            "reason": reason,
        }
        _put(profile, f.path, metric)

    profile["settings"] = {
        "min_articles": min_articles,
        "ok_articles": ok_articles,
        "min_claims": min_claims,
        "min_sourced_claims": min_sourced_claims,
        "min_stance_spans": min_stance_spans,
        "min_stance_articles": min_stance_articles,
        "n_boot": n_boot,
        "seed": seed,
        "level": LEVEL,
    }
    return profile


def corpus_profile(sources: Sequence[ArticleCounts], *, n_annotators: int, **options: int) -> dict[str, Any]:
    """The same profile over every article of `sources` pooled: the corpus value each source's
    figures are shown against. The bootstrap resamples the pooled articles."""
    return source_profile(pool(sources), n_annotators=n_annotators, **options)


def profiles(
    sources: Mapping[str, ArticleCounts],
    annotators: Mapping[str, int],
    *,
    corpus_annotators: int,
    **options: int,
) -> dict[str, Any]:
    """{"corpus": profile of all sources pooled, "sources": {key: profile}}; `annotators` gives
    each source's number of distinct annotators, `corpus_annotators` the corpus's."""
    return {
        "corpus": corpus_profile(list(sources.values()), n_annotators=corpus_annotators, **options),
        "sources": {
            key: source_profile(counts, n_annotators=annotators[key], **options)
            for key, counts in sources.items()
        },
    }
