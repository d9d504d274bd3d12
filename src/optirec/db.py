"""Database engine, sessions and the declarative base. The URL picks the backend (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Engine, MetaData, TextClause, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, InvalidRequestError, StatementError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import TypeDecorator

from optirec.errors import StorageUnavailable

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB where PostgreSQL offers it.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: optirec stores aware UTC timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Bulk inserts by the drivers' own statements, where SQLAlchemy's per-row processing costs more than the insert.
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how `UTCDateTime` columns are stored on SQLite (UTC, no zone)


def sqlite_time(moment: datetime) -> str:
    """A timestamp as SQLite stores it, for the driver's own statements (fixed width: text order is time order)."""
    return moment.astimezone(UTC).strftime(SQLITE_TIME)


def postgres_bulk_insert(table: str, columns: Sequence[tuple[str, str]], suffix: str = "") -> TextClause:
    """`INSERT … SELECT * FROM unnest(…)` taking each column (name, PostgreSQL type) as one array parameter: one
    statement whatever the batch size, parsed and planned once (a multi-row VALUES list of thousands of
    placeholders costs more to build than to run)."""
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns)
    return text(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {suffix}".rstrip())


def sqlite_bulk_insert(table: str, columns: Sequence[tuple[str, str]], suffix: str = "") -> str:
    """`INSERT … VALUES (?, …)` for the driver's executemany, one `?` per column."""
    names = ", ".join(name for name, _ in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)}) {suffix}".rstrip()


def failure_name(error: BaseException) -> str:
    """A storage failure named for a log: the system's or the driver's error, never a statement or its values
    (SQLAlchemy's own text of an error carries both)."""
    if isinstance(error, StorageUnavailable) and error.__cause__ is not None:
        error = error.__cause__
    cause = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(cause, OSError):
        return f"{type(cause).__name__}: {cause}"  # the errno and the file, e.g. the write lock's
    code = getattr(cause, "sqlite_errorname", None) or getattr(cause, "sqlstate", None)
    return f"{type(cause).__name__} {code}" if code else type(cause).__name__


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


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


def _truncate_log(dbapi_connection: Any) -> bool:
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


