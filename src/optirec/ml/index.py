"""Inference in numpy: the user encoder on one user's latest signals and scoring against the item index.

A numpy port of `model.UserEncoder` (same weights, no torch at request time): one user costs well under a
millisecond on one thread for 50 signals, plus one (n_items, dim) matrix-vector product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]
Weights = dict[str, Array]


def layer_norm(x: Array, weight: Array, bias: Array) -> Array:
    """LayerNorm over the last axis (eps 1e-5, as torch). Reductions by ufunc: `ndarray.mean` costs more in
    Python overhead than in arithmetic on a request's few rows."""
    scale = np.float32(1.0 / x.shape[-1])
    centred = x - np.add.reduce(x, axis=-1, keepdims=True) * scale
    var = np.add.reduce(centred * centred, axis=-1, keepdims=True) * scale
    return np.asarray(centred / np.sqrt(var + np.float32(1e-5)) * weight + bias, dtype=np.float32)


def gelu(x: Array) -> Array:
    """GELU, tanh approximation (as `F.gelu(approximate="tanh")`)."""
    return np.asarray(0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))), dtype=np.float32)


def attention(x: Array, w: Weights, prefix: str, heads: int, last_only: bool = False) -> Array:
    """Causal self-attention of one sequence x (L, dim) -> (L, dim), or (1, dim) for the last query only."""
    length, dim = x.shape
    qkv = x @ w[f"{prefix}.qkv.weight"].T + w[f"{prefix}.qkv.bias"]  # (L, 3 dim)
    q, k, v = (qkv[:, i * dim : (i + 1) * dim].reshape(length, heads, -1).transpose(1, 0, 2) for i in range(3))
    if last_only:
        q = q[:, -1:]  # (heads, 1, dim / heads): the last position sees every key, no mask needed
    logits = q @ k.transpose(0, 2, 1) / math.sqrt(dim // heads)  # (heads, Lq, L)
    if not last_only:
        logits = np.where(np.tri(length, dtype=bool), logits, -np.inf)
    logits = np.exp(logits - logits.max(axis=-1, keepdims=True))
    out = (logits / logits.sum(axis=-1, keepdims=True)) @ v  # (heads, Lq, dim / heads)
    merged = out.transpose(1, 0, 2).reshape(-1, dim)  # (Lq, dim)
    return np.asarray(merged @ w[f"{prefix}.proj.weight"].T + w[f"{prefix}.proj.bias"])


def block(x: Array, w: Weights, prefix: str, heads: int, last_only: bool = False) -> Array:
    """One pre-norm transformer block, as `model.Block` in eval mode; `last_only` returns the last row only."""
    normed = layer_norm(x, w[f"{prefix}.norm1.weight"], w[f"{prefix}.norm1.bias"])
    x = (x[-1:] if last_only else x) + attention(normed, w, prefix, heads, last_only)
    hidden = layer_norm(x, w[f"{prefix}.norm2.weight"], w[f"{prefix}.norm2.bias"])
    hidden = gelu(hidden @ w[f"{prefix}.ff1.weight"].T + w[f"{prefix}.ff1.bias"])
    return np.asarray(x + hidden @ w[f"{prefix}.ff2.weight"].T + w[f"{prefix}.ff2.bias"], dtype=np.float32)


@dataclass(frozen=True)
class UserEncoderNumpy:
    """The user-preference encoder's weights (keys as in `UserEncoder.state_dict()`) and its shape."""

    weights: Weights
    layers: int
    heads: int
    max_len: int

    def encode(self, item_vectors: Array, actions: npt.NDArray[np.int64]) -> Array:
        """User vector (dim,) from the item vectors (L, dim) and 1-based action codes (L,) of the latest
        signals, oldest first; only the last `max_len` are read. An empty history gives a zero vector."""
        item_vectors, actions = item_vectors[-self.max_len :], actions[-self.max_len :]
        length, dim = item_vectors.shape
        if length == 0:
            return np.zeros(dim, dtype=np.float32)
        w = self.weights
        x = item_vectors * math.sqrt(dim) + w["positions.weight"][-length:] + w["actions.weight"][actions]
        for layer in range(self.layers):  # the last block only needs the newest position
            x = block(x.astype(np.float32), w, f"blocks.{layer}", self.heads, last_only=layer == self.layers - 1)
        return layer_norm(x[-1], w["norm.weight"], w["norm.bias"])


def scores_for(user_vector: Array, item_table: Array) -> Array:
    """Dot-product score of every item: item_table (n_items, dim), user_vector (dim,) -> (n_items,)."""
    return np.asarray(item_table @ user_vector, dtype=np.float32)


def top_items(scores: Array, k: int, exclude: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.int64]:
    """Indices of the k best scores, best first, skipping `exclude`."""
    scores = scores.copy()
    if exclude is not None and exclude.size:
        scores[exclude] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")].astype(np.int64)
