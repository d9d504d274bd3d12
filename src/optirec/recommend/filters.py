"""The hard filters of a list: stock, prescription and fit rules, request filters, exclusions, already bought.

Each is a boolean mask over the catalog snapshot. They are applied in order, and each counts how many products it
removed among those the earlier ones let through, so the counts add up to what was filtered.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from optirec.arrays import BoolArray, IntArray
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import RULE_NAMES
from optirec.eyewear.vectorized import evaluate_classes
from optirec.eyewear.wearer import Wearer
from optirec.recommend.kernels import passing
from optirec.recommend.ranking import attribute_mask, combine, equals, price_mask
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.snapshot import CatalogSnapshot
from optirec.store.shopper import HELD_AT_MOST_SECONDS


@dataclass(frozen=True)
class Filtered:
    allowed: BoolArray
    removed: dict[str, int]


class Passed:
    """What the catalog and the rules let through for the wearers whose classes of frames fail the same rules, and
    how many each step removed (`WearerView.allowed`, `removed`; neither is changed after it is made). Held weakly
    by the wearer cache: it goes with the last view that reads it."""

    __slots__ = ("__weakref__", "allowed", "removed")

    def __init__(self, allowed: BoolArray, removed: dict[str, int]) -> None:
        self.allowed, self.removed = allowed, removed


@dataclass
class WearerView:
    """What the catalog looks like to one wearer: what the catalog and the rules let through (and how many each
    step removed: inactive, out of stock, each rule), the fit score of every product, and (filled as lists show
    them) what the rules say about a product in words. The request's own filters come after, per request.

    The rules and the fit are answered once per class of frames (`vectorized.FrameClasses`); a product's failed
    rules and fit score are its class's, read for the whole catalog only when a caller asks for every product
    (`failed`, `fit`: made on each call, not kept, so that a cached view holds one byte a product), else at the
    positions it needs (`fit_at`)."""

    allowed: BoolArray
    removed: dict[str, int]
    class_of: npt.NDArray[np.int32]  # (n,) each product's class (the catalog's, shared by every view)
    class_failed: npt.NDArray[np.uint8]  # per class, the rules it fails as bits (bit k for `RULE_NAMES[k]`)
    class_fit: npt.NDArray[np.float64]  # per class, the fit score
    # Tuples of strings, which the garbage collector does not track: a worker holds thousands of views, and lists
    # here made every full collection walk them.
    reasons: dict[int, tuple[str, ...]] = field(default_factory=dict)
    passed: Passed | None = field(default=None, repr=False)  # `allowed` and `removed`, kept alive (`WearerCache`)

    @classmethod
    def build(
        cls, snapshot: CatalogSnapshot, wearer: Wearer, rules: RuleSettings,
        passed: MutableMapping[bytes, Passed] | None = None,
    ) -> WearerView:  # fmt: skip
        """`passed`: what passes, by the classes' failed rules, for this snapshot (`WearerCache`): wearers whose
        prescriptions and measurements differ but whose classes fail the same rules share it, and the pass over
        every product is made once for them."""
        classes, failed, fit = evaluate_classes(snapshot.frames, wearer, rules)  # per class of frames
        key = failed.tobytes()
        found = None if passed is None else passed.get(key)
        if found is None:
            sellable = snapshot.sellable  # active and in stock
            # one pass: what `first_failures` counts, and what passes
            allowed, first = passing(classes.class_of, failed, sellable)
            allowed.flags.writeable = False  # shared by every view of the same outcome
            active = int(np.count_nonzero(snapshot.active))
            removed = {"inactive": snapshot.active.size - active,
                       "out_of_stock": active - int(np.count_nonzero(sellable))}  # fmt: skip
            removed |= {f"rule:{name}": int(first[bit]) for bit, name in enumerate(RULE_NAMES)}
            found = Passed(allowed, removed)
            if passed is not None:
                passed[key] = found
        return cls(found.allowed, found.removed, classes.class_of, failed, fit, passed=found)

    @property
    def failed(self) -> npt.NDArray[np.uint8]:
        """Per product, the rules it fails as bits (made on each call)."""
        return self.class_failed[self.class_of]

    @property
    def fit(self) -> npt.NDArray[np.float64]:
        """Per product, its fit score (made on each call: the exact pass reads it once a list, and a gather over
        the catalog costs far less than the list; kept, it made a view ten times larger)."""
        return self.class_fit[self.class_of]

    def fit_at(self, positions: IntArray) -> npt.NDArray[np.float64]:
        """The fit score of the products at these positions."""
        return self.class_fit[self.class_of[positions]]

    @property
    def nbytes(self) -> int:
        """What the view's arrays hold: what passes (a byte a product) and its classes' rules and fit (9 bytes a
        class); `class_of` is the catalog's, shared by every view. The rules' words, filled as lists show products,
        are not counted."""
        return self.allowed.nbytes + self.class_failed.nbytes + self.class_fit.nbytes


def first_failures(failed: npt.NDArray[np.uint8], within: BoolArray) -> dict[str, int]:
    """Per rule, how many of the products `within` it removes: those whose first failed rule it is (the lowest bit
    set), as if the rules were applied one after the other in `RULE_NAMES` order."""
    chosen = failed[within]
    first = np.bincount(chosen & -chosen, minlength=256)
    return {name: int(first[1 << bit]) for bit, name in enumerate(RULE_NAMES)}


class WearerCache:
    """`WearerView`s per (catalog's availability version, wearer), least recently used dropped first: shoppers with
    one profile share one, and a returning shopper's is still there; a change of what is shown of products (a price,
    a name) keeps them (`CatalogSnapshot.availability`: a view reads the products and their availability only).
    Bounded by memory, not by count: a view costs a byte a product and 9 bytes a class of frames (`WearerView.nbytes`:
    about 100 kB on bench-serve's large shop, 50,000 products in about 5,600 classes), its byte a product counted once
    for the views that share it (`Passed`: half of a view there, shared by three or four wearers on average). The
    views of an earlier catalog, which no list asks for again, go when the first view of a new one is made (they hold
    shoppers' prescriptions), and all of them every `max_age_seconds` (`HELD_AT_MOST_SECONDS`): an erasure empties the
    cache of the process that made it (`clear`), and of every other within seconds (`privacy.watch.ErasureWatch`);
    the age bounds what a process keeps where it cannot hear of one."""

    def __init__(
        self, max_bytes: int = 64 * 2**20, max_age_seconds: float = HELD_AT_MOST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._max_age, self._clock = max_age_seconds, clock
        self._since = clock()  # when the cache was last emptied
        self._items: OrderedDict[tuple[object, Wearer], WearerView] = OrderedDict()
        self._max_bytes = max_bytes
        self._bytes = 0
        self._availability: object = None  # the catalog's `availability` version of the views held
        # What passes by the classes' failed rules, at that version (`WearerView.build`): a shop's shoppers are
        # mostly each their own wearer, but far fewer outcomes (on bench-serve's large shop, 3,000 shoppers: 2,258
        # wearers, 639 outcomes).
        self._passed: weakref.WeakValueDictionary[bytes, Passed] = weakref.WeakValueDictionary()
        self._holders: dict[int, int] = {}  # how many views held here read each mask of what passes (by its id)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._empty()

    def _empty(self) -> None:
        """Drop every view and shared pass (the caller holds the lock)."""
        self._items, self._bytes, self._passed = OrderedDict(), 0, weakref.WeakValueDictionary()
        self._holders = {}
        self._since = self._clock()

    def _count(self, view: WearerView, step: int) -> None:
        """Add (`step` 1) or take away (-1) a view's bytes: its classes' arrays, and its mask of what passes with the
        first view held here that reads it, or the last (the caller holds the lock). A mask's id stays its own while
        a view held here keeps it alive."""
        self._bytes += step * (view.class_failed.nbytes + view.class_fit.nbytes)
        mask = id(view.allowed)
        holders = self._holders.get(mask, 0) + step
        if holders == 0 or (step == 1 and holders == 1):
            self._bytes += step * view.allowed.nbytes
        if holders:
            self._holders[mask] = holders
        else:
            del self._holders[mask]

    def view(self, snapshot: CatalogSnapshot, wearer: Wearer, rules: RuleSettings) -> WearerView:
        if self._clock() - self._since >= self._max_age:
            self.clear()
        key = (snapshot.availability, wearer)
        found = self._items.get(key)
        if found is not None:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
            return found
        with self._lock:
            if snapshot.availability != self._availability:
                self._empty()
                self._availability = snapshot.availability
            passed = self._passed
        found = WearerView.build(snapshot, wearer, rules, passed)
        with self._lock:
            if snapshot.availability != self._availability:  # a newer catalog's view was made meanwhile: keep out
                return found
            if key not in self._items:
                self._items[key] = found
                self._count(found, 1)
            while self._bytes > self._max_bytes and len(self._items) > 1:
                self._count(self._items.popitem(last=False)[1], -1)
        return found


def request_mask(snapshot: CatalogSnapshot, filters: RecommendationFilters) -> BoolArray | None:
    """What the request's own filters let through; None when it sets none."""
    price = price_mask(
        snapshot.price,
        float(filters.price_min) if filters.price_min is not None else None,
        float(filters.price_max) if filters.price_max is not None else None,
    )
    masks = [
        equals(snapshot.category, filters.category),
        equals(snapshot.brand, filters.brand),
        equals(snapshot.shape, filters.shape),
        equals(snapshot.rim_type, filters.rim_type),
        equals(snapshot.material, filters.material),
        price,
        attribute_mask(snapshot.attributes, filters.attributes),
    ]
    if all(mask is None for mask in masks):
        return None
    return combine(masks, len(snapshot))


def positions_mask(snapshot: CatalogSnapshot, product_ids: Iterable[str]) -> BoolArray | None:
    """The snapshot positions of these products; None when none of them is in the catalog."""
    positions = snapshot.positions(list(product_ids))
    if positions.size == 0:
        return None
    mask = np.zeros(len(snapshot), dtype=np.bool_)
    mask[positions] = True
    return mask


def apply_filters(
    snapshot: CatalogSnapshot,
    *,
    view: WearerView,
    filters: RecommendationFilters,
    excluded: Iterable[str],
    bought: Iterable[str],
    rebuyable: tuple[str, ...],
) -> Filtered:
    """Everything that may be shown, and how many products each filter removed (the catalog and rule steps as
    the wearer's view counted them once, then this request's). A step with nothing to remove (no request filter,
    no exclusion, no purchase) costs no array work."""
    excluding = positions_mask(snapshot, excluded)
    purchases = positions_mask(snapshot, bought)
    steps = [
        ("request_filters", request_mask(snapshot, filters)),
        ("excluded", None if excluding is None else ~excluding),
        ("already_bought", None if purchases is None else ~purchases | snapshot.rebuyable(rebuyable)),
    ]
    allowed, removed = _chain(view.allowed, steps)
    return Filtered(allowed, view.removed | removed)


def _chain(allowed: BoolArray, steps: Sequence[tuple[str, BoolArray | None]]) -> tuple[BoolArray, dict[str, int]]:
    """Apply the masks in order to (a copy of) `allowed`; how many products each removed among those the earlier
    ones let through (a None mask removes nothing)."""
    allowed = allowed.copy()
    left = int(np.count_nonzero(allowed))
    removed: dict[str, int] = {}
    for name, mask in steps:
        if mask is None:
            removed[name] = 0
            continue
        allowed &= mask
        now = int(np.count_nonzero(allowed))
        removed[name], left = left - now, now
    return allowed, removed
