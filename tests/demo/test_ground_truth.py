"""The ground truth on tiny matrices with known answers, and on the small demo shop."""

from __future__ import annotations

import numpy as np
import pytest

from optirec.demo.ground_truth import expected_purchases, oracle_lists, position_weights, purchase_probability
from optirec.demo.shop import World

P = np.array([[0.1, 0.2, 0.0], [0.0, 0.5, 0.3]], dtype=np.float32)


def test_position_weights_fall_with_rank() -> None:
    assert position_weights(3) == pytest.approx([1.0, 1 / np.log2(3), 0.5])


def test_expected_purchases_of_known_lists() -> None:
    users = np.array([0, 1])
    lists = np.array([[1, 0], [2, -1]])
    got = expected_purchases(P, users, lists)
    assert got == pytest.approx([0.2 + 0.1 / np.log2(3), 0.3])


def test_bought_products_earn_nothing() -> None:
    bought = np.zeros_like(P, dtype=np.bool_)
    bought[1, 1] = True
    assert expected_purchases(P, np.array([1]), np.array([[1, 2]]), bought) == pytest.approx([0.3 / np.log2(3)])


def test_oracle_is_the_best_list() -> None:
    best = oracle_lists(P, np.array([0, 1]), 2)
    assert best.tolist() == [[1, 0], [1, 2]]
    rng = np.random.default_rng(0)
    for _ in range(20):
        lists = np.stack([rng.permutation(3)[:2] for _ in range(2)])
        assert (
            expected_purchases(P, np.array([0, 1]), lists) <= expected_purchases(P, np.array([0, 1]), best) + 1e-12
        ).all()


def test_products_failing_a_rule_are_never_bought(small_world: World) -> None:
    probability = purchase_probability(small_world.attract, small_world.ok)
    assert (probability[~small_world.ok] == 0).all()
    assert probability[small_world.ok].min() >= 0 and 0 < probability.max() < 1


def test_tastes_matter_in_the_truth(small_world: World) -> None:
    """A customer's own best list beats another customer's best list on their tastes."""
    probability = purchase_probability(small_world.attract, small_world.ok)
    users = np.arange(probability.shape[0])
    own = expected_purchases(probability, users, oracle_lists(probability, users, 12))
    shifted = expected_purchases(probability, users, oracle_lists(probability, np.roll(users, 1), 12))
    assert own.mean() > 2 * shifted.mean()
