"""When an event-loop batcher sends what waits off: the served-list log's groups (`recommend.servedlog.ServedLog`)
and PostgreSQL's batches of shopper reads (`store.batched.BatchedReads`) decide the same way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Step = Callable[[asyncio.AbstractEventLoop], None]


class SendOff:
    """One send-off at a time: `decide` schedules `send` after the callbacks already due in this turn of the loop
    (so that the other requests of the turn join the batch) when the batcher is ready or the oldest item has waited
    `wait` seconds; otherwise it calls the batcher's `recheck` back at that moment. `started` marks the arrival of
    a batch's first item."""

    def __init__(self, send: Step, recheck: Step) -> None:
        self._send = send
        self._recheck = recheck
        self._since = 0.0  # the loop's time when the oldest item waiting arrived
        self._due: asyncio.Handle | None = None  # the send-off, scheduled
        self._timer: asyncio.TimerHandle | None = None  # the recheck at the oldest item's deadline

    def started(self, loop: asyncio.AbstractEventLoop) -> None:
        self._since = loop.time()

    def decide(self, loop: asyncio.AbstractEventLoop, *, ready: bool, wait: float) -> None:
        if self._due is not None:
            return
        if ready or loop.time() - self._since >= wait:
            self._due = loop.call_soon(self._go, loop)
        elif self._timer is None:
            self._timer = loop.call_at(self._since + wait, self._expired, loop)

    def _go(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._send(loop)

    def _expired(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self._recheck(loop)
