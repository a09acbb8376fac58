"""Shapes an agreement report (annotator.agreement.maths's JSON) into the rows, tables and charts of
the agreement page. Reads only the report; no queries."""

from __future__ import annotations

from typing import Any

from annotator.agreement.maths.panels import FLAG_GAP, MIN_DOCUMENT_PAIRS
from frontend.charts import Interval, Mark, dot_plot, heat_map

KRIPPENDORFF_MARKS = (Mark(0.667, ".667 tentative"), Mark(0.800, ".800 reliable"))


def _value(estimate: dict[str, Any] | None) -> float | None:
    return None if not estimate else estimate.get("value")


def _interval(label: str, estimate: dict[str, Any] | None) -> Interval:
    estimate = estimate or {}
    ci = estimate.get("ci95") or (None, None)
    note = estimate.get("reason") or estimate.get("ci95_reason") or ""
    return Interval(label, estimate.get("value"), ci[0], ci[1], note=note)


def _axis_low(rows: list[Interval]) -> float:
    lows = [r.low if r.low is not None else r.value for r in rows if r.value is not None]
    return min(0.0, min(lows, default=0.0))


def label_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"key": "all labels", **metrics.get("overall", {})}]
    rows += [{"key": key, **values} for key, values in metrics.get("labels", {}).items()]
    return rows


def label_alpha_chart(metrics: dict[str, Any]) -> str:
    rows = [_interval(row["key"], row.get("alpha")) for row in label_rows(metrics)]
    return dot_plot(
        rows,
        title="Krippendorff's alpha per label with 95% intervals",
        low=_axis_low(rows),
        high=1.0,
        marks=KRIPPENDORFF_MARKS,
    )


def attribute_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, values in metrics.get("attributes", {}).items():
        rows.append({"key": key, "alpha": values.get("alpha"), "coverage": values.get("coverage")})
        for part, part_values in (values.get("targets") or values.get("options") or {}).items():
            rows.append(
                {"key": f"{key}: {part}", "alpha": part_values.get("alpha"), "coverage": None, "part": True}
            )
    return rows


def question_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The article questions' agreement: alpha at each question's level, the documents it rests
    on, how the answers spread (the mean for a scale), and each panel's alpha within itself."""
    rows = []
    for key, values in metrics.get("questions", {}).items():
        spread = ", ".join(f"{value} {count}" for value, count in values.get("distribution", {}).items())
        rows.append(
            {
                "key": key,
                "name": values.get("name", key),
                "level": values.get("level"),
                "n_documents": values.get("n_documents", 0),
                "alpha": values.get("alpha"),
                "mean": values.get("mean"),
                "spread": spread,
                "panels": values.get("panels") or {},
            }
        )
        for option, option_values in (values.get("options") or {}).items():
            rows.append(
                {"key": f"{key}: {option}", "name": option, "alpha": option_values.get("alpha"), "part": True}
            )
    return rows


def confusion_chart(metrics: dict[str, Any]) -> str | None:
    confusion = metrics.get("confusion") or {}
    labels, counts = confusion.get("labels") or [], confusion.get("counts") or []
    if not labels:
        return None
    peak = max((max(row) for row in counts), default=0) or 1
    return heat_map(
        labels,
        labels,
        counts,
        title="Label confusion among overlap-matched span pairs",
        low=0,
        high=peak,
        value_format="{:.0f}",
    )


def pair_matrix(metrics: dict[str, Any], names: dict[str, str]) -> tuple[list[str], list[list[float | None]]]:
    """Annotator x annotator overlap F1 (labelled), symmetric, the diagonal empty."""
    ids = sorted(
        {a for pair in metrics.get("pairs", []) for a in pair["annotators"]}, key=lambda a: names.get(a, a)
    )
    index = {a: i for i, a in enumerate(ids)}
    matrix: list[list[float | None]] = [[None] * len(ids) for _ in ids]
    for pair in metrics.get("pairs", []):
        a, b = (index[x] for x in pair["annotators"])
        matrix[a][b] = matrix[b][a] = _value(pair.get("overlap", {}).get("f1"))
    return [names.get(a, a) for a in ids], matrix


def pair_chart(metrics: dict[str, Any], names: dict[str, str]) -> str | None:
    people, matrix = pair_matrix(metrics, names)
    if len(people) < 2:
        return None
    return heat_map(
        people, people, matrix, title="Pairwise span F1 (overlap, labelled) per annotator pair", low=0, high=1
    )


def pair_rows(metrics: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "a": names.get(pair["annotators"][0], pair["annotators"][0]),
            "b": names.get(pair["annotators"][1], pair["annotators"][1]),
            "n_documents": pair.get("n_documents"),
            "cohen_kappa": pair.get("cohen_kappa"),
            "f1_exact": pair.get("exact", {}).get("f1"),
            "f1_overlap": pair.get("overlap", {}).get("f1"),
        }
        for pair in metrics.get("pairs", [])
    ]


def source_chart(sources: list[dict[str, Any]]) -> str | None:
    rows = [_interval(s["name"], s["metrics"].get("overall", {}).get("alpha")) for s in sources]
    if not rows:
        return None
    return dot_plot(
        rows, title="Alpha (all labels) by source", low=_axis_low(rows), high=1.0, marks=KRIPPENDORFF_MARKS
    )


def gold_rows(metrics: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per annotator of the report's `gold` section (annotator.agreement.maths.gold)."""
    annotators = (metrics.get("gold") or {}).get("annotators", {})
    return [
        {"annotator": names.get(key, key), "n_documents": entry["n_documents"], **entry["overall"]}
        for key, entry in sorted(annotators.items(), key=lambda item: names.get(item[0], item[0]))
    ]


def panel_matrix(metrics: dict[str, Any]) -> dict[str, Any] | None:
    """The panels section as the page shows it: a panel x panel heat map of alpha, one row per
    cell, within and between, the flags, and stance per target per panel."""
    panels = metrics.get("panels")
    if not panels or not panels["cells"]:
        return None
    keys = panels["panels"]
    index = {key: i for i, key in enumerate(keys)}
    matrix: list[list[float | None]] = [[None] * len(keys) for _ in keys]
    for cell in panels["cells"]:
        a, b = (index[p] for p in cell["panels"])
        matrix[a][b] = matrix[b][a] = _value(cell["alpha"])
    # Stance toward each target: the parts of the target attributes, per panel.
    stance: dict[str, dict[str, Any]] = {}
    for panel, values in panels["values"].items():
        for key in panels["stance_attributes"]:
            for target, counts in values.get(key, {}).items():
                stance.setdefault(panel, {})[target] = counts
    targets = sorted({target for parts in stance.values() for target in parts})
    return {
        "chart": heat_map(keys, keys, matrix, title="Alpha between and within panels", low=0, high=1),
        "cells": panels["cells"],
        "totals": [("all within panels", panels["within"]), ("all between panels", panels["between"])],
        "gap": FLAG_GAP,
        "min_pairs": MIN_DOCUMENT_PAIRS,
        "label_keys": list(panels["within"]["labels"]),
        "attribute_keys": list(panels["within"]["attributes"]),
        "flags": panels["flags"],
        "stance": [
            {"target": target, "panels": [(panel, stance.get(panel, {}).get(target, {})) for panel in keys]}
            for target in targets
        ],
    }
