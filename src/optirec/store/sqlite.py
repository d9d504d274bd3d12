"""The SQLite backend's machinery: the engine and its pragmas, the write lock shared by every process of the
machine, the background checkpointer and the emptying of the write-ahead log after an erasure."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, create_engine, event, func
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session

from optirec.errors import StorageUnavailable
from optirec.store.base import json_loads, sqlite_bulk_insert, sqlite_time
from optirec.store.driver import HotPath
from optirec.store.served import SQLITE_INSERT, Row, sqlite_values
from optirec.store.shopper import Shopper, ShopperStatements, read_shopper
from optirec.store.signals import COLUMNS, LOADED, LoadedSignal, count_statement

_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer. NORMAL sync: a committed transaction survives a process crash
    # (SIGKILL); only a power loss may drop the last commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    # Checkpoints are run by `Database`'s background thread, not by whichever request commits the 1000th page.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    # What a deletion frees is overwritten with zeros (an erased customer's e-mail and prescription among it).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def truncate_log(dbapi_connection: Any) -> bool:
    """Copy SQLite's write-ahead log into the database and empty it, so that the earlier pages it still holds (an
    erased customer's rows among them) leave the disk. Never waits: False where a reader on an older snapshot
    keeps it from finishing (a waiting checkpoint would hold every writer back meanwhile)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
    return not busy


def _create_private(database: str) -> None:
    """Create the database file readable by its owner only: SQLite gives its -wal and -shm files the same mode."""
    with suppress(FileExistsError):
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


# SQLite's primary result codes for storage it cannot use: the file is read-only (or was opened so), cannot be opened,
# is full, or failed an I/O.
_STORAGE_ERRORS = frozenset(
    {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}
)


