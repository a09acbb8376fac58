"""Shapes stored source profiles (annotator.profiles.services) into the rows, tables and charts of
the profile pages: the source list, one source's profile card, and the comparison across
sources. Reads only the profiles handed in; no queries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from annotator.access import can_review
from annotator.models import ProfileBasis
from annotator.profiles.maths import EVIDENCE_VALUES
from annotator.profiles.services import (
    METRIC_KEYS,
    RELIABLE,
    TENTATIVE,
    ProjectProfiles,
    profile_bases,
    profile_targets,
)
from frontend.charts import (
    Interval,
    Mark,
    Point,
    Stack,
    dot_plot,
    heat_map,
    line_with_band,
    scatter,
    stacked_bars,
)

Figure = dict[str, Any]


@dataclass(frozen=True)
class MetricSpec:
    """How a figure is shown: its name, whether it is a share (0..1) or a rate per 1,000 words,
    and the labels it rests on (greyed out when their agreement is below .667)."""

    name: str
    share: bool
    labels: tuple[str, ...]
    help: str
    short: str = ""  # for chart rows, where long names are clipped

    @property
    def label(self) -> str:
        return self.short or self.name


METRICS: dict[str, MetricSpec] = {
    "claims_per_1k_words": MetricSpec(
        "Claims per 1,000 words", False, ("CLAIM",), "ratio of sums", short="Claims /1k"
    ),
    "median_claims_per_1k_words": MetricSpec(
        "Claims per 1,000 words (median article)",
        False,
        ("CLAIM",),
        "median of per-article rates",
        short="Claims /1k (median)",
    ),
    "opinions_per_1k_words": MetricSpec(
        "Opinions per 1,000 words", False, ("OPINION",), "ratio of sums", short="Opinions /1k"
    ),
    "median_opinions_per_1k_words": MetricSpec(
        "Opinions per 1,000 words (median article)",
        False,
        ("OPINION",),
        "median of per-article rates",
        short="Opinions /1k (median)",
    ),
    "opinion_share": MetricSpec(
        "Opinion share", True, ("CLAIM", "OPINION"), "opinions / (claims + opinions)"
    ),
    "sourced_claim_rate": MetricSpec(
        "Sourced-claim rate", True, ("CLAIM",), "claims whose evidence is not NONE, of claims with evidence"
    ),
    "anonymous_source_share": MetricSpec(
        "Anonymous-source share", True, ("CLAIM",), "anonymous sources among sourced claims"
    ),
    "unsupported_author_claims_per_1k_words": MetricSpec(
        "Unsupported author-voice claims per 1,000 words",
        False,
        ("CLAIM",),
        "voice AUTHOR and evidence NONE",
        short="Unsupported author /1k",
    ),
    "hedged_share": MetricSpec("Hedged claims", True, ("CLAIM",), "share of claims marked hedged"),
    "check_worthy_share": MetricSpec(
        "Check-worthy claims", True, ("CLAIM",), "share of claims marked check-worthy"
    ),
    "disclaimer_presence": MetricSpec(
        "Articles with a disclaimer",
        True,
        ("DISCLAIMER",),
        "share of articles with a DISCLAIMER span",
        short="With a disclaimer",
    ),
}
assert tuple(METRICS) == METRIC_KEYS
EVIDENCE_NAMES = {
    "NAMED_SOURCE": "named source",
    "ANONYMOUS_SOURCE": "anonymous",
    "LINK_DOCUMENT": "link/document",
    "DATA": "data",
    "QUOTE": "quote",
    "NONE": "none",
}
BADGE_TEXT = {
    "ok": None,
    "low_confidence": "low confidence",
    "insufficient": "insufficient data",
}
KRIPPENDORFF_MARKS = (Mark(TENTATIVE, ".667 tentative"), Mark(RELIABLE, ".800 reliable"))


def _interval(label: str, figure: Figure | None, *, hatched: bool = False) -> Interval:
    figure = figure or {}
    ci = figure.get("ci95") or (None, None)
    return Interval(
        label, figure.get("value"), ci[0], ci[1], note=figure.get("reason") or "", hatched=hatched
    )


def _axis(rows: list[Interval], share: bool, *, zoom: bool = False) -> tuple[float, float]:
    """The axis of a dot plot: 0 to 1 for shares (zoomed to the data, by tenths, with `zoom`),
    0 to a little above the highest value for rates."""
    lows = [r.low if r.low is not None else r.value for r in rows if r.value is not None]
    highs = [r.high if r.high is not None else r.value for r in rows if r.value is not None]
    if share:
        if not zoom or not lows:
            return 0.0, 1.0
        low = math.floor(min(lows) * 10) / 10
        high = math.ceil(max(highs) * 10) / 10
        return (low, high) if high > low else (0.0, 1.0)
    top = max(highs, default=1.0)
    return 0.0, max(1.0, top * 1.1)


def value_format(share: bool) -> str:
    return "{:.2f}" if share else "{:.1f}"


def digits(share: bool) -> int:
    return 2 if share else 1


def greyed(profile: dict[str, Any], spec: MetricSpec) -> bool:
    """Whether the figure rests on a label whose agreement (alpha) on this source is below .667."""
    labels = ((profile.get("agreement") or {}).get("labels")) or {}
    values = [(labels.get(label) or {}).get("value") for label in spec.labels]
    return any(v is not None and v < TENTATIVE for v in values)


# THE SOURCE LIST
# ------------------------------------------------------------------------------


def source_rows(current: ProjectProfiles) -> list[dict[str, Any]]:
    """One row per source: coverage, confidence and agreement badges, headline figures."""
    rows = []
    for source, stored in current.sources:
        profile = stored.metrics
        coverage = profile.get("coverage") or {}
        metrics = profile.get("metrics") or {}
        rows.append(
            {
                "source": source,
                "n_articles": stored.n_articles,
                "coverage": coverage,
                "badge": BADGE_TEXT.get(coverage.get("status", "")),
                "status": coverage.get("status"),
                "agreement": profile.get("agreement"),
                "claims": metrics.get("claims_per_1k_words"),
                "opinion_share": metrics.get("opinion_share"),
                "sourced": metrics.get("sourced_claim_rate"),
                "unsupported": metrics.get("unsupported_author_claims_per_1k_words"),
            }
        )
    return rows


def agreement_chart(current: ProjectProfiles) -> str | None:
    rows = []
    for source, stored in current.sources:
        agreement = stored.metrics.get("agreement")
        if agreement:  # hollow: too few double-annotated articles for a badge
            rows.append(_interval(source.name, agreement.get("alpha"), hatched=not agreement.get("badge")))
    if not rows:
        return None
    low = min([0.0] + [r.low if r.low is not None else r.value for r in rows if r.value is not None])
    return dot_plot(
        rows, title="Agreement (alpha, all labels) by source", low=low, high=1.0, marks=KRIPPENDORFF_MARKS
    )


# ONE SOURCE
# ------------------------------------------------------------------------------


def metric_rows(profile: dict[str, Any], corpus: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each figure of the source beside the corpus's, with how it is shown."""
    corpus_metrics = (corpus or {}).get("metrics") or {}
    return [
        {
            "key": key,
            "spec": spec,
            "digits": digits(spec.share),
            "figure": (profile.get("metrics") or {}).get(key),
            "corpus": corpus_metrics.get(key),
            "greyed": greyed(profile, spec),
        }
        for key, spec in METRICS.items()
    ]


