"""The small interface every recommender of the offline evaluation implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from optirec.arrays import Float32Array, IntArray
from optirec.ml.train.data import Interactions


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
