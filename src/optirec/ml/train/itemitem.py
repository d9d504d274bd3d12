"""Fitting the item-to-item source: EASE weights (or cosine co-occurrence for large catalogues), pruned to the
top neighbours of each item, and the users' weighted histories it scores in batches while tuning."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.ml.model.itemitem import ItemItem, recency_weights
from optirec.ml.train.data import Interactions, user_item_matrix

EASE_MAX_ITEMS = 25_000  # a dense float32 inverse of this size takes 2.5 GB


def ease_weights(matrix: sp.csr_matrix, lam: float) -> npt.NDArray[np.float32]:
    """The EASE item-item weights (n_items, n_items) with a zero diagonal from a user-item matrix."""
    # float32 halves time and memory (a 12k catalogue: 0.6 GB per copy); relative error stays near 1e-5
    gram = np.asarray((matrix.T @ matrix).toarray(), dtype=np.float32)
    gram[np.diag_indices_from(gram)] += lam
    precision = spd_inverse(gram)
    precision /= -np.diag(precision)[None, :]  # in place, no extra copy
    precision[np.diag_indices_from(precision)] = 0.0
    return precision


def spd_inverse(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The inverse of a symmetric positive definite matrix through its Cholesky factor (half the arithmetic of a
    general LU inverse), by torch's LAPACK, which releases the GIL: the fit runs beside the network's training
    on a second thread (SciPy's LAPACK wrappers hold the GIL and stall it)."""
    import torch

    factor = torch.linalg.cholesky(torch.from_numpy(matrix))  # lower; raises when not positive definite
    inverse: npt.NDArray[np.float32] = torch.cholesky_inverse(factor).numpy()
    # LAPACK hands back column-major storage; the inverse is symmetric, so its transpose is the same matrix in C order
    return inverse if inverse.flags.c_contiguous else inverse.T


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


def fit_item_item(train: Interactions, lam: float, top_k: int, dense_items: int = 0) -> ItemItem:
    """EASE with regularisation `lam` on the binary user-item matrix, pruned to the `top_k` largest positive weights
    per item; a catalogue of at most `dense_items` keeps every weight, negative ones too (the whole EASE model).

    Catalogues too large for a dense inverse fall back to cosine co-occurrence (sparse throughout).
    """
    matrix = user_item_matrix(train)
    if train.n_items > EASE_MAX_ITEMS:
        return ItemItem(cooccurrence_neighbours(matrix, top_k))
    weights = ease_weights(matrix, lam)
    if train.n_items <= dense_items:
        return ItemItem(sp.csr_matrix(weights))  # the zero diagonal is left out
    return ItemItem(keep_top_neighbours(weights, top_k))


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
