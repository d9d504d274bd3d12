"""Recommendation lists: personalized, similar products, complete the look.

One flow for all three: read the shopper, filter the catalog snapshot with the hard filters, score what is left
(the live model's personal and item-to-item scores, popularity, fit), re-rank for diversity, explain, log, answer.
"""

from __future__ import annotations

import dataclasses
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.errors import NotFound, shown
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Eye, Wearer
from optirec.recommend.approximate import approximate_best
from optirec.recommend.assignment import Book, Policy, load_book
from optirec.recommend.candidates import Blended, blend_best, blend_catalog
from optirec.recommend.exploration import Explored, exploratory_slots, explore, greedy
from optirec.recommend.filters import Filtered, WearerCache, WearerView, apply_filters
from optirec.recommend.kernels import add_standardised
from optirec.recommend.live import LiveModel, ServingState
from optirec.recommend.memo import AnswerMemo
from optirec.recommend.model_adapter import counting, uncounted
from optirec.recommend.profile import ShopperProfile
from optirec.recommend.ranking import diversify
from optirec.recommend.reasons import fallback_reason, fallback_text, rule_reasons, sources_in_words
from optirec.recommend.refresh import Refreshing
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.segments import UNKNOWN_SEGMENT, segment_of
from optirec.recommend.servedlog import ServedLog
from optirec.recommend.snapshot import CatalogSnapshot
from optirec.settings import ExplorationSettings
from optirec.store import Database, Shopper, utcnow

# Blend of the score sources (each standardised over the allowed products); fit is already 0…1. The profile's weight
# was chosen on the demo shop's validation days (docs/eyewear.md, "Ground truth and optirec demo-eval").
WEIGHTS = {"personal": 1.0, "related": 1.0, "popularity": 0.25, "fit": 0.5, "profile": 10.0}
CANDIDATE_FACTOR = 5  # diversity re-ranks among this many × limit of the best candidates


def recommendation_id(at: datetime | None = None) -> str:
    """A served list's id: 32 hex digits, the serving time in milliseconds (12) then 80 random bits, as in a
    UUIDv7. The served-list log's primary key then grows at its end: each insert touches the index's last pages
    instead of a random one, which stays true as the log grows past memory (`docs/benchmarks.md`). `at`: the serving
    time when it is not now (a simulation's clock)."""
    ms = time.time_ns() // 1_000_000 if at is None else int(at.timestamp() * 1000)
    return f"{ms:012x}{os.urandom(10).hex()}"


@dataclass(frozen=True)
class ListSpec:
    """What one list is asked for, whichever endpoint asked."""

    surface: str  # home, product, cart, checkout, similar, complete_the_look
    customer_id: str | None
    session_id: str | None
    limit: int
    filters: RecommendationFilters
    exclude: Sequence[str] = ()
    context_items: Sequence[str] = ()  # product on screen, cart
    diversity: float = 0.3
    explain: bool = True
    use_history: bool = True
    context: dict[str, object] = field(default_factory=dict)
    # What a shopper without a customer id said of themselves (`StatedWearer`): for this list only, never logged.
    wearer: Wearer | None = None
    prescription_kind: str | None = None


class ServedItem(NamedTuple):
    """A shown product, as a tuple of plain values (its reasons a tuple of strings): the lists made lately (`memo`)
    hold thousands of them, which the garbage collector stops tracking, whereas as objects each of them and its list
    of reasons were walked by every full collection (50-60 ms a collection with the memo full, on the large shop)."""

    position: int  # in the snapshot
    rank: int
    score: float
    reasons: tuple[str, ...]
    propensity: float = 1.0  # the probability with which the policy put the product in this slot
    greedy: int = -1  # a drawn slot: the product (snapshot position) the greedy list had there; -1 otherwise


