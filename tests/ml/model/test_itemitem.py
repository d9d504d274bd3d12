"""Item-to-item source: pruning to top neighbours and recency-weighted history scores."""

from __future__ import annotations

import numpy as np

from optirec.ml.model.itemitem import ItemItem, recency_weights
from optirec.ml.train.itemitem import keep_top_neighbours
from optirec.recommend.kernels import strongest_rows


def test_keep_top_neighbours_keeps_the_largest_positive_entries() -> None:
    weights = np.array([[0.0, 0.5, 0.2, -0.1], [0.3, 0.0, 0.1, 0.4], [0.0, 0.0, 0.0, 0.0], [0.9, 0.8, 0.7, 0.0]])
    kept = keep_top_neighbours(weights.astype(np.float32), 2).toarray()
    assert np.allclose(kept[0], [0.0, 0.5, 0.2, 0.0])
    assert np.allclose(kept[1], [0.3, 0.0, 0.0, 0.4])
    assert np.allclose(kept[2], 0.0)  # no positive relation, nothing kept
    assert np.allclose(kept[3], [0.9, 0.8, 0.0, 0.0])


def test_recency_weights_decay_with_age_and_scale_with_action() -> None:
    table = np.array([1.0, 2.0, 0.5, 2.0, 3.0], dtype=np.float32)  # view … purchase
    weights = recency_weights(np.array([4, 0, 0]), 0.5, table)
    assert np.allclose(weights, [3.0 * 0.25, 0.5, 1.0])


def test_scores_sum_the_weighted_neighbour_rows() -> None:
    source = ItemItem(keep_top_neighbours(np.array([[0, 1, 0], [0, 0, 2], [3, 0, 0]], dtype=np.float32), 1))
    assert np.allclose(source.scores(np.array([0, 1]), np.array([1.0, 0.5], dtype=np.float32)), [0.0, 1.0, 1.0])
    assert source.similar(2, 1).tolist() == [0]
    assert np.allclose(source.scores(np.array([], dtype=np.int64), np.array([], dtype=np.float32)), 0.0)


def test_scores_match_scipy_on_random_rows() -> None:
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    matrix = sp.random(200, 200, density=0.05, format="csr", dtype=np.float32, random_state=1)
    source = ItemItem(matrix)
    for _ in range(30):
        items = rng.integers(0, 200, rng.integers(1, 20))
        weights = rng.random(items.size).astype(np.float32)
        assert np.allclose(source.scores(items, weights), np.asarray(matrix[items].T @ weights).ravel(), atol=1e-5)


def test_strongest_rows_matches_the_dense_definition() -> None:
    """The first of the given rows with the largest positive entry in each target column; rounded values make
    ties, and a row may be given twice."""
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    matrix = sp.random(120, 120, density=0.1, format="csr", dtype=np.float32, random_state=2)
    matrix.data = np.round(matrix.data * 4) / 4
    dense = matrix.toarray()
    for _ in range(40):
        rows = rng.integers(0, 120, rng.integers(1, 12))
        targets = rng.choice(120, rng.integers(1, 20), replace=False)
        got = strongest_rows(matrix.indptr, matrix.indices, matrix.data, rows, targets)
        parts = dense[rows][:, targets]
        expected = np.where(parts.max(axis=0) > 0, parts.argmax(axis=0), -1)
        assert got.tolist() == expected.tolist()


def test_a_small_catalogue_keeps_every_ease_weight_and_a_large_one_its_strongest() -> None:
    """Up to `dense_items` the source is the whole EASE model (negative weights too, as the recency-weighted EASE
    baseline scores); above it, the `top_k` strongest positive weights per item."""
    from optirec.ml.train.data import from_arrays, user_item_matrix
    from optirec.ml.train.itemitem import ease_weights, fit_item_item

    rng = np.random.default_rng(0)
    users = [f"u{k}" for k in rng.integers(0, 40, 400)]
    items = [f"i{k}" for k in rng.integers(0, 30, 400)]
    train = from_arrays(users, items, ["purchase"] * 400, list(range(400)))
    full = ease_weights(user_item_matrix(train), 10.0)
    dense = fit_item_item(train, 10.0, top_k=3, dense_items=30).neighbours.toarray()
    assert np.allclose(dense, full) and (dense < 0).any()
    pruned = fit_item_item(train, 10.0, top_k=3, dense_items=29).neighbours
    assert np.diff(pruned.indptr).max() <= 3 and (pruned.data > 0).all()
    assert np.allclose(pruned.toarray(), keep_top_neighbours(full, 3).toarray())


def test_the_source_sorts_each_rows_columns_for_the_strongest_rows_search() -> None:
    """`strongest_rows` binary-searches each row: a matrix handed over with unsorted columns is sorted first."""
    import scipy.sparse as sp

    unsorted = sp.csr_matrix(
        (np.array([0.5, 0.9, 0.2], dtype=np.float32), np.array([2, 0, 1]), np.array([0, 3, 3, 3])), shape=(3, 3)
    )
    assert not unsorted.has_sorted_indices
    source = ItemItem(unsorted)
    matrix = source.neighbours
    assert matrix.has_sorted_indices
    found = strongest_rows(matrix.indptr, matrix.indices, matrix.data, np.array([1, 0]), np.array([0, 1, 2]))
    assert found.tolist() == [1, 1, 1]  # row 0 (second in `rows`) holds every positive entry
    weight = np.ones(1, dtype=np.float32)
    summed, reached = source.scores_reached(np.array([0]), weight)
    assert reached.tolist() == [0, 1, 2] and summed.tolist() == source.scores(np.array([0]), weight).tolist()
    assert source.scores_reached(np.array([1]), weight)[1].size == 0
