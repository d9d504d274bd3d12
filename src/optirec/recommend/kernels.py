"""Compiled kernels of list building (numba): the score blend over the catalog, maximal marginal relevance and the
strongest source of each recommended product. Compiled on first use and cached on disk, as `ml.model.kernels`."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array, IntArray
from optirec.ml.model.kernels import compiled


@compiled
def maximal_marginal_relevance(
    relevance: npt.NDArray[np.float64], features: IntArray, diversity: float, k: int
) -> IntArray:  # pragma: no cover - compiled
    """Greedy MMR over c candidates: relevance (c,) scaled to 0…1, categorical feature codes (c, n_features).
    Each step picks the candidate with the best (1 − diversity) × relevance − diversity × likeness, where likeness
    is the largest share of features it has in common with one already picked (first one on ties). Returns the
    picked indices in order."""
    count, n_features = features.shape
    picks = min(k, count)
    picked = np.empty(picks, dtype=np.int64)
    likeness = np.zeros(count)
    taken = np.zeros(count, dtype=np.bool_)
    for step in range(picks):
        best, best_value = -1, -np.inf
        for i in range(count):
            if not taken[i]:
                value = (1.0 - diversity) * relevance[i] - diversity * likeness[i]
                if value > best_value:
                    best, best_value = i, value
        picked[step] = best
        taken[best] = True
        for i in range(count):
            if not taken[i]:
                same = 0
                for f in range(n_features):
                    if features[best, f] == features[i, f]:
                        same += 1
                likeness[i] = max(likeness[i], same / n_features)
    return picked


@compiled
def strongest_rows(
    indptr: npt.NDArray[np.int32], indices: npt.NDArray[np.int32], data: Float32Array, rows: IntArray, targets: IntArray
) -> IntArray:  # pragma: no cover - compiled
    """For each target column, which of the CSR rows `rows` holds the largest positive entry in it (an index into
    `rows`, the first on ties), or -1 where none of them has a positive entry there. Each row's column indices must
    be sorted (`ItemItem` sorts them): a binary search per row and target, so a dense row costs no more than a
    sparse one."""
    best = np.zeros(targets.size)
    strongest = np.full(targets.size, -1, dtype=np.int64)
    for t in range(targets.size):
        target = targets[t]
        for r in range(rows.size):
            start, end = indptr[rows[r]], indptr[rows[r] + 1]
            at = start + np.searchsorted(indices[start:end], target)
            if at < end and indices[at] == target and data[at] > best[t]:
                best[t] = data[at]
                strongest[t] = r
    return strongest


@compiled
def summed_lifts(
    codes: npt.NDArray[np.uint16], lifts: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:  # pragma: no cover - compiled
    """Per product, Σ over columns c of lifts[c, codes[c, product]] (`profile.attribute_profile`): one pass over the
    catalog, where numpy made a gather and a sum per column."""
    columns, n = codes.shape
    out = np.zeros(n)
    for c in range(columns):  # column by column, its codes and lifts as rows: a third faster than product by product
        row, table = codes[c], lifts[c]
        for i in range(n):
            out[i] += table[row[i]]
    return out


@compiled
def standardising(
    allowed: npt.NDArray[np.bool_], values: npt.NDArray[np.float64], weight: float
) -> tuple[float, float, bool]:  # pragma: no cover - compiled
    """The mean and the scale (weight / spread) of a source over the allowed products it knows (not NaN); False when
    it knows none of them."""
    count, summed = 0, 0.0
    for i in range(values.size):
        if allowed[i] and not np.isnan(values[i]):
            count += 1
            summed += values[i]
    if count == 0:
        return 0.0, 0.0, False
    mean = summed / count
    squares = 0.0
    for i in range(values.size):
        if allowed[i] and not np.isnan(values[i]):
            squares += (values[i] - mean) * (values[i] - mean)
    spread = math.sqrt(squares / count)
    return mean, weight / (spread if spread > 1e-12 else 1.0), True


@compiled
def _add_source(
    total: npt.NDArray[np.float64],
    known: npt.NDArray[np.bool_],
    allowed: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float64],
    weight: float,
) -> None:  # pragma: no cover - compiled
    mean, scale, present = standardising(allowed, values, weight)
    if not present:
        return
    for i in range(values.size):
        if allowed[i] and not np.isnan(values[i]):
            total[i] += (values[i] - mean) * scale
            known[i] = True


@compiled
def add_standardised(
    total: npt.NDArray[np.float64], allowed: npt.NDArray[np.bool_], values: npt.NDArray[np.float64], weight: float
) -> None:  # pragma: no cover - compiled
    """`total += weight × values` standardised over the allowed products (in place; a source every product has, as
    the attribute profile, so nothing is marked as known to a model)."""
    _add_source(total, np.zeros(total.size, dtype=np.bool_), allowed, values, weight)


@compiled
def blend_sources(
    base: npt.NDArray[np.float64],
    allowed: npt.NDArray[np.bool_],
    personal: npt.NDArray[np.float64],
    personal_weight: float,
    related: npt.NDArray[np.float64],
    related_weight: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:  # pragma: no cover - compiled
    """The list's blend over catalog positions: `base` (popularity and fit) plus each model source (NaN where the
    model does not know the product; an empty array when the source is absent) standardised over the allowed
    products it knows, times its weight. Returns the total, the ranking order (products some source knows 1000
    above the others, so they only fill a short list) and which products a source knows."""
    total = base.copy()
    known = np.zeros(base.size, dtype=np.bool_)
    if personal.size:
        _add_source(total, known, allowed, personal, personal_weight)
    if related.size:
        _add_source(total, known, allowed, related, related_weight)
    order = total.copy()
    for i in range(order.size):
        if known[i]:
            order[i] += 1000.0
    return total, order, known


@compiled
def passing(
    class_of: npt.NDArray[np.int32], failed: npt.NDArray[np.uint8], sellable: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], IntArray]:  # pragma: no cover - compiled
    """In one pass over the catalog, where product i fails the rules `failed[class_of[i]]` (its class's,
    `vectorized.FrameClasses`): which sellable products fail no rule, and per rule bit how many sellable products
    fail it first (their lowest bit set), as `filters.first_failures` counts them. The lowest bit is found once per
    class, so the pass over the products is a lookup and a count: branch-free, into four interleaved counts (a
    single count incremented product after product waits for its own last store), 16-27 % less than one count
    behind a branch on `sellable` (50,000 products, synthetic classes in random or sorted order)."""
    first_bit = np.full(failed.size, 8, dtype=np.int64)  # 8: fails no rule
    for c in range(failed.size):
        bits = failed[c]
        if bits:
            bit = 0
            while not (bits >> bit) & 1:
                bit += 1
            first_bit[c] = bit
    allowed = np.empty(sellable.size, dtype=np.bool_)
    counts = np.zeros((4, 9), dtype=np.int64)
    for i in range(sellable.size):
        code = first_bit[class_of[i]]
        sold = sellable[i]
        allowed[i] = sold & (code == 8)
        counts[i & 3, code] += sold
    return allowed, counts.sum(axis=0)[:8]
