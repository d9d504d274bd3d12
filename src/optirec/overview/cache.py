"""The console's slow aggregates, counted in the background and reused: the signal counts of the overview and the
daily metrics of the served lists.

On a large shop (10 million signals) counting the signals of the last 24 hours reads the signals table, which takes
seconds; an operator's page must answer in a fraction of one. So each aggregate is kept with the time it was
counted (`Counted`): a request gets the latest count at once, and one older than `seconds` is counted again in a
thread while the old count is answered (stale while it revalidates). Only the first request of a process waits,
unless the process counted them at its start (`warm`). `seconds = 0` counts on every request.
"""

from __future__ import annotations

import threading

from optirec.overview.schemas import Activity
from optirec.overview.service import activity_counts
from optirec.recent import Counted, Recent
from optirec.recommend.attribution import DailyMetrics, daily_metrics
from optirec.store import Database

DAILY_KEPT = 4  # how many `days` windows of the daily metrics are kept (the console asks for one)


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