def _storage_error_drops_connection(context: ExceptionContext) -> None:
    """A SQLite connection that met its storage failing keeps failing (one that opened a file read-only stays so):
    it is dropped as a lost connection is, and the next use opens another, which sees the files as they are now."""
    error = context.original_exception
    if isinstance(error, sqlite3.Error) and (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF in _STORAGE_ERRORS:
        context.is_disconnect = True


def make_sqlite_engine(url: str, *, pool_size: int) -> Engine:
    """An engine for a SQLite `url`: its folder created, the file private to its owner, WAL switched on, writing
    transactions beginning with `BEGIN IMMEDIATE`. Its errors never carry a statement's parameters."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        _create_private(database)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        pool_size=pool_size,
        hide_parameters=True,
        json_deserializer=json_loads,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "connect", _disable_pysqlite_begin)
    event.listen(engine, "begin", _sqlite_begin)
    event.listen(engine, "handle_error", _storage_error_drops_connection)
    return engine


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN handling is off; `_sqlite_begin` issues BEGIN itself.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction takes the write lock at BEGIN, so concurrent writers queue on busy_timeout
    # instead of failing when a deferred read lock must be upgraded. Readers stay deferred and never block.
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class WriteLockBusy(Exception):
    """Another writer holds SQLite's write lock (raised only when asked not to wait)."""


class SQLiteWriteLock:
    """One writer at a time across the threads and processes of this machine.

    SQLite allows one writer; left to itself, a waiting writer polls with growing sleeps (its busy handler),
    which turns contention into latency spikes. A thread lock plus an `flock` on a file beside the database
    queue writers in the kernel instead, so each starts the moment the previous one commits.
    """

    def __init__(self, database: str) -> None:
        self._thread_lock = threading.Lock()
        self._path = f"{database}.writelock"
        self._fd: int | None = None

    @contextmanager
    def held(self, *, wait: bool = True) -> Iterator[None]:
        """Hold the lock; with `wait=False`, raise `WriteLockBusy` at once if another writer holds it.
        `StorageUnavailable` where the lock file cannot be opened or locked (read-only, immutable, a failing disk)."""
        if not self._thread_lock.acquire(blocking=wait):
            raise WriteLockBusy()
        try:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WriteLockBusy() from None
            except OSError as error:
                raise StorageUnavailable("The database cannot be written at the moment; try again shortly.") from error
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Checkpointer:
    """Copies the SQLite write-ahead log back into the database every second, beside the request path.

    SQLite would otherwise do it (with an fsync) inside the commit of whichever request crosses 1000 pages, which
    showed as p99 spikes of tens of milliseconds. A passive checkpoint never blocks readers or writers. After an
    erasure whose own truncation of the log a reader kept from finishing (`truncate_soon`), it truncates the log
    instead, until that succeeds.
    """

    def __init__(self, engine: Engine, every_seconds: float = 1.0) -> None:
        self._engine, self._every = engine, every_seconds
        self._stop = threading.Event()
        self._truncate = threading.Event()
        self._thread = threading.Thread(target=self._run, name="optirec-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def truncate_soon(self) -> None:
        self._truncate.set()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if self._truncate.is_set():
                    raw = self._engine.raw_connection()
                    try:
                        if truncate_log(raw):
                            self._truncate.clear()
                    finally:
                        raw.close()
                    continue
                with self._engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a busy or closed database: try again next time
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class SQLiteBackend:
    """SQLite: one engine whose pool also gives the hot path its per-thread connections, and, for a database in a
    file, the write lock every writer takes and the checkpointer."""

    name = "sqlite"
    # A write from the event loop may run in the loop itself: it never waits on a network, and the write lock is
    # tried without waiting (`append_served_lists(wait=False)`), the write going to a thread only where it is held.
    writes_in_the_loop = True
    # Writers queue on one lock: what a write needs to read is read before its transaction, to hold the lock less.
    one_writer_at_a_time = True

    def __init__(self, url: str, *, pool_size: int, history: timedelta | None = None) -> None:
        self.engine = make_sqlite_engine(url, pool_size=pool_size)
        self.hot = HotPath(self.engine)
        self.shopper_statements = ShopperStatements.compiled(
            self.hot.compile, batch=False, history=history, stored_time=sqlite_time
        )
        database = make_url(url).database
        self.write_lock = SQLiteWriteLock(database) if database and database != ":memory:" else None
        self._checkpoints = Checkpointer(self.engine) if self.write_lock is not None else None

    @contextmanager
    def writing(self, *, erasing: bool) -> Iterator[None]:
        """Around a writing session: the write lock held; after an erasure committed, the write-ahead log emptied
        (`secure_delete` has zeroed the erased rows in the database, the log still holds them)."""
        if self.write_lock is None:
            yield
            return
        with self.write_lock.held():
            yield
            if erasing:
                self._truncate_log()

    def insert_many(self, sql: str, rows: Sequence[Sequence[Any]], *, wait: bool = True) -> None:
        """The driver's executemany of `sql` in one write transaction under the write lock, on the hot path's
        connection. With `wait=False`, raises `WriteLockBusy` at once where another writer holds the lock."""
        if self.write_lock is None:
            self.hot.execute_many(sql, rows)
            return
        with self.write_lock.held(wait=wait):
            self.hot.execute_many(sql, rows)

    @contextmanager
    def training_lock(self, data_dir: Path) -> Iterator[bool]:
        """An `flock` on a file in the data folder, shared by every worker of the machine: True while held, False
        (at once) when another process holds it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / "training.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def settle_after_bulk_load(self) -> None:
        """Nothing: SQLite's planner keeps no statistics of its own unless asked (`Database`)."""

    # ---- the hot path's operations ----

    async def read_shopper(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        """The shopper's read, in the event loop itself: it never waits on a network, and a thread would add two
        hand-offs per list (`docs/benchmarks.md`). Nothing in it suspends, so no other list starts meanwhile."""
        return read_shopper(self.hot.fetch, self.shopper_statements, customer_id=customer_id, session_id=session_id)

    def read_shopper_now(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        return read_shopper(self.hot.fetch, self.shopper_statements, customer_id=customer_id, session_id=session_id)

    def append_served_lists(self, rows: list[Row], *, wait: bool = True) -> bool:
        """The rows in one transaction (all or none); with `wait=False`, nothing stored and False where another
        writer holds the write lock."""
        try:
            self.insert_many(SQLITE_INSERT, [sqlite_values(row) for row in rows], wait=wait)
        except WriteLockBusy:
            return False
        return True

    async def append_served_lists_async(self, rows: list[Row]) -> None:
        """`append_served_lists` from the event loop on a thread (where the write lock may be waited for); the
        loop's group commit first tries it in the loop itself without waiting (`writes_in_the_loop`)."""
        await asyncio.to_thread(self.append_served_lists, rows)

    def _truncate_log(self) -> None:
        """Empty the write-ahead log now (the caller holds the write lock), or, where a reader keeps it from
        finishing, as soon as it can (`Checkpointer`)."""
        connection = self.engine.raw_connection()
        try:
            truncated = truncate_log(connection)
        except sqlite3.Error:  # the storage failing: the erasure is committed, the checkpointer tries again
            connection.invalidate()
            truncated = False
        else:
            connection.close()
        if not truncated and self._checkpoints is not None:
            self._checkpoints.truncate_soon()

    def dispose(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.stop()
        self.hot.close()
        self.engine.dispose()
        if self.write_lock is not None:
            self.write_lock.close()


# ---- operations in a caller's session (`store.sessions`) ----

_SQLITE_SIGNALS = sqlite_bulk_insert("signals", COLUMNS, "ON CONFLICT (event_id, event_scope, occurred_at) DO NOTHING")


def insert_signals(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """The driver's own executemany: a third of the cost of the ORM's bulk insert. Which rows are new is read
    first, inside the same transaction, which holds SQLite's write lock (so the answer cannot change meanwhile)."""
    connection = session.connection()
    existing: set[tuple[str, str, str]] = set()
    ids = list(dict.fromkeys(row["event_id"] for row in rows))
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ", ".join("?" for _ in chunk)
        found = connection.exec_driver_sql(
            f"SELECT event_id, event_scope, occurred_at FROM signals WHERE event_id IN ({marks})", tuple(chunk)
        )
        existing.update(found)
    fresh = []
    for row in rows:  # the first of repeated events inside the batch counts, like the first of repeated requests
        key = (row["event_id"], row["event_scope"], sqlite_time(row["occurred_at"]))
        if key not in existing:
            existing.add(key)
            fresh.append(row)
    if fresh:
        connection.exec_driver_sql(_SQLITE_SIGNALS, [_signal_values(row) for row in fresh])
    return len(fresh), sum(1 for row in fresh if not row["product_known"])


def _signal_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["event_id"],
        row["event_scope"],
        row["customer_id"],
        row["session_id"],
        row["product_id"],
        1 if row["product_known"] else 0,
        row["action_type"],
        sqlite_time(row["occurred_at"]),
        sqlite_time(row["received_at"]),
        row["recommendation_id"],
        row["quantity"],
        None if row["price"] is None else float(row["price"]),
        None if row["context"] is None else json.dumps(row["context"]),
    )


COUNT_SIGNALS = count_statement(sqlite=True)


def utc_day(moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """A stored time's UTC day as `YYYY-MM-DD` (times are stored in UTC)."""
    return func.date(moment, type_=String)


def utc_hour(moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """A stored time's UTC hour as `YYYY-MM-DDTHH`."""
    return func.strftime("%Y-%m-%dT%H", moment, type_=String)


def upsert(session: Session, table: type[DeclarativeBase], values: dict[str, Any], key: Sequence[Any]) -> None:
    insert = sqlite_dialect.insert(table).values(values)
    session.execute(insert.on_conflict_do_update(index_elements=list(key), set_=dict(insert.excluded)))


def load_signals(session: Session, rows: Sequence[LoadedSignal], received_at: datetime) -> None:
    """The driver's executemany of plain new signals."""
    stamp = sqlite_time(received_at)
    values = [(e, s, c, p, 1, a, sqlite_time(when), stamp, 1) for e, s, c, p, a, when in rows]
    session.connection().exec_driver_sql(f"INSERT INTO signals ({LOADED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
