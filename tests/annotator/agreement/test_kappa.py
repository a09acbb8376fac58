"""Cohen's and Fleiss' kappa: published examples, reference implementations, the Fleiss identity."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotator.agreement.maths.alpha import alpha
from annotator.agreement.maths.core import INSUFFICIENT_DATA, NO_VARIATION, Estimate
from annotator.agreement.maths.kappa import (
    FleissSums,
    category_counts,
    cohen_kappa,
    fleiss_kappa,
    fleiss_sums,
    pair_table,
)

from . import oracles


def fleiss1971_counts():
    ratings = np.array(oracles.FLEISS1971) - 1  # categories 1..5 -> 0..4
    return category_counts(ratings.T, 5)


def test_fleiss_1971_overall_and_per_category():
    counts = fleiss1971_counts()
    assert counts.sum(axis=0).tolist() == [26, 26, 30, 55, 43]
    kappa, per_category = fleiss_kappa(fleiss_sums(counts))
    assert kappa.value == pytest.approx(oracles.FLEISS1971_EXPECTED, abs=5e-4)
    assert kappa.value == pytest.approx(oracles.FLEISS1971_EXACT, abs=1e-7)
    for j, expected in oracles.FLEISS1971_PER_CATEGORY.items():
        assert per_category[j - 1].value == pytest.approx(expected, abs=5e-4)


def test_fleiss_wikipedia():
    kappa, _ = fleiss_kappa(fleiss_sums(oracles.FLEISS_WIKI_COUNTS))
    assert kappa.value == pytest.approx(oracles.FLEISS_WIKI_EXPECTED, abs=5e-4)
    assert kappa.value == pytest.approx(0.209931, abs=1e-6)


def test_fleiss_sums_add_up():
    counts = fleiss1971_counts()
    split = fleiss_sums(counts[:11]) + fleiss_sums(counts[11:])
    whole = fleiss_sums(counts)
    assert (split.subjects, split.raters) == (30, 6)
    np.testing.assert_array_equal(split.squares, whole.squares)
    assert fleiss_kappa(FleissSums.from_dict(split.to_dict()))[0] == fleiss_kappa(whole)[0]


def test_fleiss_identity_with_alpha_on_complete_data():
    ratings = np.array(oracles.FLEISS1971).T
    kappa = fleiss_kappa(fleiss_sums(fleiss1971_counts()))[0].value
    assert kappa is not None
    n = ratings.size  # every value is pairable
    assert alpha(ratings, n_values=6).value == pytest.approx(kappa + (1 - kappa) / n, abs=1e-12)
    assert alpha(ratings, n_values=6).value == pytest.approx(0.433410, abs=1e-6)


def test_cohen_1960():
    assert cohen_kappa(oracles.COHEN1960_TABLE).value == pytest.approx(oracles.COHEN1960_EXPECTED, abs=5e-4)
    assert cohen_kappa(oracles.COHEN1960_TABLE).value == pytest.approx(0.491525, abs=1e-6)


def test_cohen_wikipedia():
    assert cohen_kappa(oracles.COHEN_WIKI_TABLE).value == pytest.approx(
        oracles.COHEN_WIKI_EXPECTED, abs=1e-12
    )


def test_sas_simple_and_linear_weighted():
    assert cohen_kappa(oracles.SAS_TABLE).value == pytest.approx(oracles.SAS_KAPPA, abs=5e-5)
    assert cohen_kappa(oracles.SAS_TABLE, "linear").value == pytest.approx(oracles.SAS_KAPPA_LINEAR, abs=5e-5)
    assert cohen_kappa(oracles.SAS_TABLE).value == pytest.approx(0.484163, abs=1e-6)
    assert cohen_kappa(oracles.SAS_TABLE, "linear").value == pytest.approx(0.470120, abs=1e-6)


@pytest.mark.parametrize("seed", range(25))
def test_matches_sklearn_and_statsmodels_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n_values, n_units = int(rng.integers(2, 6)), int(rng.integers(10, 400))
    truth = rng.integers(0, n_values, n_units)
    raters = np.where(rng.random((5, n_units)) < 0.6, truth, rng.integers(0, n_values, (5, n_units)))
    table = pair_table(raters[0], raters[1], n_values)
    labels = list(range(n_values))
    for weights in (None, "linear"):
        expected = cohen_kappa_score(raters[0], raters[1], labels=labels, weights=weights)
        assert cohen_kappa(table, weights).value == pytest.approx(expected, abs=1e-9)
        wt = "linear" if weights else None
        assert cohen_kappa(table, weights).value == pytest.approx(cohens_kappa(table, wt=wt).kappa, abs=1e-9)
    counts = category_counts(raters, n_values)
    np.testing.assert_array_equal(counts, aggregate_raters(raters.T, n_cat=n_values)[0])
    assert fleiss_kappa(fleiss_sums(counts))[0].value == pytest.approx(sm_fleiss_kappa(counts), abs=1e-9)


def test_degenerate_kappas():
    assert cohen_kappa([[0, 0], [0, 0]]) == Estimate(None, INSUFFICIENT_DATA)
    assert cohen_kappa([[5, 0], [0, 0]]) == Estimate(None, NO_VARIATION)
    kappa, per_category = fleiss_kappa(fleiss_sums([[3, 0], [3, 0]]))
    assert kappa == Estimate(None, NO_VARIATION)
    assert per_category == [Estimate(None, NO_VARIATION)] * 2
    assert fleiss_kappa(fleiss_sums(np.zeros((0, 3))))[0] == Estimate(None, INSUFFICIENT_DATA)
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_sums([[2, 1], [1, 1]])
