"""The ranking blend and its validation search."""

from __future__ import annotations

import numpy as np

from optirec.ml.model.kernels import blend_pair
from optirec.ml.train.blend import BlendSearch, blend


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
        expected = blend([network, related], weights)
        got = blend_pair(network, related, *weights)
        assert np.array_equal(np.isfinite(got), np.isfinite(expected))
        assert np.allclose(got[np.isfinite(got)], expected[np.isfinite(expected)], atol=1e-5)
