"""Ranking math as pure functions on arrays: request filters, blending, top-k and diversity re-ranking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.recommend.kernels import maximal_marginal_relevance


def equals(values: npt.NDArray[np.str_], wanted: str | None) -> BoolArray | None:
    """Case-insensitive equality mask, or None when there is nothing to filter on."""
    if wanted is None:
        return None
    return np.asarray(np.char.lower(values) == wanted.strip().lower(), dtype=np.bool_)


def price_mask(price: FloatArray, lo: float | None, hi: float | None) -> BoolArray | None:
    if lo is None and hi is None:
        return None
    mask = np.ones(price.shape, dtype=np.bool_)
    if lo is not None:
        mask &= price >= lo
    if hi is not None:
        mask &= price <= hi
    return mask


def attribute_mask(attributes: Sequence[dict[str, Any]], wanted: dict[str, Any]) -> BoolArray | None:
    """Products whose free-form attributes hold every wanted key with the wanted value (or list containing it)."""
    if not wanted:
        return None

    def matches(held: dict[str, Any]) -> bool:
        for key, value in wanted.items():
            have = held.get(key)
            if not (have == value or (isinstance(have, list) and value in have)):
                return False
        return True

    return np.fromiter((matches(a) for a in attributes), dtype=np.bool_, count=len(attributes))


def combine(masks: Sequence[BoolArray | None], size: int) -> BoolArray:
    out = np.ones(size, dtype=np.bool_)
    for mask in masks:
        if mask is not None:
            out &= mask
    return out


def standardise(scores: FloatArray, where: BoolArray) -> FloatArray:
    """Scores shifted and scaled to mean 0, deviation 1 over the `where` entries (0 elsewhere)."""
    out = np.zeros(scores.shape, dtype=np.float64)
    if not where.any():
        return out
    values = scores[where]
    centred = values - np.add.reduce(values) / values.size
    spread = float(np.sqrt(np.add.reduce(centred * centred) / values.size))
    out[where] = centred / (spread if spread > 1e-12 else 1.0)
    return out


def top_k(scores: FloatArray, allowed: BoolArray, k: int) -> IntArray:
    """Indices of the k best allowed scores, best first (ties by index, also at the k-th score: the same products
    as `candidates.blend_best` keeps)."""
    candidates = np.flatnonzero(allowed)
    values = scores[candidates]
    if candidates.size > k > 0:
        threshold = np.partition(values, candidates.size - k)[candidates.size - k]  # the k-th best
        keep = values > threshold
        keep[np.flatnonzero(values == threshold)[: k - int(np.count_nonzero(keep))]] = True
        candidates, values = candidates[keep], values[keep]
    elif k <= 0:
        return np.zeros(0, dtype=np.int64)
    return candidates[np.argsort(-values, kind="stable")].astype(np.int64)


def diversify(
    candidates: IntArray, relevance: FloatArray, features: npt.NDArray[np.int64], diversity: float, k: int
) -> IntArray:
    """Maximal marginal relevance: pick k of `candidates`, trading relevance against likeness to those picked.

    `features` (n_items, n_features) holds categorical codes (brand, shape, colour…); likeness of two items is the
    share of features they have in common. `diversity` 0 keeps the relevance order; 1 cares only for variety.
    The greedy loop is compiled (`kernels.maximal_marginal_relevance`): in numpy it was four array operations
    per pick, which cost more than the arithmetic.
    """
    if diversity <= 0 or candidates.size <= 1:
        return candidates[:k]
    rel = relevance[candidates]
    spread = rel.max() - rel.min()
    rel = (rel - rel.min()) / spread if spread > 0 else np.zeros_like(rel)
    feats = np.ascontiguousarray(features[candidates], dtype=np.int64)
    picked = maximal_marginal_relevance(np.asarray(rel, dtype=np.float64), feats, float(diversity), k)
    return candidates[picked]
