"""The storage: `Database`, the one way in for the rest of optirec, over one backend per kind of database (SQLite in
`sqlite`, PostgreSQL in `postgres`), which the URL picks. What both share (the base of the tables, the column types,
the drivers' bulk statements) is in `base`, the tables in `tables`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import ClauseElement

from optirec.store import tables  # noqa: F401  (every table in `Base.metadata`)
from optirec.store.base import (
    NAMING,
    SQLITE_TIME,
    Base,
    JSONType,
    UTCDateTime,
    failure_name,
    postgres_bulk_insert,
    sqlite_bulk_insert,
    sqlite_time,
    utcnow,
)
from optirec.store.postgres import PostgresBackend, make_postgres_engine
from optirec.store.sqlite import SQLiteBackend, WriteLockBusy, make_sqlite_engine

__all__ = [
    "NAMING",
    "SQLITE_TIME",
    "Base",
    "Database",
    "JSONType",
    "UTCDateTime",
    "WriteLockBusy",
    "failure_name",
    "make_engine",
    "postgres_bulk_insert",
    "sqlite_bulk_insert",
    "sqlite_time",
    "utcnow",
]


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """A plain engine for `url` (migrations, tests): as `Database`'s, without the hot path."""
    if _is_sqlite(url):
        return make_sqlite_engine(url, pool_size=pool_size)
    return make_postgres_engine(url, pool_size=pool_size)


class Database:
    """The engine and the two ways in: `read()` for queries, `write()` for changes (committed on success)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.backend: SQLiteBackend | PostgresBackend = (
            SQLiteBackend(url, pool_size=pool_size) if _is_sqlite(url) else PostgresBackend(url, pool_size=pool_size)
        )
        self.engine = self.backend.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.backend, SQLiteBackend)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def write(self, *, erasing: bool = False) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error. `erasing`: the work deletes
        personal data, which on SQLite then leaves the write-ahead log too (`secure_delete` has zeroed it in the
        database): the log is copied into the database and emptied once the work is committed."""
        with self.backend.writing(erasing=erasing), self._writer() as session, session.begin():
            yield session

    def hot_fetch(self, statement: ClauseElement, params: dict[str, Any]) -> list[Any]:
        """The hot path's read of one prebuilt SELECT, on the driver's own connection (see `HotPath`): rows as
        the driver returns them, as tuples."""
        return self.backend.hot.fetch(statement, params)

    async def hot_fetch_async(self, statement: ClauseElement, params: dict[str, Any]) -> list[Any]:
        """`hot_fetch` from the event loop on PostgreSQL, without blocking it (see `AsyncHotPath`)."""
        if not isinstance(self.backend, PostgresBackend):
            raise ValueError("on SQLite the hot path reads through `hot_fetch`: its reads never wait on a network")
        return await self.backend.hot_async.fetch(statement, params)

    async def hot_execute_async(self, statement: ClauseElement, params: dict[str, Any]) -> None:
        """`hot_execute` from the event loop on PostgreSQL, without blocking it (see `AsyncHotPath`)."""
        if not isinstance(self.backend, PostgresBackend):
            raise ValueError("on SQLite the hot path writes through `hot_insert_many`, under the write lock")
        await self.backend.hot_async.execute(statement, params)

    async def close_async(self) -> None:
        """Close the running event loop's asynchronous connections (the app's shutdown; PostgreSQL only)."""
        if isinstance(self.backend, PostgresBackend):
            await self.backend.hot_async.close()

    def hot_execute(self, statement: ClauseElement, params: dict[str, Any]) -> None:
        """The hot path's one-statement write on PostgreSQL, on the driver's own autocommit connection (see
        `HotPath`): committed on its own, without waiting for the disk flush (the hot pool's setting)."""
        if not isinstance(self.backend, PostgresBackend):
            raise ValueError("on SQLite the hot path writes through `hot_insert_many`, under the write lock")
        self.backend.hot.execute(statement, params)

    def hot_insert_many(self, sql: str, rows: Sequence[Sequence[Any]], *, wait: bool = True) -> None:
        """The hot path's insert on SQLite: the driver's executemany of `sql` in one write transaction under the
        write lock, on the driver's own connection (see `HotPath`). With `wait=False`, raises `WriteLockBusy` at
        once where another writer holds the lock."""
        if not isinstance(self.backend, SQLiteBackend):
            raise ValueError("on PostgreSQL the hot path writes through `hot_execute`")
        self.backend.insert_many(sql, rows, wait=wait)

    def dispose(self) -> None:
        self.backend.dispose()
