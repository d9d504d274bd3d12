"""A list's candidates on a large catalog: the model's own nearest products and the blend's best without the model,
then the exact blend on those candidates only.

The exact pass (`candidates.blend_best`) needs every model score of the catalog: a dot product with each of its item
vectors, the item-to-item sum, and each source standardised over every item and again over the allowed products. Here
the candidates are the union of
- the products of the largest dot product with the shopper's vector, from the model's approximate index
  (`ml.model.index.ItemIndex`), and of the strongest item-to-item relations (`query.PersonalQuery.nearest`);
- the strongest item-to-item relations of the products in context;
- the best allowed products by the blend's other terms (popularity, the segment's, fit and the attribute profile:
  arrays kept per catalog, wearer or shopper, one compiled pass, `candidates.blend_best` without sources),
and the blend is computed exactly at them, each source's mean and spread over the allowed products estimated on a
fixed sample of the catalog (`SAMPLE` positions). The hard filters are the exact masks of the whole catalog (and so
are their counts): only allowed candidates are ranked. When fewer than the list's `k` of a source's candidates pass
the filters, its search is widened (`WIDEN` × more products and lists) and tried again, up to `MOST_WIDENED` of the
catalog; then `approximate_best` answers None and the list takes the exact pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from optirec.arrays import BoolArray, Float32Array, FloatArray, IntArray
from optirec.ml.model.query import PersonalQuery, distinct, strongest
from optirec.recommend.candidates import blend_at, blend_best
from optirec.recommend.kernels import standardising
from optirec.recommend.ranking import top_k

SAMPLE = 2048  # catalog positions each source's mean and spread over the allowed products is estimated on
SEARCH = 4  # a source's first search asks for this many × k products
PROBES = 16  # lists of the approximate index searched first
WIDEN = 4  # each widening searches this many × more products and lists
MOST_WIDENED = 0.25  # a search past this share of the catalog gives up: the list takes the exact pass


class Source(Protocol):
    """A model source asked only where a list needs it, over catalog positions."""

    def at(self, positions: IntArray) -> FloatArray:
        """Its scores at these positions, NaN where the model knows nothing of the product."""

    def nearest(self, count: int, probes: int) -> IntArray:
        """Positions likely to score best (about `count`)."""


@dataclass(frozen=True)
class PersonalSource:
    """The shopper's personal scores (`PersonalQuery`) over catalog positions."""

    query: PersonalQuery
    rows: IntArray  # the model's row of each catalog position, −1 where it knows nothing of the product
    positions: IntArray  # the catalog position of each model row, −1 where the catalog does not hold it

    def at(self, positions: IntArray) -> FloatArray:
        rows = self.rows[positions]
        out = np.full(positions.size, np.nan)
        known = rows >= 0
        out[known] = self.query.at(rows[known])
        return out

    def nearest(self, count: int, probes: int) -> IntArray:
        found = self.positions[self.query.nearest(count, probes)]
        return found[found >= 0]


@dataclass(frozen=True)
class RelatedSource:
    """Item-to-item scores of the products in context (a sparse sum over the model's items) over catalog
    positions."""

    scores: Float32Array  # (n_items,)
    rows: IntArray
    positions: IntArray

    def at(self, positions: IntArray) -> FloatArray:
        rows = self.rows[positions]
        return np.where(rows >= 0, self.scores[np.maximum(rows, 0)].astype(np.float64), np.nan)

    def nearest(self, count: int, probes: int) -> IntArray:
        found = self.positions[strongest(self.scores, count)]
        return found[found >= 0]


@dataclass(frozen=True)
class SourceBlend:
    """The blend of `candidates.Blend`, its model sources asked at the positions wanted."""

    popularity: FloatArray
    segment: FloatArray | None
    popularity_weight: float
    fit: FloatArray
    fit_weight: float
    extra: FloatArray | None
    allowed: BoolArray
    sources: tuple[Source | None, ...]
    stats: FloatArray  # (sources, 3): mean, scale, takes part

    def at(self, positions: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
        def values(row: int) -> FloatArray | None:
            source = self.sources[row]
            return None if source is None else source.at(positions)

        return blend_at(self, positions, values)


@lru_cache(maxsize=8)
def sample_of(size: int) -> IntArray:
    """`SAMPLE` positions of a catalog of `size` products, the same on every call (sorted)."""
    if size <= SAMPLE:
        return np.arange(size, dtype=np.int64)
    picked = np.random.default_rng(0).choice(size, SAMPLE, replace=False)
    return np.sort(picked).astype(np.int64)


def approximate_best(
    *,
    popularity: FloatArray,
    segment: FloatArray | None,
    popularity_weight: float,
    fit: FloatArray,
    fit_weight: float,
    profile: FloatArray | None,
    profile_weight: float,
    allowed: BoolArray,
    sources: tuple[tuple[Source | None, float], ...],
    k: int,
) -> tuple[IntArray, SourceBlend] | None:
    """`candidates.blend_best` on the candidates above: the k best allowed products (best first, ties to the lower
    position) and the blend, or None where the candidates cannot answer (too few pass the filters even widened, or
    the sample holds no allowed product a source knows)."""
    sample = sample_of(allowed.size)
    in_sample = sample[allowed[sample]]
    if in_sample.size == 0 or int(np.count_nonzero(allowed)) < k:
        return None
    everywhere = np.ones(in_sample.size, dtype=np.bool_)
    extra = None
    if profile is not None:  # standardised over the allowed products, as `kernels.add_standardised`
        mean, scale, _ = standardising(everywhere, profile[in_sample], profile_weight)
        extra = profile - mean
        extra *= scale
    searched = [_searched(source, allowed, k) for source, _ in sources]
    if any(found is None for found in searched):
        return None
    stats = np.zeros((len(sources), 3))
    for row, (source, weight) in enumerate(sources):
        if source is not None:
            mean, scale, present = standardising(everywhere, source.at(in_sample), float(weight))
            stats[row] = (mean, scale, 1.0 if present else 0.0)
    blend = SourceBlend(popularity, segment, popularity_weight, fit, fit_weight, extra, allowed,
                        tuple(source for source, _ in sources), stats)  # fmt: skip
    if any(source is not None and not stats[row, 2] for row, (source, _) in enumerate(sources)):
        return None  # a source that knows none of the sample: its spread cannot be estimated
    base, _ = blend_best(popularity=popularity, segment=segment, popularity_weight=popularity_weight, fit=fit,
                         fit_weight=fit_weight, allowed=allowed, sources=_NONE, k=SEARCH * k, extra=extra)  # fmt: skip
    candidates = distinct(np.concatenate([base, *(found for found in searched if found is not None)]))
    candidates = candidates[allowed[candidates]]
    _, _, order = blend.at(candidates)
    return candidates[top_k(order, np.ones(candidates.size, dtype=np.bool_), k)], blend


def _searched(source: Source | None, allowed: BoolArray, k: int) -> IntArray | None:
    """A source's candidates, widened until at least k of them are allowed (fewer only where it knows fewer);
    None when that takes more than `MOST_WIDENED` of the catalog."""
    if source is None:
        return np.zeros(0, dtype=np.int64)
    count, probes = SEARCH * k, PROBES
    while True:
        found = source.nearest(count, probes)
        if int(np.count_nonzero(allowed[found])) >= k or found.size < count // 2:
            return found
        if count * WIDEN > MOST_WIDENED * allowed.size:
            return None
        count, probes = count * WIDEN, probes * WIDEN


_NONE = ((None, 0.0),)  # `blend_best` without a model source
