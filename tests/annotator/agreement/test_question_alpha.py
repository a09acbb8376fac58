"""Agreement on article questions: alpha at the question's level equals the krippendorff
package's on random answers with missing values and on the published examples; several
choices pool one yes/no decision per choice; intervals follow the span figures' rules."""

import math

import krippendorff
import numpy as np
import pytest

from annotator.agreement.maths.questions import question_agreement

from . import oracles

SCALE = [{"value": v} for v in (1, 2, 3, 4, 5)]


def _units(coder_major):
    """Coder-major rows (nan = no answer) as per-document lists of answers."""
    columns = np.asarray(coder_major, dtype=float).T
    return [[float(v) for v in column if not math.isnan(v)] for column in columns]


@pytest.mark.parametrize(
    ("kind", "level", "points"),
    [("ordinal", "ordinal", SCALE), ("interval", "interval", SCALE), ("choice", "nominal", SCALE)],
)
def test_the_published_krippendorff_2011_example_at_each_level(kind, level, points):
    units = _units(oracles.K2011)
    if kind != "interval":
        units = [[int(v) for v in unit] for unit in units]
    result = question_agreement(units, kind=kind, points=points)
    assert result["alpha"]["value"] == pytest.approx(oracles.K2011_EXACT[level], abs=1e-6)
    assert result["level"] == level


def test_hayes_krippendorff_2007_ordinal():
    units = [[int(v) for v in row if not math.isnan(v)] for row in oracles.HK2007_UNITS]
    points = [{"value": v} for v in (0, 1, 2, 3)]
    assert question_agreement(units, kind="ordinal", points=points)["alpha"]["value"] == pytest.approx(
        0.759829, abs=1e-6
    )


@pytest.mark.parametrize("seed", range(25))
def test_equals_the_krippendorff_package_on_random_answers_with_missing_values(seed):
    rng = np.random.default_rng(seed)
    coders, documents = int(rng.integers(2, 6)), int(rng.integers(5, 200))
    scale = np.array([-3.0, -1.5, 0.0, 0.5, 2.0, 3.0])[: int(rng.integers(2, 7))]
    truth = rng.integers(0, len(scale), documents)
    picks = np.where(
        rng.random((coders, documents)) < 0.7, truth, rng.integers(0, len(scale), (coders, documents))
    )
    data = np.where(rng.random((coders, documents)) < rng.uniform(0, 0.4), np.nan, scale[picks])
    units = _units(data)
    points = [{"value": float(v)} for v in scale]
    for kind, level in (("ordinal", "ordinal"), ("interval", "interval"), ("choice", "nominal")):
        if sum(len(u) >= 2 for u in units) == 0 or len({v for u in units if len(u) >= 2 for v in u}) < 2:
            continue
        domain = scale if kind != "interval" else np.unique(data[~np.isnan(data)])
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=domain)
        got = question_agreement(units, kind=kind, points=points)["alpha"]["value"]
        assert got == pytest.approx(expected, abs=1e-9), (kind, seed)


def test_yes_no_is_nominal_and_several_choices_pool_a_decision_per_choice():
    yes_no = [[True, True], [False, True], [False, False], [True, True, False]]
    data = np.array([[1, 0, 0, 1], [1, 1, 0, 1], [np.nan, np.nan, np.nan, 0]], dtype=float)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert question_agreement(yes_no, kind="boolean", points=[])["alpha"]["value"] == pytest.approx(
        expected, abs=1e-12
    )

    points = [{"value": v} for v in ("NEWS", "OPINION", "SATIRE")]
    units = [[["NEWS"], ["NEWS", "OPINION"]], [["SATIRE"], ["SATIRE"]], [["OPINION"], ["NEWS"]]]
    result = question_agreement(units, kind="multi", points=points)
    decisions = {
        option: np.array([[option in unit[c] for unit in units] for c in (0, 1)], dtype=float)
        for option in ("NEWS", "OPINION", "SATIRE")
    }
    for option, data in decisions.items():
        assert result["options"][option]["alpha"]["value"] == pytest.approx(
            krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12
        )
    pooled = np.concatenate(list(decisions.values()), axis=1)  # every decision a unit of its own
    assert result["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(reliability_data=pooled, level_of_measurement="nominal"), abs=1e-12
    )
    assert result["distribution"] == {"NEWS": 3, "OPINION": 2, "SATIRE": 2}


def test_the_interval_needs_enough_documents_and_is_reproducible():
    rng = np.random.default_rng(7)
    units = [[int(v) for v in rng.integers(1, 6, 3)] for _ in range(40)]
    first = question_agreement(units, kind="ordinal", points=SCALE, n_boot=300, seed=3)
    again = question_agreement(units, kind="ordinal", points=SCALE, n_boot=300, seed=3)
    assert first == again
    low, high = first["alpha"]["ci95"]
    assert low <= first["alpha"]["value"] <= high
    few = question_agreement(units[:5], kind="ordinal", points=SCALE, n_boot=300, seed=3)
    assert few["alpha"]["ci95"] is None
    assert few["alpha"]["ci95_reason"] == "too few documents for an interval"
    assert question_agreement([[3], []], kind="ordinal", points=SCALE)["alpha"]["value"] is None
