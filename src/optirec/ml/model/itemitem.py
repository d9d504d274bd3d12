"""Item-to-item relations from EASE weights, kept as the top neighbours of each item (a sparse matrix).

Used for "similar items", "complete the look" and as a candidate source: a user's score is the sum of the
neighbour rows of their recent items, weighted by action type and recency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.ml.model.kernels import weighted_rows


@dataclass(frozen=True)
class ItemItem:
    """Sparse item-to-item weights (n_items, n_items): row j says how much item j points to each item."""

    neighbours: sp.csr_matrix

    def __post_init__(self) -> None:
        if not self.neighbours.has_sorted_indices:  # `recommend.kernels.strongest_rows` searches each row
            self.neighbours.sort_indices()

    def scores(self, items: IntArray, weights: Float32Array) -> Float32Array:
        """Sum of the neighbour rows of `items`, each scaled by its weight -> (n_items,)."""
        matrix = self.neighbours
        rows = np.ascontiguousarray(items, dtype=np.int64)
        summed, _ = weighted_rows(matrix.indptr, matrix.indices, matrix.data, rows,
                                  np.ascontiguousarray(weights, dtype=np.float32), matrix.shape[0], False)  # fmt: skip
        return summed

    def scores_reached(self, items: IntArray, weights: Float32Array) -> tuple[Float32Array, IntArray]:
        """`scores`, and the items whose score can be other than 0 (the neighbours of `items`: distinct, sorted),
        in the same compiled passes."""
        matrix = self.neighbours
        rows = np.ascontiguousarray(items, dtype=np.int64)
        return weighted_rows(matrix.indptr, matrix.indices, matrix.data, rows,
                             np.ascontiguousarray(weights, dtype=np.float32), matrix.shape[0], True)  # fmt: skip

    def batch_scores(self, history: sp.csr_matrix) -> Float32Array:
        """Scores of many users at once from weighted histories (n_users, n_items) -> (n_users, n_items)."""
        return np.asarray((history @ self.neighbours).toarray(), dtype=np.float32)

    def cold(self) -> npt.NDArray[np.bool_]:
        """(n_items,) True for an item no other item points to: one without co-occurrences (a new product, or one
        nobody met beside another), whose score from this source is the same constant for every shopper."""
        matrix = self.neighbours
        pointed = np.bincount(matrix.indices[matrix.data != 0], minlength=matrix.shape[1])
        return np.asarray(pointed == 0, dtype=np.bool_)

    def similar(self, item: int, k: int) -> IntArray:
        """The k strongest neighbours of one item."""
        row = self.neighbours.getrow(item)
        order = np.argsort(-row.data, kind="stable")[:k]
        return np.asarray(row.indices[order], dtype=np.int64)


def recency_weights(actions: IntArray, decay: float, action_table: Float32Array) -> Float32Array:
    """Weight of each signal of a history (oldest first): action weight × decay^(age in signals)."""
    age = np.arange(actions.size - 1, -1, -1, dtype=np.float32)
    return (action_table[actions] * np.power(np.float32(decay), age)).astype(np.float32)
