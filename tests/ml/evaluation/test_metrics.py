"""Ranking metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np

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


def test_zscore_rows_ignores_excluded_items() -> None:
    z = metrics.zscore_rows(np.array([[1.0, 3.0, -np.inf]], dtype=np.float32))
    assert np.allclose(z[0, :2], [-1.0, 1.0]) and z[0, 2] == -np.inf