def metric_charts(name: str, profile: dict[str, Any], corpus: dict[str, Any] | None) -> list[str]:
    """Two dot plots (shares; rates per 1,000 words): each figure of the source (filled) above
    the corpus value (hollow), both with their intervals."""
    charts: list[str] = []
    corpus_metrics = (corpus or {}).get("metrics") or {}
    for share, title in ((True, "Shares"), (False, "Rates per 1,000 words")):
        rows: list[Interval] = []
        for key, spec in METRICS.items():
            if spec.share != share:
                continue
            rows.append(_interval(spec.label, (profile.get("metrics") or {}).get(key)))
            rows.append(_interval("  corpus", corpus_metrics.get(key), hatched=True))
        low, high = _axis(rows, share)
        charts.append(
            dot_plot(
                rows,
                title=f"{title}: {name} (filled) against the corpus (hollow), 95% intervals",
                low=low,
                high=high,
                value_format=value_format(share),
            )
        )
    return charts


def evidence_rows(profile: dict[str, Any], corpus: dict[str, Any] | None) -> list[dict[str, Any]]:
    mix = profile.get("evidence_mix") or {}
    corpus_mix = (corpus or {}).get("evidence_mix") or {}
    return [
        {
            "key": value,
            "name": EVIDENCE_NAMES[value],
            "figure": mix.get(value),
            "corpus": corpus_mix.get(value),
        }
        for value in EVIDENCE_VALUES
    ]


