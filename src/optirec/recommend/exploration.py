"""Exploration: a few slots of a list given to products the greedy ranking would not have shown.

The greedy list is built first, from the products that pass every hard filter (`filters.apply_filters`). With an
exploration share `s` for the list's placement, its last `⌊s × n⌋` slots (of the `n` it answers) are drawn at
random, one after the other and without replacement, from the same allowed products less the greedy head (the
greedy list's first `n − ⌊s × n⌋`): a product is drawn with probability proportional to its weight, 1 for a product
with signals and the new products' weight for one without any (a new product gets shown before it has signals).
Where the shop sets a near share, the ranking's next best products (its candidates below the list) are weighed up
to hold that share of the draws' weight, so that part of exploration tries what the shop already believes in and the
rest reaches every allowed product.

Each slot's propensity is the probability with which the policy put that product there, given the products above it:
1.0 for a greedy slot (deterministic for the shopper's state), `w_i / Σ w` over the products still open for an
exploratory one. The product of a list's propensities is the probability of the whole list given its greedy ranking.
Only arrays here: no session, no settings, no clock; the random generator is passed in (a seed makes it repeatable).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from optirec.arrays import BoolArray, FloatArray, IntArray

GREEDY = "greedy"
EXPLORE = "explore"


@dataclass(frozen=True)
class Explored:
    """A list after exploration: its catalog positions in order, and each slot's propensity."""

    chosen: IntArray
    propensities: FloatArray  # in (0, 1]; 1.0 for a greedy slot (and for a draw among one open product)
    drawn: int = 0  # the last slots drawn at random
    greedy_tail: IntArray | None = None  # what the greedy list had in the drawn slots (off-policy evaluation reads it)

    @property
    def policy(self) -> str:
        """`explore` when any slot was drawn at random, `greedy` otherwise."""
        return EXPLORE if self.drawn else GREEDY


def exploratory_slots(size: int, share: float) -> int:
    """How many of a list's `size` slots exploration takes: ⌊share × size⌋ (so never more than the share)."""
    return int(np.floor(share * size + 1e-9)) if share > 0 else 0


def greedy(chosen: IntArray) -> Explored:
    """The greedy list as it is: every propensity 1.0."""
    return Explored(chosen, np.ones(chosen.size, dtype=np.float64))


def explore(
    chosen: IntArray,
    allowed: BoolArray,
    new: BoolArray,
    new_weight: float,
    slots: int,
    rng: random.Random,
    near: IntArray | None = None,
    near_share: float = 0.0,
    *,
    only_with_new: bool = False,
    near_new_only: bool = False,
) -> Explored:
    """Keep the greedy head of `chosen` and draw its last `slots` slots among the `allowed` products not in the head,
    each with probability `w_i / Σ w` over the products still open, `w_i` being `new_weight` for a `new` product
    and 1 for the others (see the module); the `near` products (the ranking's next best, below the list) weigh
    `near_boost` times more, so that they hold `near_share` of the first slot's weight. With `only_with_new`, a list
    none of whose open products is new stays greedy (the policy's answer in that state: its propensities stay 1).
    With `near_new_only`, exploration is for the new products near the list: a list takes one slot per new product
    among `near` that `chosen` does not show (at most `slots`; none: it stays greedy), and only those near products
    and the greedy tail's own are weighed up (another old one near the list weighs what it would without a near
    share).

    `chosen` holds allowed positions only (the greedy list), so at least `slots` products are open to the draws.
    The products drawn are allowed ones: exploration never shows a product a hard filter removed. A list costs a
    few passes over the catalog's masks and a few small array operations (`_candidates`)."""
    slots = min(slots, chosen.size)
    fresh = _new_near(near, allowed, new) if near_new_only else None
    if fresh is not None:  # one slot per new product near the list that it does not show
        slots = min(slots, len(set(fresh.tolist()).difference(chosen.tolist())))
    if slots <= 0:
        return greedy(chosen)
    head = chosen[: chosen.size - slots]
    heavy = int(np.count_nonzero(allowed & new))
    heavy_head = int(np.count_nonzero(new[head]))
    if only_with_new and heavy <= heavy_head:
        return greedy(chosen)  # nothing new open to the draws
    # the weight of the products open to the first slot: every allowed product's, less the head's
    total = int(np.count_nonzero(allowed)) + (new_weight - 1.0) * heavy
    total -= head.size + (new_weight - 1.0) * heavy_head
    taken = set(head.tolist())
    close_weight: dict[int, float] = {}
    if near is not None and near_share > 0:  # with `near_new_only`, the new near products and the greedy tail's own
        # (a drawn slot can give the greedy product back: the greedy list stays in reach of off-policy evaluation)
        pool = near[allowed[near]] if fresh is None else np.concatenate([fresh, chosen[chosen.size - slots :]])
        close_weight = _near_weights(pool, new, new_weight, taken)
    close = list(close_weight)
    boost = near_boost(sum(close_weight.values()), total, near_share)
    close_mass = boost * sum(close_weight.values())  # the open near products' weight
    total += close_mass - sum(close_weight.values())
    skip = taken.union(close)  # what the draws over the rest pass over
    picks: list[int] = []
    propensities = [1.0] * head.size
    # with no new product allowed every open product weighs 1: rejecting by the new weight would only waste tries
    candidates = _candidates(allowed, new, new_weight if heavy else 1.0, rng)
    for _ in range(slots):
        if close_mass > 0.5 and (rng.random() * total < close_mass or total - close_mass < 1e-9):  # each weighs ≥ 1
            pick = _small_draw([p for p in close if p not in taken], close_weight, rng)  # one of the next best
            close_mass -= boost * close_weight[pick]
        else:  # any other open product: by rejection, else one exact draw over them (a strong prescription)
            drawn = next((c for c in candidates if c not in skip), None)
            pick = _exact_draw(allowed, new, new_weight, skip, rng) if drawn is None else drawn
        weight = (new_weight if new[pick] else 1.0) * (boost if pick in close_weight else 1.0)
        picks.append(pick)
        propensities.append(min(1.0, weight / total))
        total -= weight
        taken.add(pick)
        skip.add(pick)
    chosen_ = np.array([*head.tolist(), *picks], dtype=np.int64)
    return Explored(chosen_, np.array(propensities), slots, chosen[chosen.size - slots :].copy())


