"""Most popular items: the same list for everyone (a floor any model must clear)."""

from __future__ import annotations

from typing import Any

import numpy as np

from optirec.arrays import Float32Array, IntArray
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.train.data import Interactions


class Popularity(ItemScorer):
    """Scores each item by its number of training interactions."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, train: Interactions, **params: Any) -> None:
        self.counts = np.bincount(train.items, minlength=train.n_items).astype(np.float32)

    def score(self, users: IntArray) -> Float32Array:
        return np.tile(self.counts, (len(users), 1))
