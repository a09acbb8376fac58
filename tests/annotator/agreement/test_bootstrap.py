"""Cluster bootstrap over documents."""

import numpy as np
import pytest

from annotator.agreement.maths.bootstrap import percentile_interval, replicate_values


def test_each_replicate_draws_n_documents_with_replacement():
    n = 7
    sums = replicate_values(np.eye(n), lambda s: s, n_boot=600, seed=1)  # row = draws per document
    assert sums.shape == (600, n)
    assert np.all(sums.sum(axis=1) == n)
    assert np.all(sums == np.round(sums))
    assert sums.mean(axis=0) == pytest.approx(np.ones(n), abs=0.15)  # each document drawn once on average


def test_interval_of_a_mean_matches_the_normal_approximation():
    x = np.random.default_rng(0).normal(size=400)
    per_document = np.stack([x, np.ones_like(x)], axis=1)  # (value, count): the mean is a ratio of sums
    low, high, undefined = percentile_interval(per_document, lambda s: s[:, 0] / s[:, 1], n_boot=2000, seed=5)
    assert undefined == 0.0
    half_width = 1.96 * x.std() / np.sqrt(len(x))
    assert low == pytest.approx(x.mean() - half_width, abs=0.02)
    assert high == pytest.approx(x.mean() + half_width, abs=0.02)


def test_fixed_seed_reproduces_and_constant_data_gives_a_point():
    data = np.random.default_rng(2).random((30, 3))
    first = percentile_interval(data, lambda s: s / s.sum(axis=1, keepdims=True), n_boot=500, seed=9)
    again = percentile_interval(data, lambda s: s / s.sum(axis=1, keepdims=True), n_boot=500, seed=9)
    np.testing.assert_array_equal(first[0], again[0])
    low, high, _ = percentile_interval(np.ones((10, 2)), lambda s: s[:, 0] / s[:, 1], n_boot=100)
    assert low == high == 1.0


def test_undefined_replicates_are_left_out_and_all_undefined_gives_nan():
    data = np.ones((5, 2))
    low, high, undefined = percentile_interval(
        data, lambda s: np.stack([s[:, 0], np.full(len(s), np.nan)], axis=1), n_boot=50
    )
    assert low[0] == high[0] == 5.0
    assert np.isnan(low[1]) and np.isnan(high[1])
    np.testing.assert_array_equal(undefined, [0.0, 1.0])


def test_the_share_of_undefined_replicates_is_counted():
    # Document 0 alone makes the statistic defined: a replicate without it is undefined, which
    # happens with probability (1 - 1/n)^n for n documents.
    n = 4
    data = np.eye(n)[:, :1]
    _, _, undefined = percentile_interval(
        data, lambda s: np.where(s[:, 0] > 0, 1.0, np.nan), n_boot=4000, seed=3
    )
    assert undefined == pytest.approx((1 - 1 / n) ** n, abs=0.02)