def _stack(label: str, profile: dict[str, Any] | None, *, reference: bool = False) -> Stack:
    mix = (profile or {}).get("evidence_mix") or {}
    shares = [(mix.get(value) or {}).get("value") for value in EVIDENCE_VALUES]
    if any(s is None for s in shares):
        reason = next((f.get("reason") for f in mix.values() if f and f.get("reason")), None)
        return Stack(label, None, note=reason or "no claims with evidence", reference=reference)
    return Stack(label, [float(s) for s in shares if s is not None], reference=reference)


def evidence_chart(rows: list[tuple[str, dict[str, Any]]], corpus: dict[str, Any] | None) -> str:
    stacks = [_stack(name, profile) for name, profile in rows]
    stacks.append(_stack("All sources (corpus)", corpus, reference=True))
    return stacked_bars(
        stacks,
        categories=[EVIDENCE_NAMES[v] for v in EVIDENCE_VALUES],
        title="Evidence mix among claims with evidence (100% stacked)",
    )


def stance_rows(profile: dict[str, Any], corpus: dict[str, Any] | None) -> list[dict[str, Any]]:
    corpus_stance = (corpus or {}).get("stance") or {}
    stance = profile.get("stance") or {}
    return [
        {
            "target": target,
            "entry": stance[target],
            "corpus": (corpus_stance.get(target) or {}).get("net"),
        }
        for target in sorted(stance, key=str.casefold)
    ]


# THE COMPARISON
# ------------------------------------------------------------------------------


def metric_choices() -> list[tuple[str, str]]:
    choices = [(key, spec.name) for key, spec in METRICS.items()]
    choices += [(f"evidence:{value}", f"Evidence: {EVIDENCE_NAMES[value]}") for value in EVIDENCE_VALUES]
    return choices


def _figure_of(profile: dict[str, Any], metric: str) -> Figure | None:
    if metric.startswith("evidence:"):
        return (profile.get("evidence_mix") or {}).get(metric.split(":", 1)[1])
    return (profile.get("metrics") or {}).get(metric)


def comparison_rows(current: ProjectProfiles, metric: str) -> list[dict[str, Any]]:
    """The chosen figure per source, highest value first; sources without a value last."""
    rows = [
        {"source": source, "figure": _figure_of(stored.metrics, metric), "n_articles": stored.n_articles}
        for source, stored in current.sources
    ]

    def order(row: dict[str, Any]) -> tuple[int, float, str]:
        value = (row["figure"] or {}).get("value")
        return (1, 0.0, row["source"].name) if value is None else (0, -float(value), row["source"].name)

    return sorted(rows, key=order)


def comparison_chart(current: ProjectProfiles, metric: str) -> str:
    share = metric.startswith("evidence:") or METRICS[metric].share
    name = dict(metric_choices())[metric]
    rows = [
        _interval(
            row["source"].name, row["figure"], hatched=(row["figure"] or {}).get("status") == "low_confidence"
        )
        for row in comparison_rows(current, metric)
    ]
    corpus = _figure_of(current.corpus.metrics, metric) if current.corpus else None
    marks = []
    if corpus and corpus.get("value") is not None:
        marks.append(Mark(float(corpus["value"]), f"corpus {value_format(share).format(corpus['value'])}"))
    low, high = _axis([*rows, _interval("corpus", corpus)], share, zoom=True)
    return dot_plot(
        rows,
        title=f"{name} by source, sorted, with 95% intervals (hollow: low confidence)",
        low=low,
        high=high,
        marks=marks,
        value_format=value_format(share),
    )


def stance_matrix(current: ProjectProfiles) -> dict[str, Any]:
    """Source x target net stance: values (None where the figure is insufficient), hatched
    where it is insufficient or of low confidence, and the figures for the table."""
    targets = profile_targets(profiles=current)
    values: list[list[float | None]] = []
    hatched: list[list[bool]] = []
    table = []
    for source, stored in current.sources:
        stance = stored.metrics.get("stance") or {}
        nets = [(stance.get(t) or {}).get("net") for t in targets]
        values.append([(n or {}).get("value") for n in nets])
        hatched.append([(n or {}).get("status") != "ok" for n in nets])
        table.append({"source": source, "cells": [(t, stance.get(t)) for t in targets]})
    return {"targets": targets, "values": values, "hatched": hatched, "table": table}


