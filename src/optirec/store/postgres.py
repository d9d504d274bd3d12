"""The PostgreSQL backend's machinery: the hot path's autocommit sessions and the event loop's asynchronous
connections."""

from __future__ import annotations

import asyncio
import io
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import ColumnElement, Engine, String, create_engine, event, func, text
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session

from optirec.store.base import json_loads, postgres_bulk_insert
from optirec.store.batched import BatchedReads
from optirec.store.driver import Compiled, HotPath
from optirec.store.served import POSTGRES_INSERT, Row, postgres_params
from optirec.store.shopper import Shopper, ShopperStatements, read_shopper
from optirec.store.signals import COLUMNS, LOADED, LoadedSignal, count_statement

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

# The hot path's sessions on PostgreSQL:
# - they write only the served-list log, which is for attribution, not money: its commits need not wait for the disk
#   flush (PostgreSQL flushes within a fraction of a second). Signals keep the synchronous commit;
# - their statements (the shopper reads, the log's insert) are index look-ups whatever their values, and run
#   prepared: planning a batch read anew for its values (PostgreSQL's choice for an array parameter) cost the
#   database three times the generic plan's time (`docs/benchmarks.md`).
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
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            isolation_level="AUTOCOMMIT",
            hide_parameters=True,
            json_deserializer=json_loads,
        )
        event.listen(engine, "connect", _hot_session)
        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True,
        json_deserializer=json_loads,
    )  # fmt: skip


class AsyncHotPath:
    """The hot path's statements on PostgreSQL from the event loop, on psycopg's own asynchronous connections: the
    loop serves other requests while a statement waits for its round trip, with no thread in between
    (`docs/benchmarks.md`).

    The statements are `HotPath`'s, compiled once and bound the same way. Each event loop has its own pool
    (psycopg_pool's) of at most `CONNECTIONS`, opened as they are needed (a pool that keeps connections open
    without being asked has connections in the making when a loop ends without closing it, and the loop's end then
    waits for them forever), autocommit, commits not waiting for the disk flush, as `HotPath`'s PostgreSQL engine:
    the loop runs one list at a time, so more connections would only queue in the database. A driver error is raised as
    SQLAlchemy's, so that a lost database answers 503; a connection it broke is dropped by the pool, which then checks
    the others (a server restart loses them all); a statement cancelled midway (the client went away) leaves its
    connection in an unknown state, which the pool closes. A caller waits `WAIT` seconds at most for a connection.
    `close` closes the running loop's pool; `discard` closes any connections left, without a loop.
    """

    CONNECTIONS = 4
    WAIT = 2.0  # seconds a statement waits at most for a connection (the database down: a 503 after that)

    def __init__(self, sync: HotPath, connect_kwargs: dict[str, Any]) -> None:
        self._sync = sync
        self._connect_kwargs = {**connect_kwargs, "autocommit": True}
        self._pools: dict[asyncio.AbstractEventLoop, tuple[AsyncConnectionPool[Any], asyncio.Task[None]]] = {}
        self._opened: weakref.WeakSet[Any] = weakref.WeakSet()  # every connection the pools opened (`discard`)

    async def fetch(self, statement: Compiled, params: dict[str, Any]) -> list[Any]:
        """The statement's rows, as tuples."""
        sql, arguments = self._sync.arguments(statement, params)
        async with self._cursor(sql, arguments) as cursor:
            await cursor.execute(sql, arguments)
            return cast(list[Any], await cursor.fetchall())

    async def execute(self, statement: Compiled, params: dict[str, Any]) -> None:
        """Run one statement that commits on its own."""
        sql, arguments = self._sync.arguments(statement, params)
        async with self._cursor(sql, arguments) as cursor:
            await cursor.execute(sql, arguments)

    @asynccontextmanager
    async def _cursor(self, sql: str, arguments: Any) -> AsyncIterator[Any]:
        pool = await self._pool()
        try:
            async with pool.connection(timeout=self.WAIT) as connection, connection.cursor() as cursor:
                try:
                    yield cursor
                except self._sync.driver_error:
                    if connection.broken:  # returned to the pool, which drops it; the others may be lost too
                        await pool.check()
                    raise
        except self._sync.driver_error as error:  # a query's, or the pool's (`PoolTimeout`: no connection)
            raise self._sync.as_sqlalchemy(sql, arguments, error) from error

    async def _pool(self) -> AsyncConnectionPool[Any]:
        """The running loop's pool, opened on its first use (its connections are made in the background)."""
        loop = asyncio.get_running_loop()
        found = self._pools.get(loop)
        if found is None:
            from psycopg_pool import AsyncConnectionPool  # psycopg itself only where PostgreSQL is used

            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                kwargs=self._connect_kwargs,
                min_size=0,
                max_size=self.CONNECTIONS,
                configure=self._configure,
                open=False,
                name="optirec-hot",
            )
            found = self._pools[loop] = (pool, loop.create_task(pool.open()))
        pool, opening = found
        if not opening.done():
            await opening
        return pool

    async def _configure(self, connection: Any) -> None:
        await connection.execute(_HOT_SESSION)  # as `HotPath`'s engine
        self._opened.add(connection)

    async def close(self) -> None:
        """Close the running loop's pool and its connections."""
        found = self._pools.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[1]
            await found[0].close()

    def discard(self) -> None:
        """Close every connection left open, without the loops (which may have ended)."""
        self._pools = {}
        for connection in list(self._opened):
            if not connection.closed:
                connection.pgconn.finish()
        self._opened = weakref.WeakSet()


