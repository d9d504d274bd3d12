"""Engagement per impression: how much more (or less) often than expected each product is opened where it is shown.

Popularity counts signals, and signals follow exposure: a product the lists show often collects views whatever its
appeal, and a new one, shown rarely, stays at the bottom of the counts however well it does when shown. This counts
each product's impressions (every item of every served list, at its rank) and the views that came from them (a
`view` signal carrying the list's `recommendation_id`), and compares them: a product's **expected** views are the
sum, over its impressions, of the click-through rate of the rank it was shown at (all products together, from the
same counts: the rate falls with the rank, as attention and the ranking's confidence do), and its **lift** is

    lift = ln((views + prior) / (expected views + prior))

0 for a product never shown, positive for one opened more often than products usually are where it was shown. The
prior (`OPTIREC_ENGAGEMENT__PRIOR_VIEWS` views) shrinks a few impressions' luck towards 0: a product must earn its
lift over several expected views. This is the live, between-trainings half of the loop: what exploration learns of a
new product's appeal reaches every list at the next count, not at the next training.

Counted incrementally, as popularity is (`popularity.PopularityCounter`): at a worker's first count the lists of the
last two half-lives (at most the newest `FIRST_LISTS`), then the lists served since the last count (their
id starts with their serving time, so they are read in order, the last two minutes again for lists whose insert
committed late, each counted once) and the views stored since the last count (by signal id; the rank of each from its
list's row). Counts decay with the data's own time (the newest list's serving time), a half-life of
`OPTIREC_ENGAGEMENT__HALF_LIFE_DAYS`, applied in whole hours, so that a product's lift follows what it does now.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from optirec.arrays import FloatArray
from optirec.store import Database
from optirec.store.base import LATE_COMMIT
from optirec.store.tables import ServedRecommendation, Signal

RANKS = 24  # ranks counted apart; a deeper one counts as the last
# lists read again at each count, in case an insert committed after a later one was counted
OVERLAP_MS = int(LATE_COMMIT / timedelta(milliseconds=1))
PAGE = 2000  # lists or views read at once
LOOKUP = 500  # lists looked up at once for the ranks of their views
HOUR_MS = 3_600_000
FIRST_LISTS = 200_000  # a worker's first count reads at most this many lists (the newest): about 10 s


class EngagementCounts:
    """Impressions per product and rank, views per product, and both per rank (decayed): one row a product."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}  # product -> its row
        self._shown = np.zeros((1024, RANKS))
        self._views = np.zeros(1024)
        self.rank_impressions = np.zeros(RANKS)
        self.rank_views = np.zeros(RANKS)

    def _row(self, product_id: str) -> int:
        row = self.rows.get(product_id)
        if row is None:
            row = self.rows[product_id] = len(self.rows)
            if row == self._views.size:  # full: twice the room
                self._shown = np.concatenate([self._shown, np.zeros_like(self._shown)])
                self._views = np.concatenate([self._views, np.zeros_like(self._views)])
        return row

    def shown(self, products: list[str], ranks: list[int]) -> None:
        """Impressions of `products[i]` at `ranks[i]` (1 first; deeper than `RANKS` counts as the last)."""
        if not products:
            return
        rows = np.fromiter((self._row(p) for p in products), dtype=np.int64, count=len(products))
        at = np.clip(np.asarray(ranks, dtype=np.int64), 1, RANKS) - 1
        np.add.at(self._shown, (rows, at), 1.0)
        self.rank_impressions += np.bincount(at, minlength=RANKS)

    def viewed(self, product_id: str, rank: int) -> None:
        self._views[self._row(product_id)] += 1.0
        self.rank_views[min(max(rank, 1), RANKS) - 1] += 1.0

    def impressions_of(self, product_id: str) -> FloatArray:
        """The product's impressions by rank (zeros for one never shown)."""
        row = self.rows.get(product_id)
        return self._shown[row].copy() if row is not None else np.zeros(RANKS)

    def views_of(self, product_id: str) -> float:
        row = self.rows.get(product_id)
        return float(self._views[row]) if row is not None else 0.0

    def decay(self, factor: float) -> None:
        n = len(self.rows)
        self._shown[:n] *= factor
        self._views[:n] *= factor
        self.rank_impressions *= factor
        self.rank_views *= factor

    def measured(self, prior_views: float) -> Engagement:
        """Each shown product's lift (the module's formula) and expected views; products never shown are left out
        (their lift is 0, their expected views 0)."""
        if not self.rows:
            return Engagement({}, {})
        rate = np.divide(self.rank_views, self.rank_impressions, out=np.zeros(RANKS), where=self.rank_impressions > 0)
        n = len(self.rows)
        expected = self._shown[:n] @ rate
        lift = np.log((self._views[:n] + prior_views) / (expected + prior_views))
        products = list(self.rows)  # in row order
        return Engagement(dict(zip(products, lift.tolist(), strict=True)),
                          dict(zip(products, expected.tolist(), strict=True)))  # fmt: skip


@dataclass(frozen=True)
class Engagement:
    """What the counts say, per product id: its lift, and its expected views (how much evidence the lift rests on)."""

    lifts: dict[str, float]
    expected: dict[str, float]

    def __bool__(self) -> bool:  # nothing shown yet: `Refreshing` counts again at the next read
        return bool(self.lifts)


