"""The ranking blend: z-normalised source scores summed with weights tuned on validation targets.

Pure functions on arrays. Each source is standardised per user over the items still rankable (history
removed, -inf), so weights mean the same thing whatever a source's scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from optirec.arrays import BoolArray, Float32Array
from optirec.ml.metrics import target_ranks, zscore_rows


def blend(sources: Sequence[Float32Array], weights: Sequence[float], cold: BoolArray | None = None) -> Float32Array:
    """Weighted sum of per-row z-scores of each source; sources (n_users, n_items) or (n_items,). The `cold` items
    (without item-to-item relations) take the first source's z-score in the others (`normalise`)."""
    total = blend_normalised(normalise([np.atleast_2d(s) for s in sources], cold), weights)
    return total if np.ndim(sources[0]) == 2 else total[0]


def normalise(sources: Sequence[Float32Array], cold: BoolArray | None = None) -> list[Float32Array]:
    """Per-row z-scores of each source (n_users, n_items). Where `cold` (n_items,) is given, each source after the
    first is standardised over the other items, and a cold item takes the first source's z-score there: an item
    without co-occurrences gets the network's score (its content, for a new product) rather than the item-to-item
    source's constant, which would put every such item at the same place for every user."""
    first = zscore_rows(sources[0])
    return [first, *(follow(first, s, cold) for s in sources[1:])]


def follow(first: Float32Array, source: Float32Array, cold: BoolArray | None) -> Float32Array:
    """One source after the first, z-scored as `normalise` does, given the first source's z-scores."""
    if cold is None or not cold.any():
        return zscore_rows(source)
    others = zscore_rows(np.where(cold, np.nan, source).astype(np.float32))
    return np.where(cold, first, others).astype(np.float32)


def blend_normalised(normalised: Sequence[Float32Array], weights: Sequence[float]) -> Float32Array:
    """Weighted sum of already z-scored sources; an item at -inf in the first source stays at -inf."""
    total = np.zeros_like(normalised[0])
    for z, weight in zip(normalised, weights, strict=True):
        if weight != 0.0:
            total += np.float32(weight) * np.where(np.isfinite(z), z, 0.0).astype(np.float32)
    return np.where(np.isfinite(normalised[0]), total, -np.inf).astype(np.float32)


class BlendSearch:
    """Accumulates validation NDCG@10 of every weight vector of a grid over batches of users."""

    def __init__(self, grid: Sequence[tuple[float, ...]], k: int = 10) -> None:
        self.grid = list(grid)
        self.k = k
        self.gains = np.zeros(len(self.grid), dtype=np.float64)
        self.users = 0

    def add(
        self, sources: Sequence[Float32Array], targets: npt.NDArray[np.int64], cold: BoolArray | None = None
    ) -> None:
        """Score one batch: sources (n_users, n_items) each with history at -inf, targets (n_users,); the `cold`
        items ranked by the first source in the others (`normalise`), as served."""
        self.add_normalised(normalise(sources, cold), targets)

    def add_normalised(self, normalised: Sequence[Float32Array], targets: npt.NDArray[np.int64]) -> None:
        """`add` for sources already through `normalise` (a source shared by several searches is normalised once).

        Two sources (the network and the item-to-item source) go through one compiled pass that reads each score
        once for every weight vector of the grid (`_two_source_gains`): the same float32 sums and ranks as
        `blend_normalised` and `target_ranks`, without a full (n_users, n_items) blend per weight vector, which on
        a catalogue of 85,000 items cost minutes a batch."""
        if len(normalised) == 2:
            grid = np.asarray(self.grid, dtype=np.float32).reshape(len(self.grid), 2)
            first, second = (np.ascontiguousarray(z) for z in normalised)
            self.gains += _two_source_gains(first, second, targets.astype(np.int64), grid, self.k)
        else:
            for g, weights in enumerate(self.grid):
                ranks = target_ranks(blend_normalised(normalised, weights), targets)
                self.gains[g] += float(np.where(ranks < self.k, 1.0 / np.log2(np.floor(ranks) + 2.0), 0.0).sum())
        self.users += len(targets)

    def best(self) -> tuple[tuple[float, ...], float]:
        """The weights with the highest mean NDCG@k and that value (first one on ties)."""
        g = int(np.argmax(self.gains))
        return self.grid[g], float(self.gains[g] / max(self.users, 1))

    def table(self) -> list[tuple[tuple[float, ...], float]]:
        """Every weight vector with its mean NDCG@k."""
        return [(w, float(v / max(self.users, 1))) for w, v in zip(self.grid, self.gains, strict=True)]


@njit(cache=True, parallel=True)
def _two_source_gains(
    first: Float32Array, second: Float32Array, targets: npt.NDArray[np.int64], weights: Float32Array, k: int
) -> npt.NDArray[np.float64]:  # pragma: no cover - compiled
    """For each weight vector (w0, w1): the summed NDCG@k over the rows of the blend w0·first + w1·second (float32,
    a non-finite second score as 0, a non-finite first score excluding the item), the target's rank counting ties
    half, as `blend_normalised` then `target_ranks`. Rows in parallel (each its own gains, summed in row order)."""
    rows, items = first.shape
    grid = weights.shape[0]
    by_row = np.zeros((rows, grid))
    for r in prange(rows):
        t = targets[r]
        a_t = first[r, t]
        if not np.isfinite(a_t):
            if items < k:
                by_row[r, :] = 1.0 / np.log2(np.floor(float(items)) + 2.0)
            continue
        b_t = second[r, t] if np.isfinite(second[r, t]) else np.float32(0.0)
        target_score = np.empty(grid, dtype=np.float32)
        greater = np.zeros(grid, dtype=np.int64)
        ties = np.zeros(grid, dtype=np.int64)
        for g in range(grid):
            target_score[g] = weights[g, 0] * a_t + weights[g, 1] * b_t
        for j in range(items):
            a = first[r, j]
            if not np.isfinite(a):
                continue
            b = second[r, j] if np.isfinite(second[r, j]) else np.float32(0.0)
            for g in range(grid):
                score = weights[g, 0] * a + weights[g, 1] * b
                if score > target_score[g]:
                    greater[g] += 1
                elif score == target_score[g]:
                    ties[g] += 1
        for g in range(grid):
            rank = greater[g] + (ties[g] - 1) / 2.0
            if rank < k:
                by_row[r, g] = 1.0 / np.log2(np.floor(rank) + 2.0)
    gains = np.zeros(grid)
    for r in range(rows):  # in row order, whatever thread scored each row
        gains += by_row[r]
    return gains
