"""The ranking blend: z-normalised source scores summed with weights tuned on validation targets.

Pure functions on arrays. Each source is standardised per user over the items still rankable (history
removed, -inf), so weights mean the same thing whatever a source's scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array
from optirec.ml.metrics import target_ranks, zscore_rows


def blend(sources: Sequence[Float32Array], weights: Sequence[float]) -> Float32Array:
    """Weighted sum of per-row z-scores of each source; sources (n_users, n_items) or (n_items,)."""
    total = blend_normalised([zscore_rows(np.atleast_2d(s)) for s in sources], weights)
    return total if np.ndim(sources[0]) == 2 else total[0]


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

    def add(self, sources: Sequence[Float32Array], targets: npt.NDArray[np.int64]) -> None:
        """Score one batch: sources (n_users, n_items) each with history at -inf, targets (n_users,)."""
        normalised = [zscore_rows(s) for s in sources]
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
