"""Our model in the offline evaluation: the fit step's state behind the harness's `ItemScorer` interface.

`tune` is the fit step's tuning on the validation split; `fit` refits the item-to-item source on the test
split's events and reads each user's latest signals from them (the network is not retrained: it sees the
validation item as input only).
"""

from __future__ import annotations

from typing import Any

from optirec.arrays import IntArray
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.train.data import Interactions
from optirec.ml.train.fit import ModelFit


class Optirec(ModelFit, ItemScorer):
    """The sequence network (product + user-preference embeddings) blended with EASE item-to-item."""

    name = "optirec"

    def fit(self, train: Interactions, **params: Any) -> None:
        """Read the users' latest signals from `train` and refit the item-to-item source on it."""
        self.refit(train)

    def similar_items(self, item: int, k: int) -> IntArray:
        if self.item_item is None:
            raise ValueError("fit the model first")
        return self.item_item.similar(item, k)