@dataclass(frozen=True)
class ServedList:
    """A list as answered, in the shape of `schemas.RecommendationResponse` (which documents it): `to_json` writes
    that shape with orjson, each product's summary embedded as the JSON its snapshot made once (building the
    response's pydantic models and serialising them cost more than the rest of the answer's way out)."""

    recommendation_id: str
    model_version: str
    items: tuple[ServedItem, ...]
    filtered: dict[str, int]
    fallback: bool
    fallback_reason: str | None
    snapshot: CatalogSnapshot
    policy: str = "greedy"  # `exploration.GREEDY`, or `EXPLORE` when a slot was drawn at random
    arm: str | None = None  # `<experiment id>/<arm>` when an experiment's arm served it (`assignment`)

    def to_json(self) -> bytes:
        summary = self.snapshot.summary_json
        return orjson.dumps(
            {
                "recommendation_id": self.recommendation_id,
                "model_version": self.model_version,
                "items": [
                    {"rank": i.rank, "score": i.score, "product": summary(i.position), "reasons": i.reasons}
                    for i in self.items
                ],
                "filtered": self.filtered,
                "fallback": self.fallback,
                "fallback_reason": self.fallback_reason,
            }
        )

    def kept(self) -> Kept:
        """The list as the lists made lately keep it (`memo`): tuples of plain values, which the garbage collector
        stops tracking once it has looked at them (a level of tuples a collection), without its id (each answer gets
        its own) and its catalog (the memo's generation holds it). Kept as objects, the 4,096 lists' 50,000 items
        were traversed by every full collection: 50-60 ms each, every few seconds, on the large shop."""
        items = tuple(tuple(item) for item in self.items)
        return (self.model_version, items, tuple(self.filtered.items()), self.fallback, self.fallback_reason,
                self.policy, self.arm)  # fmt: skip

    @classmethod
    def of_kept(cls, kept: Kept, snapshot: CatalogSnapshot, recommendation_id: str) -> ServedList:
        """The list `kept` was made of (`kept`), from the same catalog, answered again under its own id."""
        model_version, items, filtered, fallback, fallback_reason, policy, arm = kept
        return cls(recommendation_id, model_version, tuple(ServedItem._make(item) for item in items), dict(filtered),
                   fallback, fallback_reason, snapshot, policy, arm)  # fmt: skip


# `ServedList.kept`: the model version, the items (`ServedItem`'s fields), the filter counts, the fallback and its
# reason, the policy and the arm
Kept = tuple[str, tuple[tuple[Any, ...], ...], tuple[tuple[str, int], ...], bool, str | None, str, str | None]