ADVISORY_KEY = 0x0F71_0EC0  # "optirec training"


class PostgresBackend:
    """PostgreSQL: the sessions' engine, and the hot path's own: a small pool of autocommit connections for the
    threads (`HotPath`) and the event loops' asynchronous connections (`AsyncHotPath`), with the same connection
    arguments. A connection lost meanwhile fails one request with a 503; the next opens another."""

    name = "postgresql"
    writes_in_the_loop = False  # every write is a round trip: from the event loop, asynchronous only
    one_writer_at_a_time = False  # row locks: a write reads what it needs inside its own transaction

    def __init__(self, url: str, *, pool_size: int, history: timedelta | None = None) -> None:
        self.engine = make_postgres_engine(url, pool_size=pool_size)
        self._hot_engine = make_postgres_engine(url, pool_size=2, hot=True)
        self.hot = HotPath(self._hot_engine)
        self.shopper_statements = ShopperStatements.compiled(
            self.hot.compile, batch=True, history=history, stored_time=lambda moment: moment
        )
        self._served_insert = self.hot.compile(POSTGRES_INSERT)
        _args, connect_kwargs = self._hot_engine.dialect.create_connect_args(self._hot_engine.url)
        self.hot_async = AsyncHotPath(self.hot, dict(connect_kwargs))
        self._shoppers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BatchedReads] = weakref.WeakKeyDictionary()

    @contextmanager
    def writing(self, *, erasing: bool) -> Iterator[None]:
        """Around a writing session: nothing to hold (PostgreSQL has its own row locks, and keeps no erased row in a
        log of this machine's)."""
        yield

    @contextmanager
    def training_lock(self, data_dir: Path) -> Iterator[bool]:
        """An advisory lock, shared by every replica: True while held, False (at once) when another session holds
        it. (`data_dir`: SQLite's lock file.)"""
        with self.engine.connect() as connection:
            got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}))
            try:
                yield got
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()

    def settle_after_bulk_load(self) -> None:
        """VACUUM ANALYZE: the statistics and the visibility map autovacuum would build (`Database`)."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")

    # ---- the hot path's operations ----

    async def read_shopper(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        """The shopper's read from the event loop, on an asynchronous connection: the loop serves other requests
        during the round trip, with no thread between; the customers asked for meanwhile are read together
        (`BatchedReads`, one per event loop)."""
        loop = asyncio.get_running_loop()
        reads = self._shoppers.get(loop)
        if reads is None:
            reads = self._shoppers[loop] = BatchedReads(self.hot_async.fetch, self.shopper_statements)
        return await reads.load(customer_id=customer_id, session_id=session_id)

    def read_shopper_now(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        return read_shopper(self.hot.fetch, self.shopper_statements, customer_id=customer_id, session_id=session_id)

    def append_served_lists(self, rows: list[Row], *, wait: bool = True) -> bool:
        """The rows in one statement on the hot path's autocommit connection: one round trip, committed on its own
        and without waiting for the disk flush (the log is for attribution, not money). Never busy: True."""
        self.hot.execute(self._served_insert, postgres_params(rows))
        return True

    async def append_served_lists_async(self, rows: list[Row]) -> None:
        """The rows in one statement on an asynchronous connection: the loop serves other requests meanwhile."""
        await self.hot_async.execute(self._served_insert, postgres_params(rows))

    def dispose(self) -> None:
        self.hot.close()
        self.hot_async.discard()
        self.engine.dispose()
        self._hot_engine.dispose()


# ---- operations in a caller's session (`store.sessions`) ----

_POSTGRES_SIGNALS = postgres_bulk_insert(
    "signals", COLUMNS, "ON CONFLICT (event_id, event_scope, occurred_at) DO NOTHING RETURNING product_known"
)


def insert_signals(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """One statement whatever the batch size (`postgres_bulk_insert`); the new rows' `product_known` returned."""
    columns = {name: [row[name] for row in rows] for name, _ in COLUMNS}
    columns["context"] = [None if c is None else orjson.dumps(c).decode() for c in columns["context"]]
    stored = session.execute(_POSTGRES_SIGNALS, columns).scalars().all()
    return len(stored), sum(1 for known in stored if not known)


COUNT_SIGNALS = count_statement(sqlite=False)


def utc_day(moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """A stored time's UTC calendar day as `YYYY-MM-DD`."""
    return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD", type_=String)


def utc_hour(moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """A stored time's UTC hour as `YYYY-MM-DDTHH`."""
    return func.to_char(func.timezone("UTC", moment), 'YYYY-MM-DD"T"HH24', type_=String)


def upsert(session: Session, table: type[DeclarativeBase], values: dict[str, Any], key: Sequence[Any]) -> None:
    insert = postgresql_dialect.insert(table).values(values)
    session.execute(insert.on_conflict_do_update(index_elements=list(key), set_=dict(insert.excluded)))


def load_signals(session: Session, rows: Sequence[LoadedSignal], received_at: datetime) -> None:
    """COPY of plain new signals, on psycopg's own connection."""
    stamp = received_at.isoformat()
    buffer = io.StringIO()
    for event_id, scope, customer, product, action, when in rows:
        buffer.write(f"{event_id}\t{scope}\t{customer}\t{product}\tt\t{action}\t{when.isoformat()}\t{stamp}\t1\n")
    raw: Any = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY signals ({LOADED}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())
