"""An outlet's scorecard: its articles' answers to the article questions rolled up with a
cluster-bootstrap interval over articles, and one confidence level for the source with the
reasons behind it.

An article counts once however many layers answered it: on basis all its value is the mean of
its layers' answers (a scale) or the share of its layers that gave each choice; on the other
bases it is the one agreed or adjudicated answer. A source's figure is then the mean over its
articles: of the values for a scale, of the shares for a choice. Plain numpy: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .bootstrap import percentile_intervals, resample
from .counts import FloatArray
from .figures import INSUFFICIENT, Thresholds, status

SCALES = ("ordinal", "interval")


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    name: str
    kind: str
    points: tuple[Any, ...]  # the points' values, lowest first for a scale


def _columns(spec: QuestionSpec) -> list[Any]:
    """What an article contributes to: one value for a scale, one share per choice."""
    if spec.kind in SCALES:
        return ["mean"]
    if spec.kind == "boolean":
        return [True]
    return list(spec.points)


def article_row(spec: QuestionSpec, answers: Sequence[Any]) -> list[float]:
    """One article's contribution from the answers its layers gave (nan: none answered)."""
    columns = _columns(spec)
    if not answers:
        return [np.nan] * len(columns)
    if spec.kind in SCALES:
        return [float(np.mean(np.asarray(answers, dtype=float)))]
    if spec.kind == "multi":
        return [sum(option in answer for answer in answers) / len(answers) for option in columns]
    return [sum(answer == option for answer in answers) / len(answers) for option in columns]


def question_figures(
    spec: QuestionSpec,
    rows: Sequence[Sequence[float]] | FloatArray,
    thresholds: Thresholds,
    *,
    n_boot: int,
    seed: int = 0,
) -> dict[str, Any]:
    """The source's figure for one question from its articles' rows (article_row): for a
    scale its mean, for choices the share of articles giving each (several choices: each
    choice's share), each with a 95 % interval and a status. `n` counts the answered articles."""
    x = np.asarray(rows, dtype=float).reshape(len(rows), len(_columns(spec)))
    answered = ~np.isnan(x[:, 0]) if len(x) else np.zeros(0, dtype=bool)
    x = x[answered]
    n = len(x)
    state, reason = status(n, thresholds)
    values = x.mean(axis=0) if n else np.full(x.shape[1], np.nan)
    low = high = np.full(x.shape[1], np.nan)
    if n and n_boot > 0 and state != INSUFFICIENT:
        sums, _ = resample(x, np.empty((n, 0)), n_boot=n_boot, seed=seed)
        low, high = percentile_intervals(sums / n)

    def figure(at: int) -> dict[str, Any]:
        shown = state != INSUFFICIENT
        return {
            "value": float(values[at]) if shown else None,
            "ci95": [float(low[at]), float(high[at])] if shown and np.isfinite(low[at]) else None,
            "n": n,
            "unit": "articles",
            "status": state,
            "reason": reason,
        }

    entry: dict[str, Any] = {"name": spec.name, "kind": spec.kind}
    if spec.kind in SCALES:
        entry["mean"] = figure(0)
        entry["scale"] = [spec.points[0], spec.points[-1]]
    else:
        entry["shares"] = {
            ("yes" if option is True else str(option)): figure(i) for i, option in enumerate(_columns(spec))
        }
    return entry


# The article question whose scale the contradiction check reads: higher is more reliable.
RELIABILITY_KEY = "reliability"
# The confidence rule, in one sentence for the page. The numbers are the thresholds below.
HIGH_ALPHA = 0.667
MEDIUM_ALPHA = 0.4
HIGH_ANNOTATORS = 3
HIGH_DOUBLE_SHARE = 0.5
CONTRADICTION_RELIABLE = 0.6  # a reliability rating this high (0..1 of its scale) ...
CONTRADICTION_SOURCED = 0.4  # ... beside a sourced-claim rate this low contradicts it, and the reverse
LEVELS = ("insufficient", "low", "medium", "high")


def confidence_rule(thresholds: Thresholds) -> str:
    return (
        f"High confidence needs {thresholds.ok_articles} articles, {HIGH_ANNOTATORS} annotators, "
        f"half the articles double-annotated and α ≥ {HIGH_ALPHA:.3f} on the source's articles; medium needs "
        f"{thresholds.min_articles} articles and α ≥ {MEDIUM_ALPHA}; fewer than {thresholds.min_articles} "
        "articles is insufficient; anything else is low; and a reliability rating that contradicts the "
        "span evidence lowers the level by one (not below low)."
    )


