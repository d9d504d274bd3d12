"""The console's slow aggregates, counted in the background and reused: the signal counts of the overview and the
daily metrics of the served lists.

On a large shop (10 million signals) counting the signals of the last 24 hours reads the signals table, which takes
seconds; an operator's page must answer in a fraction of one. So each aggregate is kept with the time it was
counted (`Counted`): a request gets the latest count at once, and one older than `seconds` is counted again in a
thread while the old count is answered (stale while it revalidates). Only the first request of a process waits,
unless the process counted them at its start (`warm`). `seconds = 0` counts on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from optirec.overview.schemas import Activity
from optirec.overview.service import activity_counts
from optirec.recommend.attribution import DailyMetrics, daily_metrics
from optirec.store import Database, utcnow

log = logging.getLogger("optirec.console")
T = TypeVar("T")
DAILY_KEPT = 4  # how many `days` windows of the daily metrics are kept (the console asks for one)


@dataclass(frozen=True)
class Counted(Generic[T]):
    value: T
    at: datetime  # when it was counted


class Recent(Generic[T]):
    """One aggregate: counted at most once per `seconds` (in a thread once there is a count to answer)."""

    def __init__(self, compute: Callable[[], T], seconds: float) -> None:
        self._compute, self._seconds = compute, seconds
        self._lock = threading.Lock()
        self._latest: Counted[T] | None = None
        self._counted_at = 0.0  # monotonic
        self._refreshing = False

    def get(self) -> Counted[T]:
        with self._lock:
            latest, stale = self._latest, time.monotonic() - self._counted_at >= self._seconds
            refresh = latest is not None and stale and not self._refreshing
            if refresh:
                self._refreshing = True
        if latest is None or self._seconds <= 0:
            return self._count()
        if refresh:
            threading.Thread(target=self._refresh, name="optirec-console-count", daemon=True).start()
        return latest

    def _count(self) -> Counted[T]:
        counted = Counted(self._compute(), utcnow())
        with self._lock:
            self._latest, self._counted_at = counted, time.monotonic()
        return counted

    def _refresh(self) -> None:
        try:
            self._count()
        except Exception:  # the old count keeps being answered; the next request tries again
            log.warning("a console aggregate could not be counted", exc_info=True)
        finally:
            with self._lock:
                self._refreshing = False


class ConsoleAggregates:
    """A process's slow aggregates for the console (`OPTIREC_CONSOLE_CACHE_SECONDS`)."""

    def __init__(self, db: Database, seconds: float) -> None:
        self._db, self._seconds = db, seconds
        self._activity = Recent(self._count_activity, seconds)
        self._daily: dict[int, Recent[list[DailyMetrics]]] = {}
        self._lock = threading.Lock()

    def activity(self) -> Counted[Activity]:
        return self._activity.get()

    def daily(self, days: int) -> Counted[list[DailyMetrics]]:
        with self._lock:
            recent = self._daily.get(days)
            if recent is None:
                if len(self._daily) >= DAILY_KEPT:
                    self._daily.pop(next(iter(self._daily)))
                recent = self._daily[days] = Recent(lambda: self._count_daily(days), self._seconds)
        return recent.get()

    def warm(self, days: int = 30) -> None:
        """Count both now (a serving process's start-up, in its warm-up thread), so that no operator waits."""
        if self._seconds > 0:
            self.activity()
            self.daily(days)

    def _count_activity(self) -> Activity:
        with self._db.read() as session:
            return activity_counts(session=session)

    def _count_daily(self, days: int) -> list[DailyMetrics]:
        with self._db.read() as session:
            return daily_metrics(session=session, days=days)