def stance_chart(current: ProjectProfiles, matrix: dict[str, Any]) -> str | None:
    if not matrix["targets"] or not current.sources:
        return None
    return heat_map(
        [source.name for source, _ in current.sources],
        matrix["targets"],
        matrix["values"],
        title="Net stance per source and target, (F - A) / (F + A + N) per article; hatched: sample too small",
        low=-1.0,
        high=1.0,
        diverging=True,
        hatched=matrix["hatched"],
    )


def scatter_rows(current: ProjectProfiles) -> list[dict[str, Any]]:
    rows = []
    for source, stored in current.sources:
        metrics = stored.metrics.get("metrics") or {}
        rows.append(
            {
                "source": source,
                "n_articles": stored.n_articles,
                "x": metrics.get("opinion_share"),
                "y": metrics.get("sourced_claim_rate"),
            }
        )
    return rows


def _point(
    label: str, x: Figure | None, y: Figure | None, size: float, *, reference: bool = False
) -> Point | None:
    if not x or not y or x.get("value") is None or y.get("value") is None:
        return None
    xc, yc = x.get("ci95") or (None, None), y.get("ci95") or (None, None)
    return Point(
        label,
        float(x["value"]),
        float(y["value"]),
        xc[0],
        xc[1],
        yc[0],
        yc[1],
        size=size,
        hollow="low_confidence" in (x.get("status"), y.get("status")),
        reference=reference,
    )


def _zoomed(values: list[tuple[float, float | None, float | None]]) -> tuple[float, float]:
    """A share axis around the values and their intervals, by tenths, within 0 to 1."""
    low = min(lo if lo is not None else v for v, lo, _ in values)
    high = max(hi if hi is not None else v for v, _, hi in values)
    low, high = max(0.0, math.floor(low * 10) / 10), min(1.0, math.ceil(high * 10) / 10)
    return (low, high) if high > low else (max(0.0, low - 0.1), min(1.0, high + 0.1))


def opinion_sourcing_chart(current: ProjectProfiles) -> tuple[str | None, list[str]]:
    """Opinion share (x) against sourced-claim rate (y), bubble area = articles, with the
    corpus as a diamond; and the names of the sources left out for lack of a value."""
    points, left_out = [], []
    for row in scatter_rows(current):
        point = _point(row["source"].name, row["x"], row["y"], row["n_articles"])
        if point is None:
            left_out.append(row["source"].name)
        else:
            points.append(point)
    if current.corpus is not None:
        metrics = current.corpus.metrics.get("metrics") or {}
        corpus = _point(
            "corpus", metrics.get("opinion_share"), metrics.get("sourced_claim_rate"), 0, reference=True
        )
        if corpus is not None:
            points.append(corpus)
    if not points:
        return None, left_out
    chart = scatter(
        points,
        title="Opinion share against sourced-claim rate, with 95% interval cross-hairs (area: articles)",
        x_label="opinion share",
        y_label="sourced-claim rate",
        x_range=_zoomed([(p.x, p.x_low, p.x_high) for p in points]),
        y_range=_zoomed([(p.y, p.y_low, p.y_high) for p in points]),
    )
    return chart, left_out


# PAGE CONTEXTS
# ------------------------------------------------------------------------------


def _common(project: Any, current: ProjectProfiles) -> dict[str, Any]:
    role = getattr(project, "user_role", None)
    return {
        "project": project,
        "basis": current.basis,
        "bases": [(basis, ProfileBasis(basis).label) for basis in profile_bases(project_id=project.pk)],
        "current": current,
        "corpus": current.corpus,
        "can_recompute": can_review(role=role),
    }


def list_context(project: Any, current: ProjectProfiles) -> dict[str, Any]:
    return {
        **_common(project, current),
        "rows": source_rows(current),
        "corpus_metrics": (current.corpus.metrics.get("metrics") or {}) if current.corpus else {},
        "corpus_coverage": (current.corpus.metrics.get("coverage") or {}) if current.corpus else {},
        "agreement_chart": agreement_chart(current),
    }


