"""The storage: `Database`, the one way in for the rest of optirec, over one backend per kind of database (SQLite in
`sqlite`, PostgreSQL in `postgres`), which the URL picks. What both share (the base of the tables, the column types,
the drivers' bulk statements) is in `base`, the tables in `tables`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

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
from optirec.store.served import Row
from optirec.store.shopper import Shopper, forget_wearers
from optirec.store.sqlite import SQLiteBackend, WriteLockBusy, make_sqlite_engine

log = logging.getLogger("optirec.store")

__all__ = [
    "NAMING",
    "SQLITE_TIME",
    "Base",
    "Database",
    "JSONType",
    "Shopper",
    "UTCDateTime",
    "WriteLockBusy",
    "failure_name",
    "make_engine",
    "postgres_bulk_insert",
    "shared_by_hosts",
    "sqlite_bulk_insert",
    "sqlite_time",
    "utcnow",
]


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def shared_by_hosts(url: str) -> bool:
    """Whether replicas on several hosts may share the database at `url` (PostgreSQL): then nothing a replica needs
    may live in one host's files (the signing secret, the model artifacts). SQLite serves one machine."""
    return not _is_sqlite(url)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """A plain engine for `url` (migrations, tests): as `Database`'s, without the hot path."""
    if _is_sqlite(url):
        return make_sqlite_engine(url, pool_size=pool_size)
    return make_postgres_engine(url, pool_size=pool_size)


