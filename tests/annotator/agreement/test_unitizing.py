"""Unitizing alpha_U: DKPro Agreement's oracles, a line-by-line port of DKPro's loops, additivity."""

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from annotator.agreement.maths.core import INSUFFICIENT_DATA, NO_VARIATION, Estimate
from annotator.agreement.maths.unitizing import (
    UnitizingStats,
    category_alpha,
    category_statistics,
    disagreements,
    merge_overlaps,
    segment_distance,
    unitizing_alpha,
)

from . import oracles


def study(units, raters, begin, length):
    """Per-category statistics of DKPro-style units (offset, length, rater, category)."""
    out = {}
    for category in sorted({u[3] for u in units}):
        per_rater = []
        for r in range(raters):
            mine = [(o, o + n) for o, n, rater, c in units if rater == r and c == category]
            per_rater.append(([s for s, _ in mine], [e for _, e in mine]))
        out[category] = category_statistics(per_rater, begin, length)
    return out


def dkpro_reference(units, raters, begin, length, category):
    """(D_o, D_e) by a direct port of DKPro's KrippendorffAlphaUnitizingAgreement loops, exact fractions."""

    def partition(r):
        mine = sorted((o, n) for o, n, rater, c in units if rater == r and c == category)
        segs, pos = [], begin
        for o, n in mine:
            if o > pos:
                segs.append((pos, o - pos, False))
            segs.append((o, n, True))
            pos = o + n
        if pos < begin + length:
            segs.append((pos, begin + length - pos, False))
        return segs

    def distance(b1, l1, u1, b2, l2, u2):
        bd, ld = b1 - b2, l1 - l2
        if u1 and u2 and -l1 < bd < l2:
            return bd * bd + (bd + ld) * (bd + ld)
        if u1 and not u2 and -ld >= bd >= 0:
            return l1 * l1
        if not u1 and u2 and -ld <= bd <= 0:
            return l2 * l2
        return 0

    observed = 0
    for r1 in range(raters):
        for r2 in range(r1 + 1, raters):
            for b1, l1, u1 in partition(r1):
                for b2, l2, u2 in partition(r2):
                    if b1 < b2 + l2 and b2 < b1 + l1:  # each overlapping segment pair once
                        observed += distance(b1, l1, u1, b2, l2, u2)
    d_o = Fraction(2 * observed, raters * (raters - 1) * length * length)
    lengths = [n for o, n, rater, c in units if c == category]
    gaps = sorted((n for r in range(raters) for _, n, u in partition(r) if not u), reverse=True)
    n_c = len(lengths)
    total = Fraction(0)
    for n in lengths:
        total += Fraction((n_c - 1) * (2 * n**3 - 3 * n**2 + n), 3)
        total += n * n * sum(g - n + 1 for g in gaps if g >= n)
    d_e = (
        Fraction(2, length)
        * total
        / (raters * length * (raters * length - 1) - sum(n * (n - 1) for n in lengths))
    )
    return float(d_o), float(d_e)


def test_krippendorff_2004_book_example():
    stats = study(oracles.K2004U, oracles.K2004U_RATERS, oracles.K2004U_BEGIN, oracles.K2004U_LENGTH)
    overall, per_category = unitizing_alpha(stats)
    expected: dict[str, Any] = oracles.K2004U_EXPECTED
    assert overall.value == pytest.approx(expected["alpha"], abs=expected["alpha_tol"])
    assert overall.value == pytest.approx(oracles.K2004U_DKPRO_EXACT["alpha"], abs=1e-6)
    for category in ("c", "k"):
        d_o, d_e = disagreements(stats[category])
        exact = oracles.K2004U_DKPRO_EXACT[category]
        assert (d_o, d_e, per_category[category].value) == pytest.approx(exact, abs=1e-6)
        published = expected[category]
        assert d_o == pytest.approx(published["Do"], abs=5e-5)
        assert d_e == pytest.approx(published["De"], abs=5e-5)
        assert per_category[category].value == pytest.approx(published["alpha"], abs=5e-5)


@pytest.mark.parametrize(("args", "expected"), oracles.K2004U_DELTAS)
def test_dkpro_distance_spot_values(args, expected):
    b1, l1, c1, b2, l2, c2 = args
    assert segment_distance(b1, l1, c1 is not None, b2, l2, c2 is not None) == expected


