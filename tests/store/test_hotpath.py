"""`HotPath`: the hot path's reads on the driver's own connection, on both backends (`db.backend.hot`); and
PostgreSQL's asynchronous path from the event loop (`AsyncHotPath`, `db.backend.hot_async`)."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, func, literal, or_, select, text
from sqlalchemy.exc import DBAPIError, InvalidRequestError, OperationalError

from optirec.migrate import upgrade
from optirec.store import Database
from optirec.store.postgres import AsyncHotPath, PostgresBackend
from optirec.store.sqlite import SQLiteBackend
from optirec.store.tables import Customer
from tests.conftest import run_closing, sqlite_file, terminate_other_sessions, unwritable

_BY_ID = select(Customer.id, Customer.role, literal(7).label("seven")).where(Customer.id == bindparam("customer_id"))


def _fetch(db: Database, statement: Any, params: dict[str, Any]) -> list[Any]:
    """The statement compiled (`HotPath.compile`) and fetched on the thread's driver connection."""
    return db.backend.hot.fetch(db.backend.hot.compile(statement), params)


async def _fetch_async(db: Database, statement: Any, params: dict[str, Any]) -> list[Any]:
    return await _hot_async(db).fetch(db.backend.hot.compile(statement), params)


async def _execute_async(db: Database, statement: Any, params: dict[str, Any]) -> None:
    await _hot_async(db).execute(db.backend.hot.compile(statement), params)


def _add_customer(db: Database, customer_id: str) -> None:
    with db.write() as session:
        session.add(Customer(id=customer_id, role="customer"))


def test_rows_come_back_as_tuples_and_each_read_sees_the_latest_commit(db: Database) -> None:
    assert _fetch(db, _BY_ID, {"customer_id": "c-1"}) == []
    _add_customer(db, "c-1")
    # The same kept connection, a new implicit transaction: the commit made since is seen.
    assert [tuple(row) for row in _fetch(db, _BY_ID, {"customer_id": "c-1"})] == [("c-1", "customer", 7)]
    assert _fetch(db, _BY_ID, {"customer_id": "c-2"}) == []


def test_no_transaction_stays_open_between_reads(db: Database) -> None:
    _add_customer(db, "c-1")
    _fetch(db, _BY_ID, {"customer_id": "c-1"})
    connection = db.backend.hot._connection().driver_connection
    if isinstance(db.backend, SQLiteBackend):
        assert not connection.in_transaction
    else:
        import psycopg

        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    # A writer that needs every lock is not blocked by the reader's kept connection.
    with db.engine.begin() as other:
        other.execute(text("DELETE FROM customers"))
    assert _fetch(db, _BY_ID, {"customer_id": "c-1"}) == []


def test_each_thread_reads_on_its_own_connection(db: Database) -> None:
    _add_customer(db, "c-1")
    mine = db.backend.hot._connection()
    seen: list[object] = []

    def read() -> None:
        seen.append(_fetch(db, _BY_ID, {"customer_id": "c-1"})[0][0])
        seen.append(db.backend.hot._connection())

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen[0] == "c-1" and seen[1] is not mine


def test_a_lost_connection_fails_one_read_as_sqlalchemys_error_and_the_next_reconnects(db: Database) -> None:
    _add_customer(db, "c-1")
    _fetch(db, _BY_ID, {"customer_id": "c-1"})
    lost = db.backend.hot._connection()
    if isinstance(db.backend, SQLiteBackend):
        lost.driver_connection.close()  # the driver's connection is gone under the kept one
    else:
        pid = lost.driver_connection.info.backend_pid
        with db.engine.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    # On PostgreSQL the error the service answers with a 503 (`gateway.errors`).
    with pytest.raises(DBAPIError if isinstance(db.backend, SQLiteBackend) else OperationalError):
        _fetch(db, _BY_ID, {"customer_id": "c-1"})
    assert _fetch(db, _BY_ID, {"customer_id": "c-1"})[0][0] == "c-1"
    assert db.backend.hot._connection() is not lost


def test_a_statement_with_parameters_rendered_at_execution_is_refused(db: Database) -> None:
    expanding = select(Customer.id).where(Customer.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="rendered at execution time"):
        _fetch(db, expanding, {"ids": ["c-1"]})


def test_the_statements_own_values_are_bound_and_a_missing_one_of_the_callers_is_refused(db: Database) -> None:
    for customer in ("c-1", "c-2", "c-3"):
        _add_customer(db, customer)
    # A LIMIT and a literal are the statement's own bound values; the customer ids are the caller's, one of them
    # used twice.
    statement = (
        select(Customer.id, literal(7).label("seven"))
        .where(
            or_(
                Customer.id == bindparam("first"), Customer.id == bindparam("second"), Customer.id == bindparam("first")
            )
        )
        .order_by(Customer.id)
        .limit(1)
    )
    compiled = db.backend.hot.compile(statement)
    assert db.backend.hot.fetch(compiled, {"first": "c-3", "second": "c-2"}) == [("c-2", 7)]
    assert db.backend.hot.fetch(compiled, {"first": "c-1", "second": "c-2"}) == [
        ("c-1", 7)
    ]  # compiled once, bound anew
    with pytest.raises(InvalidRequestError, match="'second'"):
        db.backend.hot.fetch(compiled, {"first": "c-1"})


def test_the_connections_of_ended_threads_go_back_to_the_pool(db: Database) -> None:
    _add_customer(db, "c-1")

    def read() -> None:
        assert _fetch(db, _BY_ID, {"customer_id": "c-1"})[0][0] == "c-1"

    for _ in range(6):  # more threads, one after the other, than the hot pool holds connections (4 on PostgreSQL)
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len(db.backend.hot._opened) == 1  # the last thread's, handed back when the next one asks


