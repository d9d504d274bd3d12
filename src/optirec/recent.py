"""A value that is slow to make and may be a little old: made at most once per `seconds`, and once there is one,
made again in a thread while the old one is answered (stale while it revalidates). The console's aggregates and the
product inspector's profiles use it: on a large shop they take seconds to make, and a page must answer at once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

log = logging.getLogger("optirec")
T = TypeVar("T")


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
            threading.Thread(target=self._refresh, name="optirec-recent", daemon=True).start()
        return latest

    def _count(self) -> Counted[T]:
        counted = Counted(self._compute(), datetime.now(UTC))
        with self._lock:
            self._latest, self._counted_at = counted, time.monotonic()
        return counted

    def _refresh(self) -> None:
        try:
            self._count()
        except Exception:  # the old count keeps being answered; the next request tries again
            log.warning("a value could not be made again; the last one is answered", exc_info=True)
        finally:
            with self._lock:
                self._refreshing = False
