"""What each worker process serves, kept in the `workers` table and in `/metrics`.

Each worker writes its own row (`WorkerReport`): at start, on each model swap or refusal (`ModelWatcher`), as a
heartbeat, and for each readiness check, which that write proves (`/readyz`). The rows tell an operator which model
each worker actually serves (`GET /api/admin/workers`, the `workers` count of each version in `GET
/api/admin/models`): a worker that could not load the live version serves an older one or popularity, and says why.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from optirec.recommend.live import POPULARITY_VERSION
from optirec.store import Database, failure_name, utcnow
from optirec.store.sessions import upsert
from optirec.store.tables import Worker

log = logging.getLogger("optirec.workers")

LIVE, FALLBACK, POPULARITY = "live", "fallback", "popularity"
HEARTBEAT_SECONDS = 30.0  # a running worker writes its row at least this often
ALIVE_SECONDS = 3 * HEARTBEAT_SECONDS  # a row written within this long is a running worker's
FORGET_AFTER = timedelta(hours=1)  # the rows of workers gone this long are deleted
# Multi-process mode (several workers): the sum over the running workers, i.e. how many serve each version and state.
SERVING = Gauge(
    "optirec_worker_serving",
    "Workers serving each model version, by state: live (the registry's live version), fallback (the live version "
    "could not be loaded: an older one or popularity serves) or popularity (no version is live).",
    ["version", "state"],
    multiprocess_mode="livesum",
)


@dataclass(frozen=True)
class Serving:
    """What a worker serves: a model version (`popularity` for none), in which state, and why where it falls back."""

    model_version: str
    state: str
    reason: str | None = None


NOTHING_LIVE = Serving(POPULARITY_VERSION, POPULARITY)


class WorkerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    started_at: datetime
    seen_at: datetime
    model_version: str
    state: str
    reason: str | None
    warmed: bool
    alive: bool = False  # written within the last 90 s; a worker that stops cleanly deletes its row


def worker_id() -> str:
    return f"{socket.gethostname()[:200]}:{os.getpid()}"


def record_worker(*, session: Session, worker_id: str, started_at: datetime, serving: Serving, warmed: bool) -> None:
    """Write a worker's row (inserted or replaced: only the worker itself writes it), and delete the rows of
    workers gone for `FORGET_AFTER`."""
    now = utcnow()
    values = {"id": worker_id, "started_at": started_at, "seen_at": now, "model_version": serving.model_version,
              "state": serving.state, "reason": serving.reason, "warmed": warmed}  # fmt: skip
    upsert(session, Worker, values, key=[Worker.id])
    session.execute(delete(Worker).where(Worker.seen_at < now - FORGET_AFTER))


def forget_worker(*, session: Session, worker_id: str) -> None:
    session.execute(delete(Worker).where(Worker.id == worker_id))


def list_workers(*, session: Session) -> list[WorkerPublic]:
    """Every worker's row, the running ones first, newest first."""
    alive_since = utcnow() - timedelta(seconds=ALIVE_SECONDS)
    rows = session.scalars(select(Worker).order_by(Worker.seen_at.desc()))
    workers = [
        WorkerPublic.model_validate(row).model_copy(update={"alive": row.seen_at >= alive_since}) for row in rows
    ]
    return sorted(workers, key=lambda worker: not worker.alive)


def versions_served(*, session: Session) -> dict[str, int]:
    """How many running workers serve each model version."""
    alive_since = utcnow() - timedelta(seconds=ALIVE_SECONDS)
    counted = session.execute(
        select(Worker.model_version, func.count()).where(Worker.seen_at >= alive_since).group_by(Worker.model_version)
    )
    return {version: int(count) for version, count in counted}


