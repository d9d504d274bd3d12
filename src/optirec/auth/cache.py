"""Who a credential stands for, remembered for a moment, so that the hot path does not read the key table on
every request. Only successful look-ups are kept; a revocation or an erasure in this process clears the cache at
once, one in another process takes effect within `OPTIREC_AUTH_CACHE_SECONDS`.

When an entry expires, the requests that carry it meanwhile share one look-up (`resolve`): at saturation every
connection's request would miss at once, each read the key table on a thread of its own, and the pool open
connections for them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from optirec.auth.service import Principal


class PrincipalCache:
    def __init__(self, ttl_seconds: float, size: int = 10_000) -> None:
        self._ttl, self._size = ttl_seconds, size
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # grows with every `clear`: a look-up begun before one is not kept
        self._looking: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[Principal]] = {}

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
            self._generation += 1
            self._items.clear()

    async def resolve(self, key: str, look_up: Callable[[], Awaitable[Principal]]) -> Principal:
        """The cached principal of `key`, else `look_up()`'s, kept; callers that miss while a look-up of the same
        key is in flight (in this event loop) wait for it instead of starting their own, and share its error."""
        found = self.get(key)
        if found is not None:
            return found
        loop = asyncio.get_running_loop()
        task = self._looking.get((loop, key))
        if task is None:
            look = self._look_up(loop, key, look_up, self._generation)
            task = self._looking[loop, key] = loop.create_task(look)
            task.add_done_callback(_retrieve)
        # Shielded: a caller that goes away does not cancel the look-up the others wait for.
        return await asyncio.shield(task)

    async def _look_up(
        self, loop: asyncio.AbstractEventLoop, key: str, look_up: Callable[[], Awaitable[Principal]], generation: int
    ) -> Principal:
        try:
            principal = await look_up()
        finally:
            del self._looking[loop, key]
        if generation == self._generation:  # no revocation or erasure landed meanwhile
            self.put(key, principal)
        return principal


def _retrieve(task: asyncio.Task[Principal]) -> None:
    """Mark the look-up's error as seen: its callers may all have gone away."""
    if not task.cancelled():
        task.exception()