def near_boost(near_weight: float, total: float, near_share: float) -> float:
    """How many times its own weight each near product weighs so that, together, they hold `near_share` of the
    open products' weight `total` (of which they hold `near_weight`); never less than 1 (they are never weighed
    down), and 1 when there are no others."""
    rest = total - near_weight
    if near_share <= 0 or near_weight <= 0 or rest <= 0:
        return 1.0
    return max(1.0, near_share / (1.0 - near_share) * rest / near_weight)


def _new_near(near: IntArray | None, allowed: BoolArray, new: BoolArray) -> IntArray:
    """The new products the ranking places near the list (allowed ones among `near`; none without it)."""
    if near is None:
        return np.zeros(0, dtype=np.int64)
    return near[allowed[near] & new[near]]


def _near_weights(pool: IntArray, new: BoolArray, new_weight: float, taken: set[int]) -> dict[int, float]:
    """The near products of `pool` (allowed ones) not taken, in its order, and their own weights."""
    weights: dict[int, float] = {}
    for p, heavy in zip(pool.tolist(), new[pool].tolist(), strict=True):
        if p not in taken:
            weights.setdefault(p, new_weight if heavy else 1.0)
    return weights


def _small_draw(pool: list[int], weights: dict[int, float], rng: random.Random) -> int:
    """One of a few products, with probability proportional to its weight."""
    point = rng.random() * sum(weights[p] for p in pool)
    for p in pool:
        point -= weights[p]
        if point < 0:
            return p
    return pool[-1]


TRIES = 256  # positions tried by `_candidates` for one list, before the exact draw over the open products


def _candidates(allowed: BoolArray, new: BoolArray, new_weight: float, rng: random.Random) -> Iterator[int]:
    """Allowed positions, each drawn with probability proportional to its weight, independently (a product may come
    twice: the caller skips those it took).

    By rejection: a position drawn uniformly over the catalog is kept if it is allowed, always if it is new (the
    heaviest weight) and otherwise with probability 1 / `new_weight`; a few tries a slot where most products are
    allowed. The stream ends after `TRIES` tries; the caller then makes an exact draw, which leaves the probabilities
    as they are (both ways draw from the same distribution). Python's generator, one number at a time: numpy's
    per-call overhead cost more than the few tries a list needs."""
    size = allowed.size
    light = 1.0 / max(new_weight, 1.0)  # the chance that a product without the new weight is kept
    for _ in range(TRIES):
        position = int(rng.random() * size)
        if allowed[position] and (new[position] or rng.random() < light):
            yield position


def _exact_draw(allowed: BoolArray, new: BoolArray, new_weight: float, taken: set[int], rng: random.Random) -> int:
    """One product among the open ones (allowed, not taken), with probability proportional to its weight: a pass
    over the catalog."""
    open_ = allowed.copy()
    open_[list(taken)] = False
    pool = np.flatnonzero(open_)
    cumulative = np.cumsum(np.where(new[pool], new_weight, 1.0))
    j = int(np.searchsorted(cumulative, rng.random() * float(cumulative[-1]), side="right"))
    return int(pool[min(j, pool.size - 1)])
