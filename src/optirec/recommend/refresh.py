"""A value recomputed in the background: requests keep reading the previous one meanwhile.

Popularity and segment counts are GROUP BY queries over every signal: seconds on a large shop. Recomputing them in
whichever request found them expired put those seconds into that request's latency. Here only the first read computes
in the caller (there is nothing else to answer with), and every read while the value is empty (an empty shop, where
asking again is cheap and the first signals must count at once); afterwards an expired value is still served while
one background thread recomputes it (stale-while-revalidate), and `generation` grows when the new one lands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Refreshing(Generic[T]):
    def __init__(self, compute: Callable[[], T], *, ttl_seconds: float, name: str) -> None:
        self._compute, self._ttl, self._name = compute, ttl_seconds, name
        self._value: T | None = None
        self._computed_at = 0.0
        self._lock = threading.Lock()  # one computation at a time
        self._refreshing = False
        self._flag = threading.Lock()  # guards `_refreshing` only: never held during a computation
        self.generation = 0  # grows with every recomputation

    def get(self) -> T:
        value = self._value
        if not value:  # nothing yet, or nothing counted (an empty shop, cheap to ask again): compute here
            with self._lock:
                if not self._value or self._value is value:
                    self._store(self._compute())
                return self._require()
        if time.monotonic() - self._computed_at >= self._ttl and not self._refreshing:
            self._refresh_in_background()
        return value

    def refresh(self) -> None:
        """Recompute now, in the caller."""
        with self._lock:
            self._store(self._compute())

    def _store(self, value: T) -> None:
        self._value = value
        self._computed_at = time.monotonic()
        self.generation += 1

    def _require(self) -> T:
        value = self._value
        assert value is not None
        return value

    def _refresh_in_background(self) -> None:
        with self._flag:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._run, name=f"optirec-refresh-{self._name}", daemon=True).start()

    def _run(self) -> None:
        try:
            self.refresh()
        except Exception:  # keep serving the previous value; the next read tries again
            log.exception("could not recompute %s", self._name)
            self._computed_at = time.monotonic() - self._ttl + 5.0
        finally:
            self._refreshing = False
