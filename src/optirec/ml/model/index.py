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


class ItemIndex:
    """An approximate inner-product index over the item vectors (faiss's inverted lists, `IndexIVFFlat`): the items
    nearest a user vector without scoring every item. The vectors are split into about √n lists around k-means
    centres; a search scores the centres, then only the items of the `probes` best lists. Built once per model
    (well under a second on 50,000 items of 64 dimensions); searched one user at a time on the caller's thread."""

    def __init__(self, item_table: Float32Array) -> None:
        import faiss  # only a process that serves a large catalog pays for the import

        faiss.omp_set_num_threads(1)  # one request at a time per worker, as BLAS (`runtime.asgi`)
        vectors = np.ascontiguousarray(item_table, dtype=np.float32)
        count, dim = vectors.shape
        self.lists = max(1, min(round(float(np.sqrt(count))), count // 39 or 1))  # faiss wants 39 points per centre
        quantiser = faiss.IndexFlatIP(dim)
        self._index = faiss.IndexIVFFlat(quantiser, dim, self.lists, faiss.METRIC_INNER_PRODUCT)
        self._index.train(vectors)
        self._index.add(vectors)
        self._quantiser = quantiser  # the index holds it by reference

    def nearest(self, vector: Float32Array, count: int, probes: int) -> npt.NDArray[np.int64]:
        """The rows of (about) the `count` items of the largest dot product with `vector`, best first, searched in
        the `probes` lists whose centres are nearest; fewer where those lists hold fewer items."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        self._index.nprobe = min(probes, self.lists)
        _, rows = self._index.search(query, count)
        found = rows[0]
        return np.asarray(found[found >= 0], dtype=np.int64)


@dataclass(frozen=True)
class Moments:
    """The item vectors' mean (dim,) and second moment (dim, dim), in float64: the mean and spread of the dot
    products of any user vector with every item, without computing them (mean u·μ, variance uᵀMu − (u·μ)²)."""

    mean: npt.NDArray[np.float64]
    second: npt.NDArray[np.float64]

    @classmethod
    def of(cls, item_table: Float32Array) -> Moments:
        table = np.asarray(item_table, dtype=np.float64)
        return cls(table.mean(axis=0), (table.T @ table) / max(table.shape[0], 1))

    def spread(self, vector: Float32Array) -> tuple[float, float]:
        """The mean and the standard deviation of `item_table @ vector` over every item."""
        user = np.asarray(vector, dtype=np.float64)
        mean = float(user @ self.mean)
        return mean, float(np.sqrt(max(float(user @ self.second @ user) - mean * mean, 0.0)))
