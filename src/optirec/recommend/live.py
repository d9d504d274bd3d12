"""The model that ranks, as the recommendation service sees it, and the serving state that holds the current one.

`LiveModel` is the small interface the service needs from a trained model: scores over its items for a shopper's
latest signals, and item-to-item scores for the products in context. `ServingState` keeps the catalog snapshot, the
popularity counts and the live model of this process, and maps model items onto catalog positions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.vectorized import evaluate
from optirec.eyewear.wearer import Wearer
from optirec.recommend.approximate import PersonalSource, RelatedSource, SampleTable
from optirec.recommend.engagement import Engagement, EngagementCounter
from optirec.recommend.popularity import PopularityCache
from optirec.recommend.ranking import standardise
from optirec.recommend.refresh import Refreshing
from optirec.recommend.segments import SegmentCache
from optirec.recommend.snapshot import CatalogSnapshot, SnapshotCache
from optirec.settings import EngagementSettings
from optirec.store import Database

POPULARITY_VERSION = "popularity"
# A product stops counting as new for exploration (untrained, or without a signal) once its engagement lift rests on
# this many times the prior's views expected (the prior then weighs a fifth): the ranking has learnt it live.
KNOWN_PRIORS = 4.0


class LiveModel(Protocol):
    """What a trained model offers the serving path."""

    @property
    def version(self) -> str: ...

    @property
    def item_ids(self) -> Sequence[str]: ...

    def personal_scores(
        self, history: Sequence[tuple[str, str]], *, warm_up: bool = False
    ) -> npt.NDArray[np.float32] | None:
        """Scores over `item_ids` for a shopper's signals (oldest first), or None when none of them is known.
        `warm_up`: scored to build or load the compiled kernels, not for a list (left out of the metrics)."""

    def related_scores(self, items: Sequence[str]) -> npt.NDArray[np.float32] | None:
        """Item-to-item scores over `item_ids` for the given products; None when none of them is known."""

    def strongest_sources(self, items: Sequence[str], targets: IntArray) -> IntArray:
        """For each target (an index into `item_ids`), which of `items` relates most to it (an index into
        `items`), or -1 where none of them does. Asked only for the products a list shows."""


@dataclass(frozen=True)
class _Mapped:
    """A model extended to a catalog, and where each catalog position is among its items (`ServingState.serving`)."""

    model: LiveModel
    positions: IntArray  # the model's item index of each catalog position, −1 where it knows nothing of it
    # The positions it knows and their item indexes; None when it knows them all (the usual case).
    partial: tuple[IntArray, IntArray] | None
    items: IntArray  # the catalog position of each of the model's items, −1 where the catalog does not hold it
    # The model's item vectors at the catalog's sample (`approximate.SampleTable`), made on first use.
    _sample: list[SampleTable] = field(default_factory=list, compare=False, repr=False)
    # Which catalog positions the model was not trained on (known from their content alone, or not at all); None:
    # it was trained on every one.
    untrained: BoolArray | None = None

    @classmethod
    def of(cls, model: LiveModel, positions: IntArray, trained: int | None = None) -> _Mapped:
        """`trained`: how many of the model's items (its first ones) it was trained on; None: all of them."""
        known = np.flatnonzero(positions >= 0)
        items = np.full(len(model.item_ids), -1, dtype=np.int64)
        items[positions[known]] = known
        untrained = None
        if (trained is not None and trained < len(model.item_ids)) or known.size < positions.size:
            untrained = (positions < 0) | (positions >= (len(model.item_ids) if trained is None else trained))
        partial = None if known.size == positions.size else (known, positions[known])
        return cls(model, positions, partial, items, untrained=untrained)

    def sample_table(self, item_table: npt.NDArray[np.float32]) -> SampleTable:
        """The item vectors at the catalog's sample, made once per catalog and model."""
        if not self._sample:
            self._sample.append(SampleTable.of(item_table, self.positions))
        return self._sample[0]

    def onto(self, scores: npt.NDArray[np.float32] | None) -> FloatArray | None:
        """Scores over the model's items as scores over catalog positions, NaN where the model knows nothing of
        the product. Made once per catalog and model: each list recomputed the mask and its gather (on the large
        shop, three passes over 50,000 positions a source)."""
        if scores is None:
            return None
        if self.partial is None:
            return scores.take(self.positions).astype(np.float64)
        known, sources = self.partial
        out = np.full(self.positions.size, np.nan)
        out[known] = scores.take(sources)
        return out