def make_engine(url: str, *, pool_size: int = 10, hot: bool = False) -> Engine:
    """An engine for `url`; SQLite files get their folder created and WAL switched on. Its errors never carry a
    statement's parameters (`hide_parameters`): they may hold an e-mail address or a prescription."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _create_private(database)
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=pool_size, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "handle_error", _storage_error_drops_connection)
        return engine
    if hot:
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, isolation_level="AUTOCOMMIT", hide_parameters=True
        )
        event.listen(engine, "connect", _hot_session)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True)


# The hot path's sessions on PostgreSQL:
# - they write only the served-list log, which is for attribution, not money: its commits need not wait for the disk
#   flush (PostgreSQL flushes within a fraction of a second). Signals keep the synchronous commit;
# - their statements (the shopper reads, the log's insert) are index look-ups whatever their values, and run
#   prepared: planning a batch read anew for its values (PostgreSQL's choice for an array parameter) cost the
#   database 0.19 ms against 0.06 with the generic plan (measured on the demo shop).
_HOT_SESSION = "SET synchronous_commit TO OFF; SET plan_cache_mode TO force_generic_plan"


def _hot_session(dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_HOT_SESSION)


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


class _SQLiteWriteLock:
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


class _Checkpointer:
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
                        if _truncate_log(raw):
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


@dataclass(frozen=True)
class _Compiled:
    """A hot-path statement compiled once for the dialect, with what each call needs to bind its values."""

    statement: ClauseElement  # kept, so that its id is not reused by another statement while it is cached
    sql: str
    defaults: dict[str, Any]  # the statement's own bound values (limits, literals), by bind name
    required: frozenset[str]  # the bind names the caller must give
    positional: tuple[str, ...] | None  # the bind names in the driver's order (qmark and format styles)
    named: tuple[tuple[str, str], ...]  # (bind name, the driver's name) for the named styles

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a statement with parameters rendered at execution time needs a session (`read()`)")
        required = frozenset(bind.key for bind in compiled.binds.values() if bind.required)
        defaults = {k: v for k, v in compiled.construct_params(_check=False).items() if k not in required}
        escaped = compiled.escaped_bind_names
        names = tuple(dict.fromkeys([*defaults, *required]))
        return cls(
            statement=statement,
            sql=str(compiled),
            defaults=defaults,
            required=required,
            positional=tuple(compiled.positiontup or ()) if compiled.positional else None,
            named=tuple((name, escaped.get(name, name)) for name in names),
        )


class HotPath:
    """The hot path's statements on the driver's own connection, one per thread, kept open: each Core statement
    compiled once for the dialect, each call the driver's execute. SQLAlchemy's Connection cost more than the
    statement on SQLite, for a pool checkout and return, events, an execution context and result rows per statement
    (measured on the demo shop's shopper read: 0.38–0.59 ms a read through it, 0.16–0.26 ms this way; at saturation,
    with the served-list log's inserts also here and time-ordered list ids, 2.2–2.3 ms of server CPU per list
    against 3.2 before).

    For plain statements whose parameters are plain values (strings, numbers: no type processing) and whose rows
    are read as the driver returns them:
    - `fetch`: a SELECT, in its own implicit transaction (SQLite: the driver's autocommit mode; PostgreSQL: the
      autocommit hot pool);
    - `execute`: one statement that commits on its own (PostgreSQL's hot pool);
    - `execute_many`: the driver's executemany of driver SQL in one transaction (SQLite, `BEGIN IMMEDIATE`; the
      caller holds the write lock).

    A driver error rolls back what the call began, drops the thread's connection (the next call opens another) and
    is raised as SQLAlchemy's, so that a lost database still answers 503.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error  # the driver's own base error
        self._local = threading.local()
        self._compiled: dict[int, _Compiled] = {}
        self._opened: dict[threading.Thread, PoolProxiedConnection] = {}
        self._lock = threading.Lock()

    def fetch(self, statement: ClauseElement, params: dict[str, Any]) -> list[Any]:
        """The statement's rows, as tuples."""
        sql, arguments = self.arguments(statement, params)
        with self._cursor(sql, arguments) as cursor:
            cursor.execute(sql, arguments)
            return cast(list[Any], cursor.fetchall())  # a list from both drivers

    def execute(self, statement: ClauseElement, params: dict[str, Any]) -> None:
        """Run one statement that commits on its own (an autocommit connection)."""
        sql, arguments = self.arguments(statement, params)
        with self._cursor(sql, arguments) as cursor:
            cursor.execute(sql, arguments)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """The driver's executemany of `sql` over `rows`, in one transaction: all stored or none (SQLite)."""
        with self._cursor(sql, rows) as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.executemany(sql, rows)
                cursor.execute("COMMIT")
            except BaseException:
                if cursor.connection.in_transaction:
                    cursor.execute("ROLLBACK")
                raise

    @contextmanager
    def _cursor(self, sql: str, arguments: Any) -> Iterator[Any]:
        connection = self._connection()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except self.driver_error as error:
            self._drop(connection)
            raise self.as_sqlalchemy(sql, arguments, error) from error

    def as_sqlalchemy(self, sql: str, arguments: Any, error: Exception) -> StatementError:
        """A driver error as SQLAlchemy raises it (so that `OperationalError`, a lost database, answers 503)."""
        return DBAPIError.instance(sql, arguments, error, self.driver_error, hide_parameters=True, dialect=self.dialect)

    def arguments(self, statement: ClauseElement, params: dict[str, Any]) -> tuple[str, Any]:
        """The driver's SQL and arguments: the statement's own bound values (limits, literals) as compiled, the
        caller's by name. SQLAlchemy's `construct_params` did the same work per call, and cost as much as the rest."""
        found = self._compiled.get(id(statement))
        if found is None:
            found = self._compiled[id(statement)] = _Compiled.of(statement, self.dialect)
        values = found.defaults | params
        missing = found.required - values.keys()
        if missing:
            raise InvalidRequestError(f"A value is required for bind parameter {sorted(missing)[0]!r}")
        if found.positional is not None:
            return found.sql, tuple([values[name] for name in found.positional])
        return found.sql, {driver: values[name] for name, driver in found.named}

    def _connection(self) -> PoolProxiedConnection:
        connection: PoolProxiedConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            self._reclaim()
            connection = self._local.connection = self._engine.raw_connection()
            with self._lock:
                self._opened[threading.current_thread()] = connection
        return connection

    def _reclaim(self) -> None:
        """Hand back to the pool the connections of threads that have ended (the pool is small, and a kept
        connection is never returned otherwise)."""
        with self._lock:
            ended = [thread for thread in self._opened if not thread.is_alive()]
            connections = [self._opened.pop(thread) for thread in ended]
        for connection in connections:
            connection.close()

    def _drop(self, connection: PoolProxiedConnection) -> None:
        self._local.connection = None
        with self._lock:
            self._opened.pop(threading.current_thread(), None)
        connection.invalidate()

    def close(self) -> None:
        """Hand every thread's connection back to the pool (the pool's own disposal then closes them)."""
        with self._lock:
            opened, self._opened = self._opened, {}
        for connection in opened.values():
            connection.close()


