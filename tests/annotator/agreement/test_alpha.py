"""Krippendorff's alpha: published examples, reference implementations, properties, degenerate cases."""

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import binary_distance, interval_distance

from annotator.agreement.maths.alpha import (
    Level,
    alpha,
    alpha_from_coincidences,
    alpha_values,
    binary_coincidences,
    binary_collapse,
    coincidences,
    disagreements,
    encode,
)
from annotator.agreement.maths.core import INSUFFICIENT_DATA, NO_VARIATION, Estimate

from . import oracles

LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


# Published examples: (units, values as published to three decimals, exact values, level).
PUBLISHED = [
    *(
        pytest.param(oracles.K2011, oracles.K2011_EXPECTED, oracles.K2011_EXACT, level, id=f"k2011-{level}")
        for level in LEVELS
    ),
    *(
        pytest.param(oracles.WIKI, oracles.WIKI_EXPECTED, oracles.WIKI_EXACT, level, id=f"wikipedia-{level}")
        for level in ("nominal", "interval")
    ),
]


@pytest.mark.parametrize(("units", "published", "exact", "level"), PUBLISHED)
def test_published_examples(units, published, exact, level):
    codes, values = encode(units)
    value = alpha(codes, level, values).value
    assert value == pytest.approx(published[level], abs=5e-4)
    assert value == pytest.approx(exact[level], abs=1e-6)


def test_krippendorff_2011_coincidence_matrix_and_disagreements():
    codes, values = encode(oracles.K2011)
    assert values.tolist() == [1, 2, 3, 4, 5]
    o = coincidences(codes, 5)
    np.testing.assert_allclose(o, np.array(oracles.K2011_COINCIDENCES, dtype=float), atol=1e-12)
    np.testing.assert_allclose(o.sum(axis=1), oracles.K2011_N_C)
    assert o.sum() == pytest.approx(40)
    d_o, d_e = disagreements(o)
    assert d_o == pytest.approx(8 / 40, abs=1e-12)
    assert d_e == pytest.approx(0.779487, abs=1e-6)
    assert (round(float(d_o), 3), round(float(d_e), 3)) == oracles.K2011_NOMINAL_DO_DE


def test_hayes_krippendorff_2007_ordinal_and_cross_implementation_values():
    codes, values = encode(np.array(oracles.HK2007_UNITS).T)
    assert alpha(codes, "ordinal", values).value == pytest.approx(
        oracles.HK2007_EXPECTED["ordinal"], abs=5e-5
    )
    assert alpha(codes, "ordinal", values).value == pytest.approx(0.759829, abs=1e-6)
    for level, expected in oracles.HK2007_CROSSIMPL.items():
        assert alpha(codes, level, values).value == pytest.approx(expected, abs=1e-6)


def test_custom_distance_matrix_equals_the_named_level():
    codes, values = encode(oracles.K2011)
    interval = (values[:, None] - values[None, :]) ** 2
    assert alpha(codes, interval).value == pytest.approx(oracles.K2011_EXACT["interval"], abs=1e-6)
    # A distance matrix that ignores 1 vs 2 disagreements raises alpha above nominal.
    lenient = 1.0 - np.eye(5)
    lenient[0, 1] = lenient[1, 0] = 0.0
    lenient_alpha = alpha(codes, lenient).value
    assert lenient_alpha is not None
    assert lenient_alpha > oracles.K2011_EXACT["nominal"]


def random_reliability_data(rng, n_coders, n_units, n_values, p_missing):
    truth = rng.integers(0, n_values, n_units)
    codes = np.where(
        rng.random((n_coders, n_units)) < 0.7, truth, rng.integers(0, n_values, (n_coders, n_units))
    )
    return np.where(rng.random((n_coders, n_units)) < p_missing, -1, codes)