# ---- the event loop's path on PostgreSQL (`AsyncHotPath`) ----


def _hot_async(db: Database) -> AsyncHotPath:
    assert isinstance(db.backend, PostgresBackend)
    return db.backend.hot_async


def _postgres_only(db: Database) -> None:
    if isinstance(db.backend, SQLiteBackend):
        pytest.skip("PostgreSQL's asynchronous path")


def test_the_async_path_is_refused_on_sqlite(db: Database) -> None:
    if not isinstance(db.backend, SQLiteBackend):
        pytest.skip("SQLite")
    assert not hasattr(db.backend, "hot_async")  # SQLite's reads never wait on a network: no asynchronous path


def test_async_reads_see_the_latest_commit_and_commit_on_their_own(db: Database) -> None:
    _postgres_only(db)
    insert = text("INSERT INTO customers (id, role, created_at) VALUES (:id, 'customer', now())")

    async def serve() -> list[object]:
        before = await _fetch_async(db, _BY_ID, {"customer_id": "c-1"})
        _add_customer(db, "c-1")
        after = await _fetch_async(db, _BY_ID, {"customer_id": "c-1"})
        await _execute_async(db, insert, {"id": "c-2"})  # autocommit: seen by another connection at once
        return [before, after]

    before, after = run_closing(db, serve())
    assert before == [] and [tuple(row) for row in after] == [("c-1", "customer", 7)]  # type: ignore[union-attr]
    assert _fetch(db, _BY_ID, {"customer_id": "c-2"})[0][0] == "c-2"


def test_the_hot_sessions_commit_without_waiting_for_the_flush_and_plan_generically(db: Database) -> None:
    """Both hot paths' sessions on PostgreSQL (`store.postgres._HOT_SESSION`); the service's other sessions keep the
    server's."""
    _postgres_only(db)
    settings = select(func.current_setting("synchronous_commit"), func.current_setting("plan_cache_mode"))

    async def serve() -> list[object]:
        return list(await _fetch_async(db, settings, {}))

    hot = ("off", "force_generic_plan")
    assert [tuple(row) for row in run_closing(db, serve())] == [hot]  # type: ignore[union-attr]
    assert [tuple(row) for row in _fetch(db, settings, {})] == [hot]
    with db.read() as session:
        assert tuple(session.execute(settings).one()) == ("on", "auto")


def test_more_concurrent_reads_than_connections_are_all_served_on_at_most_that_many(db: Database) -> None:
    _postgres_only(db)
    _add_customer(db, "c-1")
    sleepy = select(Customer.id, func.pg_sleep(0.05)).where(Customer.id == bindparam("customer_id"))

    async def serve() -> tuple[list[list[object]], int]:
        answers = await asyncio.gather(*(_fetch_async(db, sleepy, {"customer_id": "c-1"}) for _ in range(12)))
        return answers, _backends(db)

    answers, backends = run_closing(db, serve())
    assert all(row[0][0] == "c-1" for row in answers)  # type: ignore[index]
    assert backends == AsyncHotPath.CONNECTIONS


def _backends(db: Database) -> int:
    """The asynchronous path's connections open on the server: every client session of the database but this one
    and the threads' kept ones."""
    others = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'"
    )
    with db.engine.connect() as connection:
        return int(connection.execute(others).scalar_one()) - len(db.backend.hot._opened)


def test_a_lost_async_connection_fails_one_read_as_sqlalchemys_error_and_the_next_reconnects(db: Database) -> None:
    _postgres_only(db)
    _add_customer(db, "c-1")

    async def serve() -> str:
        await _fetch_async(db, _BY_ID, {"customer_id": "c-1"})
        terminate_other_sessions(db)  # the event loop's connection among them
        with pytest.raises(OperationalError):  # the error the service answers with a 503
            await _fetch_async(db, _BY_ID, {"customer_id": "c-1"})
        return str((await _fetch_async(db, _BY_ID, {"customer_id": "c-1"}))[0][0])

    assert run_closing(db, serve()) == "c-1"


def test_a_read_cancelled_midway_drops_its_connection_and_the_next_read_is_served(db: Database) -> None:
    _postgres_only(db)
    _add_customer(db, "c-1")
    slow = select(Customer.id, func.pg_sleep(5)).where(Customer.id == bindparam("customer_id"))

    async def serve() -> str:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_fetch_async(db, slow, {"customer_id": "c-1"}), 0.1)
        return str((await _fetch_async(db, _BY_ID, {"customer_id": "c-1"}))[0][0])

    assert run_closing(db, serve()) == "c-1"


def test_dispose_closes_connections_left_by_an_ended_loop(db: Database) -> None:
    _postgres_only(db)

    async def serve() -> None:  # no `close_async`
        await _fetch_async(db, _BY_ID, {"customer_id": "c-1"})

    asyncio.run(serve())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unclosed connection warns when collected
        db.dispose()
        gc.collect()


def test_a_sqlite_connection_that_met_its_storage_failing_is_not_kept(tmp_path: Path) -> None:
    """Regression: a pooled connection that found the database file read-only (here immutable) stayed read-only:
    every write kept failing after the file was writable again. It is dropped like a lost connection."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    db = Database(url, pool_size=1)
    try:
        with unwritable(sqlite_file(url)), pytest.raises(OperationalError, match="readonly"):
            _add_customer(db, "c-1")
        _add_customer(db, "c-2")  # the file is writable again: so is the next connection
    finally:
        db.dispose()
