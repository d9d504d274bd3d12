"""A shopper's personal scores asked only where needed (`ServedModel.query`): the same numbers as scoring every
item, and the approximate index finds the items of the largest dot product."""

from __future__ import annotations

import numpy as np
import pytest

from optirec.ml.evaluation.train_test import TrainOutput
from optirec.ml.model.index import ItemIndex, Moments
from optirec.ml.model.served import ServedModel


@pytest.mark.parametrize("weights", [None, (1.0, 0.0), (0.0, 1.0)])
def test_the_query_scores_as_scoring_every_item(trained: TrainOutput, weights: tuple[float, float] | None) -> None:
    model = ServedModel.load(trained.path)
    if weights is not None:
        model.weights = weights
    items, actions = model.codes([("i3", "view"), ("i4", "add_to_cart"), ("i9", "view")])
    every = model.score_codes(items, actions)
    rows = np.arange(len(model.item_ids))
    assert np.allclose(model.query(items, actions).at(rows), every, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("weights", [(1.0, 0.1), (0.0, 1.0)])
def test_the_query_scores_new_products_as_scoring_every_item(
    trained: TrainOutput, weights: tuple[float, float]
) -> None:
    """Products without item-to-item relations (new ones here) take the network's standardised score in place of
    the item-to-item term, in the query as in scoring every item; with the network's weight at 0 the query still
    looks them up in the index."""
    model = ServedModel.load(trained.path).add_items([("new0", ["group=0"], None), ("new1", ["group=1"], None)])
    model.weights = weights
    assert model.cold.sum() >= 2
    items, actions = model.codes([("i3", "view"), ("i4", "add_to_cart"), ("i9", "view")])
    every = model.score_codes(items, actions)
    query = model.query(items, actions)
    assert np.allclose(query.at(np.arange(len(model.item_ids))), every, rtol=1e-4, atol=1e-4)
    new_rows = {model.index["new0"], model.index["new1"]}
    assert new_rows <= set(query.nearest(len(model.item_ids), query.index.lists).tolist())


def test_the_moments_give_the_mean_and_spread_of_every_dot_product() -> None:
    rng = np.random.default_rng(1)
    table = rng.normal(size=(500, 8)).astype(np.float32)
    user = rng.normal(size=8).astype(np.float32)
    mean, spread = Moments.of(table).spread(user)
    dots = (table @ user).astype(np.float64)
    assert mean == pytest.approx(dots.mean(), rel=1e-6, abs=1e-9)
    assert spread == pytest.approx(dots.std(), rel=1e-6)


def test_the_index_finds_the_largest_dot_products() -> None:
    """Clustered vectors, as trained item vectors are: the index searched in a few of its lists finds nearly all of
    the true best 20 (every list searched: all of them)."""
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(40, 16))
    table = (centres[rng.integers(0, 40, 4000)] + 0.4 * rng.normal(size=(4000, 16))).astype(np.float32)
    index = ItemIndex(table)
    found, everywhere = [], []
    for user in table[:50] + 0.2 * rng.normal(size=(50, 16)).astype(np.float32):
        best = set(np.argsort(-(table @ user), kind="stable")[:20].tolist())
        found.append(len(best & set(index.nearest(user, 20, 8).tolist())) / 20)
        everywhere.append(len(best & set(index.nearest(user, 20, index.lists).tolist())) / 20)
    assert np.mean(found) >= 0.9
    assert np.mean(everywhere) == 1.0
