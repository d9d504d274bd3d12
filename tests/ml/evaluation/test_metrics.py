"""Ranking metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optirec.ml import metrics


def test_target_ranks_counts_better_items_and_half_the_ties() -> None:
    scores = np.array([[0.9, 0.5, 0.1, 0.5], [1.0, 1.0, 1.0, 1.0]], dtype=np.float32)
    ranks = metrics.target_ranks(scores, np.array([1, 2]))
    assert ranks.tolist() == [1.5, 1.5]  # one better + one tie; three ties


def test_excluded_target_ranks_last() -> None:
    scores = np.array([[-np.inf, 0.2, 0.1]], dtype=np.float32)
    assert metrics.target_ranks(scores, np.array([0])).tolist() == [3.0]


def test_hit_rate_ndcg_mrr_by_hand() -> None:
    ranks = np.array([0.0, 1.0, 4.0, 12.0])
    assert metrics.hit_rate(ranks, 5) == 0.75
    assert math.isclose(metrics.ndcg(ranks, 5), (1.0 + 1 / math.log2(3) + 1 / math.log2(6)) / 4)
    assert math.isclose(metrics.mrr(ranks), (1 + 1 / 2 + 1 / 5 + 1 / 13) / 4)
    assert metrics.hit_rate(np.array([]), 10) == 0.0


def test_coverage_counts_distinct_recommended_items() -> None:
    tops = np.array([[0, 1], [1, 2]])
    assert metrics.coverage(tops, 10) == 0.3


def test_top_k_is_best_first() -> None:
    scores = np.array([[0.1, 0.7, 0.3, 0.9]], dtype=np.float32)
    assert metrics.top_k(scores, 3).tolist() == [[3, 1, 2]]


def test_zscore_rows_gives_the_straightforward_formula_to_the_bit() -> None:
    rng = np.random.default_rng(0)
    scores = (rng.standard_normal((40, 300)) * 3 + 1).astype(np.float32)
    scores[rng.random(scores.shape) < 0.05] = -np.inf
    scores[3], scores[4] = -np.inf, 2.0  # a row with nothing rankable, a constant row
    finite = np.isfinite(scores)
    safe = np.where(finite, scores, 0.0)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    mean = safe.sum(axis=1, keepdims=True) / count
    var = (np.where(finite, safe - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count
    expected = np.where(finite, (safe - mean) / np.sqrt(var + 1e-12), -np.inf).astype(np.float32)
    assert np.array_equal(metrics.zscore_rows(scores), expected)


def test_zscore_rows_ignores_excluded_items() -> None:
    z = metrics.zscore_rows(np.array([[1.0, 3.0, -np.inf]], dtype=np.float32))
    assert np.allclose(z[0, :2], [-1.0, 1.0]) and z[0, 2] == -np.inf


def test_per_user_gains_average_to_the_metrics() -> None:
    ranks = np.array([0.0, 1.0, 4.0, 12.0])
    assert metrics.hits(ranks, 5).tolist() == [1.0, 1.0, 1.0, 0.0]
    gains = metrics.ndcg_gains(ranks, 5)
    assert math.isclose(gains[2], 1 / math.log2(6)) and gains[3] == 0.0
    assert math.isclose(float(gains.mean()), metrics.ndcg(ranks, 5))


def test_paired_bootstrap_of_a_constant_difference_is_that_constant() -> None:
    theirs = np.array([0.0, 0.3, 1.0, 0.5])
    assert metrics.paired_bootstrap(theirs + 0.25, theirs, resamples=200) == pytest.approx((0.25, 0.25, 0.25))


def test_paired_bootstrap_of_two_users_by_hand() -> None:
    # differences (0, 1): a resample's mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4, so the 95 % interval
    # runs from 0 to 1 and the point estimate is 0.5
    mean, low, high = metrics.paired_bootstrap(np.array([1.0, 1.0]), np.array([1.0, 0.0]), resamples=4000, seed=3)
    assert (mean, low, high) == (0.5, 0.0, 1.0)


def test_paired_bootstrap_keeps_pairs_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    theirs = rng.random(500)
    ours = theirs + 0.01 + rng.normal(0.0, 0.001, 500)  # large per-user spread, small paired difference
    mean, low, high = metrics.paired_bootstrap(ours, theirs, seed=1)
    assert 0.0 < low < mean < high < 0.02  # paired: the users' spread does not blur the difference
    assert metrics.paired_bootstrap(ours, theirs, seed=1) == (mean, low, high)