@dataclass(frozen=True)
class Queried:
    """The model's sources asked only where a list needs them (`approximate`); None where absent."""

    personal: PersonalSource | None
    related: RelatedSource | None


@dataclass(frozen=True)
class Scored:
    """Scores mapped onto catalog positions; NaN where the model does not know the product."""

    personal: FloatArray | None
    related: FloatArray | None


class ServingState:
    """One per process: catalog snapshot, popularity, and the live model (swapped atomically)."""

    def __init__(
        self, db: Database, rules: RuleSettings, *, approximate_from: int = 0,
        engagement: EngagementSettings | None = None, clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        # Catalogs of at least this many products take their lists' candidates from the model's approximate index
        # (`approximate`); 0: never.
        self.approximate_from = approximate_from
        self.snapshots = SnapshotCache(db, rules)
        self._rules = rules
        self.popularity = PopularityCache(db)
        # The live engagement lift added to popularity (`recommend.engagement`); None: off (weight 0)
        # (counted in the background every 10 minutes, like popularity)
        self.engagement: Refreshing[Engagement] | None = None
        self._engagement = engagement if engagement is not None and engagement.weight > 0 else None
        self._known: tuple[tuple[object, int], BoolArray] | None = None  # `_known_live`'s
        if self._engagement is not None:
            counter = EngagementCounter(
                db,
                prior_views=self._engagement.prior_views,
                half_life_days=self._engagement.half_life_days,
                clock=clock,  # None: the wall clock; a simulation's own
            )
            self.engagement = Refreshing(counter.update, ttl_seconds=600.0, name="engagement")
        self._model: LiveModel | None = None
        # The running experiments' other model versions, by version (`ModelWatcher` loads and drops them)
        self._experiment_models: dict[str, LiveModel] = {}
        # (catalog version, model version) -> serving model and positions; the live one and the one being swapped in
        self._serving: dict[tuple[object, str], _Mapped] = {}
        self._popularity: tuple[tuple[object, int, int], FloatArray] | None = None
        self._new: tuple[tuple[object, int], BoolArray] | None = None
        self.segments = SegmentCache(db)
        self._segment_vectors: dict[tuple[object, int, tuple[str, str]], FloatArray | None] = {}
        # log(1 + count) per catalog position, by (products, counts' generation, segment or None for popularity):
        # made once per catalog of products, standardised again when only the products' availability changed
        self._logged: dict[tuple[object, int, tuple[str, str] | None], FloatArray] = {}
        self._mixed: dict[int, tuple[FloatArray, FloatArray, FloatArray]] = {}  # `mixed_popularity`'s, by segment
        self._lock = threading.Lock()
        self.warmed = threading.Event()  # set once `warm` has run (successfully or not): /readyz waits for it

    @property
    def model(self) -> LiveModel | None:
        return self._model

    @property
    def version(self) -> str:
        model = self._model
        return model.version if model is not None else POPULARITY_VERSION

    def swap_model(self, model: LiveModel | None) -> None:
        """Serve `model` from the next request on; a request already running keeps the one it started with."""
        self._model = model

    def experiment_model(self, version: str) -> LiveModel | None:
        """An experiment arm's model version: the live model if it is that version, else the one loaded for the
        experiment, or None while it is not loaded."""
        live = self._model
        if live is not None and live.version == version:
            return live
        return self._experiment_models.get(version)

    @property
    def experiment_versions(self) -> frozenset[str]:
        return frozenset(self._experiment_models)

    def hold_experiment_models(self, models: dict[str, LiveModel]) -> None:
        """Hold exactly these versions for the experiments (one reference assignment: a list sees the old or new)."""
        self._experiment_models = dict(models)

    def serving(self, snapshot: CatalogSnapshot, model: LiveModel) -> tuple[LiveModel, IntArray]:
        """The model extended to the catalog's new products (when it can), and for each catalog position the
        model's item index (−1 where it knows nothing of the product); cached per catalog and model version."""
        mapped = self._mapped(snapshot, model)
        return mapped.model, mapped.positions

    def _mapped(self, snapshot: CatalogSnapshot, model: LiveModel) -> _Mapped:
        key = (snapshot.built, model.version)  # an availability update keeps it (`CatalogSnapshot.built`)
        cached = self._serving.get(key)
        if cached is not None:
            return cached
        trained = len(model.item_ids)  # `with_products` appends the products it adds after these
        extend = getattr(model, "with_products", None)
        if extend is not None:
            model = extend(list(zip(snapshot.ids, snapshot.content, strict=True)))
        index = {item: i for i, item in enumerate(model.item_ids)}
        positions = np.array([index.get(pid, -1) for pid in snapshot.ids], dtype=np.int64)
        mapped = _Mapped.of(model, positions, trained)
        with self._lock:
            while len(self._serving) >= 2 + len(self._experiment_models):
                self._serving.pop(next(iter(self._serving)))
            self._serving[key] = mapped
        return mapped

    def prepare(self, model: LiveModel) -> None:
        """Map a model onto the current catalog before it serves, and score once, so the first request after a
        swap does neither (the first scoring of a process compiles the kernels, or loads them from numba's cache
        on disk: seconds, then milliseconds)."""
        snapshot = self.snapshots.get()
        serving, _ = self.serving(snapshot, model)
        build_index = getattr(serving, "build_index", None)
        if build_index is not None and self.approximate(snapshot):
            build_index()
        if serving.item_ids:
            first = serving.item_ids[0]
            serving.personal_scores([(first, "view")], warm_up=True)
            serving.related_scores([first])

    def prepared(self, model: LiveModel) -> bool:
        """Whether `model` is already mapped onto the current catalog (a request would not have to)."""
        return (self.snapshots.get().built, model.version) in self._serving

    def warm(self) -> None:
        """Build what the first request would otherwise build: the catalog snapshot, popularity, the segment
        counts and each segment's vector, the live model's catalog mapping and the compiled kernels (run beside the
        serving path at start-up)."""
        snapshot = self.snapshots.get()
        evaluate(snapshot.frames, Wearer(), self._rules)  # the rules' kernel, compiled or loaded from numba's cache
        popularity = self.popularity_vector(snapshot)
        self.segments.warm()
        for group in self.segments.known():  # a pass over the catalog's ids each (tens of ms on a large catalog)
            segment = self.segment_vector(snapshot, group)
            if self.approximate(snapshot):
                self.mixed_popularity(popularity, segment)
        model = self._model
        if model is not None:
            self.prepare(model)

    def popularity_vector(self, snapshot: CatalogSnapshot) -> FloatArray:
        """log(1 + weighted signal count) per catalog position, standardised over the sellable products, plus the
        engagement weight times each product's engagement lift where the shop set one (`recommend.engagement`);
        cached per catalog and per popularity and engagement count."""
        counts = self.popularity.get()
        lifts = self.engagement.get().lifts if self.engagement is not None else None
        key = (snapshot.version, self.popularity.generation, self.engagement.generation if self.engagement else 0)
        cached = self._popularity
        if cached is not None and cached[0] == key:
            return cached[1]
        vector = standardise(self._log_counts(snapshot, counts, self.popularity.generation, None), snapshot.sellable)
        if lifts and self._engagement is not None:
            vector += self._engagement.weight * np.array([lifts.get(pid, 0.0) for pid in snapshot.ids])
        self._popularity = (key, vector)
        return vector

    def new_products(self, snapshot: CatalogSnapshot, model: LiveModel | None = None) -> BoolArray:
        """Which catalog positions hold a new product (exploration weighs them up): one without any signal in the
        popularity window, or, with a model, one the model was not trained on (it scores it from its content alone
        until the next training, however many signals it has had since); either unless the engagement lift already
        rests on enough of its impressions (`KNOWN_PRIORS` times the prior's views expected: the ranking has learnt
        it live, and a product shown that often without a single signal is known to be passed over, not new). The
        first are cached per catalog and popularity refresh, the model's per catalog and model
        (`_Mapped.untrained`), the engagement's per catalog and count."""
        untrained = self._mapped(snapshot, model).untrained if model is not None else None
        key = (snapshot.built, self.popularity.generation)  # the products, not their availability
        cached = self._new
        if cached is not None and cached[0] == key:
            new = cached[1]
        else:
            counts = self.popularity.get()
            new = np.array([counts.get(pid, 0.0) <= 0 for pid in snapshot.ids], dtype=np.bool_)
            self._new = (key, new)
        if untrained is not None:
            new = new | untrained
        known = self._known_live(snapshot)
        return new if known is None else new & ~known

    def _known_live(self, snapshot: CatalogSnapshot) -> BoolArray | None:
        """The products whose engagement lift rests on at least `KNOWN_PRIORS` × the prior's views expected; None
        without the engagement lift."""
        if self.engagement is None or self._engagement is None:
            return None
        key = (snapshot.built, self.engagement.generation)
        cached = self._known
        if cached is not None and cached[0] == key:
            return cached[1]
        expected = self.engagement.get().expected
        enough = KNOWN_PRIORS * self._engagement.prior_views
        known = np.array([expected.get(pid, 0.0) >= enough for pid in snapshot.ids], dtype=np.bool_)
        self._known = (key, known)
        return known

    def segment_vector(self, snapshot: CatalogSnapshot, segment: tuple[str, str]) -> FloatArray | None:
        """log(1 + intent count) per catalog position among shoppers of this segment, standardised over the
        sellable products; None when the segment is too thin."""
        counts = self.segments.get(segment)
        key = (snapshot.version, self.segments.generation, segment)
        if key not in self._segment_vectors:
            vector = None
            if counts is not None:
                logged = self._log_counts(snapshot, counts, self.segments.generation, segment)
                vector = standardise(logged, snapshot.sellable)
            if len(self._segment_vectors) > 64:
                self._segment_vectors.clear()
            self._segment_vectors[key] = vector
        return self._segment_vectors[key]

    def _log_counts(
        self, snapshot: CatalogSnapshot, counts: Mapping[str, float], generation: int, segment: tuple[str, str] | None
    ) -> FloatArray:
        """log(1 + count) per catalog position (a pass over the catalog's ids in Python: tens of ms on a large
        catalog), kept per catalog of products (`CatalogSnapshot.built`): a stock change standardises it again over
        what is sellable, in a list, without the pass."""
        key = (snapshot.built, generation, segment)
        found = self._logged.get(key)
        if found is None:
            found = np.log1p(np.array([counts.get(pid, 0.0) for pid in snapshot.ids], dtype=np.float64))
            found.flags.writeable = False  # shared by every standardisation of it
            with self._lock:  # only today's counts of this catalog, and at most 64 of those (as the vectors)
                live = {(snapshot.built, self.popularity.generation), (snapshot.built, self.segments.generation)}
                kept = {k: v for k, v in self._logged.items() if k[:2] in live}
                self._logged = {**(kept if len(kept) < 64 else {}), key: found}
        return found

    def mixed_popularity(self, popularity: FloatArray, segment: FloatArray | None) -> FloatArray:
        """The blend's popularity term before its weight, `0.5 × popularity + segment` (the same floats as
        `candidates.blend_at` makes), or popularity where the segment is too thin: one array for the approximate
        path's pass over the catalog to read instead of two. Cached per segment vector and popularity vector."""
        if segment is None:
            return popularity
        found = self._mixed.get(id(segment))
        if found is not None and found[0] is segment and found[1] is popularity:
            return found[2]
        mixed = 0.5 * popularity + segment
        # Only the segment vectors still cached, with today's popularity: an older one's mix would hold its arrays.
        live = {id(vector) for vector in self._segment_vectors.values() if vector is not None}
        kept = {key: found for key, found in self._mixed.items() if key in live and found[1] is popularity}
        kept[id(segment)] = (segment, popularity, mixed)  # (holding the segment keeps its id unique)
        self._mixed = kept
        return mixed

    def approximate(self, snapshot: CatalogSnapshot) -> bool:
        """Whether this catalog's lists take their candidates from the approximate index (`approximate_from`)."""
        return 0 < self.approximate_from <= len(snapshot)

    def query(
        self, snapshot: CatalogSnapshot, model: LiveModel, history: Sequence[tuple[str, str]], context: Sequence[str]
    ) -> Queried | None:
        """`score` asked only where the list needs it; None for a model that offers no `personal_query`."""
        mapped = self._mapped(snapshot, model)
        ask = getattr(mapped.model, "personal_query", None)
        if ask is None:
            return None
        query = ask(history) if history else None
        related = mapped.model.related_scores(context) if context else None
        personal = None
        if query is not None:
            personal = PersonalSource(query, mapped.positions, mapped.items, mapped.sample_table(query.item_table))
        return Queried(personal, None if related is None else RelatedSource(related, mapped.positions, mapped.items))

    def score(
        self, snapshot: CatalogSnapshot, model: LiveModel, history: Sequence[tuple[str, str]], context: Sequence[str]
    ) -> Scored:
        mapped = self._mapped(snapshot, model)
        raw = mapped.model.personal_scores(history) if history else None
        relation = mapped.model.related_scores(context) if context else None
        return Scored(mapped.onto(raw), mapped.onto(relation))