class AsyncHotPath:
    """The hot path's statements on PostgreSQL from the event loop, on psycopg's own asynchronous connections: the
    loop serves other requests while a statement waits for its round trip, with no thread in between (a list thread
    cost two hand-offs per list and fought the loop for the GIL: measured on the demo shop, see
    `docs/benchmarks.md`).

    The statements are `HotPath`'s, compiled once and bound the same way. Each event loop has its own few
    connections (`CONNECTIONS`, autocommit, commits not waiting for the disk flush, as `HotPath`'s PostgreSQL pool):
    the loop runs one list at a time, so more would only queue in the database. A driver error drops its connection
    and is raised as SQLAlchemy's, so that a lost database answers 503; a statement cancelled midway (the client went
    away) drops its connection too, whose state is then unknown. `close` closes the running loop's connections;
    `discard` closes any left, without a loop.
    """

    CONNECTIONS = 4

    def __init__(self, sync: HotPath, connect_kwargs: dict[str, Any]) -> None:
        self._sync = sync
        self._connect_kwargs = connect_kwargs
        self._pools: dict[asyncio.AbstractEventLoop, _LoopConnections] = {}

    async def fetch(self, statement: ClauseElement, params: dict[str, Any]) -> list[Any]:
        """The statement's rows, as tuples."""
        sql, arguments = self._sync.arguments(statement, params)
        async with self._cursor(sql, arguments) as cursor:
            await cursor.execute(sql, arguments)
            return cast(list[Any], await cursor.fetchall())

    async def execute(self, statement: ClauseElement, params: dict[str, Any]) -> None:
        """Run one statement that commits on its own."""
        sql, arguments = self._sync.arguments(statement, params)
        async with self._cursor(sql, arguments) as cursor:
            await cursor.execute(sql, arguments)

    @asynccontextmanager
    async def _cursor(self, sql: str, arguments: Any) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _LoopConnections(self._connect, self.CONNECTIONS)
        try:
            connection = await pool.acquire()
        except self._sync.driver_error as error:
            raise self._sync.as_sqlalchemy(sql, arguments, error) from error
        try:
            async with connection.cursor() as cursor:
                yield cursor
        except self._sync.driver_error as error:
            pool.drop(connection)
            raise self._sync.as_sqlalchemy(sql, arguments, error) from error
        except BaseException:
            pool.drop(connection)
            raise
        pool.release(connection)

    async def _connect(self) -> Any:
        import psycopg

        connection = await psycopg.AsyncConnection.connect(**self._connect_kwargs, autocommit=True)
        await connection.execute(_HOT_SESSION)  # as `HotPath`'s pool
        return connection

    async def close(self) -> None:
        """Close the running loop's connections."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    def discard(self) -> None:
        """Close every loop's connections at once, without their loops (which may have ended)."""
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.discard()


