"""The ranking blend and its validation search."""

from __future__ import annotations

import numpy as np
import pytest

from optirec.ml.metrics import target_ranks, zscore_rows
from optirec.ml.model.kernels import blend_pair
from optirec.ml.train.blend import BlendSearch, blend, blend_normalised


def test_blend_is_a_weighted_sum_of_z_scores() -> None:
    a = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    b = np.array([[30.0, 20.0, 10.0]], dtype=np.float32)
    assert np.allclose(blend([a, b], [1.0, 1.0]), 0.0, atol=1e-5)  # opposite orders cancel
    assert np.argmax(blend([a, b], [1.0, 0.5])) == 2
    single = blend([a[0], b[0]], [0.0, 1.0])
    assert single.shape == (3,) and np.argmax(single) == 0


def test_excluded_items_stay_excluded() -> None:
    a = np.array([[1.0, -np.inf, 3.0]], dtype=np.float32)
    b = np.array([[1.0, 5.0, 3.0]], dtype=np.float32)
    assert blend([a, b], [1.0, 2.0])[0, 1] == -np.inf


def test_search_picks_the_weights_that_rank_targets_first() -> None:
    network = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    related = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    search = BlendSearch([(1.0, 0.0), (1.0, 2.0)])
    search.add([network, related], np.array([2, 2]))
    weights, ndcg = search.best()
    assert weights == (1.0, 2.0) and ndcg == 1.0


def test_compiled_pair_blend_matches_blend() -> None:
    """The serving path's compiled blend of one user's two sources equals `blend` (history at -inf included)."""
    rng = np.random.default_rng(4)
    for weights in ((1.0, 0.45), (0.0, 1.0), (1.0, 0.0)):
        network = rng.normal(size=300).astype(np.float32)
        related = np.where(rng.random(300) < 0.7, 0.0, rng.exponential(size=300)).astype(np.float32)
        network[rng.choice(300, 20, replace=False)] = -np.inf
        for cold in (None, rng.random(300) < 0.1):
            expected = blend([network, related], weights, cold)
            got = blend_pair(network, related, *weights, np.zeros(0, np.bool_) if cold is None else cold)
            assert np.array_equal(np.isfinite(got), np.isfinite(expected))
            assert np.allclose(got[np.isfinite(got)], expected[np.isfinite(expected)], atol=1e-5)


def test_a_cold_item_is_ranked_by_the_first_source_not_a_constant() -> None:
    """Items without item-to-item relations (`cold`) take the network's z-score even where the blend weighs the
    network 0: the one whose content the network likes ranks first among them, above the average related item; the
    related items keep their order and are standardised among themselves."""
    network = np.array([0.0, 0.0, 0.0, 0.0, 3.0, -3.0], dtype=np.float32)
    related = np.array([3.0, 2.0, 1.0, 0.5, 0.0, 0.0], dtype=np.float32)
    cold = np.array([False, False, False, False, True, True])
    plain = blend([network, related], (0.0, 1.0))
    assert plain[4] == plain[5] < plain[3]  # without: both cold items the same constant, below every related one
    got = blend([network, related], (0.0, 1.0), cold)
    assert got[4] > got[1] and got[5] < got[3]  # with: the liked one among the best, the other last
    assert list(np.argsort(-got[:4])) == [0, 1, 2, 3]
    assert np.isclose(got[:4].mean(), 0.0, atol=1e-6) and np.isclose(got[:4].std(), 1.0, atol=1e-5)
    served = blend_pair(network, related, 0.0, 1.0, cold)
    assert np.allclose(served, got, atol=1e-5)


def test_the_search_ranks_cold_items_as_served() -> None:
    """With `cold`, the validation search scores the blend the serving path computes: a target without relations
    that the network ranks first counts under the item-to-item weights too."""
    network = np.array([[0.0, 1.0, 2.0, 5.0]], dtype=np.float32)
    related = np.array([[3.0, 2.0, 1.0, 0.0]], dtype=np.float32)
    cold = np.array([False, False, False, True])
    plain, served = BlendSearch([(0.0, 1.0)]), BlendSearch([(0.0, 1.0)])
    plain.add([network, related], np.array([3]))
    served.add([network, related], np.array([3]), cold)
    assert plain.best()[1] < served.best()[1] == 1.0


def test_the_compiled_search_ranks_as_the_blend_and_target_ranks_do() -> None:
    """`BlendSearch` scores two sources in one compiled pass: the same ranks as blending each weight vector with
    `blend_normalised` and ranking with `target_ranks`, ties counting half, excluded items and an excluded target
    included; the summed gains agree to float rounding."""
    rng = np.random.default_rng(11)
    grid = [(1.0, w) for w in (0.0, 0.1, 0.45, 1.0, 2.5)] + [(0.0, 1.0)]
    network = np.round(rng.normal(size=(40, 200)), 1).astype(np.float32)  # rounded: many ties
    related = np.round(rng.normal(size=(40, 200)) * 0.3, 1).astype(np.float32)
    excluded = rng.random((40, 200)) < 0.05
    network[excluded], related[excluded] = -np.inf, -np.inf
    targets = rng.integers(0, 200, 40)
    network[1, targets[1]] = related[1, targets[1]] = -np.inf  # a target in the history never ranks
    for row in range(2, 40, 3):  # some targets near the top, so that the gains are not all zero
        network[row, targets[row]] = network[row][np.isfinite(network[row])].max()
    search = BlendSearch(grid)
    search.add([network, related], targets)
    normalised = [zscore_rows(network), zscore_rows(related)]
    for (weights, got), expected_weights in zip(search.table(), grid, strict=True):
        ranks = target_ranks(blend_normalised(normalised, expected_weights), targets)
        expected = np.where(ranks < 10, 1.0 / np.log2(np.floor(ranks) + 2.0), 0.0).sum() / len(targets)
        assert weights == expected_weights and got == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert max(value for _, value in search.table()) > 0
