"""Popularity from the stored signals: weighted by action, over a recent window, kept up to date in the background.

Counting every signal of the window is a GROUP BY over the whole table (seconds on a large shop: 7 s for 10 million
signals on SQLite). So the counts are kept per (product, action) and brought up to date by counting only the signals
stored since the last count (by id, on the primary key: milliseconds); the whole window is recounted once a day (or
when ids went backwards), which is when signals that aged out of the window leave the counts.

The counts are a ranking signal, not a ledger: between recounts they may still hold signals that have aged out of
the window or were erased, and on PostgreSQL a signal whose transaction committed after a later id was counted is
missed until the next recount.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select

from optirec.recommend.refresh import Refreshing
from optirec.store import Database
from optirec.store.sessions import count_signals
from optirec.store.tables import STORED_TIMES, Signal

# How much one signal of each kind says about a product's appeal.
ACTION_WEIGHTS: Mapping[str, float] = {
    "view": 1.0,
    "favorite": 2.0,
    "add_to_cart": 3.0,
    "remove_from_cart": 0.0,
    "purchase": 5.0,
}
RECOUNT_SECONDS = 24 * 3600.0


class PopularityCounter:
    """Per product, the action-weighted number of signals of the `days` days up to the newest signal (the window
    ends at the newest signal rather than now, so a replayed or demo history is not aged out).

    `update()` is not thread-safe: `PopularityCache` calls it under its own lock.
    """

    def __init__(self, db: Database, *, days: int = 90, recount_seconds: float = RECOUNT_SECONDS) -> None:
        self._db, self._days, self._recount_seconds = db, days, recount_seconds
        self._counts: dict[tuple[str, str], int] = {}
        self._counted_upto = 0  # the highest signal id counted
        self._since: datetime | None = None  # the window's start, as of the last recount
        self._recounted_at = -math.inf

    def update(self) -> dict[str, float]:
        """Count what was stored since the last update (everything, when a recount is due); the weighted counts."""
        with self._db.read() as session:
            upto = session.scalar(select(func.max(Signal.id)))
            if upto is None:  # no signal at all
                self._counts, self._counted_upto, self._since = {}, 0, None
                return {}
            recount = (
                self._since is None
                or upto < self._counted_upto
                or time.monotonic() - self._recounted_at >= self._recount_seconds
            )
            if recount:
                newest = session.scalar(select(func.max(Signal.occurred_at)).where(Signal.stored_in_window()))
                if newest is None:  # no signal with a time the window holds
                    self._counts, self._counted_upto, self._since = {}, upto, None
                    return {}
                self._counts, self._counted_upto = {}, 0
                self._since, self._recounted_at = newest - timedelta(days=self._days), time.monotonic()
            parameters = {"after": self._counted_upto, "upto": upto, "since": self._since, "latest": STORED_TIMES[1]}
            for product_id, action, count in count_signals(session, **parameters):
                key = (product_id, action)
                self._counts[key] = self._counts.get(key, 0) + count
        self._counted_upto = upto
        scores: dict[str, float] = {}
        for (product_id, action), count in self._counts.items():
            scores[product_id] = scores.get(product_id, 0.0) + ACTION_WEIGHTS.get(action, 1.0) * count
        return scores


def weighted_counts(db: Database, *, days: int) -> dict[str, float]:
    """The weighted counts of the window, counted now from every signal."""
    return PopularityCounter(db, days=days).update()


class PopularityCache:
    """Weighted counts, brought up to date in the background every `ttl_seconds` (the first read counts them)."""

    def __init__(self, db: Database, *, days: int = 90, ttl_seconds: float = 600.0) -> None:
        counter = PopularityCounter(db, days=days)
        self._value = Refreshing(counter.update, ttl_seconds=ttl_seconds, name="popularity")

    @property
    def generation(self) -> int:
        return self._value.generation

    def get(self) -> dict[str, float]:
        return self._value.get()

    def refresh(self) -> None:
        """Count the signals stored since the last count now, in the caller (the closed-loop simulation)."""
        self._value.refresh()
