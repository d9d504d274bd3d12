"""Compiled kernels of the serving path (numba): the user encoder, the item-to-item sum and the score blend.

A list is answered in Python, one request at a time, on a history of at most 50 signals: in plain numpy each of
these steps is dozens of small array operations, and the interpreter's cost per operation outweighed the
arithmetic (the figures are in docs/benchmarks.md, "Compiled kernels"). Compiled, each is one call; the matrix
products still go to BLAS.

Compiled on first use and cached on disk beside this file (`cache=True`), so only the first process after an
install pays the compilation; the service's warm-up makes that call before it reports ready.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

from optirec.arrays import Float32Array, IntArray

_GELU = math.sqrt(2.0 / math.pi)
F = TypeVar("F", bound=Callable[..., Any])


def compiled(function: F) -> F:
    """Compiled by numba in nopython mode on first call, and cached on disk."""
    return cast(F, njit(cache=True)(function))


@compiled
def _tanh(y: float) -> float:  # pragma: no cover - compiled
    """tanh(y) as sign(y) × -m / (2 + m), m = expm1(-2|y|): the values of `math.tanh` to float64 rounding, at a
    fraction of its cost in compiled code with this machine's libm (docs/benchmarks.md, "The encoder's GELU")."""
    m = math.expm1(-2.0 * abs(y))
    t = -m / (2.0 + m)
    return t if y >= 0.0 else -t


@compiled
def _layer_norm(
    x: Float32Array, weight: Float32Array, bias: Float32Array
) -> Float32Array:  # pragma: no cover - compiled
    """LayerNorm over the rows' last axis (eps 1e-5, as torch)."""
    rows, dim = x.shape
    out = np.empty_like(x)
    for i in range(rows):
        mean = 0.0
        for j in range(dim):
            mean += x[i, j]
        mean /= dim
        var = 0.0
        for j in range(dim):
            centred = x[i, j] - mean
            var += centred * centred
        scale = 1.0 / math.sqrt(var / dim + 1e-5)
        for j in range(dim):
            out[i, j] = (x[i, j] - mean) * scale * weight[j] + bias[j]
    return out


@compiled
def _embed_history(
    item_vectors: Float32Array, actions: IntArray, positions: Float32Array, action_table: Float32Array
) -> Float32Array:  # pragma: no cover - compiled
    """The encoder's input rows: item vector × sqrt(dim) + the position of the newest rows + the action's vector."""
    length, dim = item_vectors.shape
    x = np.empty((length, dim), dtype=np.float32)
    root = np.float32(math.sqrt(dim))
    first = positions.shape[0] - length
    for i in range(length):
        for j in range(dim):
            x[i, j] = item_vectors[i, j] * root + positions[first + i, j] + action_table[actions[i], j]
    return x


@compiled
def _causal_softmax(logits: Float32Array, start: int, scale: float) -> None:  # pragma: no cover - compiled
    """In place: row `row` of the scaled logits becomes the softmax over the positions up to `start + row`, zero
    after them (a position attends to itself and the older ones)."""
    queries, length = logits.shape
    for row in range(queries):
        seen = start + row + 1
        top = -np.inf
        for col in range(seen):
            logits[row, col] *= scale
            top = max(top, logits[row, col])
        total = 0.0
        for col in range(seen):
            weight = math.exp(logits[row, col] - top)
            logits[row, col] = weight
            total += weight
        for col in range(seen):
            logits[row, col] /= total
        for col in range(seen, length):
            logits[row, col] = 0.0


@compiled
def _attention(qkv: Float32Array, start: int, heads: int) -> Float32Array:  # pragma: no cover - compiled
    """Causal multi-head attention of the rows from `start` on, from the biased (L, 3 × dim) query-key-value rows."""
    length = qkv.shape[0]
    dim = qkv.shape[1] // 3
    width = dim // heads
    scale = 1.0 / math.sqrt(width)
    mixed = np.empty((length - start, dim), dtype=np.float32)
    for head in range(heads):
        lo = head * width
        q = np.ascontiguousarray(qkv[start:, lo : lo + width])
        k_t = np.ascontiguousarray(qkv[:, dim + lo : dim + lo + width].T)
        v = np.ascontiguousarray(qkv[:, 2 * dim + lo : 2 * dim + lo + width])
        logits = np.dot(q, k_t)
        _causal_softmax(logits, start, scale)
        mixed[:, lo : lo + width] = np.dot(logits, v)
    return mixed


