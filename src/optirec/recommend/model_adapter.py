"""The trained model (`optirec.ml.model.served.ServedModel`) behind the serving path's `LiveModel` interface."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

import numpy as np
from prometheus_client import Counter

from optirec.arrays import Float32Array, IntArray
from optirec.ml.model.query import PersonalQuery
from optirec.ml.model.served import ServedModel
from optirec.recommend.kernels import strongest_rows

USER_VECTORS = Counter(
    "optirec_user_vectors_total",
    "Personal lists by how their shopper's vector was had: encoded from the latest signals, or reused from a list "
    "served lately on the same signals (`ml.model.index.UserVectorCache`).",
    ["result"],
)
_REUSED, _ENCODED = USER_VECTORS.labels(result="reused"), USER_VECTORS.labels(result="encoded")  # bound once
T = TypeVar("T")
_COUNTED: ContextVar[bool] = ContextVar("optirec_lists_counted", default=True)


def counting() -> bool:
    """Whether the lists built now count in the metrics (not inside `uncounted`)."""
    return _COUNTED.get()


@contextmanager
def uncounted() -> Iterator[None]:
    """The lists built meanwhile, in this thread or task, leave `USER_VECTORS` and `memo.LIST_ANSWERS` alone: the
    warm-up's, which no shopper is shown (`service.ListBuilder.warm`)."""
    token = _COUNTED.set(False)
    try:
        yield
    finally:
        _COUNTED.reset(token)


class TrainedModel:
    """Adapts a `ServedModel`: personal scores from the latest signals, item-to-item scores for context items."""

    def __init__(self, model: ServedModel, version: str) -> None:
        self._model = model
        self._version = version
        self._index = model.index

    @property
    def version(self) -> str:
        return self._version

    @property
    def item_ids(self) -> Sequence[str]:
        return self._model.item_ids

    def personal_scores(self, history: Sequence[tuple[str, str]], *, warm_up: bool = False) -> Float32Array | None:
        return self._from_history(history, self._model.score_codes, count=not warm_up)

    def personal_query(self, history: Sequence[tuple[str, str]]) -> PersonalQuery | None:
        """`personal_scores` asked only where a list needs them (`query.PersonalQuery`); None when no signal of the
        history is known."""
        return self._from_history(history, self._model.query, count=True)

    def _from_history(
        self, history: Sequence[tuple[str, str]], answer: Callable[[IntArray, IntArray], T], *, count: bool
    ) -> T | None:
        """`answer` of the history's known signals (None when there is none), counting whether the user vector was
        encoded or reused. The history is read once: a shop's own action types carry no weight in the model."""
        items, actions = self._model.codes(history, skip_unknown_actions=True)
        if items.size == 0:
            return None
        vectors = self._model.user_vectors
        hits = vectors.hits
        result = answer(items, actions)
        if count and _COUNTED.get():
            (_REUSED if vectors.hits != hits else _ENCODED).inc()
        return result

    def build_index(self) -> None:
        """Build the approximate index and the item vectors' moments now (before the model serves a large
        catalog), not on the first list that needs them."""
        _ = self._model.item_index, self._model.moments

    def related_scores(self, items: Sequence[str]) -> Float32Array | None:
        rows = self._rows(items)
        if rows.size == 0:
            return None
        item_item = self._model.item_item
        if item_item is not None:
            return item_item.scores(rows, np.ones(rows.size, dtype=np.float32))
        summed: Float32Array = self._model.cosine(self._model.item_table[rows]).sum(axis=0, dtype=np.float32)
        return summed

    def strongest_sources(self, items: Sequence[str], targets: IntArray) -> IntArray:
        known = [k for k, item in enumerate(items) if item in self._index]
        out = np.full(targets.size, -1, dtype=np.int64)
        if not known or targets.size == 0:
            return out
        rows = self._rows([items[k] for k in known])
        item_item = self._model.item_item
        if item_item is not None:  # only the entries that point at a target
            matrix = item_item.neighbours
            found = strongest_rows(matrix.indptr, matrix.indices, matrix.data, rows,
                                   np.ascontiguousarray(targets, dtype=np.int64))  # fmt: skip
            return np.where(found >= 0, np.asarray(known, dtype=np.int64)[np.maximum(found, 0)], out)
        parts = self._model.cosine(self._model.item_table[rows])[:, targets]
        strongest = np.asarray(known, dtype=np.int64)[parts.argmax(axis=0)]
        return np.where(parts.max(axis=0) > 0, strongest, out)

    def _rows(self, items: Sequence[str]) -> IntArray:
        return np.array([self._index[item] for item in items if item in self._index], dtype=np.int64)

    def with_products(self, products: Sequence[tuple[str, dict[str, str]]]) -> TrainedModel:
        """A model that also scores catalog products it was not trained on, from their attributes alone."""
        new = [(pid, [f"{k}={v}" for k, v in sorted(attrs.items())], None) for pid, attrs in products
               if pid not in self._index]  # fmt: skip
        if not new:
            return self
        return TrainedModel(self._model.add_items(new), self._version)


def load_live_model(path: Path, version: str) -> TrainedModel:
    """Load and verify an artifact (a corrupted one raises `CorruptArtifact`)."""
    return TrainedModel(ServedModel.load(path), version)
