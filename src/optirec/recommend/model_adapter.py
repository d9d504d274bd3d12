"""The trained model (`optirec.ml.recommender.Recommender`) behind the serving path's `LiveModel` interface."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optirec.ml.data import ACTION_CODE
from optirec.ml.recommender import Recommender

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class TrainedModel:
    """Adapts a `Recommender`: personal scores from the latest signals, item-to-item scores for context items."""

    def __init__(self, recommender: Recommender, version: str) -> None:
        self._model = recommender
        self._version = version
        self._index = {item: i for i, item in enumerate(recommender.item_ids)}

    @property
    def version(self) -> str:
        return self._version

    @property
    def item_ids(self) -> Sequence[str]:
        return self._model.item_ids

    def personal_scores(self, history: Sequence[tuple[str, str]]) -> FloatArray | None:
        known = [(item, action) for item, action in history if item in self._index and action in ACTION_CODE]
        if not known:
            return None
        return self._model.score(known)

    def related_scores(self, items: Sequence[str]) -> tuple[FloatArray, IntArray] | None:
        rows = [self._index[item] for item in items if item in self._index]
        if not rows:
            return None
        source = [k for k, item in enumerate(items) if item in self._index]
        item_item = self._model.item_item
        if item_item is not None:
            parts = np.zeros((len(rows), len(self._index)), dtype=np.float32)  # (k, n_items)
            which, columns, values = item_item.entries(np.asarray(rows, dtype=np.int64))
            parts[which, columns] = values
        else:  # no item-to-item source: cosine of the product embeddings
            table = self._model.item_table
            norms = np.linalg.norm(table, axis=1) + 1e-9
            parts = (table[rows] @ table.T) / (norms[rows, None] * norms[None, :])
        strongest = np.asarray(source, dtype=np.int64)[parts.argmax(axis=0)]
        return parts.sum(axis=0).astype(np.float32), strongest

    def with_products(self, products: Sequence[tuple[str, dict[str, str]]]) -> TrainedModel:
        """A model that also scores catalog products it was not trained on, from their attributes alone."""
        new = [(pid, [f"{k}={v}" for k, v in sorted(attrs.items())], None) for pid, attrs in products
               if pid not in self._index]  # fmt: skip
        if not new:
            return self
        return TrainedModel(self._model.add_items(new), self._version)


def load_live_model(path: Path, version: str) -> TrainedModel:
    """Load and verify an artifact (a corrupted one raises `CorruptArtifact`)."""
    return TrainedModel(Recommender.load(path), version)