def confidence(
    *,
    n_articles: int,
    n_annotators: int,
    double_share: float | None,
    alpha: float | None,
    reliability: float | None,
    sourced_rate: float | None,
    thresholds: Thresholds,
) -> dict[str, Any]:
    """The source's confidence level (high / medium / low / insufficient) with the reasons for
    it, by confidence_rule. `reliability` is the mean reliability rating rescaled to 0..1 and
    `sourced_rate` the share of claims with evidence (None: not measured); a reliable rating
    beside mostly unsourced claims, or an unreliable one beside well-sourced claims, is a
    contradiction."""
    reasons: list[str] = []
    if n_articles < thresholds.min_articles:
        reasons.append(f"{n_articles} articles (needs {thresholds.min_articles})")
        return {"level": "insufficient", "reasons": reasons, "contradiction": False}
    high = [
        (
            n_articles >= thresholds.ok_articles,
            f"{n_articles} articles (high needs {thresholds.ok_articles})",
        ),
        (n_annotators >= HIGH_ANNOTATORS, f"{n_annotators} annotators (high needs {HIGH_ANNOTATORS})"),
        (
            double_share is not None and double_share >= HIGH_DOUBLE_SHARE,
            f"{double_share or 0:.0%} double-annotated (high needs {HIGH_DOUBLE_SHARE:.0%})",
        ),
        (alpha is not None and alpha >= HIGH_ALPHA, _alpha_reason(alpha, HIGH_ALPHA, "high")),
    ]
    if all(ok for ok, _ in high):
        level = "high"
        reasons.append(
            f"{n_articles} articles, {n_annotators} annotators, {double_share:.0%} double-annotated, α {alpha:.3f}"
        )
    elif alpha is not None and alpha >= MEDIUM_ALPHA:
        level = "medium"
        reasons.extend(reason for ok, reason in high if not ok)
    else:
        level = "low"
        reasons.append(_alpha_reason(alpha, MEDIUM_ALPHA, "medium"))
    contradiction = False
    if reliability is not None and sourced_rate is not None:
        if reliability >= CONTRADICTION_RELIABLE and sourced_rate < CONTRADICTION_SOURCED:
            contradiction = True
            reasons.append(
                f"rated reliable ({reliability:.0%} of the scale) yet {sourced_rate:.0%} of claims sourced"
            )
        elif reliability < 1 - CONTRADICTION_RELIABLE and sourced_rate >= 1 - CONTRADICTION_SOURCED:
            contradiction = True
            reasons.append(
                f"rated unreliable ({reliability:.0%} of the scale) yet {sourced_rate:.0%} of claims sourced"
            )
    if contradiction and level != "low":
        level = LEVELS[LEVELS.index(level) - 1]
    return {"level": level, "reasons": reasons, "contradiction": contradiction}


def _alpha_reason(alpha: float | None, needed: float, level: str) -> str:
    if alpha is None:
        return f"no agreement figure on its articles ({level} needs α ≥ {needed:.3f})"
    return f"α {alpha:.3f} on its articles ({level} needs {needed:.3f})"


def rescaled(value: float | None, scale: Sequence[float]) -> float | None:
    """A scale's value as 0..1 of the scale (None stays None)."""
    if value is None or scale[1] == scale[0]:
        return None
    return (value - scale[0]) / (scale[1] - scale[0])


# A quarter's figure needs this many answered articles; fewer show as insufficient.
DRIFT_MIN_ARTICLES = 5


def quarter_of(published: date | None) -> str | None:
    """The calendar quarter of a publication date, "2025-Q1"; None without a date."""
    return None if published is None else f"{published.year}-Q{(published.month - 1) // 3 + 1}"


def scorecard(
    specs: Sequence[QuestionSpec],
    answers: Mapping[str, Sequence[tuple[date | None, Sequence[Any]]]],
    thresholds: Thresholds,
    *,
    n_boot: int,
    seed: int = 0,
) -> dict[str, Any]:
    """Every question's figures for one source, and the same by calendar quarter of publication
    ("by_quarter", oldest first; a quarter needs DRIFT_MIN_ARTICLES articles). `answers[key]`
    lists, per article of the source, its publication date and the answers its layers gave."""
    per_quarter = Thresholds(min_articles=DRIFT_MIN_ARTICLES, ok_articles=thresholds.min_articles)
    out = {}
    for spec in specs:
        articles = answers.get(spec.key, [])
        rows = np.asarray([article_row(spec, a) for _, a in articles], dtype=float)
        entry = question_figures(spec, rows, thresholds, n_boot=n_boot, seed=seed)
        quarters = [quarter_of(published) for published, _ in articles]
        entry["by_quarter"] = {}
        for quarter in sorted({q for q in quarters if q is not None}):
            chosen = rows[[i for i, q in enumerate(quarters) if q == quarter]]
            figures = question_figures(spec, chosen, per_quarter, n_boot=n_boot, seed=seed)
            entry["by_quarter"][quarter] = figures.get("mean") or figures["shares"]
        out[spec.key] = entry
    return out


def headline_figures(card: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """A scorecard's headline figures by id: each scale's mean ("reliability") and each choice's
    share ("genre:NEWS"), with the name a page gives them."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, question in (card.get("questions") or {}).items():
        if "mean" in question:
            out[key] = (f"{question['name']} (mean)", question["mean"])
        for option, figure in (question.get("shares") or {}).items():
            out[f"{key}:{option}"] = (f"{question['name']} (share {option})", figure)
    return out


def moved_figures(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The headline figures whose new value lies outside the interval they had `before`: the
    change log's entries. A figure with no earlier interval (or no value) logs nothing."""
    if not before:
        return []
    old = headline_figures(before)
    moved = []
    for figure_id, (name, figure) in headline_figures(after).items():
        previous = old.get(figure_id, ("", {}))[1]
        interval, value = previous.get("ci95"), figure.get("value")
        if not interval or value is None or previous.get("value") is None:
            continue
        if not interval[0] <= value <= interval[1]:
            moved.append(
                {
                    "figure": figure_id,
                    "name": name,
                    "old_value": previous["value"],
                    "old_ci95": interval,
                    "new_value": value,
                    "new_ci95": figure.get("ci95"),
                }
            )
    return moved
