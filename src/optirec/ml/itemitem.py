"""Item-to-item relations from EASE weights, kept as the top neighbours of each item (a sparse matrix).

Used for "similar items", "complete the look" and as a candidate source: a user's score is the sum of the
neighbour rows of their recent items, weighted by action type and recency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.ml.baselines.base import user_item_matrix
from optirec.ml.baselines.ease import EASE_MAX_ITEMS, ease_weights
from optirec.ml.data import Interactions
from optirec.ml.kernels import weighted_rows


def cooccurrence_neighbours(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Cosine similarity of item columns, top k per item, computed sparsely; matrix (n_users, n_items)."""
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    norm = sp.diags(1.0 / np.sqrt(np.maximum(counts, 1.0)))
    cosine = (norm @ (matrix.T @ matrix) @ norm).tocsr().astype(np.float32)
    cosine.setdiag(0.0)
    cosine.eliminate_zeros()
    rows: list[sp.csr_matrix] = []
    for r in range(cosine.shape[0]):
        row = cosine.getrow(r)
        if row.nnz > k:
            cut = np.partition(row.data, row.nnz - k)[row.nnz - k]
            row.data[row.data < cut] = 0.0
            row.eliminate_zeros()
        rows.append(row)
    return sp.vstack(rows).tocsr() if rows else cosine


def keep_top_neighbours(weights: Float32Array, k: int) -> sp.csr_matrix:
    """The k largest entries of each row of a dense (n, n) matrix as CSR; k >= n keeps everything positive."""
    n = weights.shape[0]
    k = min(k, n - 1)
    chunks = [np.argpartition(-weights[s : s + 1024], k - 1, axis=1)[:, :k] for s in range(0, n, 1024)]
    cols = np.concatenate(chunks)  # (n, k), built in chunks to bound memory
    values = np.take_along_axis(weights, cols, axis=1)
    rows = np.repeat(np.arange(n), k)
    matrix = sp.csr_matrix((values.ravel(), (rows, cols.ravel())), shape=(n, n), dtype=np.float32)
    matrix.data[matrix.data < 0] = 0.0
    matrix.eliminate_zeros()
    return matrix


@dataclass(frozen=True)
class ItemItem:
    """Sparse item-to-item weights (n_items, n_items): row j says how much item j points to each item."""

    neighbours: sp.csr_matrix

    @classmethod
    def fit(cls, train: Interactions, lam: float, top_k: int) -> ItemItem:
        """EASE with regularisation `lam` on the binary user-item matrix, pruned to `top_k` per item.

        Catalogues too large for a dense inverse fall back to cosine co-occurrence (sparse throughout).
        """
        matrix = user_item_matrix(train)
        if train.n_items > EASE_MAX_ITEMS:
            return cls(cooccurrence_neighbours(matrix, top_k))
        return cls(keep_top_neighbours(ease_weights(matrix, lam), top_k))

    def scores(self, items: IntArray, weights: Float32Array) -> Float32Array:
        """Sum of the neighbour rows of `items`, each scaled by its weight -> (n_items,)."""
        matrix = self.neighbours
        rows = np.ascontiguousarray(items, dtype=np.int64)
        return weighted_rows(matrix.indptr, matrix.indices, matrix.data, rows,
                             np.ascontiguousarray(weights, dtype=np.float32), matrix.shape[0])  # fmt: skip

    def batch_scores(self, history: sp.csr_matrix) -> Float32Array:
        """Scores of many users at once from weighted histories (n_users, n_items) -> (n_users, n_items)."""
        return np.asarray((history @ self.neighbours).toarray(), dtype=np.float32)

    def similar(self, item: int, k: int) -> IntArray:
        """The k strongest neighbours of one item."""
        row = self.neighbours.getrow(item)
        order = np.argsort(-row.data, kind="stable")[:k]
        return np.asarray(row.indices[order], dtype=np.int64)


def recency_weights(actions: IntArray, decay: float, action_table: Float32Array) -> Float32Array:
    """Weight of each signal of a history (oldest first): action weight × decay^(age in signals)."""
    age = np.arange(actions.size - 1, -1, -1, dtype=np.float32)
    return (action_table[actions] * np.power(np.float32(decay), age)).astype(np.float32)


def weighted_history(train: Interactions, users: IntArray, decay: float, action_table: Float32Array) -> sp.csr_matrix:
    """(len(users), n_items) matrix of each user's recency- and action-weighted history from `train`."""
    bounds = train.user_bounds()
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[Float32Array] = []
    for r, u in enumerate(users):
        items = train.items[bounds[u] : bounds[u + 1]]
        rows.append(np.full(items.size, r, dtype=np.int64))
        cols.append(items)
        vals.append(recency_weights(train.actions[bounds[u] : bounds[u + 1]], decay, action_table))
    shape = (len(users), train.n_items)
    if not rows:
        return sp.csr_matrix(shape, dtype=np.float32)
    coo = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape)
    return coo.tocsr()