class WorkerReport:
    """This worker's row, written on a thread of its own, so that neither the model watcher nor a readiness check
    waits on the database: at most one write is in flight, and a change made meanwhile is written after it."""

    FRESH_SECONDS = 1.0  # a write that finished this recently proves the database writable to a readiness check

    def __init__(self, db: Database, warmed: threading.Event) -> None:
        self.worker_id = worker_id()
        self.started_at = utcnow()
        self._db, self._warmed = db, warmed
        self._serving = NOTHING_LIVE
        self._lock = threading.Lock()
        self._in_flight: Future[None] | None = None
        self._again = False  # the row changed while a write was in flight
        self._proof: tuple[float, Future[None]] | None = None  # the latest finished write, and when it finished
        self._failing = False
        self._closed = False
        SERVING.labels(NOTHING_LIVE.model_version, NOTHING_LIVE.state).set(1)

    @property
    def serving(self) -> Serving:
        return self._serving

    def serve(self, serving: Serving) -> None:
        """Record what this worker now serves: in `/metrics` at once, in its row soon."""
        if serving == self._serving:
            return
        previous, self._serving = self._serving, serving
        SERVING.labels(previous.model_version, previous.state).set(0)
        SERVING.labels(serving.model_version, serving.state).set(1)
        self.write()

    def write(self) -> None:
        """Write the row soon (after the write in flight, if any); returns at once."""
        with self._lock:
            if self._in_flight is not None:
                self._again = True
            elif not self._closed:
                self._start()

    def proof(self) -> Future[None]:
        """A write of the row that finished less than `FRESH_SECONDS` ago, or the one in flight, or a new one: its
        outcome says whether the database takes this worker's writes. Many checks at once start one write."""
        with self._lock:
            if self._in_flight is not None:
                return self._in_flight
            if self._proof is not None and time.monotonic() - self._proof[0] < self.FRESH_SECONDS:
                return self._proof[1]
            return self._start()

    def close(self, timeout: float = 2.0) -> None:
        """Delete the row (the worker stops serving), after the write in flight: no write is left using the
        database once this returns, unless the database has not taken one in `timeout` seconds."""
        with self._lock:
            self._closed = True
            in_flight = self._in_flight
        SERVING.labels(self._serving.model_version, self._serving.state).set(0)
        if in_flight is not None:
            try:
                in_flight.exception(timeout)
            except TimeoutError:  # the row goes with the others after `FORGET_AFTER`
                return
        forgetting = threading.Thread(target=self._forget, name="optirec-worker-row", daemon=True)
        forgetting.start()
        forgetting.join(timeout)

    def _start(self) -> Future[None]:
        """Start a write (the caller holds the lock). A thread of its own, which a write lock held forever keeps
        alone, and which never holds the process's exit back (a daemon)."""
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()  # a caller that stops waiting does not cancel it
        self._in_flight = future
        threading.Thread(target=self._write_until_current, args=(future,), name="optirec-worker-row",
                         daemon=True).start()  # fmt: skip
        return future

    def _write_until_current(self, future: Future[None]) -> None:
        while True:
            error: Exception | None = None
            try:
                with self._db.write() as session:
                    record_worker(session=session, worker_id=self.worker_id, started_at=self.started_at,
                                  serving=self._serving, warmed=self._warmed.is_set())  # fmt: skip
            except Exception as caught:  # the outcome goes to whoever waits on the future
                error = caught
            with self._lock:
                if not self._again or self._closed:
                    self._in_flight, self._proof = None, (time.monotonic(), future)
                    break
                self._again = False
        self._note(error)
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    def _note(self, error: Exception | None) -> None:
        """Log when the database stops and starts taking this worker's writes again (not at each failure)."""
        if error is not None and not self._failing:
            log.warning("the database does not take this worker's writes: %s", failure_name(error))
        elif error is None and self._failing:
            log.warning("the database takes this worker's writes again")
        self._failing = error is not None

    def _forget(self) -> None:
        try:
            with self._db.write() as session:
                forget_worker(session=session, worker_id=self.worker_id)
        except Exception as error:  # it goes with the others after `FORGET_AFTER`
            log.warning("could not delete this worker's row at shutdown: %s", failure_name(error))