@compiled
def _add_feed_forward(
    residual: Float32Array,
    norm_weight: Float32Array,
    norm_bias: Float32Array,
    ff1_t: Float32Array,
    ff1_bias: Float32Array,
    ff2_t: Float32Array,
    ff2_bias: Float32Array,
) -> None:  # pragma: no cover - compiled
    """In place: residual += the block's feed-forward (LayerNorm, linear, GELU in its tanh form, linear)."""
    queries, dim = residual.shape
    hidden = np.dot(_layer_norm(residual, norm_weight, norm_bias), ff1_t)
    for i in range(queries):
        for j in range(hidden.shape[1]):
            h = hidden[i, j] + ff1_bias[j]
            hidden[i, j] = 0.5 * h * (1.0 + _tanh(_GELU * (h + 0.044715 * h * h * h)))
    out = np.dot(hidden, ff2_t)
    for i in range(queries):
        for j in range(dim):
            residual[i, j] += out[i, j] + ff2_bias[j]


@compiled
def _attend(
    x: Float32Array,
    start: int,
    heads: int,
    norm_weight: Float32Array,
    norm_bias: Float32Array,
    qkv_t: Float32Array,
    qkv_bias: Float32Array,
    proj_t: Float32Array,
    proj_bias: Float32Array,
) -> Float32Array:  # pragma: no cover - compiled
    """The block's attention half on the rows from `start` on: their residual rows plus the projected attention."""
    length, dim = x.shape
    qkv = np.dot(_layer_norm(x, norm_weight, norm_bias), qkv_t)
    for i in range(length):
        for j in range(3 * dim):
            qkv[i, j] += qkv_bias[j]
    projected = np.dot(_attention(qkv, start, heads), proj_t)
    residual = x[start:].copy()
    for i in range(length - start):
        for j in range(dim):
            residual[i, j] += projected[i, j] + proj_bias[j]
    return residual


@compiled
def encode_user(
    item_vectors: Float32Array,
    actions: IntArray,
    positions: Float32Array,
    action_table: Float32Array,
    norm1_weight: Float32Array,
    norm1_bias: Float32Array,
    qkv_t: Float32Array,
    qkv_bias: Float32Array,
    proj_t: Float32Array,
    proj_bias: Float32Array,
    norm2_weight: Float32Array,
    norm2_bias: Float32Array,
    ff1_t: Float32Array,
    ff1_bias: Float32Array,
    ff2_t: Float32Array,
    ff2_bias: Float32Array,
    norm_weight: Float32Array,
    norm_bias: Float32Array,
    heads: int,
) -> Float32Array:  # pragma: no cover - compiled
    """The pre-norm causal transformer of `UserEncoder` (eval mode) on one history, newest last: item
    vectors (L, dim), 1-based action codes (L,) -> the user vector (dim,). Per-layer weights are stacked on a
    first axis, linear weights transposed ((layers, in, out), C-contiguous) so that each product is one BLAS
    call. The last layer computes its newest row only: the user vector reads nothing else."""
    length = item_vectors.shape[0]
    x = _embed_history(item_vectors, actions, positions, action_table)
    layers = qkv_t.shape[0]
    for layer in range(layers):
        start = length - 1 if layer == layers - 1 else 0  # the queries this layer answers
        residual = _attend(x, start, heads, norm1_weight[layer], norm1_bias[layer], qkv_t[layer], qkv_bias[layer],
                           proj_t[layer], proj_bias[layer])  # fmt: skip
        _add_feed_forward(residual, norm2_weight[layer], norm2_bias[layer], ff1_t[layer], ff1_bias[layer],
                          ff2_t[layer], ff2_bias[layer])  # fmt: skip
        x = residual
    user: Float32Array = _layer_norm(x[-1:], norm_weight, norm_bias)[0]
    return user


