"""The small interface every recommender of the offline evaluation implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.ml.data import Interactions, action_weights


class ItemScorer(ABC):
    """Fit on training interactions, then score every item for users of that training data."""

    name: str = "base"
    # Hyper-parameter values tried on the validation split; the best one is refit for the test split.
    param_grid: tuple[dict[str, Any], ...] = ({},)

    @abstractmethod
    def fit(self, train: Interactions, **params: Any) -> None:
        """Learn from `train` (the only events this model may see for the current split)."""

    @abstractmethod
    def score(self, users: IntArray) -> Float32Array:
        """Scores of every item for each user from their training history, shape (len(users), n_items)."""

    def similar_items(self, item: int, k: int) -> IntArray:
        """The k items most related to `item` (not available for every model)."""
        raise NotImplementedError(f"{self.name} has no item-to-item relation")


def user_item_matrix(train: Interactions, *, binary: bool = True) -> sp.csr_matrix:
    """Sparse (n_users, n_items) matrix: 1 per interacted pair, or the strongest action weight."""
    values = np.ones(len(train), dtype=np.float32) if binary else action_weights(train.actions)
    coo = sp.coo_matrix((values, (train.users, train.items)), shape=(train.n_users, train.n_items))
    matrix = coo.tocsr()
    if binary:
        matrix.data[:] = 1.0
    else:
        # duplicates were summed; keep the strongest single weight instead, capped
        matrix.data = np.minimum(matrix.data, max(values.max(initial=1.0), 1.0)).astype(np.float32)
    return matrix
