"""Greedy lists answered lately, kept by everything they were made of (`AnswerMemo`): a shopper who asks again with
nothing changed (a page reloaded, the back button, the same placement on the next page view) is answered the list
already made for them instead of making it again; a new signal, another filter, a catalog change or a new model
makes a new list.

A list is a pure function of its inputs: the request (placement, length, filters, exclusions, products in
context, diversity, explanations, a stated wearer), the shopper (wearer, history, purchases, consent), the
experiment's arm and its policy, and the serving state (the catalog snapshot, the popularity and segment vectors,
the model, the list builder's weights and paths). The request, the shopper, the arm and the policy make the key; the
serving state is the memo's generation (its objects compared by identity, its numbers by value) at every look-up:
when any of it changed, every kept list goes, so that none is answered from an older catalog, count or model and none
holds one in memory. The shopper's segment vector, counted again apart from the rest, is compared per list (held
weakly). A list that explores draws at random and is never kept; each answer gets its own recommendation id
(`service.ListBuilder._answer`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING

from prometheus_client import Counter

if TYPE_CHECKING:
    from optirec.recommend.service import Kept

MEMO_SIZE = 4096  # lists kept per process (a few kB each: their items, reasons and counts)

LIST_ANSWERS = Counter(
    "optirec_list_answers_total",
    "Lists answered, by whether they were made or repeated from one made lately for the same request, shopper and "
    "serving state (`recommend.memo.AnswerMemo`).",
    ["result"],
)
_MADE = LIST_ANSWERS.labels(result="made")
_REPEATED = LIST_ANSWERS.labels(result="repeated")


class AnswerMemo:
    """Bounded (the oldest list goes first); `size` 0 keeps nothing. `hits` and `misses` count the look-ups."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._lists: dict[Hashable, tuple[weakref.ref[object] | None, Kept]] = {}
        self._objects: tuple[object, ...] = ()
        self._values: tuple[Hashable, ...] = ()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._lists)

    def clear(self) -> None:
        with self._lock:
            self._lists = {}

    def get(
        self, key: Hashable, objects: tuple[object, ...], values: tuple[Hashable, ...], vector: object | None,
        counted: bool = True,
    ) -> Kept | None:  # fmt: skip
        """The list kept for `key` in this generation of the serving state (its `objects`, compared by identity, and
        `values`, by value) and made with this `vector` (the shopper's segment vector, compared by identity: the
        segment counts are counted again apart from the rest), or None; a new generation drops every list kept.
        `counted`: in `LIST_ANSWERS`."""
        if self.size <= 0:
            return None
        if not self._same(objects, values):
            with self._lock:
                self._lists = {}
                self._objects, self._values = objects, values
        found = self._lists.get(key)
        if found is None or not _held(found[0], vector):
            self.misses += 1
            if counted:
                _MADE.inc()
            return None
        self.hits += 1
        if counted:
            _REPEATED.inc()
        return found[1]

    def put(
        self, key: Hashable, objects: tuple[object, ...], values: tuple[Hashable, ...], vector: object | None,
        kept: Kept,
    ) -> None:  # fmt: skip
        """Keep `kept` (`service.ServedList.kept`) for `key`, if the serving state is still this generation
        (`get`'s)."""
        if self.size <= 0 or not self._same(objects, values):
            return
        held = None if vector is None else weakref.ref(vector)  # (a vector counted again is not held here)
        with self._lock:
            if len(self._lists) >= self.size:
                del self._lists[next(iter(self._lists))]
            self._lists[key] = (held, kept)

    def _same(self, objects: tuple[object, ...], values: tuple[Hashable, ...]) -> bool:
        kept = self._objects
        same = len(kept) == len(objects) and all(a is b for a, b in zip(kept, objects, strict=True))
        return same and values == self._values


def _held(held: weakref.ref[object] | None, vector: object | None) -> bool:
    return held is None if vector is None else held is not None and held() is vector
