"""Inference at request time: the user encoder on one user's latest signals and scoring against the item index.

A port of `network.UserEncoder` (same weights, no torch at request time), compiled (`kernels.encode_user`): one
user costs one compiled call, plus one (n_items, dim) matrix-vector product (timings in docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array
from optirec.ml.model.kernels import encode_user

Weights = dict[str, Float32Array]


_LINEAR = ("qkv", "proj", "ff1", "ff2")
_VECTORS = ("norm1.weight", "norm1.bias", "qkv.bias", "proj.bias", "norm2.weight", "norm2.bias", "ff1.bias",
            "ff2.bias")  # fmt: skip


@dataclass(frozen=True)
class UserEncoderNumpy:
    """The user-preference encoder's weights (keys as in `UserEncoder.state_dict()`) and its shape."""

    weights: Weights
    layers: int
    heads: int
    max_len: int

    @cached_property
    def _arguments(self) -> tuple[Any, ...]:
        """The weights and head count as `kernels.encode_user` takes them after a history: per-layer arrays
        stacked, linear weights transposed."""
        w = self.weights

        def stack(name: str, transpose: bool = False) -> Float32Array:
            parts = [w[f"blocks.{layer}.{name}"] for layer in range(self.layers)]
            return np.ascontiguousarray(np.stack([p.T if transpose else p for p in parts]), dtype=np.float32)

        linear = {name: stack(f"{name}.weight", transpose=True) for name in _LINEAR}
        vectors = {name: stack(name) for name in _VECTORS}
        return (
            np.ascontiguousarray(w["positions.weight"], dtype=np.float32),
            np.ascontiguousarray(w["actions.weight"], dtype=np.float32),
            vectors["norm1.weight"], vectors["norm1.bias"], linear["qkv"], vectors["qkv.bias"],
            linear["proj"], vectors["proj.bias"], vectors["norm2.weight"], vectors["norm2.bias"],
            linear["ff1"], vectors["ff1.bias"], linear["ff2"], vectors["ff2.bias"],
            np.ascontiguousarray(w["norm.weight"], dtype=np.float32),
            np.ascontiguousarray(w["norm.bias"], dtype=np.float32),
            self.heads,
        )  # fmt: skip

    def encode(self, item_vectors: Float32Array, actions: npt.NDArray[np.int64]) -> Float32Array:
        """User vector (dim,) from the item vectors (L, dim) and 1-based action codes (L,) of the latest
        signals, oldest first; only the last `max_len` are read. An empty history gives a zero vector."""
        item_vectors, actions = item_vectors[-self.max_len :], actions[-self.max_len :]
        if len(actions) == 0:
            return np.zeros(item_vectors.shape[1], dtype=np.float32)
        vectors = np.ascontiguousarray(item_vectors, dtype=np.float32)
        codes = np.ascontiguousarray(actions, dtype=np.int64)
        encoded: Float32Array = encode_user(vectors, codes, *self._arguments)
        return encoded


class UserVectorCache:
    """The user vectors of the latest histories encoded, by their item rows and action codes: the encoder is a pure
    function of them, and the largest piece of a list's work (docs/benchmarks.md, "Shopper vectors are reused"). A
    shopper asking again with no new signal (another placement on the page, a refresh, the next page of
    a list) reuses the vector; a new signal makes a new key. Bounded (the oldest entries go first) and kept per
    model, so a new model starts empty. `hits` and `misses` count the look-ups."""

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._vectors: dict[bytes, Float32Array] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def vector(self, encoder: UserEncoderNumpy, item_table: Float32Array, rows: npt.NDArray[np.int64],
               actions: npt.NDArray[np.int64]) -> Float32Array:  # fmt: skip
        """`encoder.encode(item_table[rows], actions)`, from the cache when this history was encoded lately."""
        key = rows.tobytes() + b"|" + actions.tobytes()
        found = self._vectors.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        vector = encoder.encode(item_table[rows], actions)
        vector.flags.writeable = False  # shared by every list that reuses it
        with self._lock:
            if len(self._vectors) >= self._size:
                del self._vectors[next(iter(self._vectors))]
            self._vectors[key] = vector
        return vector


def scores_for(user_vector: Float32Array, item_table: Float32Array) -> Float32Array:
    """Dot-product score of every item: item_table (n_items, dim), user_vector (dim,) -> (n_items,)."""
    return np.asarray(item_table @ user_vector, dtype=np.float32)


def top_items(scores: Float32Array, k: int, exclude: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.int64]:
    """Indices of the k best scores, best first, skipping `exclude`."""
    scores = scores.copy()
    if exclude is not None and exclude.size:
        scores[exclude] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")].astype(np.int64)
