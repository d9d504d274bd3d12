"""EASE (Steck 2019): a closed-form item-to-item linear model, B = I - P / diag(P) with P = (X'X + λI)^-1.

`EaseRecency` is the same model scoring a recency-weighted history, the way our item-to-item source does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.errors import InvalidInput
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.model.actions import ACTION_TABLE
from optirec.ml.train.data import Interactions, user_item_matrix
from optirec.ml.train.fit import FitConfig
from optirec.ml.train.itemitem import EASE_MAX_ITEMS, ease_weights, weighted_history

LAMBDAS = (20.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0)  # our model's reach and below


class Ease(ItemScorer):
    """EASE on the binary user-item matrix; λ is tuned on the validation split."""

    name = "ease"
    param_grid = tuple({"lam": lam} for lam in LAMBDAS)

    def __init__(self) -> None:
        self.weights = np.zeros((0, 0), dtype=np.float32)
        self.matrix = sp.csr_matrix((0, 0), dtype=np.float32)
        self._fitted: tuple[Interactions, float] | None = None  # the training events and λ of `weights`

    def fit(self, train: Interactions, **params: Any) -> None:
        if train.n_items > EASE_MAX_ITEMS:
            raise InvalidInput(f"EASE needs a dense {train.n_items}² inverse; not run above {EASE_MAX_ITEMS} items")
        lam = float(params.get("lam", 50.0))
        if self._fitted is not None and self._fitted[0] is train and self._fitted[1] == lam:
            return  # same events and λ: a grid that varies another parameter needs no new inverse
        self.matrix = user_item_matrix(train)
        self.weights = ease_weights(self.matrix, lam)
        self._fitted = (train, lam)

    def score(self, users: IntArray) -> Float32Array:
        return np.asarray(self.matrix[users] @ self.weights, dtype=np.float32)

    def similar_items(self, item: int, k: int) -> IntArray:
        row = self.weights[item].copy()
        row[item] = -np.inf
        return np.argsort(-row, kind="stable")[:k].astype(np.int64)


class EaseRecency(Ease):
    """EASE scoring each user's history weighted by action type × decay^(age in signals), as our item-to-item
    source does (`weighted_history`), with the full EASE weights; λ and the decay are tuned on validation
    (the decays are our model's grid, 1.0 included: plain EASE with action weights)."""

    name = "ease-recency"
    param_grid = tuple({"lam": lam, "decay": decay} for lam in LAMBDAS for decay in FitConfig().decays)

    def __init__(self) -> None:
        super().__init__()
        self.decay = 1.0
        self.train: Interactions | None = None

    def fit(self, train: Interactions, **params: Any) -> None:
        super().fit(train, **params)
        self.train = train
        self.decay = float(params.get("decay", 1.0))

    def score(self, users: IntArray) -> Float32Array:
        assert self.train is not None, "fit first"
        history = weighted_history(self.train, users, self.decay, ACTION_TABLE)
        return np.asarray(history @ self.weights, dtype=np.float32)
