"""Alternating least squares for implicit feedback, from the `implicit` library."""

from __future__ import annotations

from typing import Any

import numpy as np

from optirec.arrays import Float32Array, IntArray
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.train.data import Interactions, user_item_matrix


class Als(ItemScorer):
    """`implicit` ALS with 128 factors; regularisation and confidence scale tuned on validation."""

    name = "als"
    param_grid = tuple({"regularization": reg, "alpha": alpha} for reg in (0.01, 0.1, 1.0) for alpha in (1.0, 10.0))

    def __init__(self, factors: int = 128, iterations: int = 15, seed: int = 0) -> None:
        self.factors = factors
        self.iterations = iterations
        self.seed = seed
        self.user_factors = np.zeros((0, 0), dtype=np.float32)
        self.item_factors = np.zeros((0, 0), dtype=np.float32)

    def fit(self, train: Interactions, **params: Any) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit runs its own threads; nested BLAS threads slow it down
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=float(params.get("regularization", 0.01)),
                alpha=float(params.get("alpha", 1.0)),
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=0,
            )
            model.fit(user_item_matrix(train, binary=False), show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def score(self, users: IntArray) -> Float32Array:
        return np.asarray(self.user_factors[users] @ self.item_factors.T, dtype=np.float32)

    def similar_items(self, item: int, k: int) -> IntArray:
        norms = np.linalg.norm(self.item_factors, axis=1) + 1e-9
        cosine = (self.item_factors @ self.item_factors[item]) / (norms * norms[item])
        cosine[item] = -np.inf
        return np.argsort(-cosine, kind="stable")[:k].astype(np.int64)
