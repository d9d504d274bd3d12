"""Who a credential stands for, remembered for a moment, so that the hot path does not read the key table on
every request. Only successful look-ups are kept; a revocation or an erasure in this process clears the cache at
once, one in another process takes effect within `OPTIREC_AUTH_CACHE_SECONDS`."""

from __future__ import annotations

import threading
import time

from optirec.auth.service import Principal


class PrincipalCache:
    def __init__(self, ttl_seconds: float, size: int = 10_000) -> None:
        self._ttl, self._size = ttl_seconds, size
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Principal | None:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, principal: Principal) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= self._size:
                self._items.clear()
            self._items[key] = (time.monotonic() + self._ttl, principal)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
