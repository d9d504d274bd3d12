"""A list's candidates on a large catalog: the model's own nearest products and the best products by the blend's other
terms, then the exact blend on those candidates only; no pass over the whole catalog.

The exact pass (`candidates.blend_best`) needs every model score of the catalog: a dot product with each of its item
vectors, the item-to-item sum, and each source standardised over every item and again over the allowed products; and
the attribute profile of every product. Here the candidates are the union of
- the products of the largest dot product with the shopper's vector, from the model's approximate index
  (`ml.model.index.ItemIndex`), and of the strongest item-to-item relations (`query.PersonalQuery.nearest`);
- the strongest item-to-item relations of the products in context;
- the best allowed products by the blend's other terms (popularity and the segment's, fit, the attribute profile),
  in one compiled pass that reads each product's codes, its fit class and popularity and keeps the best in a
  buffer that a selection trims (`best_base`): the profile and the fit are never written out for the whole catalog;
and the blend is computed exactly at them, each source's mean and spread over the allowed products estimated on a fixed
sample of the catalog (`SAMPLE` positions). The hard filters are the exact masks of the whole catalog (and so are their
counts): only allowed candidates are ranked. When fewer than the list's `k` of a source's candidates pass the filters,
its search is widened (`WIDEN` × more products and lists) and tried again, up to `MOST_WIDENED` of the catalog; then
`approximate_best` answers None and the list takes the exact pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

from optirec.arrays import BoolArray, Float32Array, FloatArray, IntArray
from optirec.ml.model.kernels import compiled
from optirec.ml.model.query import PersonalQuery, distinct, strongest
from optirec.recommend.candidates import blend_at
from optirec.recommend.kernels import standardising
from optirec.recommend.profile import ShopperProfile
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

    def at_sample(self, keep: BoolArray) -> FloatArray:
        """`at` the catalog's sample positions (`sample_of`) where `keep` (a mask over the sample)."""


@dataclass(frozen=True)
class SampleTable:
    """The model's item vectors at the catalog's sample (`sample_of`), contiguous and in sample order: the sample's
    dot products then read half a megabyte in order, where 2,048 rows scattered over the whole table (12.8 MB on the
    large shop) missed the cache row by row. Made once per catalog and model (`live.ServingState.query`)."""

    rows: IntArray  # (sample,) the model's row of each sample position, −1 where it knows nothing of the product
    table: Float32Array  # (sample, dim) those rows' vectors (zeros where unknown)

    @classmethod
    def of(cls, item_table: Float32Array, rows: IntArray) -> SampleTable:
        """`rows`: the model's row of each catalog position."""
        sampled = rows[sample_of(rows.size)]
        table = np.ascontiguousarray(item_table[np.maximum(sampled, 0)], dtype=np.float32)
        table[sampled < 0] = 0.0
        return cls(sampled, table)


@dataclass(frozen=True)
class PersonalSource:
    """The shopper's personal scores (`PersonalQuery`) over catalog positions."""

    query: PersonalQuery
    rows: IntArray  # the model's row of each catalog position, −1 where it knows nothing of the product
    positions: IntArray  # the catalog position of each model row, −1 where the catalog does not hold it
    sample: SampleTable | None = None  # the item vectors at the catalog's sample, where made

    def at(self, positions: IntArray) -> FloatArray:
        rows = self.rows[positions]
        out = np.full(positions.size, np.nan)
        known = rows >= 0
        out[known] = self.query.at(rows[known])
        return out

    def at_sample(self, keep: BoolArray) -> FloatArray:
        """`at` the catalog's sample positions where `keep` (a mask over the sample)."""
        if self.sample is None:
            return self.at(sample_of(self.rows.size)[keep])
        rows = self.sample.rows[keep]
        known = rows >= 0
        dots = (self.sample.table @ self.query.user)[keep][known].astype(np.float64)
        out = np.full(rows.size, np.nan)
        out[known] = self.query.at(rows[known], dots)
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

    def at_sample(self, keep: BoolArray) -> FloatArray:
        return self.at(sample_of(self.rows.size)[keep])


@dataclass(frozen=True)
class Standardised:
    """The attribute profile as the blend adds it: standardised over the allowed products (mean and scale estimated
    on the sample) and weighted, at the positions asked."""

    profile: ShopperProfile
    mean: float
    scale: float  # weight / spread

    def at(self, positions: IntArray) -> FloatArray:
        return (self.profile.at(positions) - self.mean) * self.scale


class FitScores(Protocol):
    """The wearer's fit score by class of frames (`filters.WearerView`)."""

    @property
    def class_of(self) -> npt.NDArray[np.int32]: ...
    @property
    def class_fit(self) -> FloatArray: ...
    def fit_at(self, positions: IntArray) -> FloatArray:
        """The fit score of the products at these positions."""


