"""Popularity from the stored signals: weighted by action, over a recent window, cached for a while."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select

from optirec.db import Database
from optirec.recommend.refresh import Refreshing
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
    """Weighted counts, recomputed in the background every `ttl_seconds` (the first read computes them)."""

    def __init__(self, db: Database, *, days: int = 90, ttl_seconds: float = 600.0) -> None:
        self._value = Refreshing(lambda: weighted_counts(db, days=days), ttl_seconds=ttl_seconds, name="popularity")

    @property
    def generation(self) -> int:
        return self._value.generation

    def get(self) -> dict[str, float]:
        return self._value.get()

    def invalidate(self) -> None:
        self._value.invalidate()