@pytest.mark.parametrize("seed", range(30))
def test_matches_krippendorff_package_on_random_data(seed):
    rng = np.random.default_rng(seed)
    codes = random_reliability_data(
        rng, int(rng.integers(2, 6)), int(rng.integers(5, 300)), int(rng.integers(2, 7)), rng.uniform(0, 0.4)
    )
    values = np.array([1.0, 2.0, 4.0, 5.0, 7.0, 10.0])[: codes.max() + 1]  # unequal steps test ratio/interval
    data = np.where(codes < 0, np.nan, values[np.maximum(codes, 0)])
    for level in LEVELS:
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=values)
        assert alpha(codes, level, values).value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_matches_nltk_on_random_data(seed):
    rng = np.random.default_rng(100 + seed)
    codes = random_reliability_data(rng, int(rng.integers(2, 5)), int(rng.integers(5, 120)), 4, 0.2)
    triples = [(str(c), str(u), int(codes[c, u])) for c, u in zip(*np.nonzero(codes >= 0), strict=True)]
    for level, distance in (("nominal", binary_distance), ("interval", interval_distance)):
        expected = AnnotationTask(data=triples, distance=distance).alpha()
        assert alpha(codes, level, n_values=4).value == pytest.approx(expected, abs=1e-9)


def test_identical_coders_give_alpha_one():
    codes = np.tile(np.array([0, 1, 2, 1, 0, 2, 2]), (3, 1))
    for level in LEVELS:
        assert alpha(codes, level, values=[1, 2, 3]) == Estimate(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_permuting_coders_leaves_alpha_unchanged(seed):
    rng = np.random.default_rng(seed)
    codes = random_reliability_data(rng, 4, 50, 3, 0.2)
    permuted = codes[rng.permutation(4)]
    np.testing.assert_allclose(coincidences(permuted, 3), coincidences(codes, 3), atol=1e-12)
    assert alpha(permuted).value == pytest.approx(alpha(codes).value, abs=1e-12)


def test_coincidences_add_up_over_documents():
    rng = np.random.default_rng(7)
    a, b = random_reliability_data(rng, 3, 40, 4, 0.2), random_reliability_data(rng, 3, 25, 4, 0.2)
    np.testing.assert_allclose(coincidences(a, 4) + coincidences(b, 4), coincidences(np.hstack([a, b]), 4))


@pytest.mark.parametrize("seed", range(5))
def test_binary_collapse_equals_alpha_on_binarised_codes(seed):
    rng = np.random.default_rng(seed)
    codes = random_reliability_data(rng, 3, 80, 4, 0.15)
    collapsed = binary_collapse(coincidences(codes, 4))
    for c in range(4):
        binarised = np.where(codes < 0, -1, (codes == c).astype(int))
        np.testing.assert_allclose(collapsed[c], coincidences(binarised, 2), atol=1e-12)
        assert alpha_from_coincidences(collapsed[c]).value == pytest.approx(
            alpha(binarised, n_values=2).value
        )
    indicators = np.stack([np.where(codes < 0, -1, (codes == c).astype(int)) for c in range(4)])
    np.testing.assert_allclose(binary_coincidences(indicators), collapsed, atol=1e-12)


def test_alpha_values_is_vectorised_over_leading_axes():
    codes, _ = encode(oracles.K2011)
    o = coincidences(codes, 5)
    batch = np.stack([o, 2 * o, np.zeros((5, 5))])
    got = alpha_values(batch, "ordinal")
    assert got[0] == pytest.approx(oracles.K2011_EXACT["ordinal"], abs=1e-6)
    assert np.isnan(got[2])


def test_single_value_gives_no_variation_not_one():
    codes = np.array([[2, 2, 2, -1], [2, 2, -1, 2]])
    for level in LEVELS:
        assert alpha(codes, level, n_values=3) == Estimate(None, NO_VARIATION)


def test_no_pairable_unit_gives_insufficient_data():
    codes = np.array([[0, -1, 1], [-1, 1, -1]])
    assert alpha(codes, n_values=2) == Estimate(None, INSUFFICIENT_DATA)
    assert alpha(np.zeros((2, 0), dtype=int), n_values=2) == Estimate(None, INSUFFICIENT_DATA)
    assert alpha_from_coincidences(np.zeros((3, 3))) == Estimate(None, INSUFFICIENT_DATA)


def test_codes_out_of_range_are_rejected():
    with pytest.raises(ValueError, match="below n_values"):
        coincidences(np.array([[0, 3], [1, 1]]), 3)