class EngagementCounter:
    """Brings `EngagementCounts` up to date from the served-list log and the signals; `update()` gives the lifts.

    Not thread-safe: `ServingState` calls it through `Refreshing`, one computation at a time."""

    def __init__(self, db: Database, *, prior_views: float = 5.0, half_life_days: float = 7.0,
                 clock: Callable[[], datetime] | None = None) -> None:  # fmt: skip
        self._db, self._prior, self._half_life_hours = db, prior_views, half_life_days * 24.0
        self._clock = clock  # now, for the first count's window; None: the wall clock (a simulation passes its own)
        self.counts = EngagementCounts()
        self._lists_upto_ms = 0  # the newest list counted: its serving time, in milliseconds
        self._recent: dict[str, int] = {}  # the lists counted in the last OVERLAP_MS before it, and their times
        self._views_after = 0  # the highest signal id read for views
        self._decayed_at_ms: int | None = None
        self._window: datetime | None = None  # the first count's start: views of older lists are not counted

    def update(self) -> Engagement:
        with self._db.read() as session:
            self._count_lists(session)
            self._count_views(session)
        return self.counts.measured(self._prior)

    def _count_lists(self, session: Session) -> None:
        """The lists served since the last count, each once; at the first count, those of the last two half-lives
        (a worker's start does not read a long log whole). Paged by id (a list's id starts with its serving time,
        `service.recommendation_id`) and kept to the serving times from the overlap on, so that a log's older rows
        with other ids (random ones, from before that scheme) are read at the first count only."""
        first = not self._lists_upto_ms
        if first:  # the last two half-lives (older lists would weigh a quarter or less)
            now_ms = time.time() * 1000 if self._clock is None else self._clock().timestamp() * 1000
            since_ms = int(now_ms - 2 * self._half_life_hours * HOUR_MS)
        else:
            since_ms = self._lists_upto_ms - OVERLAP_MS
        since = datetime.fromtimestamp(max(since_ms, 0) / 1000, UTC)
        after = f"{max(since_ms, 0):012x}"
        if first:  # and at most the newest FIRST_LISTS of them (the index's last entries)
            newest = select(ServedRecommendation.id).order_by(ServedRecommendation.id.desc())
            after = max(after, session.scalar(newest.offset(FIRST_LISTS).limit(1)) or "")
        earliest: int | None = None
        while True:
            query = (
                select(ServedRecommendation.id, ServedRecommendation.items, ServedRecommendation.served_at)
                .where(ServedRecommendation.id > after, ServedRecommendation.served_at >= since)
                .order_by(ServedRecommendation.id)
                .limit(PAGE)
            )
            rows = list(session.execute(query))
            products: list[str] = []  # the page's impressions, counted together (and before any decay)
            ranks: list[int] = []
            for list_id, items, served_at in rows:
                if list_id in self._recent:
                    continue
                moment = int(served_at.timestamp() * 1000)
                if self._decay_due(moment):
                    self.counts.shown(products, ranks)
                    products, ranks = [], []
                    self._decay_to(moment)
                for item in items:
                    products.append(item["product_id"])
                    ranks.append(int(item["rank"]))
                self._recent[list_id] = moment
                earliest = moment if earliest is None else min(earliest, moment)
                self._lists_upto_ms = max(self._lists_upto_ms, moment)
            self.counts.shown(products, ranks)
            if len(rows) < PAGE:
                break
            after = rows[-1][0]
        if first:  # views of lists older than the first count's are not counted (their impressions were not)
            self._window = since if earliest is None else datetime.fromtimestamp(earliest / 1000, UTC)
        floor = self._lists_upto_ms - OVERLAP_MS
        self._recent = {i: ms for i, ms in self._recent.items() if ms >= floor}

    def _count_views(self, session: Session) -> None:
        upto = session.scalar(select(func.max(Signal.id)))
        if upto is None or upto <= self._views_after:
            return
        query = (
            select(Signal.recommendation_id, Signal.product_id)
            .where(Signal.id > self._views_after, Signal.id <= upto)
            .where(Signal.action_type == "view", Signal.recommendation_id.is_not(None))
            .order_by(Signal.id)
        )
        views = [(str(list_id), str(product)) for list_id, product in session.execute(query)]
        for first in range(0, len(views), LOOKUP):
            part = views[first : first + LOOKUP]
            ranks = _ranks(session, {list_id for list_id, _ in part}, self._window)
            for list_id, product in part:
                rank = ranks.get(list_id, {}).get(product)
                # a view of a product its list did not show is no view of that list; one of a list older than the
                # first count's (whose impressions were not counted) is left out too
                if rank is not None:
                    self.counts.viewed(product, rank)
        self._views_after = upto

    def _decay_due(self, moment_ms: int) -> bool:
        """Whether `_decay_to(moment_ms)` would decay (or start) the counts."""
        return self._decayed_at_ms is None or moment_ms - self._decayed_at_ms >= HOUR_MS

    def _decay_to(self, moment_ms: int) -> None:
        """Decay the counts to `moment_ms` in whole hours of the data's time (so a replayed log decays as it did)."""
        if self._decayed_at_ms is None:
            self._decayed_at_ms = moment_ms
            return
        hours = (moment_ms - self._decayed_at_ms) // HOUR_MS
        if hours >= 1:
            self.counts.decay(math.pow(0.5, hours / self._half_life_hours))
            self._decayed_at_ms += hours * HOUR_MS


def _ranks(session: Session, list_ids: Iterable[str], since: datetime | None) -> dict[str, dict[str, int]]:
    """Per list served from `since` on, the rank of each product it showed."""
    query = select(ServedRecommendation.id, ServedRecommendation.items).where(
        ServedRecommendation.id.in_(list(list_ids))
    )
    if since is not None:
        query = query.where(ServedRecommendation.served_at >= since)
    return {
        list_id: {item["product_id"]: int(item["rank"]) for item in items} for list_id, items in session.execute(query)
    }
