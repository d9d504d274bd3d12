"""Exploration that weighs up the ranking's next best products (`exploration.explore` with `near`, `near_boost`): on
tiny arrays whose right answer is known."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.recommend.exploration import EXPLORE, exploratory_slots, explore, near_boost


def test_the_near_products_are_weighed_up_to_their_share_and_never_down() -> None:
    assert near_boost(2.0, 10.0, 0.5) == pytest.approx(4.0)  # 2 × 4 = 8 of 16: half
    assert near_boost(2.0, 10.0, 0.8) == pytest.approx(16.0)  # 32 of 40
    assert near_boost(5.0, 10.0, 0.2) == 1.0  # they already hold more than the share: left as they are
    assert near_boost(2.0, 10.0, 0.0) == 1.0
    assert near_boost(2.0, 2.0, 0.5) == 1.0  # no other product open


@pytest.mark.parametrize("size", [7, 3000])
def test_the_propensities_are_the_frequencies_of_the_draws(size: int) -> None:
    # Head: position 0. Open: 1 and 2 (near, weight 1 each), 3 and 4 (weight 1), 5 (new, weight 4); 6 is near but
    # filtered out, the rest of the large catalog too (its draws by rejection fail: the exact pass takes over).
    # Near share 0.5: the near products weigh 3 each (6 of 12).
    allowed = np.zeros(size, dtype=bool)
    allowed[:6] = True
    new = np.zeros(size, dtype=bool)
    new[5] = True
    near = np.array([1, 2, 6])
    rng = random.Random(5)
    draws = 12_000
    first, pairs = np.zeros(7), {}
    for _ in range(draws):
        explored = explore(np.array([0, 3, 4]), allowed, new, 4.0, 2, rng, near, 0.5)
        a, b = explored.chosen[1:].tolist()
        first[a] += 1
        pairs[(a, b)] = explored.propensities[1] * explored.propensities[2]
        assert explored.policy == EXPLORE
    assert first[0] == 0 and first[6] == 0  # neither the head nor a filtered product, near or not
    assert np.allclose(first[1:6] / draws, [3 / 12, 3 / 12, 1 / 12, 1 / 12, 4 / 12], atol=0.015)
    assert pairs[(1, 2)] == pytest.approx(3 / 12 * 3 / 9)
    assert pairs[(5, 3)] == pytest.approx(4 / 12 * 1 / 8)
    assert sum(pairs.values()) == pytest.approx(1.0)  # every possible list was drawn, and they sum to one


@settings(max_examples=300, deadline=None)
@given(
    allowed=st.lists(st.booleans(), min_size=1, max_size=60),
    new=st.lists(st.booleans(), min_size=60, max_size=60),
    near=st.lists(st.integers(0, 59), max_size=20),
    share=st.floats(0.0, 0.5),
    near_share=st.floats(0.0, 0.9),
    limit=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    near_new_only=st.booleans(),
)
def test_exploration_near_the_list_only_draws_allowed_products(
    allowed: list[bool], new: list[bool], near: list[int], share: float, near_share: float, limit: int, seed: int,
    near_new_only: bool,
) -> None:  # fmt: skip
    """Property: whatever the catalog, the near products (allowed or not), the shares, the seed and whether only
    the new near products are explored, every product drawn passes the filters, none twice, the list keeps its
    length and its greedy head, and every propensity lies in (0, 1]."""
    mask = np.array(allowed)
    fresh = np.array(new[: mask.size])
    chosen = np.random.default_rng(seed).permutation(np.flatnonzero(mask))[:limit].astype(np.int64)
    slots = exploratory_slots(chosen.size, share)
    close = np.array([p for p in near if p < mask.size], dtype=np.int64)
    if near_new_only:  # one slot per new product near the list and not in it (each counted once)
        slots = min(slots, len({p for p in close.tolist() if mask[p] and fresh[p]} - set(chosen.tolist())))
    explored = explore(
        chosen, mask, fresh, 4.0, exploratory_slots(chosen.size, share), random.Random(seed), close, near_share,
        near_new_only=near_new_only,
    )  # fmt: skip
    assert explored.drawn == slots
    assert explored.chosen.size == chosen.size
    assert mask[explored.chosen].all()
    assert len(set(explored.chosen.tolist())) == chosen.size
    assert explored.chosen[: chosen.size - slots].tolist() == chosen[: chosen.size - slots].tolist()
    assert ((explored.propensities > 0) & (explored.propensities <= 1)).all()


def test_near_new_only_gives_one_slot_per_new_product_near_the_list() -> None:
    # A list of 4 (positions 0-3) at two exploratory slots. Near it: 4 and 5 (old), 6 (new), 7 (new but filtered
    # out), 3 (new, but the greedy list already shows it). One new product near and not shown: one slot.
    allowed = np.ones(12, dtype=bool)
    allowed[7] = False
    new = np.zeros(12, dtype=bool)
    new[[3, 6, 7, 9]] = True  # 9: new, allowed, but not near the list
    near = np.array([4, 5, 6, 7, 3])
    explored = explore(np.arange(4), allowed, new, 4.0, 2, random.Random(1), near, 0.5, near_new_only=True)
    assert explored.drawn == 1 and explored.chosen[:3].tolist() == [0, 1, 2]
    new[6] = False  # nothing new near the list and not in it: greedy, whatever is new elsewhere
    explored = explore(np.arange(4), allowed, new, 4.0, 2, random.Random(1), near, 0.5, near_new_only=True)
    assert explored.policy == "greedy" and explored.chosen.tolist() == [0, 1, 2, 3]
    assert explored.propensities.tolist() == [1.0] * 4
    new[[4, 5, 6]] = True  # three: the share's two slots at most
    explored = explore(np.arange(4), allowed, new, 4.0, 2, random.Random(1), near, 0.5, near_new_only=True)
    assert explored.drawn == 2


def test_near_new_only_weighs_up_the_new_near_products_and_the_greedy_tail_alone() -> None:
    # Head: 0, 1, 2; one slot (one new product near the list: 4). Open: 3 (the greedy tail, old), 4 (near, new,
    # weight 4), 5 (near, old), 6 (new, not near: weight 4), 7 (old): 11 in all. Near share 0.5: 4 and the greedy
    # tail's 3 (5 of weight) weigh up to as much as the rest (boost 6 / 5: 6 of 12); 5 keeps the weight 1 of any old
    # product.
    allowed = np.ones(8, dtype=bool)
    new = np.zeros(8, dtype=bool)
    new[[4, 6]] = True
    near = np.array([4, 5])
    rng = random.Random(9)
    draws = 12_000
    seen, propensity = np.zeros(8), {}
    for _ in range(draws):
        explored = explore(np.arange(4), allowed, new, 4.0, 1, rng, near, 0.5, near_new_only=True)
        pick = int(explored.chosen[3])
        seen[pick] += 1
        propensity[pick] = explored.propensities[3]
    expected = {3: 1.2 / 12, 4: 4.8 / 12, 5: 1 / 12, 6: 4 / 12, 7: 1 / 12}
    assert seen[:3].sum() == 0
    for pick, share in expected.items():
        assert propensity[pick] == pytest.approx(share)
        assert seen[pick] / draws == pytest.approx(share, abs=0.015)
