"""The log of served lists, for attribution: every list is stored under its `recommendation_id` before the answer
leaves, by the store's own insert (`Database.append_served_lists`, `append_served_lists_from_loop`), which runs the
driver's bulk statement on the hot path's driver connection.

A list whose row the storage refuses (a file that cannot be written, an I/O error, a lost connection) is answered all
the same: the row serves attribution, the list the shopper. `optirec_served_log_failures_total` counts those lists.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from typing import Any

from prometheus_client import Counter
from sqlalchemy.exc import OperationalError

from optirec.errors import StorageUnavailable
from optirec.store import Database, failure_name
from optirec.store.sendoff import SendOff
from optirec.store.served import Row

log = logging.getLogger("optirec.served")
UNSTORED = Counter(
    "optirec_served_log_failures_total",
    "Lists answered without their row in the served-list log, which the storage refused (attribution misses them).",
)
# What the storage refusing a row raises: SQLite's write lock that cannot be taken, SQLAlchemy's error for a driver's
# I/O error, read-only or unopenable file, or lost connection. Other errors (a duplicate id) fail the lists.
STORAGE_FAILURES = (StorageUnavailable, OperationalError)


class ServedLog:
    """Stores served lists, each committed before its answer leaves.

    From a thread, one transaction per call (`write_many`). From the event loop, `write_grouped` commits lists together
    (group commit), each answer still waiting for its own row's commit:
    - on SQLite, the rows of the lists that one turn of the loop finished, in one transaction in the loop itself:
      a transaction costs far more than a row, and at saturation several lists finish per turn;
    - on PostgreSQL, one insert at a time on an asynchronous connection (the store's), and the rows
      handed in meanwhile make the next one: one round trip per group instead of one per list, which took a third
      of the list thread's time at saturation when lists were built on a thread. A group also waits for the lists
      still being built in this process (`building`: those awaiting their shopper read), for at most `GROUP_WAIT`:
      a row costs the database and the worker several times less in a group of twenty than in a group of one or
      two (`docs/benchmarks.md`). A list alone
      is sent off at once, so a quiet shop waits for nothing; on SQLite a list is built without a pause, so none is
      ever waited for.
    """

    GROUP_WAIT = 0.005  # seconds a handed-in row waits at most for the lists still being built
    GROUP_MAX = 64  # rows sent off at once, whoever is still being built

    def __init__(self, db: Database, executor: Executor | None = None) -> None:
        self._db = db
        # SQLite's groups wait here while another process holds the write lock (the loop never waits on it).
        self._executor = executor
        self._pending: list[tuple[Row, asyncio.Future[None]]] = []
        self._writing = False  # a group's insert is in flight (PostgreSQL's, or SQLite's on the executor)
        self._building = 0  # lists being built in this process, whose rows are still to come (`building`)
        self._send_off = SendOff(self._flush, self._consider)
        self._tasks: set[asyncio.Task[None]] = set()  # PostgreSQL's inserts in flight, kept from the collector

    def write_many(self, rows: list[Row], *, wait: bool = True) -> bool:
        """Store the rows in one statement (all or none). With `wait=False`, store nothing and answer False where
        SQLite's write lock is held by another writer."""
        return self._db.append_served_lists(rows, wait=wait)

    def building(self) -> Building:
        """Count a list as being built until it hands its row in (`Building.hand_in`) or fails: on PostgreSQL a
        group waits for the lists still being built, so that they share its insert (see the class)."""
        return Building(self)

    async def write_grouped(self, row: Row) -> None:
        """Store the row, committed when this returns, with the rows other lists hand in meanwhile (see the
        class)."""
        with self.building() as building:
            committed = building.hand_in(row)
        await committed

    def _add(self, row: Row, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        done: asyncio.Future[None] = loop.create_future()
        if not self._pending:
            self._send_off.started(loop)
        self._pending.append((row, done))
        return done

    def _consider(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send the pending rows off as a group, or wait for more (`SendOff`): not while a group is in flight (one
        at a time); on PostgreSQL not while another list is being built, for at most `GROUP_WAIT`."""
        if not self._pending or self._writing:
            return
        ready = self._building == 0 or len(self._pending) >= self.GROUP_MAX
        self._send_off.decide(loop, ready=ready, wait=self.GROUP_WAIT)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        group, self._pending = self._pending, []
        rows = [row for row, _ in group]
        written: asyncio.Future[Any]
        if self._db.writes_in_the_loop:  # SQLite
            try:
                stored = self.write_many(rows, wait=False)
            except Exception as error:  # each list waiting on the group answers with the error
                _settle(group, _answerable(error, len(group)))
                return
            if stored:
                _settle(group, None)
                return
            # Another process holds the write lock: on the executor, one group at a time.
            written = loop.run_in_executor(self._executor, self.write_many, rows)
        else:  # one group in flight at a time; the rows handed in meanwhile make the next one
            task = loop.create_task(self._db.append_served_lists_async(rows))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            written = task
        self._writing = True

        def finished(future: asyncio.Future[Any]) -> None:
            self._writing = False
            error = _error(future)
            _settle(group, None if error is None else _answerable(error, len(group)))
            self._consider(loop)

        written.add_done_callback(finished)


class Building:
    """A list being built, counted by its log until it hands its row in or fails (`ServedLog.building`)."""

    def __init__(self, log: ServedLog) -> None:
        self._log = log
        self._counted = False

    def __enter__(self) -> Building:
        self._log._building += 1
        self._counted = True
        return self

    def hand_in(self, row: Row) -> asyncio.Future[None]:
        """Add the list's row to the next group; the future is done when that group is committed."""
        if not self._counted:
            raise RuntimeError("A list hands its row in once.")
        loop = asyncio.get_running_loop()
        done = self._log._add(row, loop)
        self._leave(loop)
        return done

    def __exit__(self, *_exc: object) -> None:
        if self._counted:  # failed or cancelled before handing its row in: the group no longer waits for it
            self._leave(asyncio.get_running_loop())

    def _leave(self, loop: asyncio.AbstractEventLoop) -> None:
        self._counted = False
        self._log._building -= 1
        self._log._consider(loop)


def _error(future: asyncio.Future[Any]) -> BaseException | None:
    return asyncio.CancelledError() if future.cancelled() else future.exception()


def _answerable(error: BaseException, lists: int) -> BaseException | None:
    """The error the group's lists answer with: none where the storage refused the rows (counted and logged, with
    no personal data), the error itself otherwise."""
    if not isinstance(error, STORAGE_FAILURES):
        return error
    UNSTORED.inc(lists)
    log.warning("%d list(s) answered without their row in the served-list log: %s", lists, failure_name(error))
    return None


def _settle(group: list[tuple[Row, asyncio.Future[None]]], error: BaseException | None) -> None:
    for _row, done in group:
        # Its request went away meanwhile (cancelled, or its loop closed): the row is stored or failed all the same.
        if done.done() or done.get_loop().is_closed():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
