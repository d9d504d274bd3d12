"""The log of served lists, written with group commit.

Every served list is stored before its answer leaves (attribution needs it, and nothing is lost), but one commit
per list made the log the most expensive step of a list on SQLite (a write lock and a transaction each). Here a
writer thread inserts every row that arrived while the previous commit ran in one transaction, then wakes the
requests waiting for it: under load one commit serves many lists; when idle a list waits for its own commit only.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from datetime import UTC
from typing import Any

import orjson
from sqlalchemy import text

from optirec.db import Database
from optirec.recommend.models import ServedRecommendation

log = logging.getLogger(__name__)
Row = dict[str, Any]

_COLUMNS = (
    ("id", "varchar"),
    ("customer_id", "varchar"),
    ("session_id", "varchar"),
    ("surface", "varchar"),
    ("model_version", "varchar"),
    ("items", "jsonb"),
    ("context", "jsonb"),
    ("served_at", "timestamptz"),
)
_NAMES = ", ".join(name for name, _ in _COLUMNS)
# One statement whatever the batch size: each column travels as one array parameter.
_POSTGRES_INSERT = text(
    f"INSERT INTO {ServedRecommendation.__tablename__} ({_NAMES}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{name} AS {kind}[])' for name, kind in _COLUMNS)})"
)
_SQLITE_INSERT = (
    f"INSERT INTO {ServedRecommendation.__tablename__} ({_NAMES}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores these columns on SQLite (UTC, no zone)


def _json(value: object) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _sqlite_values(row: Row) -> tuple[Any, ...]:
    return (
        row["id"],
        row["customer_id"],
        row["session_id"],
        row["surface"],
        row["model_version"],
        _json(row["items"]),
        _json(row["context"]),
        row["served_at"].astimezone(UTC).strftime(_SQLITE_TIME),
    )


class ServedLog:
    def __init__(self, db: Database, *, max_batch: int = 256) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Row, Future[None]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, row: Row) -> Future[None]:
        """Queue a row; the future completes when it is committed (or fails with the write's error)."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="optirec-served-log", daemon=True)
                    self._thread.start()
        done: Future[None] = Future()
        self._queue.put((row, done))
        return done

    def write(self, row: Row) -> None:
        """Store a row and wait for its commit."""
        self.submit(row).result()

    def close(self) -> None:
        """Commit what is queued and stop the writer (a later `submit` starts a new one)."""
        with self._start_lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None
            late = []  # rows queued behind the stop signal
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    late.append(item)
            if late:
                self._commit(late)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Row, Future[None]]]) -> None:
        try:
            with self._db.write() as session:
                connection = session.connection()
                rows = [row for row, _ in batch]
                if connection.dialect.name == "postgresql":
                    # The log is for attribution, not money: its commit need not wait for the disk (PostgreSQL
                    # flushes it within a fraction of a second). Signals keep the synchronous commit.
                    connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                    columns = {name: [row[name] for row in rows] for name, _ in _COLUMNS}
                    for name in ("items", "context"):
                        columns[name] = [_json(value) for value in columns[name]]
                    connection.execute(_POSTGRES_INSERT, columns)
                else:  # the driver's own executemany: the ORM's per-row processing cost more than the insert
                    connection.exec_driver_sql(_SQLITE_INSERT, [_sqlite_values(row) for row in rows])
        except Exception as error:  # every waiting request answers with the write's error
            log.exception("could not store %d served list(s)", len(batch))
            for _, done in batch:
                done.set_exception(error)
            return
        for _, done in batch:
            done.set_result(None)