def source_context(project: Any, source: Any, current: ProjectProfiles) -> dict[str, Any]:
    context = {**_common(project, current), "source": source, "stored": None}
    if not current.sources:
        return context
    stored = current.sources[0][1]
    profile = stored.metrics
    corpus = current.corpus.metrics if current.corpus else None
    coverage = profile.get("coverage") or {}
    context.update(
        stored=stored,
        profile=profile,
        coverage=coverage,
        badge=BADGE_TEXT.get(coverage.get("status", "")),
        agreement=profile.get("agreement"),
        metric_rows=metric_rows(profile, corpus),
        metric_charts=metric_charts(source.name, profile, corpus),
        evidence_rows=evidence_rows(profile, corpus),
        evidence_chart=evidence_chart([(source.name, profile)], corpus),
        stance_rows=stance_rows(profile, corpus),
        scorecard=scorecard_rows(profile),
    )
    return context


CONFIDENCE_TEXT = {
    "high": "High confidence",
    "medium": "Medium confidence",
    "low": "Low confidence",
    "insufficient": "Insufficient data",
}


def drift_charts(questions: dict[str, Any]) -> list[dict[str, Any]]:
    """Each scale question's mean by quarter of publication: a line inside its band of 95%
    intervals, and the rows of the table beside it."""
    drift = []
    for key, question in questions.items():
        by_quarter = question.get("by_quarter") or {}
        if "mean" not in question or not by_quarter:
            continue
        low, high = question["scale"]
        points = []
        for quarter, f in by_quarter.items():
            low_end, high_end = f["ci95"] or (None, None)
            points.append(Interval(quarter, f["value"], low_end, high_end, note=f"{f['n']} articles"))
        title = f"{question['name']}: mean by quarter of publication, with 95% intervals"
        drift.append(
            {
                "key": key,
                "name": question["name"],
                "chart": line_with_band(points, title=title, low=low, high=high),
                "rows": list(by_quarter.items()),
            }
        )
    return drift


def rating_rows(questions: dict[str, Any]) -> list[dict[str, Any]]:
    """A scorecard's article ratings as table rows: a scale's mean, or each choice's share
    (the question named on its first row)."""
    rows = []
    for key, question in questions.items():
        if "mean" in question:
            low, high = question.get("scale") or (None, None)
            rows.append(
                {
                    "key": key,
                    "name": question["name"],
                    "part": f"mean on {low} to {high}",
                    "figure": question["mean"],
                }
            )
        else:
            for i, (option, figure) in enumerate(question["shares"].items()):
                rows.append(
                    {
                        "key": key,
                        "name": question["name"] if i == 0 else "",
                        "part": f"share {option}",
                        "figure": figure,
                    }
                )
    return rows


def scorecard_rows(profile: dict[str, Any]) -> dict[str, Any] | None:
    """The source's article ratings as rows and its confidence level with the rule and the
    reasons; None for a project that asks no questions."""
    card = profile.get("scorecard")
    if not card:
        return None
    rows = rating_rows(card["questions"])
    drift = drift_charts(card["questions"])
    confidence = card["confidence"]
    return {
        "rows": rows,
        "drift": drift,
        "confidence": {**confidence, "text": CONFIDENCE_TEXT[confidence["level"]]},
    }


def comparison_context(project: Any, current: ProjectProfiles, metric: str) -> dict[str, Any]:
    choices = metric_choices()
    if metric not in dict(choices):
        metric = "opinion_share"
    share = metric.startswith("evidence:") or METRICS[metric].share
    context = {
        **_common(project, current),
        "metric": metric,
        "metric_choices": choices,
        "digits": digits(share),
    }
    if current.corpus is None or not current.sources:
        return context
    matrix = stance_matrix(current)
    scatter_chart, left_out = opinion_sourcing_chart(current)
    corpus = current.corpus.metrics
    context.update(
        metric_name=dict(choices)[metric],
        comparison_rows=comparison_rows(current, metric),
        comparison_corpus=_figure_of(corpus, metric),
        comparison_chart=comparison_chart(current, metric),
        evidence_chart=evidence_chart([(s.name, p.metrics) for s, p in current.sources], corpus),
        evidence_table=[{"source": s, "rows": evidence_rows(p.metrics, None)} for s, p in current.sources],
        corpus_evidence=evidence_rows(corpus, None),
        evidence_names=[EVIDENCE_NAMES[v] for v in EVIDENCE_VALUES],
        stance=matrix,
        stance_chart=stance_chart(current, matrix),
        scatter_chart=scatter_chart,
        scatter_rows=scatter_rows(current),
        scatter_left_out=left_out,
        corpus_scatter={
            "x": (corpus.get("metrics") or {}).get("opinion_share"),
            "y": (corpus.get("metrics") or {}).get("sourced_claim_rate"),
        },
    )
    return context
