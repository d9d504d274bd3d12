"""A list's candidates: the best allowed products by the blend, found in one compiled pass over the catalog.

The whole-catalog path (`kernels.blend_sources`, then `ranking.top_k`) writes the blend of every product into new
arrays, lists the allowed positions, gathers their scores and partitions them: on the large shop (50,000 products)
several passes and allocations of the catalog's size per list. Here the same blend is computed product by product
and only the `k` best allowed ones are kept (ties to the lower position), with the standardisation of each model
source over the allowed products it knows done first, as `blend_sources` does. The result is the same list of
candidates, to the last bit of their scores; `Blend.at` gives the blend of any other products (the slots
exploration draws) from the same statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.ml.model.kernels import compiled
from optirec.recommend.kernels import blend_sources, standardising
from optirec.recommend.ranking import top_k

KNOWN_BONUS = 1000.0  # products some model source knows rank above all others (`kernels.blend_sources`)


@compiled
def _best(
    popularity: FloatArray,
    segment: FloatArray,
    popularity_weight: float,
    fit: FloatArray,
    fit_weight: float,
    extra: FloatArray,
    allowed: BoolArray,
    sources: tuple[FloatArray, ...],
    stats: FloatArray,
    k: int,
) -> IntArray:  # pragma: no cover - compiled
    """The k allowed positions of the best ranking value (the blend, plus the known bonus), best first, ties to the
    lower position. `segment` and `extra` (a term added to every product, the attribute profile) empty when there is
    none; `stats` (sources, 3): per source its mean, its scale and
    whether it takes part (1.0) or not (0.0: absent, or it knows no allowed product)."""
    kept = np.empty(k, dtype=np.int64)
    value = np.empty(k)
    size, worst = 0, 0  # `worst`: the slot of the kept product that a better one replaces (the later on ties)
    for i in range(allowed.size):
        if not allowed[i]:
            continue
        if segment.size:
            total = popularity_weight * (0.5 * popularity[i] + segment[i]) + fit_weight * fit[i]
        else:
            total = popularity_weight * popularity[i] + fit_weight * fit[i]
        if extra.size:
            total += extra[i]
        known = False
        for s in range(len(sources)):
            if stats[s, 2] > 0.0 and not np.isnan(sources[s][i]):
                total += (sources[s][i] - stats[s, 0]) * stats[s, 1]
                known = True
        order = total + KNOWN_BONUS if known else total
        if size < k:
            kept[size], value[size] = i, order
            size += 1
        elif order > value[worst]:  # a tie keeps the earlier position, already kept
            kept[worst], value[worst] = i, order
        else:
            continue
        if size == k:
            worst = 0
            for j in range(1, k):
                if value[j] < value[worst] or (value[j] == value[worst] and kept[j] > kept[worst]):
                    worst = j
    kept, value = kept[:size], value[:size]  # in position order while fewer than k were allowed
    by_position = np.argsort(kept)
    kept, value = kept[by_position], value[by_position]
    return kept[np.argsort(-value, kind="mergesort")]  # stable: ties stay in position order


class Blended(Protocol):
    def at(self, positions: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
        """The blend at these positions, whether a model source knows each, and the ranking value (the blend plus
        the known bonus)."""


@dataclass(frozen=True)
class Blend:
    """One list's blend: popularity (with the segment's), fit and the model sources standardised over the allowed
    products they know, evaluated where asked: the numbers `kernels.blend_sources` gives there."""

    popularity: FloatArray
    segment: FloatArray | None
    popularity_weight: float
    fit: FloatArray
    fit_weight: float
    extra: FloatArray | None  # a term of every product (the attribute profile, standardised and weighted)
    allowed: BoolArray
    sources: tuple[FloatArray, ...]  # empty where absent
    stats: FloatArray  # (sources, 3): mean, scale, takes part

    def at(self, positions: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
        return blend_at(self, positions, lambda row: self.sources[row][positions])

    def fit_at(self, positions: IntArray) -> FloatArray:
        return self.fit[positions]

    def extra_at(self, positions: IntArray) -> FloatArray | None:
        return None if self.extra is None else self.extra[positions]


class Terms(Protocol):
    """What a blend holds besides its model sources (`Blend`, `approximate.SourceBlend`)."""

    @property
    def popularity(self) -> FloatArray: ...
    @property
    def segment(self) -> FloatArray | None: ...
    @property
    def popularity_weight(self) -> float: ...
    @property
    def fit_weight(self) -> float: ...
    @property
    def allowed(self) -> BoolArray: ...
    @property
    def stats(self) -> FloatArray: ...
    def fit_at(self, positions: IntArray) -> FloatArray:
        """The fit score at these positions."""

    def extra_at(self, positions: IntArray) -> FloatArray | None:
        """The term added to every product (the attribute profile, standardised and weighted) at these positions;
        None without one."""


def blend_at(
    blend: Terms, positions: IntArray, values: Callable[[int], FloatArray | None]
) -> tuple[FloatArray, BoolArray, FloatArray]:
    """`Blended.at` of a blend whose model source `row` gives `values(row)` at `positions` (NaN where it knows
    nothing of a product; None: no such source), asked only for the sources that take part."""
    popularity = blend.popularity[positions]
    if blend.segment is not None:
        popularity = 0.5 * popularity + blend.segment[positions]
    total: FloatArray = blend.popularity_weight * popularity + blend.fit_weight * blend.fit_at(positions)
    extra = blend.extra_at(positions)
    if extra is not None:
        total += extra
    known = np.zeros(positions.size, dtype=np.bool_)
    for row, (mean, scale, present) in enumerate(blend.stats):
        found = values(row) if present else None
        if found is None:
            continue
        knows = blend.allowed[positions] & ~np.isnan(found)
        total[knows] += (found[knows] - mean) * scale
        known |= knows
    return total, known, np.where(known, total + KNOWN_BONUS, total)


@dataclass(frozen=True)
class CatalogBlend:
    """The blend computed over the whole catalog (`blend_catalog`)."""

    total: FloatArray
    known: BoolArray
    order: FloatArray

    def at(self, positions: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
        return self.total[positions], self.known[positions], self.order[positions]


Sources = Sequence[tuple[FloatArray | None, float]]  # each model source over catalog positions (NaN where it does
# not know the product; None when absent) and its weight


def blend_best(
    *,
    popularity: FloatArray,
    segment: FloatArray | None,
    popularity_weight: float,
    fit: FloatArray,
    fit_weight: float,
    allowed: BoolArray,
    sources: Sources,
    k: int,
    extra: FloatArray | None = None,
) -> tuple[IntArray, Blended]:
    """The k best allowed products by the blend (best first, ties to the lower position) and the blend itself, in
    one compiled pass over the catalog after one per model source (its mean and spread over the allowed products)."""
    empty = np.zeros(0, dtype=np.float64)
    values = tuple(empty if source is None else source for source, _ in sources)
    stats = np.zeros((len(values), 3))
    for row, (source, (_, weight)) in enumerate(zip(values, sources, strict=True)):
        if source.size:
            mean, scale, present = standardising(allowed, source, float(weight))
            stats[row] = (mean, scale, 1.0 if present else 0.0)
    best = _best(popularity, empty if segment is None else segment, float(popularity_weight), fit,
                 float(fit_weight), empty if extra is None else extra, allowed, values, stats, max(k, 1))  # fmt: skip
    return best, Blend(popularity, segment, popularity_weight, fit, fit_weight, extra, allowed, values, stats)


def blend_catalog(
    *,
    popularity: FloatArray,
    segment: FloatArray | None,
    popularity_weight: float,
    fit: FloatArray,
    fit_weight: float,
    allowed: BoolArray,
    sources: Sources,
    k: int,
    extra: FloatArray | None = None,
) -> tuple[IntArray, Blended]:
    """`blend_best` the whole catalog's way: the blend of every product (`kernels.blend_sources`), then the k best
    allowed (`ranking.top_k`). Kept as the reference the compiled pass is checked and timed against."""
    if segment is not None:
        popularity = 0.5 * popularity + segment
    total = popularity_weight * popularity + fit_weight * fit
    if extra is not None:
        total = total + extra
    known = np.zeros(total.size, dtype=np.bool_)
    for source, weight in sources:
        if source is not None:
            total, _, knows = blend_sources(total, allowed, source, float(weight), _NONE, 0.0)
            known |= knows
    order = np.where(known, total + KNOWN_BONUS, total)
    return top_k(order, allowed, k), CatalogBlend(total, known, order)


_NONE = np.zeros(0, dtype=np.float64)
