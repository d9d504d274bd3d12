"""EASE (Steck 2019): a closed-form item-to-item linear model, B = I - P / diag(P) with P = (X'X + λI)^-1."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.errors import InvalidInput
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.train.data import Interactions, user_item_matrix
from optirec.ml.train.itemitem import EASE_MAX_ITEMS, ease_weights


class Ease(ItemScorer):
    """EASE on the binary user-item matrix; λ is tuned on the validation split."""

    name = "ease"
    param_grid = tuple({"lam": lam} for lam in (20.0, 50.0, 100.0, 250.0, 500.0))

    def __init__(self) -> None:
        self.weights = np.zeros((0, 0), dtype=np.float32)
        self.matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: Interactions, **params: Any) -> None:
        if train.n_items > EASE_MAX_ITEMS:
            raise InvalidInput(f"EASE needs a dense {train.n_items}² inverse; not run above {EASE_MAX_ITEMS} items")
        self.matrix = user_item_matrix(train)
        self.weights = ease_weights(self.matrix, float(params.get("lam", 50.0)))

    def score(self, users: IntArray) -> Float32Array:
        return np.asarray(self.matrix[users] @ self.weights, dtype=np.float32)

    def similar_items(self, item: int, k: int) -> IntArray:
        row = self.weights[item].copy()
        row[item] = -np.inf
        return np.argsort(-row, kind="stable")[:k].astype(np.int64)