@dataclass
class ListBuilder:
    """The per-process parts the lists need (built once by the app)."""

    db: Database
    serving_state: ServingState
    rules: RuleSettings
    rebuyable: tuple[str, ...]
    exploration: ExplorationSettings = field(default_factory=ExplorationSettings)
    wearers: WearerCache = field(default_factory=WearerCache)
    memo: AnswerMemo = field(default_factory=AnswerMemo)  # greedy lists answered lately (`memo`); size 0: none
    # Rank the model's and popularity's best candidates first, the whole catalog only when too few of them pass
    # (`candidates`); False ranks the whole catalog every time (the benchmarks compare the two).
    candidates: bool = True
    policy_refresh_seconds: float = 5.0  # how often the running experiments and the shipped policy are read again
    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))  # the blend's (keys of `WEIGHTS`)
    # The serving time of a list (its id and its log row); None: the wall clock. A simulation passes its own, so that
    # what counts by the log's own time (the engagement lift's decay) sees simulated days.
    clock: Callable[[], datetime] | None = None
    # SQLite's group inserts wait here while another process holds the write lock (the loop never waits on it).
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="optirec-served-log")
    )

    served: ServedLog = field(init=False)
    rng: random.Random = field(init=False)  # exploration's draws (lists are built in one thread: the loop)
    book: Refreshing[Book] = field(init=False)  # the default policy and the running experiments (`assignment`)

    def __post_init__(self) -> None:
        self.served = ServedLog(self.db, self.executor)
        self.rng = random.Random(self.exploration.seed)
        shares = self.exploration.shares
        self.book = Refreshing(
            lambda: load_book(self.db, shares), ttl_seconds=self.policy_refresh_seconds, name="experiments"
        )

    def forget(self) -> None:
        """Drop the lists, wearer views and wearers read from stored profiles kept in memory (which hold shoppers'
        histories and prescriptions): after an erasure, in the process that took it at once, in the others within
        seconds (`privacy.watch.ErasureWatch`); every process also drops them by itself (the lists with the 10-minute
        popularity count at the latest, the views and the wearers every `store.shopper.HELD_AT_MOST_SECONDS`)."""
        self.memo.clear()
        self.wearers.clear()
        self.db.forget_wearers()

    async def build_async(self, spec: ListSpec) -> ServedList:
        """Build a list in the event loop and log it with the others being served (`ServedLog.building`).

        Only the shopper read and the log's insert wait on the database; the rest is computation in the loop. The
        read is the store's (`Database.read_shopper`): on SQLite the driver's, in the loop, which never waits on a
        network; on PostgreSQL asynchronous, the loop serving other requests during the round trip and the customers
        asked for meanwhile read together (`docs/benchmarks.md`)."""
        with self.served.building() as building:  # the log's next group waits for this list (`ServedLog`)
            snapshot = self._snapshot(spec)
            shopper = await self.db.read_shopper(customer_id=spec.customer_id, session_id=spec.session_id)
            response = self._answer(spec, snapshot, shopper)
            committed = building.hand_in(self._served_row(response, spec))
        await committed
        return response

    async def preview_async(self, spec: ListSpec) -> ServedList:
        """The list `build_async` would answer now, built the same way from the same shopper, catalog and model, but
        not logged as served: an operator looking at it (the console) is not a shopper, and a list nobody was shown
        must not count in click-through or attribution."""
        snapshot = self._snapshot(spec)
        shopper = await self.db.read_shopper(customer_id=spec.customer_id, session_id=spec.session_id)
        return self._answer(spec, snapshot, shopper)

    def warm(self) -> None:
        """Build what the first lists would otherwise build (`ServingState.warm`), then two lists nobody is shown
        (not logged): a personal one and one beside a product, for a wearer with a prescription and a face width,
        each on the exact pass and on the path this catalog takes (`ServingState.approximate`). Their compiled
        kernels (the diversity, the sources' reasons, the approximate path's passes) are compiled, or loaded from
        numba's cache, here and not in the event loop by the first shoppers, where a fresh deployment took seconds
        a kernel."""
        self.serving_state.warm()
        snapshot = self.serving_state.snapshots.get()
        if not len(snapshot):
            return
        model = self.serving_state.model
        product = snapshot.ids[0]
        if model is not None:
            _, rows = self.serving_state.serving(snapshot, model)
            known = np.flatnonzero(rows >= 0)
            product = snapshot.ids[int(known[0])] if known.size else product
        wearer = Wearer(right=Eye(-2.25, -0.5, 90), left=Eye(-2.0), pd_mm=63.0, face_width_mm=138.0)
        shopper = Shopper(None, None, wearer, history=[(product, "view")])
        # Short lists, which take the approximate path where a longer one would find too few allowed candidates, at
        # a placement no policy explores: they draw nothing from the exploration's generator (seeded, and the loop's).
        personal = ListSpec("warm-up", None, None, 4, RecommendationFilters())
        beside = ListSpec("warm-up", None, None, 4, RecommendationFilters(), context_items=[product],
                          use_history=False)  # fmt: skip
        # the exact pass too where the catalog takes the approximate one (its lists that too few candidates pass)
        passes = (False, True) if model is not None and self.serving_state.approximate(snapshot) else (False,)
        with uncounted():  # in no shopper's metrics
            for spec in (personal, beside):
                for exact in passes:
                    self._answer(spec, snapshot, shopper, exact)

    def _snapshot(self, spec: ListSpec) -> CatalogSnapshot:
        """The catalog the list is built from; `NotFound` for a product in context that it does not hold."""
        snapshot = self.serving_state.snapshots.get()
        unknown = [p for p in spec.context_items if p not in snapshot.index]
        if unknown:
            raise NotFound(f"No product with id {shown(unknown[0])}.")
        return snapshot

    def _answer(self, spec: ListSpec, snapshot: CatalogSnapshot, shopper: Shopper, exact: bool = False) -> ServedList:
        """The list; `exact`: the exact pass even where the catalog takes the approximate one (`warm`)."""
        arm, policy, model = self._policy(spec)  # one model for the whole answer, even if a promotion lands
        if spec.wearer is not None and shopper.customer_id is None:  # a customer's stored profile wins
            shopper = dataclasses.replace(shopper, wearer=spec.wearer)
        # Popularity among shoppers of the same prescription and face size; None when the segment is too thin.
        group = segment_of(shopper.wearer, spec.prescription_kind)
        popularity = self.serving_state.popularity_vector(snapshot)  # standardised over the sellable products
        segment = self.serving_state.segment_vector(snapshot, group)
        memo = None  # a greedy list is kept, and answered again while nothing it is made of changed (`memo`)
        if not exact and not policy.shares.get(spec.surface, 0.0):
            key = self._memo_key(spec, shopper, arm, policy, model, group)
            memo = key, *self._generation(snapshot, popularity), segment
            found = self.memo.get(*memo, counted=counting())
            if found is not None:
                return ServedList.of_kept(found, snapshot, self._recommendation_id())
        view = self.wearers.view(snapshot, shopper.wearer, self.rules)
        filtered = apply_filters(
            snapshot,
            view=view,
            filters=spec.filters,
            excluded=[*spec.exclude, *spec.context_items],
            bought=shopper.bought,
            rebuyable=self.rebuyable,
        )
        history = shopper.history if (spec.use_history and shopper.personalise) else []
        profile = self._profile(snapshot, history, spec) if self._profile_weight(policy) else None
        explored, scores, fallback = self._rank(snapshot, view, filtered, model, history, popularity, segment,
                                                profile, spec, policy, exact)  # fmt: skip
        chosen = explored.chosen
        # "of your size and prescription" only when something of either is known
        segmented = segment is not None and group != UNKNOWN_SEGMENT
        items = self._items(snapshot, shopper, view, model, history, explored, scores, fallback, segmented, spec)
        served = ServedList(
            recommendation_id=self._recommendation_id(),
            model_version=model.version if model is not None else "popularity",
            items=items,
            filtered=filtered.removed,
            fallback=bool(fallback.any()) if chosen.size else True,
            fallback_reason=fallback_text(
                shopper, filtered, chosen, fallback, spec.limit, bool(spec.context_items), model is not None
            ),
            snapshot=snapshot,
            policy=explored.policy,
            arm=arm,
        )
        if memo is not None and not explored.drawn:
            self.memo.put(*memo, served.kept())
        return served

    def _recommendation_id(self) -> str:
        return recommendation_id(None if self.clock is None else self.clock())

    def _memo_key(
        self, spec: ListSpec, shopper: Shopper, arm: str | None, policy: Policy, model: LiveModel | None,
        group: tuple[str, str],
    ) -> tuple[object, ...]:  # fmt: skip
        """What a greedy list is made of, besides the serving state (`_generation`): the request, the shopper (not
        who they are: two shoppers alike are answered alike, unless their arms differ), the arm and its policy."""
        filters = spec.filters
        return (
            spec.surface, spec.limit, filters.model_dump_json() if filters.model_fields_set else None,
            tuple(spec.exclude), tuple(spec.context_items), spec.diversity, spec.explain, spec.use_history,
            spec.prescription_kind, shopper.wearer, tuple(shopper.history), shopper.bought, shopper.personalise,
            arm, policy.diversity, policy.fit_weight, policy.profile_weight, None if model is None else model.version,
            group,
        )  # fmt: skip

    def _generation(
        self, snapshot: CatalogSnapshot, popularity: FloatArray
    ) -> tuple[tuple[object, ...], tuple[object, ...]]:
        """The serving state a list is made from, but for the segment vector (`memo.AnswerMemo.get`): objects compared
        by identity (the catalog snapshot, the popularity vector, which moves with its counts and the engagement
        lift's, the live model, the rules), and values (the weights, the paths)."""
        state = self.serving_state
        return (snapshot, popularity, state.model, self.rules), (
            tuple(self.weights.items()), state.approximate_from, self.candidates, self.rebuyable,
        )  # fmt: skip

    def _profile(
        self, snapshot: CatalogSnapshot, history: list[tuple[str, str]], spec: ListSpec
    ) -> ShopperProfile | None:
        """The shopper's attribute profile (`profile.ShopperProfile`), only for lists without products in context:
        its weight was chosen on home lists, and a list beside a product or a cart is about that product first."""
        if not history or spec.context_items:
            return None
        positions = snapshot.positions([product for product, _ in history])
        if positions.size == 0:
            return None  # (every product of the history has left the catalog: no opinion, as a profile of zeros)
        codes, shares = snapshot.profile_codes, snapshot.profile_shares
        return ShopperProfile.of(snapshot.profile_groups, codes, shares, positions)

    def _profile_weight(self, policy: Policy) -> float:
        """The attribute profile's weight in this list's blend: the policy's (an arm's, or the shipped one), else the
        list builder's."""
        return self.weights["profile"] if policy.profile_weight is None else policy.profile_weight

    def _policy(self, spec: ListSpec) -> tuple[str | None, Policy, LiveModel | None]:
        """The list's experiment arm (or None), its policy, and the model that scores it: the live one, or the arm's
        model version (while this worker has not loaded it yet: the default policy, counted for no arm)."""
        book = self.book.get()
        arm, policy = book.assign(spec.surface, spec.customer_id, spec.session_id)
        if policy.model_version is None:
            return arm, policy, self.serving_state.model
        model = self.serving_state.experiment_model(policy.model_version)
        if model is None:
            return None, book.default, self.serving_state.model
        return arm, policy, model

    def _rank(
        self,
        snapshot: CatalogSnapshot,
        view: WearerView,
        filtered: Filtered,
        model: LiveModel | None,
        history: list[tuple[str, str]],
        popularity: FloatArray,
        segment: FloatArray | None,
        profile: ShopperProfile | None,
        spec: ListSpec,
        policy: Policy,
        exact: bool,
    ) -> tuple[Explored, FloatArray, npt.NDArray[np.bool_]]:
        """Score, re-rank and explore among the allowed products only: the policy (an experiment's arm) changes the
        weights, diversity and exploration, never which products are allowed."""
        allowed = filtered.allowed
        weights = self.weights
        fit_weight = weights["fit"] if policy.fit_weight is None else policy.fit_weight
        k = spec.limit * CANDIDATE_FACTOR
        found: tuple[IntArray, Blended] | None = None
        if model is not None and not exact and self.serving_state.approximate(snapshot):  # a large catalog
            queried = self.serving_state.query(snapshot, model, history, spec.context_items)
            if queried is not None:
                sources = ((queried.personal, weights["personal"]), (queried.related, weights["related"]))
                mixed = self.serving_state.mixed_popularity(popularity, segment)  # one array, not two
                found = approximate_best(popularity=mixed, segment=None,
                                         popularity_weight=weights["popularity"], fit=view, fit_weight=fit_weight,
                                         profile=profile, profile_weight=self._profile_weight(policy),
                                         allowed=allowed, sources=sources, k=k)  # fmt: skip
        if found is None:
            found = self._blend(snapshot, allowed, popularity, segment, view, fit_weight, model, history, profile,
                                spec, policy, k)  # fmt: skip
        best, blend = found
        _, _, order = blend.at(best)
        diversity = spec.diversity if policy.diversity is None else policy.diversity
        ranked = best[diversify(np.arange(best.size), order, snapshot.features[best], diversity, spec.limit)]
        explored = self._explore(snapshot, model, allowed, ranked, best, policy.shares.get(spec.surface, 0.0))
        total, known, _ = blend.at(explored.chosen)
        fallback = ~known
        if explored.drawn and explored.greedy_tail is not None:  # a drawn slot is exploration, not a fallback to
            # popularity, unless the draw gave the greedy product back
            drawn = slice(known.size - explored.drawn, None)
            fallback[drawn] &= explored.chosen[drawn] == explored.greedy_tail
        return explored, total, fallback

    def _blend(
        self,
        snapshot: CatalogSnapshot,
        allowed: BoolArray,
        popularity: FloatArray,
        segment: FloatArray | None,
        view: WearerView,
        fit_weight: float,
        model: LiveModel | None,
        history: list[tuple[str, str]],
        profile: ShopperProfile | None,
        spec: ListSpec,
        policy: Policy,
        k: int,
    ) -> tuple[IntArray, Blended]:
        """The exact pass: the model's scores of every product, each source standardised over the allowed products
        it knows; products no source knows rank below every one it does (they only fill a short list). Both ways
        (`candidates`) give the same candidates and scores."""
        scored = self.serving_state.score(snapshot, model, history, spec.context_items) if model is not None else None
        extra = None  # the attribute profile, standardised over the allowed products and weighted
        if profile is not None:
            extra = np.zeros(allowed.size)
            add_standardised(extra, allowed, profile.everywhere(), self._profile_weight(policy))
        blend_with = blend_best if self.candidates else blend_catalog
        return blend_with(
            popularity=popularity,
            segment=segment,
            popularity_weight=self.weights["popularity"],
            fit=view.fit,
            fit_weight=fit_weight,
            extra=extra,
            allowed=allowed,
            sources=(
                (scored.personal if scored else None, self.weights["personal"]),
                (scored.related if scored else None, self.weights["related"]),
            ),
            k=k,
        )

    def _explore(
        self,
        snapshot: CatalogSnapshot,
        model: LiveModel | None,
        allowed: BoolArray,
        chosen: IntArray,
        near: IntArray,
        share: float,
    ) -> Explored:
        """The greedy list, its last slots drawn at random among the allowed products where the placement explores
        (`exploration.explore`, `share` of its slots; the ranking's `near` candidates weighed up to the near share):
        after the hard filters, never instead of them. With `only_with_new`, a list none of whose open products is
        new stays greedy; with `near_new_only`, a list explores one slot per new product among `near` that it does
        not show."""
        slots = exploratory_slots(chosen.size, share)
        if slots == 0:
            return greedy(chosen)
        new = self.serving_state.new_products(snapshot, model)
        settings = self.exploration
        return explore(
            chosen, allowed, new, settings.new_product_weight, slots, self.rng, near, settings.near_share,
            only_with_new=settings.only_with_new, near_new_only=settings.near_new_only,
        )  # fmt: skip

    def _items(
        self,
        snapshot: CatalogSnapshot,
        shopper: Shopper,
        view: WearerView,
        model: LiveModel | None,
        history: list[tuple[str, str]],
        explored: Explored,
        scores: FloatArray,
        fallback: npt.NDArray[np.bool_],
        segmented: bool,
        spec: ListSpec,
    ) -> tuple[ServedItem, ...]:
        chosen = explored.chosen
        because: dict[int, str] = {}
        if spec.explain and model is not None:
            serving, positions = self.serving_state.serving(snapshot, model)
            because = sources_in_words(snapshot, serving, positions, chosen, history, spec.context_items, spec.surface)
        items = []
        slots = zip(chosen.tolist(), scores.tolist(), explored.propensities.tolist(), strict=True)
        for rank, (position, score, propensity) in enumerate(slots, start=1):
            greedy = _greedy_at(explored, rank)
            reasons: tuple[str, ...] = ()
            if spec.explain:
                first = because.get(position)
                if first is None and rank > len(chosen) - explored.drawn and greedy != position:
                    first = "Something different you may not have seen yet"  # drawn, not ranked for them
                elif first is None and fallback[rank - 1]:
                    first = fallback_reason(shopper.wearer, segmented)
                elif first is None:
                    first = "Picked for you from what you have been browsing"
                said = view.reasons.get(position)
                if said is None:
                    said = view.reasons[position] = tuple(
                        rule_reasons(snapshot.frame_objects[position], shopper.wearer, self.rules)
                    )
                reasons = (first, *said)
            items.append(ServedItem(position, rank, round(score, 4), reasons, propensity, greedy))
        return tuple(items)

    def _served_row(self, response: ServedList, spec: ListSpec) -> dict[str, object]:
        """The served list as the log keeps it for attribution."""
        ids = response.snapshot.ids
        return {
            "id": response.recommendation_id,
            "customer_id": spec.customer_id,
            "session_id": spec.session_id,
            "surface": spec.surface,
            "model_version": response.model_version,
            "policy": response.policy,
            "arm": response.arm,  # an experiment's arm: `<experiment id>/<arm>`
            "items": [_logged_item(i, ids) for i in response.items],
            "context": spec.context or None,
            "served_at": utcnow() if self.clock is None else self.clock(),
        }


def _greedy_at(explored: Explored, rank: int) -> int:
    """The greedy list's product at a drawn slot's rank (-1 for a greedy slot)."""
    first_drawn = explored.chosen.size - explored.drawn + 1
    if explored.greedy_tail is None or rank < first_drawn:
        return -1
    return int(explored.greedy_tail[rank - first_drawn])


def _logged_item(item: ServedItem, ids: list[str]) -> dict[str, object]:
    """An item as the served-list log keeps it; a drawn slot also names what the greedy list had there, so that
    off-policy evaluation can tell what a greedy policy would have shown (`docs/policy-evaluation.md`)."""
    row: dict[str, object] = {
        "product_id": ids[item.position], "rank": item.rank, "score": item.score, "propensity": item.propensity,
    }  # fmt: skip
    if item.greedy >= 0:
        row["greedy"] = ids[item.greedy]
    return row