@dataclass(frozen=True)
class SourceBlend:
    """The blend of `candidates.Blend`, its model sources, fit and profile asked at the positions wanted."""

    popularity: FloatArray
    segment: FloatArray | None
    popularity_weight: float
    fit: FitScores
    fit_weight: float
    extra: Standardised | None
    allowed: BoolArray
    sources: tuple[Source | None, ...]
    stats: FloatArray  # (sources, 3): mean, scale, takes part

    def at(self, positions: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
        def values(row: int) -> FloatArray | None:
            source = self.sources[row]
            return None if source is None else source.at(positions)

        return blend_at(self, positions, values)

    def fit_at(self, positions: IntArray) -> FloatArray:
        return self.fit.fit_at(positions)

    def extra_at(self, positions: IntArray) -> FloatArray | None:
        return None if self.extra is None else self.extra.at(positions)


@dataclass(frozen=True)
class Computed:
    """A blend already computed at the candidates: asked again at some of them (the list's best, then the products
    it shows), it reads them there instead of asking every source again; elsewhere (a product exploration drew from
    outside the candidates) it asks the blend."""

    blend: SourceBlend
    positions: IntArray  # the candidates, sorted and distinct
    values: tuple[FloatArray, BoolArray, FloatArray]  # `SourceBlend.at` of them

    def at(self, positions: IntArray) -> tuple[FloatArray, BoolArray, FloatArray]:
        where = np.minimum(np.searchsorted(self.positions, positions), max(self.positions.size - 1, 0))
        if self.positions.size == 0 or not np.array_equal(self.positions[where], positions):
            return self.blend.at(positions)
        total, known, order = self.values
        return total[where], known[where], order[where]


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
    fit: FitScores,
    fit_weight: float,
    profile: ShopperProfile | None,
    profile_weight: float,
    allowed: BoolArray,
    sources: tuple[tuple[Source | None, float], ...],
    k: int,
) -> tuple[IntArray, Computed] | None:
    """`candidates.blend_best` on the candidates above: the k best allowed products (best first, ties to the lower
    position) and the blend (computed at the candidates), or None where the candidates cannot answer (too few pass
    the filters even widened, the sample holds no allowed product a source knows). `fit`: the wearer's fit scores
    (`filters.WearerView`)."""
    sample = sample_of(allowed.size)
    keep = allowed[sample]
    in_sample = sample[keep]
    if in_sample.size == 0 or int(np.count_nonzero(allowed)) < k:
        return None
    everywhere = np.ones(in_sample.size, dtype=np.bool_)
    extra = None
    if profile is not None:  # standardised over the allowed products, as `kernels.add_standardised`
        mean, scale, _ = standardising(everywhere, profile.at(in_sample), profile_weight)
        extra = Standardised(profile, mean, scale)
    searched = [_searched(source, allowed, k) for source, _ in sources]
    if any(found is None for found in searched):
        return None
    stats = np.zeros((len(sources), 3))
    for row, (source, weight) in enumerate(sources):
        if source is not None:
            mean, scale, present = standardising(everywhere, source.at_sample(keep), float(weight))
            stats[row] = (mean, scale, 1.0 if present else 0.0)
    blend = SourceBlend(popularity, segment, popularity_weight, fit, fit_weight, extra, allowed,
                        tuple(source for source, _ in sources), stats)  # fmt: skip
    if any(source is not None and not stats[row, 2] for row, (source, _) in enumerate(sources)):
        return None  # a source that knows none of the sample: its spread cannot be estimated
    base = _base(blend, SEARCH * k)
    candidates = distinct(np.concatenate([base, *(found for found in searched if found is not None)]))
    candidates = candidates[allowed[candidates]]
    values = blend.at(candidates)
    best = candidates[top_k(values[2], np.ones(candidates.size, dtype=np.bool_), k)]
    return best, Computed(blend, candidates, values)


def _base(blend: SourceBlend, count: int) -> IntArray:
    """The `count` allowed products of the best blend without its model sources (popularity with the segment's, fit,
    the profile), best first, ties to the lower position: those `blend_best` without sources finds, to the bit."""
    empty = np.zeros(0, dtype=np.float64)
    extra = blend.extra
    codes = extra.profile.codes if extra is not None else np.zeros((0, blend.allowed.size), dtype=np.uint16)
    tables = extra.profile.tables if extra is not None else np.zeros((0, 1))
    segment = empty if blend.segment is None else blend.segment
    mean, scale = (extra.mean, extra.scale) if extra is not None else (0.0, 0.0)
    return best_base(blend.popularity, segment, float(blend.popularity_weight), blend.fit.class_of,
                     blend.fit.class_fit, float(blend.fit_weight), codes, tables, mean, scale, blend.allowed,
                     max(count, 1))  # fmt: skip


