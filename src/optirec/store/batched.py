"""PostgreSQL's shopper reads from the event loop, the customers asked for at about the same time read together."""

from __future__ import annotations

import asyncio
from typing import Any

from optirec.store.sendoff import SendOff
from optirec.store.shopper import AsyncFetch, Shopper, ShopperStatements, checked_async, read_shopper_async


class BatchedReads:
    """PostgreSQL's shopper reads from the event loop, customers read together: one batch statement in flight at a
    time (`shopper.BATCH`), and the customers asked for meanwhile make the next one, as the served-list log's groups do.
    At saturation lists arrive together (their answers left together, in one group), and a read's round trip is
    mostly fixed cost, so a customer read in a batch of eight costs the worker and the database about half of one
    read alone (`docs/benchmarks.md`). A list alone is read at
    once. A batch in flight for longer than `READ_WAIT` no longer holds the next one back (it goes on another
    connection), so one slow read delays the lists behind it by that much at most. Anonymous sessions, and a customer
    named with a session, are read on their own (`shopper.read_shopper_async`)."""

    BATCH_MAX = 64
    READ_WAIT = 0.005  # seconds a customer waits at most for the batch in flight before theirs goes out regardless

    def __init__(self, fetch: AsyncFetch, statements: ShopperStatements) -> None:
        if statements.batch is None:
            raise ValueError("batched reads need the batch statement")
        self._fetch, self._statements, self._batch = fetch, statements, statements.batch
        self._waiting: list[tuple[str, asyncio.Future[list[Any]]]] = []
        self._send_off = SendOff(self._read, self._consider)
        self._reading: set[asyncio.Task[list[Any]]] = set()  # the batches in flight, kept from the collector

    async def load(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        """As `shopper.read_shopper_async`."""
        if customer_id is None or session_id is not None:
            return await read_shopper_async(
                self._fetch, self._statements, customer_id=customer_id, session_id=session_id
            )
        loop = asyncio.get_running_loop()
        found: asyncio.Future[list[Any]] = loop.create_future()
        if not self._waiting:
            self._send_off.started(loop)
        self._waiting.append((customer_id, found))
        self._consider(loop)
        return await checked_async(self._fetch, self._statements, await found, customer_id, None)

    def _consider(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send the next batch off, or wait (`SendOff`): at once when none is in flight, else when the one in flight
        is done, or at `READ_WAIT`."""
        if self._waiting:
            self._send_off.decide(loop, ready=not self._reading, wait=self.READ_WAIT)

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._waiting = self._waiting[: self.BATCH_MAX], self._waiting[self.BATCH_MAX :]
        self._send_off.started(loop)  # for those left beyond `BATCH_MAX`
        ids = [customer for customer, _ in batch]
        task = loop.create_task(self._fetch(self._batch, {"ids": ids, "since": self._statements.since()}))
        self._reading.add(task)

        def finished(task: asyncio.Task[list[Any]]) -> None:
            self._reading.discard(task)
            _answer(batch, task)
            self._consider(loop)

        task.add_done_callback(finished)


def _answer(batch: list[tuple[str, asyncio.Future[list[Any]]]], task: asyncio.Task[list[Any]]) -> None:
    """Each customer of the batch gets their own rows, or the batch's error."""
    error = asyncio.CancelledError() if task.cancelled() else task.exception()
    rows: list[list[Any]] = [[] for _ in batch]
    if error is None:
        for row in task.result():
            rows[row[-1] - 1].append(row)
    for (_customer, found), own in zip(batch, rows, strict=True):
        if found.done() or found.get_loop().is_closed():  # its request went away meanwhile
            continue
        if error is None:
            found.set_result(own)
        else:
            found.set_exception(error)