class Database:
    """The engine and the two ways in: `read()` for queries, `write()` for changes (committed on success)."""

    def __init__(self, url: str, *, pool_size: int = 10, shopper_history_days: int = 0) -> None:
        """`shopper_history_days`: how far back a list reads its shopper's signals (`Settings.shopper_history_days`);
        0: all of them."""
        self.url = url
        history = timedelta(days=shopper_history_days) if shopper_history_days > 0 else None
        backend = SQLiteBackend if _is_sqlite(url) else PostgresBackend
        self.backend: SQLiteBackend | PostgresBackend = backend(url, pool_size=pool_size, history=history)
        self.engine = self.backend.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

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

    @property
    def backend_name(self) -> str:
        """ "sqlite" or "postgresql": what a readiness check reports."""
        return self.backend.name

    @property
    def one_writer_at_a_time(self) -> bool:
        """Whether writers queue on one lock (SQLite): a write then reads what it needs before its transaction
        (`read()`), so that it holds the lock for the insert and the commit only."""
        return self.backend.one_writer_at_a_time

    def training_lock(self, data_dir: Path) -> AbstractContextManager[bool]:
        """One training at a time, whoever asks: True while this caller holds the lock, False (at once) when
        someone else trains now. PostgreSQL's advisory lock is shared by every replica; SQLite's `flock` on a file
        in `data_dir` by every worker of the machine."""
        return self.backend.training_lock(data_dir)

    def create_partitions(self, now: datetime) -> list[str]:
        """The time partitions of the growing tables, from the month of `now` to a few months ahead, where missing
        (PostgreSQL, `store.partitions`); the names created. SQLite: none, it keeps one table."""
        if not isinstance(self.backend, PostgresBackend):
            return []
        from optirec.store.partitions import create_partitions

        with self.engine.begin() as connection:
            return create_partitions(connection, now)

    def prepare_partitions(self, table: str, first: datetime, last: datetime) -> list[str]:
        """PostgreSQL: `table`'s partitions for the months from that of `first` to that of `last`, where missing (two
        years back at most, `store.partitions.create_month_partitions`), so that rows about to be stored (an import
        of history) land in their partitions rather than in the default one; the names created. SQLite: none."""
        if not isinstance(self.backend, PostgresBackend):
            return []
        from optirec.store.partitions import create_month_partitions

        with self.engine.begin() as connection:
            return create_month_partitions(connection, table, first, last)

    def drop_partitions_before(self, table: str, cutoff: datetime) -> list[str]:
        """Drop `table`'s time partitions whose every row is older than `cutoff` (PostgreSQL); the names dropped.
        SQLite: none (its rows are deleted by the caller, as are the rows a partition does not hold whole)."""
        if not isinstance(self.backend, PostgresBackend):
            return []
        from optirec.store.partitions import PARTITIONED, drop_partitions_before

        if table not in PARTITIONED:
            return []
        with self.engine.begin() as connection:
            return drop_partitions_before(connection, table, cutoff)

    def archive_and_drop_partitions(
        self, table: str, cutoff: datetime, archive: Callable[[str, datetime], int]
    ) -> list[str]:
        """PostgreSQL: detach `table`'s partitions whose every row is older than `cutoff`, hand each to
        `archive` (its name and first month; it writes the rows elsewhere and says how many), and drop it once that is
        every row it holds; the names dropped. One whose archive fails or falls short stays detached, out of every
        read (its rows are past the retention), and the next run tries it again. SQLite: none."""
        if not isinstance(self.backend, PostgresBackend):
            return []
        from optirec.store.partitions import (
            detach_partition,
            detached_months,
            drop_partition,
            partitions_before,
        )

        with self.engine.connect() as connection:
            due = partitions_before(connection, table, cutoff)
        for name, _ in due:  # each in its own short transaction: the parent's lock is held for one at a time
            with self.engine.begin() as connection:
                detach_partition(connection, table, name)
        with self.engine.connect() as connection:
            detached = sorted(detached_months(connection, table).items(), key=lambda item: item[1])
        dropped = []
        for name, month in detached:
            archived = archive(name, month)
            with self.engine.begin() as connection:
                held = connection.scalar(text(f"SELECT count(*) FROM {name}"))
                if archived != held:
                    log.warning("partition %s kept: %d rows, %d archived", name, held, archived)
                elif drop_partition(connection, name):
                    dropped.append(name)
        return dropped

    def settle_after_bulk_load(self) -> None:
        """After a bulk load, what PostgreSQL's autovacuum would do, done at once: the planner's statistics, and the
        visibility map that lets index-only scans (the latest-signals read of every list) skip the table. SQLite:
        nothing."""
        self.backend.settle_after_bulk_load()

    # ---- the hot path: a list's shopper read and its row in the served-list log ----

    async def read_shopper(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        """The shopper's profile, latest signals and purchases (`store.shopper`); `NotFound` for a customer id nobody
        registered and who sends no signals. From the event loop: SQLite reads in the loop itself (nothing suspends),
        PostgreSQL on an asynchronous connection, the customers asked for meanwhile read together."""
        return await self.backend.read_shopper(customer_id=customer_id, session_id=session_id)

    def read_shopper_now(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        """`read_shopper` from a thread, on the thread's own driver connection."""
        return self.backend.read_shopper_now(customer_id=customer_id, session_id=session_id)

    @staticmethod
    def forget_wearers() -> None:
        """Drop the wearers the shopper reads keep of stored profiles (their prescriptions), in this process: after
        an erasure (in this process or another: `privacy.watch`). Every process drops them by itself every
        `store.shopper.HELD_AT_MOST_SECONDS`."""
        forget_wearers()

    def append_served_lists(self, rows: list[Row], *, wait: bool = True) -> bool:
        """Store served lists' rows in one statement (all or none), committed when this returns. With `wait=False`,
        store nothing and answer False where SQLite's write lock is held by another writer."""
        return self.backend.append_served_lists(rows, wait=wait)

    async def append_served_lists_async(self, rows: list[Row]) -> None:
        """`append_served_lists` from the event loop without blocking it: PostgreSQL's insert on an asynchronous
        connection, SQLite's on a thread."""
        await self.backend.append_served_lists_async(rows)

    @property
    def writes_in_the_loop(self) -> bool:
        """Whether the event loop may write itself, trying `append_served_lists(wait=False)` first and going to a
        thread only when that answers False: SQLite's writes never wait on a network. PostgreSQL's always do, and
        go through `append_served_lists_async`."""
        return self.backend.writes_in_the_loop

    async def close_async(self) -> None:
        """Close the running event loop's asynchronous connections (the app's shutdown; PostgreSQL only)."""
        if isinstance(self.backend, PostgresBackend):
            await self.backend.hot_async.close()

    def dispose(self) -> None:
        self.backend.dispose()