class _LoopConnections:
    """One event loop's connections: at most `size` open, the idle ones reused newest first, the callers beyond
    `size` served in turn as connections come back."""

    def __init__(self, connect: Any, size: int) -> None:
        self._connect, self._size = connect, size
        self._idle: list[Any] = []
        self._open = 0
        self._waiting: deque[asyncio.Future[Any]] = deque()

    async def acquire(self) -> Any:
        if self._idle:
            return self._idle.pop()
        if self._open < self._size:
            self._open += 1
            try:
                return await self._connect()
            except BaseException:
                self._open -= 1
                self._wake()
                raise
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            handed = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():  # handed over just as the caller was cancelled: pass it on
                handed = waiter.result()
                self._wake() if handed is None else self.release(handed)
            raise
        return handed if handed is not None else await self.acquire()  # None: a slot freed, open one

    def release(self, connection: Any) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    def drop(self, connection: Any) -> None:
        """Close a connection whose state is unknown, and free its slot."""
        connection.pgconn.finish()
        self._open -= 1
        self._wake()

    def _wake(self) -> None:
        """A slot is free: the next caller waiting opens a connection in it."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        self._open -= len(idle)

    def discard(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.pgconn.finish()
        self._open -= len(idle)


class Database:
    """The engine and the two ways in: `read()` for queries, `write()` for changes (committed on success)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._immediate = self.engine.execution_options(sqlite_immediate=True)
        self._writer = sessionmaker(self._immediate, expire_on_commit=False)
        # The hot path's connections (`HotPath`, one kept per thread): on SQLite from the same pool; on PostgreSQL
        # from a pool of its own, autocommit (no COMMIT round trip) and no pre-ping (no extra round trip per
        # request). A connection lost meanwhile fails one request with a 503; the next opens another.
        self._hot = self.engine if self.is_sqlite else make_engine(url, pool_size=2, hot=True)
        self._hot_path = HotPath(self._hot)
        # On PostgreSQL the event loop's reads and writes go through asynchronous connections (`AsyncHotPath`),
        # with the same connection arguments as the engine's.
        self._hot_async: AsyncHotPath | None = None
        if not self.is_sqlite:
            _args, connect_kwargs = self._hot.dialect.create_connect_args(self._hot.url)
            self._hot_async = AsyncHotPath(self._hot_path, dict(connect_kwargs))
        database = make_url(url).database if self.is_sqlite else None
        self._write_lock = _SQLiteWriteLock(database) if database and database != ":memory:" else None
        self._checkpoints = _Checkpointer(self.engine) if self._write_lock is not None else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def hot_fetch(self, statement: ClauseElement, params: dict[str, Any]) -> list[Any]:
        """The hot path's read of one prebuilt SELECT, on the driver's own connection (see `HotPath`): rows as
        the driver returns them, as tuples."""
        return self._hot_path.fetch(statement, params)

    async def hot_fetch_async(self, statement: ClauseElement, params: dict[str, Any]) -> list[Any]:
        """`hot_fetch` from the event loop on PostgreSQL, without blocking it (see `AsyncHotPath`)."""
        if self._hot_async is None:
            raise ValueError("on SQLite the hot path reads through `hot_fetch`: its reads never wait on a network")
        return await self._hot_async.fetch(statement, params)

    async def hot_execute_async(self, statement: ClauseElement, params: dict[str, Any]) -> None:
        """`hot_execute` from the event loop on PostgreSQL, without blocking it (see `AsyncHotPath`)."""
        if self._hot_async is None:
            raise ValueError("on SQLite the hot path writes through `hot_insert_many`, under the write lock")
        await self._hot_async.execute(statement, params)

    async def close_async(self) -> None:
        """Close the running event loop's asynchronous connections (the app's shutdown; PostgreSQL only)."""
        if self._hot_async is not None:
            await self._hot_async.close()

    def hot_execute(self, statement: ClauseElement, params: dict[str, Any]) -> None:
        """The hot path's one-statement write on PostgreSQL, on the driver's own autocommit connection (see
        `HotPath`): committed on its own, without waiting for the disk flush (the hot pool's setting)."""
        if self.is_sqlite:
            raise ValueError("on SQLite the hot path writes through `hot_insert_many`, under the write lock")
        self._hot_path.execute(statement, params)

    def hot_insert_many(self, sql: str, rows: Sequence[Sequence[Any]], *, wait: bool = True) -> None:
        """The hot path's insert on SQLite: the driver's executemany of `sql` in one write transaction under the
        write lock, on the driver's own connection (see `HotPath`). With `wait=False`, raises `WriteLockBusy` at
        once where another writer holds the lock."""
        if not self.is_sqlite:
            raise ValueError("on PostgreSQL the hot path writes through `hot_execute`")
        if self._write_lock is None:
            self._hot_path.execute_many(sql, rows)
            return
        with self._write_lock.held(wait=wait):
            self._hot_path.execute_many(sql, rows)

    @contextmanager
    def write(self, *, erasing: bool = False) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error. `erasing`: the work deletes
        personal data, which on SQLite then leaves the write-ahead log too (`secure_delete` has zeroed it in the
        database): the log is copied into the database and emptied once the work is committed."""
        if self._write_lock is None:
            with self._writer() as session, session.begin():
                yield session
            return
        with self._write_lock.held():
            with self._writer() as session, session.begin():
                yield session
            if erasing:
                self._truncate_log()

    def _truncate_log(self) -> None:
        """Empty SQLite's write-ahead log now (the caller holds the write lock), or, where a reader keeps it from
        finishing, as soon as it can (`_Checkpointer`)."""
        connection = self.engine.raw_connection()
        try:
            truncated = _truncate_log(connection)
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
        self._hot_path.close()
        if self._hot_async is not None:
            self._hot_async.discard()
        self.engine.dispose()
        if not self.is_sqlite:  # its own pool (on SQLite it shares the engine's)
            self._hot.dispose()
        if self._write_lock is not None:
            self._write_lock.close()