def test_dkpro_simple_unitizing_study():
    stats = study(oracles.SIMPLE_U, 2, 0, 10)
    d_o, d_e = disagreements(stats["A"])
    assert (d_o, d_e) == pytest.approx((0.91, 0.535185), abs=1e-6)
    # The published figures are truncated to 4 decimals; DKPro asserts them to 1e-4.
    published = oracles.SIMPLE_U_EXPECTED
    assert (d_o, d_e, unitizing_alpha(stats)[0].value) == pytest.approx(
        (published["Do"], published["De"], published["alpha"]), abs=1e-4
    )
    assert unitizing_alpha(stats)[0].value == pytest.approx(-0.700346, abs=1e-6)


def test_krippendorff_1995_at_stretch_1_pins_dkpro():
    units, length = oracles.k1995_units(1)
    stats = study(units, 2, 0, length)
    for category, expected in oracles.K1995_DKPRO_STRETCH1.items():
        assert category_alpha(stats[category]).value == pytest.approx(expected, abs=1e-6)
        assert disagreements(stats[category])[0] == pytest.approx(oracles.K1995_DO[category], abs=1e-5)


def test_krippendorff_1995_at_stretch_50000():
    units, length = oracles.k1995_units(50000)
    stats = study(units, 2, 0, length)
    for category, expected in oracles.K1995_ALPHA_STRETCH50000.items():
        assert category_alpha(stats[category]).value == pytest.approx(expected, abs=0.02)
        assert disagreements(stats[category])[0] == pytest.approx(oracles.K1995_DO[category], abs=1e-5)


def random_units(rng, raters, categories, length):
    units = []
    for r in range(raters):
        for c in range(categories):
            pos = int(rng.integers(0, 5))
            while pos < length - 1:
                n = int(rng.integers(1, 12))
                if rng.random() < 0.6 and pos + n <= length:
                    units.append((pos, n, r, c))
                pos += n + int(rng.integers(0, 10))
    return units


@pytest.mark.parametrize("seed", range(30))
def test_matches_port_of_dkpro_loops_on_random_studies(seed):
    rng = np.random.default_rng(seed)
    raters, categories, length = int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(30, 300))
    units = random_units(rng, raters, categories, length)
    stats = study(units, raters, 0, length)
    for category, s in stats.items():
        assert disagreements(s) == pytest.approx(
            dkpro_reference(units, raters, 0, length, category), rel=1e-12
        )


def test_sum_of_documents_equals_concatenation_when_no_gap_crosses_the_boundary():
    # Both raters end document 1 with a unit, so laying the documents end to end merges no gap.
    doc1 = [[(2, 5), (8, 10)], [(3, 6), (9, 10)]]
    doc2 = [[(0, 4)], [(6, 9)]]
    length1, length2 = 10, 12

    def stats(layers, begin, length):
        return category_statistics([([s for s, _ in u], [e for _, e in u]) for u in layers], begin, length)

    glued = [a + [(s + length1, e + length1) for s, e in b] for a, b in zip(doc1, doc2, strict=True)]
    summed = stats(doc1, 0, length1) + stats(doc2, 0, length2)
    whole = stats(glued, 0, length1 + length2)
    assert summed.to_dict() == whole.to_dict()
    assert disagreements(UnitizingStats.from_dict(summed.to_dict())) == disagreements(whole)


def test_overlapping_units_of_one_rater_are_merged_and_touching_ones_kept():
    starts, ends = merge_overlaps([10, 0, 3, 20, 25], [12, 5, 8, 25, 30])
    assert starts.tolist() == [0, 10, 20, 25]
    assert ends.tolist() == [8, 12, 25, 30]


def test_degenerate_cases():
    nobody = category_statistics([([], []), ([], [])], 0, 50)
    assert category_alpha(nobody) == Estimate(None, NO_VARIATION)
    assert unitizing_alpha({"X": nobody})[0] == Estimate(None, NO_VARIATION)
    one_rater = category_statistics([([0], [5])], 0, 50)
    assert category_alpha(one_rater) == Estimate(None, INSUFFICIENT_DATA)
    assert unitizing_alpha({}) == (Estimate(None, INSUFFICIENT_DATA), {})
    with pytest.raises(ValueError, match="same number of raters"):
        _ = one_rater + nobody
