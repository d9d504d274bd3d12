"""Exploration: a few slots of a list given to products the greedy ranking would not have shown.

The greedy list is built first, from the products that pass every hard filter (`filters.apply_filters`). With an
exploration share `s` for the list's placement, its last `⌊s × n⌋` slots (of the `n` it answers) are drawn at
random, one after the other and without replacement, from the same allowed products less the greedy head (the
greedy list's first `n − ⌊s × n⌋`): a product is drawn with probability proportional to its weight, 1 for a product
with signals and `new_product_weight` for one without any (a new product gets shown before it has signals).

Each slot's propensity is the probability with which the policy put that product there, given the products above it:
1.0 for a greedy slot (deterministic for the shopper's state), `w_i / Σ w` over the products still open for an
exploratory one. The product of a list's propensities is the probability of the whole list given its greedy ranking.
Only arrays here: no session, no settings, no clock; the random generator is passed in (a seed makes it repeatable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optirec.arrays import BoolArray, FloatArray, IntArray

GREEDY = "greedy"
EXPLORE = "explore"


@dataclass(frozen=True)
class Explored:
    """A list after exploration: its catalog positions in order, and each slot's propensity."""

    chosen: IntArray
    propensities: FloatArray  # in (0, 1]; 1.0 for a greedy slot

    @property
    def policy(self) -> str:
        """`explore` when any slot was drawn at random, `greedy` otherwise."""
        return EXPLORE if bool((self.propensities < 1.0).any()) else GREEDY


def exploratory_slots(size: int, share: float) -> int:
    """How many of a list's `size` slots exploration takes: ⌊share × size⌋ (so never more than the share)."""
    return int(np.floor(share * size + 1e-9)) if share > 0 else 0


def greedy(chosen: IntArray) -> Explored:
    """The greedy list as it is: every propensity 1.0."""
    return Explored(chosen, np.ones(chosen.size, dtype=np.float64))


def explore(
    chosen: IntArray, allowed: BoolArray, weights: FloatArray, slots: int, rng: np.random.Generator
) -> Explored:
    """Keep the greedy head of `chosen` and draw its last `slots` slots among the `allowed` products not in the head,
    each with probability `weights[i] / Σ weights` over the products still open (see the module).

    `chosen` holds allowed positions only (the greedy list); `weights` are positive over the catalog. The products
    drawn are allowed ones: exploration never shows a product a hard filter removed."""
    slots = min(slots, chosen.size)
    if slots <= 0:
        return greedy(chosen)
    head = chosen[: chosen.size - slots]
    open_ = allowed.copy()
    open_[head] = False
    pool = np.flatnonzero(open_)  # holds at least the greedy tail, so at least `slots` products
    left = weights[pool].astype(np.float64)
    picks = np.empty(slots, dtype=np.int64)
    propensities = np.ones(chosen.size, dtype=np.float64)
    for slot in range(slots):
        cumulative = np.cumsum(left)
        total = float(cumulative[-1])
        j = min(int(np.searchsorted(cumulative, rng.random() * total, side="right")), pool.size - 1)
        while left[j] <= 0:  # a rounding edge: the draw fell on a product already taken
            j -= 1
        picks[slot] = pool[j]
        propensities[head.size + slot] = left[j] / total
        left[j] = 0.0
    return Explored(np.concatenate([head, picks]), propensities)


def weights_of(cold: BoolArray, new_product_weight: float) -> FloatArray:
    """Each product's exploration weight: `new_product_weight` for one without signals (`cold`), 1 otherwise."""
    return np.where(cold, float(new_product_weight), 1.0)
