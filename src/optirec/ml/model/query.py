"""One shopper's personal scores asked only where they are needed: at some items, and the items that score best.

`ServedModel.score_codes` scores every item: a dot product of the user vector with each item vector, the item-to-item
sum over the history, and each of the two standardised over every item. On a catalog of 50,000 products that is most
of a list's cost. A `PersonalQuery` gives the same scores at the rows asked (`at`), the two sources' means and spreads
taken from the item vectors' moments (`index.Moments`) and from the item-to-item sum, and the rows likely to score best
(`nearest`): the approximate index's nearest items (`index.ItemIndex`) and the strongest item-to-item ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optirec.arrays import BoolArray, Float32Array, FloatArray, IntArray
from optirec.ml.model.index import ItemIndex, Moments
from optirec.ml.model.kernels import dots_at


@dataclass(frozen=True)
class PersonalQuery:
    """A shopper's `score_codes` (history only, no context) at any rows, without scoring every item."""

    item_table: Float32Array  # (n_items, dim)
    user: Float32Array  # (dim,) the user vector
    related: Float32Array | None  # (n_items,) the item-to-item sum over the history; None when not blended
    held: IntArray  # the rows where that sum can be other than 0 (distinct, sorted)
    weights: tuple[float, float]  # network, item-to-item
    network: tuple[float, float]  # the dot products' mean and scale (weight / spread) over every item
    relation: tuple[float, float]  # the same of the item-to-item sum (over the items that are not cold)
    index: ItemIndex
    cold: BoolArray  # (n_items,) items without item-to-item relations, scored by the network there; empty: none
    network_z: float  # 1 / the dot products' spread: a cold item's standardised network score is its second source

    @classmethod
    def of(cls, item_table: Float32Array, user: Float32Array, related: tuple[Float32Array, IntArray] | None,
           weights: tuple[float, float], moments: Moments, index: ItemIndex,
           cold: BoolArray) -> PersonalQuery:  # fmt: skip
        """As `kernels.blend_pair` standardises: each source over every item (all finite; the item-to-item sum over
        the items that are not `cold`), its scale the weight over √(variance + 1e-12). `related`: the item-to-item
        sum and the rows it can hold other than 0 (the neighbours of the history's items: never a cold item), or
        None."""
        mean, spread = moments.spread(user)
        network_z = 1.0 / math.sqrt(spread * spread + 1e-12)
        network = (mean, weights[0] * network_z)
        relation = (0.0, 0.0)
        summed, held = None, np.zeros(0, dtype=np.int64)
        if related is not None:  # a sparse sum: its mean and spread from the entries it can hold
            summed, held = related
            values = summed[held].astype(np.float64)
            warm = max(summed.size - int(cold.sum()), 1)
            r_mean = float(values.sum()) / warm
            variance = float(values @ values) / warm - r_mean * r_mean
            relation = (r_mean, weights[1] / math.sqrt(max(variance, 0.0) + 1e-12))
        return cls(item_table, user, summed, held, weights, network, relation, index, cold, network_z)

    def at(self, rows: IntArray, dots: FloatArray | None = None) -> FloatArray:
        """The personal score of these items (float64): the network's dot product alone when the model blends no
        item-to-item source, else both standardised and weighted. `dots`: their dot products with the user vector,
        where the caller has them."""
        if dots is None:
            dots = dots_at(self.item_table, np.ascontiguousarray(rows, dtype=np.int64), self.user)
        if self.related is None:
            return dots
        out = np.zeros(rows.size)
        if self.weights[0] != 0.0:
            out += (dots - self.network[0]) * self.network[1]
        if self.weights[1] != 0.0:
            second = (self.related[rows].astype(np.float64) - self.relation[0]) * self.relation[1]
            if self.cold.size:
                own = (dots - self.network[0]) * (self.weights[1] * self.network_z)
                second = np.where(self.cold[rows], own, second)
            out += second
        return out

    def nearest(self, count: int, probes: int) -> IntArray:
        """Rows likely among the best `at`: about the `count` of the largest dot product (the approximate index,
        `probes` of its lists) and the `count` strongest of the item-to-item sum."""
        parts = []
        if self.weights[0] != 0.0 or self.related is None or self.cold.size:
            parts.append(self.index.nearest(self.user, count, probes))
        if self.related is not None and self.weights[1] != 0.0:
            parts.append(strongest(self.related, count, self.held))
        return distinct(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def strongest(values: Float32Array, count: int, held: IntArray | None = None) -> IntArray:
    """The rows of at most `count` of the largest positive `values`, among the rows `held` (None: every row)."""
    rows = np.flatnonzero(values > 0) if held is None else held[values[held] > 0]
    if rows.size > count:
        rows = rows[np.argpartition(-values[rows], count - 1)[:count]]
    return rows.astype(np.int64)


def distinct(rows: IntArray) -> IntArray:
    """The distinct values of a short array, sorted (`np.unique` hashes: several times slower on a few hundred)."""
    ordered = np.sort(rows)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