@compiled
def weighted_rows(
    indptr: npt.NDArray[np.int32],
    indices: npt.NDArray[np.int32],
    data: Float32Array,
    rows: IntArray,
    weights: Float32Array,
    size: int,
    reach: bool,
) -> tuple[Float32Array, IntArray]:  # pragma: no cover - compiled
    """Sum of the CSR rows `rows`, each scaled by its weight -> (size,); with `reach`, also the columns those rows
    hold (distinct, sorted: where the sum can be other than 0), found in the same passes (else an empty array)."""
    out = np.zeros(size, dtype=np.float64)
    hit = np.zeros(size if reach else 0, dtype=np.bool_)
    count = 0
    for r in range(rows.size):
        row, weight = rows[r], weights[r]
        for e in range(indptr[row], indptr[row + 1]):
            column = indices[e]
            out[column] += data[e] * weight
            if reach and not hit[column]:
                hit[column] = True
                count += 1
    summed = out.astype(np.float32)
    reached = np.empty(count, dtype=np.int64)
    if reach:
        k = 0
        for i in range(size):
            if hit[i]:
                reached[k] = i
                k += 1
    return summed, reached


@compiled
def dots_at(table: Float32Array, rows: IntArray, vector: Float32Array) -> npt.NDArray[np.float64]:  # pragma: no cover
    """The dot product of `vector` with each of the `rows` of `table`, read in place (a gather of the rows first
    copied them: on a sample of 2,048 rows, half a megabyte a list)."""
    out = np.empty(rows.size, dtype=np.float64)
    dim = vector.size
    for r in range(rows.size):
        row = rows[r]
        total = np.float32(0.0)
        for d in range(dim):
            total += table[row, d] * vector[d]
        out[r] = total
    return out


@compiled
def _standardising(source: Float32Array, cold: npt.NDArray[np.bool_]) -> tuple[float, float]:  # pragma: no cover
    """The mean and 1 / deviation of `source` over its finite entries, the `cold` ones left out (empty: none); one
    pass (sums in float64)."""
    count, total, squares = 0, 0.0, 0.0
    for i in range(source.size):
        if np.isfinite(source[i]) and not (cold.size and cold[i]):
            value = float(source[i])
            count += 1
            total += value
            squares += value * value
    mean = total / max(count, 1)
    return mean, 1.0 / math.sqrt(max(squares / max(count, 1) - mean * mean, 0.0) + 1e-12)


@compiled
def blend_pair(
    first: Float32Array,
    second: Float32Array,
    first_weight: float,
    second_weight: float,
    cold: npt.NDArray[np.bool_],
) -> Float32Array:  # pragma: no cover
    """`train.blend.blend` of two sources of one user: each standardised over its finite entries, weighted and summed;
    where `first` is not finite the result is -inf. A `cold` item (empty: none) takes the first source's standardised
    score in place of the second's, the second being standardised over the other items: a product without
    item-to-item relations is ranked by its content (the network's score) instead of a constant."""
    out = np.zeros(first.size, dtype=np.float32)
    mean1, scale1 = _standardising(first, cold[:0]) if first_weight != 0.0 or cold.size else (0.0, 0.0)
    mean2, scale2 = _standardising(second, cold) if second_weight != 0.0 else (0.0, 0.0)
    for i in range(first.size):
        if not np.isfinite(first[i]):
            out[i] = -np.inf
            continue
        z1 = (first[i] - mean1) * scale1
        total = first_weight * z1 if first_weight != 0.0 else 0.0
        if second_weight != 0.0:
            if cold.size and cold[i]:
                total += second_weight * z1
            elif np.isfinite(second[i]):
                total += second_weight * (second[i] - mean2) * scale2
        out[i] = total
    return out
