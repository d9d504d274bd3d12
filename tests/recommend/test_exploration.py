"""Exploration's draws (`recommend.exploration`): on tiny arrays whose right answer is known."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.recommend import exploration
from optirec.recommend.exploration import EXPLORE, GREEDY, exploratory_slots, explore, greedy


@pytest.mark.parametrize(
    ("size", "share", "slots"), [(10, 0.0, 0), (10, 0.2, 2), (10, 0.25, 2), (4, 0.2, 0), (5, 0.2, 1), (12, 0.5, 6)]
)
def test_exploration_takes_at_most_its_share_of_a_list(size: int, share: float, slots: int) -> None:
    assert exploratory_slots(size, share) == slots


def test_a_greedy_list_is_kept_with_every_propensity_one() -> None:
    chosen = np.array([3, 1, 2])
    explored = greedy(chosen)
    assert explored.chosen.tolist() == [3, 1, 2]
    assert explored.propensities.tolist() == [1.0, 1.0, 1.0]
    assert explored.policy == GREEDY


def test_the_head_stays_and_the_last_slots_are_drawn_from_the_allowed_rest() -> None:
    allowed = np.array([True, True, False, True, True, False, True])
    explored = explore(np.array([0, 1, 3]), allowed, np.zeros(7, dtype=bool), 4.0, 1, random.Random(3))
    assert explored.chosen[:2].tolist() == [0, 1]
    assert explored.chosen[2] in {3, 4, 6}  # allowed and not in the head
    # three products open to the slot, each of weight 1
    assert explored.propensities.tolist() == [1.0, 1.0, pytest.approx(1 / 3)]
    assert explored.policy == EXPLORE


def test_each_slot_propensity_is_its_weight_over_the_products_still_open() -> None:
    allowed = np.ones(4, dtype=bool)
    new = np.array([False, True, False, True])
    weights = np.array([1.0, 4.0, 1.0, 4.0])
    explored = explore(np.array([0, 1]), allowed, new, 4.0, 2, random.Random(0))
    first, second = explored.chosen.tolist()
    assert explored.propensities[0] == pytest.approx(weights[first] / 10.0)
    assert explored.propensities[1] == pytest.approx(weights[second] / (10.0 - weights[first]))


@pytest.mark.parametrize("size", [6, 3000])
def test_the_propensities_are_the_frequencies_of_the_draws(size: int) -> None:
    # Two slots among the open products of a catalog whose first five positions hold weights (head), 1, 1, 4, 4
    # and the rest are filtered out. The large catalog leaves the draws by rejection missing (their
    # `BATCHES` × `BATCH` tries mostly fail): they take the exact pass over the open products.
    allowed = np.zeros(size, dtype=bool)
    allowed[:5] = True
    new = np.zeros(size, dtype=bool)
    new[3:5] = True
    rng = random.Random(7)
    draws = 10_000
    first, pairs = np.zeros(5), {}
    for _ in range(draws):
        explored = explore(np.array([0, 1, 2]), allowed, new, 4.0, 2, rng)
        a, b = explored.chosen[1:].tolist()
        first[a] += 1
        pairs[(a, b)] = explored.propensities[1] * explored.propensities[2]
    assert first[0] == 0  # the head is never drawn again
    assert np.allclose(first[1:] / draws, [1 / 10, 1 / 10, 4 / 10, 4 / 10], atol=0.015)
    # the product of a list's propensities is the probability of that list: 1/10 × 1/9 for (1, 2), 4/10 × 4/6 …
    assert pairs[(1, 2)] == pytest.approx(1 / 10 * 1 / 9)
    assert pairs[(3, 4)] == pytest.approx(4 / 10 * 4 / 6)
    assert sum(pairs.values()) == pytest.approx(1.0)  # every possible list was drawn, and they sum to one


def test_the_same_seed_draws_the_same_list() -> None:
    allowed = np.ones(50, dtype=bool)
    new = np.arange(50) % 3 == 0
    chosen = np.arange(10)
    first = explore(chosen, allowed, new, 4.0, 3, random.Random(42))
    again = explore(chosen, allowed, new, 4.0, 3, random.Random(42))
    assert first.chosen.tolist() == again.chosen.tolist()
    assert first.propensities.tolist() == again.propensities.tolist()


@settings(max_examples=300, deadline=None)
@given(
    allowed=st.lists(st.booleans(), min_size=1, max_size=60),
    new=st.lists(st.booleans(), min_size=60, max_size=60),
    share=st.floats(0.0, 0.5),
    limit=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_exploration_only_draws_allowed_products(
    allowed: list[bool], new: list[bool], share: float, limit: int, seed: int
) -> None:
    """Property: whatever the catalog, the share and the seed, every product drawn passes the filters (is
    allowed), none twice, the list keeps its length and its greedy head, and every propensity lies in (0, 1]."""
    mask = np.array(allowed)
    candidates = np.flatnonzero(mask)
    chosen = np.random.default_rng(seed).permutation(candidates)[:limit].astype(np.int64)  # a greedy list
    slots = exploratory_slots(chosen.size, share)
    explored = explore(chosen, mask, np.array(new[: mask.size]), 4.0, slots, random.Random(seed))
    assert explored.chosen.size == chosen.size
    assert mask[explored.chosen].all()
    assert len(set(explored.chosen.tolist())) == chosen.size
    assert explored.chosen[: chosen.size - slots].tolist() == chosen[: chosen.size - slots].tolist()
    assert ((explored.propensities > 0) & (explored.propensities <= 1)).all()
    assert (explored.propensities[: chosen.size - slots] == 1.0).all()
    assert explored.policy == (EXPLORE if slots else GREEDY)


def test_without_new_products_the_draws_need_no_pass_over_the_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a heavy new products' weight and none of them allowed, every allowed product weighs the same: the
    rejection draws keep each one they reach instead of one in `new_weight`, so the exact draw (a pass over the
    catalogue) is not needed."""
    exact_draws = []
    exact_draw = exploration._exact_draw

    def counted(*args: object) -> int:
        exact_draws.append(args)
        return exact_draw(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(exploration, "_exact_draw", counted)
    allowed = np.ones(5_000, dtype=bool)
    allowed[::2] = False
    for seed in range(200):
        explored = explore(np.arange(1, 25, 2), allowed, np.zeros(5_000, dtype=bool), 64.0, 2, random.Random(seed))
        assert allowed[explored.chosen].all()
        assert explored.propensities[-2:].tolist() == [pytest.approx(1 / 2490), pytest.approx(1 / 2489)]
    assert exact_draws == []


def test_only_with_new_a_list_with_nothing_new_open_stays_greedy() -> None:
    allowed = np.array([True, True, True, True, True, False])
    new = np.array([True, False, False, False, False, True])  # the one allowed new product is in the head
    explored = explore(np.array([0, 1, 2]), allowed, new, 16.0, 1, random.Random(2), only_with_new=True)
    assert explored.chosen.tolist() == [0, 1, 2] and explored.propensities.tolist() == [1.0, 1.0, 1.0]
    assert explored.policy == GREEDY
    new[4] = True  # one new product open to the draw: it weighs 16 of the 18 open
    explored = explore(np.array([0, 1, 2]), allowed, new, 16.0, 1, random.Random(2), only_with_new=True)
    assert explored.policy == EXPLORE and explored.chosen[:2].tolist() == [0, 1]
    drawn = int(explored.chosen[2])
    assert explored.propensities[2] == pytest.approx(16 / 18 if drawn == 4 else 1 / 18)
