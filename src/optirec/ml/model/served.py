"""The serving model: loaded once per process from an artifact, it answers in numpy per request.

Scores blend the user-preference encoder (run on the latest signals as they are now, so one new signal
changes the next answer) with the item-to-item source over the history and the context items (product on
screen, cart). New products get a content-only vector from their attribute tokens and text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array
from optirec.errors import InvalidInput, NotFound
from optirec.ml.model.actions import ACTION_CODE, ACTION_TABLE, ACTIONS
from optirec.ml.model.artifact import load_artifact, save_artifact
from optirec.ml.model.index import ItemIndex, Moments, UserEncoderNumpy, UserVectorCache, scores_for, top_items
from optirec.ml.model.itemitem import ItemItem, recency_weights
from optirec.ml.model.kernels import blend_pair
from optirec.ml.model.query import PersonalQuery
from optirec.ml.model.serialize import served_arrays, served_fields, served_metadata

Signal = tuple[str, str]  # (item_id, action_type)


@dataclass
class ServedModel:
    """A trained model ready to serve: `item_ids[i]` is the item of row i of every array."""

    version: str
    item_ids: list[str]
    encoder: UserEncoderNumpy
    item_table: Float32Array  # (n_items, dim) product embeddings (id + content)
    item_item: ItemItem | None  # sparse (n_items, n_items) EASE neighbours
    weights: tuple[float, float]  # blend weights (network, item-to-item)
    decay: float  # recency decay of the item-to-item history weights
    popularity: Float32Array  # (n_items,) training interactions, the backfill for users without signals
    vocabulary: list[str]  # attribute tokens known to the content encoder
    token_table: Float32Array  # (n_tokens + 1, dim), row 0 = padding
    text_projection: Float32Array | None  # (dim, TEXT_DIM) or None when trained without text
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.user_vectors = UserVectorCache()
        self._index = {item: i for i, item in enumerate(self.item_ids)}
        self._token_index = {t: k + 1 for k, t in enumerate(self.vocabulary)}

    @cached_property
    def cold(self) -> npt.NDArray[np.bool_]:
        """Which items have no item-to-item relations (`ItemItem.cold`), empty when none has (or without that source):
        the blend gives them the network's score, from their content for a new product, instead of one constant."""
        cold = self.item_item.cold() if self.item_item is not None else np.zeros(0, dtype=np.bool_)
        return cold if cold.any() else np.zeros(0, dtype=np.bool_)  # empty: none (the blend skips the mask)

    @property
    def index(self) -> Mapping[str, int]:
        """The row of each item id."""
        return self._index

    # ---- signals -> user vector -------------------------------------------------------------------
    def codes(self, signals: Sequence[Signal], *, skip_unknown_actions: bool = False
              ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:  # fmt: skip
        """Item rows and action codes of the known items among the signals (unknown items are ignored; an unknown
        action type is refused, or ignored with `skip_unknown_actions`: a shop's own action types, on the serving
        path)."""
        items: list[int] = []
        actions: list[int] = []
        for item_id, action in signals:
            code = ACTION_CODE.get(action)
            if code is None:
                if skip_unknown_actions:
                    continue
                raise InvalidInput(f"unknown action type {action!r}; expected one of {', '.join(ACTIONS)}")
            row = self._index.get(item_id)
            if row is not None:
                items.append(row)
                actions.append(code)
        return np.array(items, dtype=np.int64), np.array(actions, dtype=np.int64)

    def encode_user(self, signals: Sequence[Signal]) -> Float32Array:
        """User-preference vector (dim,) from the latest signals, oldest first."""
        items, actions = self.codes(signals)
        return self.encoder.encode(self.item_table[items], actions + 1)

    # ---- scoring ----------------------------------------------------------------------------------
    def score(self, signals: Sequence[Signal], context: Sequence[str] = ()) -> Float32Array:
        """Blended score of every item (aligned with `item_ids`) for this user and context items."""
        items, actions = self.codes(signals)
        return self.score_codes(items, actions, context)

    def score_codes(self, items: npt.NDArray[np.int64], actions: npt.NDArray[np.int64],
                    context: Sequence[str] = ()) -> Float32Array:  # fmt: skip
        """`score` from the signals' item rows and action codes (known items and actions only, as `codes` gives
        them)."""
        context_rows = np.array([self._index[c] for c in context if c in self._index], dtype=np.int64)
        if items.size == 0 and context_rows.size == 0:
            return np.log1p(self.popularity).astype(np.float32)
        network = scores_for(
            self.user_vectors.vector(self.encoder, self.item_table, items, actions + 1), self.item_table
        )
        if self.item_item is None or self.weights[1] == 0.0:
            return network
        history = recency_weights(actions, self.decay, ACTION_TABLE)
        context_weight = np.full(context_rows.size, history.max(initial=float(ACTION_TABLE.max())), np.float32)
        related = self.item_item.scores(
            np.concatenate([items, context_rows]), np.concatenate([history, context_weight])
        )
        if items.size == 0:
            return related
        # as `train.blend.blend`, compiled; a product without co-occurrences ranked by its content (`ItemItem.cold`)
        return blend_pair(network, related, self.weights[0], self.weights[1], self.cold)

    def query(self, items: npt.NDArray[np.int64], actions: npt.NDArray[np.int64]) -> PersonalQuery:
        """`score_codes(items, actions)` (a known, non-empty history; no context) asked only where needed: at some
        rows, and the rows likely to score best (`query.PersonalQuery`)."""
        user = self.user_vectors.vector(self.encoder, self.item_table, items, actions + 1)
        related = None
        if self.item_item is not None and self.weights[1] != 0.0:
            related = self.item_item.scores_reached(items, recency_weights(actions, self.decay, ACTION_TABLE))
        return PersonalQuery.of(self.item_table, user, related, self.weights, self.moments, self.item_index, self.cold)

    @cached_property
    def item_index(self) -> ItemIndex:
        """The approximate index over the item vectors, built on first use (`ServingState.prepare` asks for it on a
        large catalog before the model serves)."""
        return ItemIndex(self.item_table)

    @cached_property
    def moments(self) -> Moments:
        return Moments.of(self.item_table)

    def recommend(
        self, signals: Sequence[Signal], k: int = 10, context: Sequence[str] = (), exclude_seen: bool = True
    ) -> list[tuple[str, float]]:
        """The k best items with their scores, without the items already seen or in context."""
        scores = self.score(signals, context)
        exclude = self._rows([i for i, _ in signals] + list(context)) if exclude_seen else None
        return [(self.item_ids[i], float(scores[i])) for i in top_items(scores, k, exclude)]

    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        """Items most related to one item: item-to-item neighbours, then embedding cosine as backfill."""
        row = self._row(item_id)
        scores = self.cosine(self.item_table[[row]])[0]
        if self.item_item is not None:
            related = self.item_item.scores(np.array([row]), np.ones(1, dtype=np.float32))
            scores = np.where(related > 0, related.max(initial=0.0) + related, np.minimum(scores, 0.0) + scores)
        return [(self.item_ids[i], float(scores[i])) for i in top_items(scores, k, np.array([row]))]

    def complete_the_look(self, item_ids: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
        """Items that go with a set (cart, outfit): summed item-to-item relations of the set."""
        rows = self._rows(item_ids)
        if rows.size == 0:
            raise NotFound("none of the items is in the model's catalogue")
        if self.item_item is None:
            scores = self.cosine(self.item_table[rows].mean(axis=0, keepdims=True))[0]
        else:
            scores = self.item_item.scores(rows, np.ones(rows.size, dtype=np.float32))
        return [(self.item_ids[i], float(scores[i])) for i in top_items(scores, k, rows)]

    # ---- content-only vectors for new products ------------------------------------------------------
    def embed_new_item(self, tokens: Sequence[str] = (), text: str | None = None) -> Float32Array:
        """Product embedding (dim,) from content only: mean token vector plus projected text vector."""
        known = [self._token_index[t] for t in dict.fromkeys(tokens) if t in self._token_index]
        vector = self.token_table[known].mean(axis=0) if known else np.zeros(self.item_table.shape[1], np.float32)
        if text and self.text_projection is not None:
            from optirec.ml.model.content import encode_texts

            vector = vector + self.text_projection @ encode_texts([text], cache_dir=None)[0]
        return vector.astype(np.float32)

    def add_items(self, new: Sequence[tuple[str, Sequence[str], str | None]]) -> ServedModel:
        """A copy whose catalogue also holds new products `(item_id, tokens, text)`, with content vectors."""
        fresh = [(i, t, x) for i, t, x in new if i not in self._index]
        if not fresh:
            return self
        vectors = np.stack([self.embed_new_item(t, x) for _, t, x in fresh])
        n_new, n_old = len(fresh), len(self.item_ids)
        item_item = None
        if self.item_item is not None:
            grown = self.item_item.neighbours.copy()
            grown.resize((n_old + n_new, n_old + n_new))  # new products have no relations yet
            item_item = ItemItem(grown)
        return ServedModel(
            self.version,
            self.item_ids + [i for i, _, _ in fresh],
            self.encoder,
            np.concatenate([self.item_table, vectors]).astype(np.float32),
            item_item,
            self.weights,
            self.decay,
            np.concatenate([self.popularity, np.zeros(n_new, np.float32)]),
            self.vocabulary,
            self.token_table,
            self.text_projection,
            self.metadata,
        )

    # ---- helpers ------------------------------------------------------------------------------------
    def _row(self, item_id: str) -> int:
        row = self._index.get(item_id)
        if row is None:
            raise NotFound(f"item {item_id!r} is not in the model's catalogue")
        return row

    def _rows(self, item_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        return np.array(sorted({self._index[i] for i in item_ids if i in self._index}), dtype=np.int64)

    def cosine(self, vectors: Float32Array) -> Float32Array:
        """Cosine of each of `vectors` (k, dim) with every product embedding -> (k, n_items): the item-to-item
        relation of a model trained without an item-to-item source, and the backfill of `similar_items`."""
        table = self.item_table
        norms = np.linalg.norm(table, axis=1) + 1e-9
        own = np.linalg.norm(vectors, axis=1) + 1e-9
        return np.asarray((vectors @ table.T) / (own[:, None] * norms[None, :]), dtype=np.float32)

    # ---- persistence --------------------------------------------------------------------------------
    def save(self, path: Path) -> Path:
        """Write the artifact folder (weights, item index, metadata, checksums)."""
        return save_artifact(path, served_arrays(self), served_metadata(self))

    @classmethod
    def load(cls, path: Path) -> ServedModel:
        """Read an artifact folder; raises `CorruptArtifact` when any file fails its checksum."""
        arrays, metadata = load_artifact(Path(path))
        return cls(**served_fields(arrays, metadata))
