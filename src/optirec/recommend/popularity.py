"""Popularity from the stored signals: weighted by action, over a recent window, cached for a while."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select

from optirec.db import Database
from optirec.signals.models import Signal

# How much one signal of each kind says about a product's appeal.
ACTION_WEIGHTS: Mapping[str, float] = {
    "view": 1.0,
    "favorite": 2.0,
    "add_to_cart": 3.0,
    "remove_from_cart": 0.0,
    "purchase": 5.0,
}


def weighted_counts(db: Database, *, days: int) -> dict[str, float]:
    """Per product, the action-weighted number of signals of the `days` days up to the newest signal.

    The window ends at the newest signal rather than now, so a replayed or demo history is not aged out.
    """
    with db.read() as session:
        newest = session.scalar(select(func.max(Signal.occurred_at)))
    if newest is None:
        return {}
    since = newest - timedelta(days=days)
    query = (
        select(Signal.product_id, Signal.action_type, func.count())
        .where(Signal.occurred_at >= since)
        .group_by(Signal.product_id, Signal.action_type)
    )
    scores: dict[str, float] = {}
    with db.read() as session:
        for product_id, action, count in session.execute(query):
            scores[product_id] = scores.get(product_id, 0.0) + ACTION_WEIGHTS.get(action, 1.0) * count
    return scores


class PopularityCache:
    """Weighted counts, recomputed at most every `ttl_seconds` (the first call computes them)."""

    def __init__(self, db: Database, *, days: int = 90, ttl_seconds: float = 600.0) -> None:
        self._db, self._days, self._ttl = db, days, ttl_seconds
        self._scores: dict[str, float] | None = None
        self._computed_at = 0.0
        self._lock = threading.Lock()
        self.generation = 0  # grows with every recomputation

    def get(self) -> dict[str, float]:
        scores = self._scores
        if scores is not None and time.monotonic() - self._computed_at < self._ttl:
            return scores
        with self._lock:
            if self._scores is None or time.monotonic() - self._computed_at >= self._ttl:
                self._scores = weighted_counts(self._db, days=self._days)
                self._computed_at = time.monotonic()
                self.generation += 1
            return self._scores

    def invalidate(self) -> None:
        self._computed_at = -1e18
