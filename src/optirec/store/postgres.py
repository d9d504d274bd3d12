"""The PostgreSQL backend's machinery: the hot path's autocommit sessions and the event loop's asynchronous
connections."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.sql.expression import ClauseElement

from optirec.store.driver import HotPath

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


def make_postgres_engine(url: str, *, pool_size: int, hot: bool = False) -> Engine:
    """An engine for a PostgreSQL `url`; `hot`: the hot path's, autocommit (no COMMIT round trip), no pre-ping (no
    extra round trip per request) and with the hot sessions' settings. Its errors never carry a statement's
    parameters (`hide_parameters`): they may hold an e-mail address or a prescription."""
    if hot:
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, isolation_level="AUTOCOMMIT", hide_parameters=True
        )
        event.listen(engine, "connect", _hot_session)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True)


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


class PostgresBackend:
    """PostgreSQL: the sessions' engine, and the hot path's own: a small pool of autocommit connections for the
    threads (`HotPath`) and the event loops' asynchronous connections (`AsyncHotPath`), with the same connection
    arguments. A connection lost meanwhile fails one request with a 503; the next opens another."""

    name = "postgresql"

    def __init__(self, url: str, *, pool_size: int) -> None:
        self.engine = make_postgres_engine(url, pool_size=pool_size)
        self._hot_engine = make_postgres_engine(url, pool_size=2, hot=True)
        self.hot = HotPath(self._hot_engine)
        _args, connect_kwargs = self._hot_engine.dialect.create_connect_args(self._hot_engine.url)
        self.hot_async = AsyncHotPath(self.hot, dict(connect_kwargs))

    @contextmanager
    def writing(self, *, erasing: bool) -> Iterator[None]:
        """Around a writing session: nothing to hold (PostgreSQL has its own row locks, and keeps no erased row in a
        log of this machine's)."""
        yield

    def dispose(self) -> None:
        self.hot.close()
        self.hot_async.discard()
        self.engine.dispose()
        self._hot_engine.dispose()