@compiled
def best_base(
    popularity: FloatArray,
    segment: FloatArray,
    popularity_weight: float,
    class_of: npt.NDArray[np.int32],
    class_fit: FloatArray,
    fit_weight: float,
    codes: npt.NDArray[np.uint16],
    tables: FloatArray,
    mean: float,
    scale: float,
    allowed: BoolArray,
    k: int,
) -> IntArray:  # pragma: no cover - compiled
    """The k allowed positions of the best popularity term (`segment` empty: none), fit (its class's) and profile
    (its groups' table entries summed, `profile.ShopperProfile`, then standardised: `(profile - mean) × scale`; no
    groups: none), best first, ties to the lower position; each product's value
    in the float operations `candidates._best` makes. The products better than the k-th best kept so far are
    appended to a buffer of 2k, which, when full, keeps its k best (`_keep_best`: a selection, not a sort) and
    raises the bar to the k-th's value: a later product equal to it loses the tie, so only a better one enters.
    A heap (a sift per entry, about 1,500 entries a list on a 50,000-product catalogue) cost a few per cent more."""
    capacity = 2 * k
    kept = np.empty(capacity, dtype=np.int64)
    value = np.empty(capacity)
    size = 0
    bar = -np.inf  # the k-th best value kept, once 2k were (a product no better cannot enter)
    columns = codes.shape[0]
    if 0 < columns <= 3 and segment.size == 0:
        # The approximate path's lists (popularity and the segment's as one array, the profile in at most three
        # groups), in a loop of their own: the branches of the general one below, though the same for every
        # product, cost a fifth of the pass. The groups' codes and tables as rows read directly, and a product's
        # filter read only when its value would enter the buffer (a branch on the filter first, taken at random,
        # took twice as long); fewer than three groups read the first group's codes in a table of 0.
        c0 = c1 = c2 = codes[0]
        t0 = tables[0]
        t1 = t2 = np.zeros(tables.shape[1])
        if columns > 1:
            c1, t1 = codes[1], tables[1]
        if columns > 2:
            c2, t2 = codes[2], tables[2]
        for i in range(allowed.size):
            total = popularity_weight * popularity[i] + fit_weight * class_fit[class_of[i]]
            total += (t0[c0[i]] + t1[c1[i]] + t2[c2[i]] - mean) * scale
            if not total > bar or not allowed[i]:  # (NaN never enters)
                continue
            kept[size], value[size] = i, total
            size += 1
            if size == capacity:
                size, bar = _keep_best(kept, value, size, k)
    else:
        with_segment = segment.size > 0
        for i in range(allowed.size):
            if with_segment:
                total = popularity_weight * (0.5 * popularity[i] + segment[i]) + fit_weight * class_fit[class_of[i]]
            else:
                total = popularity_weight * popularity[i] + fit_weight * class_fit[class_of[i]]
            if columns:
                summed = 0.0
                for c in range(columns):
                    summed += tables[c, codes[c, i]]
                total += (summed - mean) * scale
            if not total > bar or not allowed[i]:
                continue
            kept[size], value[size] = i, total
            size += 1
            if size == capacity:
                size, bar = _keep_best(kept, value, size, k)
    kept, value = kept[:size], value[:size]
    by_position = np.argsort(kept)
    kept, value = kept[by_position], value[by_position]
    return kept[np.argsort(-value, kind="mergesort")[:k]]  # stable: ties stay in position order


@compiled
def _keep_best(kept: IntArray, value: FloatArray, size: int, k: int) -> tuple[int, float]:  # pragma: no cover
    """Keep the k best of the buffer's `size` entries (ties at the k-th value to the lower positions) at its start,
    in place; returns k and the k-th value."""
    bar = -np.partition(-value[:size], k - 1)[k - 1]  # the k-th largest
    ties = np.empty(size, dtype=np.int64)
    tied = 0
    for j in range(size):  # read before the compaction below writes over the buffer
        if value[j] == bar:
            ties[tied] = kept[j]
            tied += 1
    count = 0
    for j in range(size):
        if value[j] > bar:
            kept[count], value[count] = kept[j], value[j]
            count += 1
    ties = np.sort(ties[:tied])
    for j in range(k - count):  # (at least k - count entries equal the k-th value)
        kept[count], value[count] = ties[j], bar
        count += 1
    return count, bar


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
