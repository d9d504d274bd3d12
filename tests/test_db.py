"""`Database.hot_fetch`: the hot path's reads on the driver's own connection, on both backends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import bindparam, literal, or_, select, text
from sqlalchemy.exc import DBAPIError, InvalidRequestError, OperationalError

from optirec.customers.models import Customer
from optirec.db import Database

_BY_ID = select(Customer.id, Customer.role, literal(7).label("seven")).where(Customer.id == bindparam("customer_id"))


def _add_customer(db: Database, customer_id: str) -> None:
    with db.write() as session:
        session.add(Customer(id=customer_id, role="customer"))


def test_rows_come_back_as_tuples_and_each_read_sees_the_latest_commit(db: Database) -> None:
    assert db.hot_fetch(_BY_ID, {"customer_id": "c-1"}) == []
    _add_customer(db, "c-1")
    # The same kept connection, a new implicit transaction: the commit made since is seen.
    assert [tuple(row) for row in db.hot_fetch(_BY_ID, {"customer_id": "c-1"})] == [("c-1", "customer", 7)]
    assert db.hot_fetch(_BY_ID, {"customer_id": "c-2"}) == []


def test_no_transaction_stays_open_between_reads(db: Database) -> None:
    _add_customer(db, "c-1")
    db.hot_fetch(_BY_ID, {"customer_id": "c-1"})
    connection = db._hot_path._connection().driver_connection
    if db.is_sqlite:
        assert not connection.in_transaction
    else:
        import psycopg

        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    # A writer that needs every lock is not blocked by the reader's kept connection.
    with db.engine.begin() as other:
        other.execute(text("DELETE FROM customers"))
    assert db.hot_fetch(_BY_ID, {"customer_id": "c-1"}) == []


def test_each_thread_reads_on_its_own_connection(db: Database) -> None:
    _add_customer(db, "c-1")
    mine = db._hot_path._connection()
    seen: list[object] = []

    def read() -> None:
        seen.append(db.hot_fetch(_BY_ID, {"customer_id": "c-1"})[0][0])
        seen.append(db._hot_path._connection())

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen[0] == "c-1" and seen[1] is not mine


def test_a_lost_connection_fails_one_read_as_sqlalchemys_error_and_the_next_reconnects(db: Database) -> None:
    _add_customer(db, "c-1")
    db.hot_fetch(_BY_ID, {"customer_id": "c-1"})
    lost = db._hot_path._connection()
    if db.is_sqlite:
        lost.driver_connection.close()  # the driver's connection is gone under the kept one
    else:
        pid = lost.driver_connection.info.backend_pid
        with db.engine.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    # On PostgreSQL the error the service answers with a 503 (`gateway.errors`).
    with pytest.raises(DBAPIError if db.is_sqlite else OperationalError):
        db.hot_fetch(_BY_ID, {"customer_id": "c-1"})
    assert db.hot_fetch(_BY_ID, {"customer_id": "c-1"})[0][0] == "c-1"
    assert db._hot_path._connection() is not lost


def test_a_statement_with_parameters_rendered_at_execution_is_refused(db: Database) -> None:
    expanding = select(Customer.id).where(Customer.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="rendered at execution time"):
        db.hot_fetch(expanding, {"ids": ["c-1"]})


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
    assert db.hot_fetch(statement, {"first": "c-3", "second": "c-2"}) == [("c-2", 7)]
    assert db.hot_fetch(statement, {"first": "c-1", "second": "c-2"}) == [("c-1", 7)]  # compiled once, bound anew
    with pytest.raises(InvalidRequestError, match="'second'"):
        db.hot_fetch(statement, {"first": "c-1"})


def test_the_connections_of_ended_threads_go_back_to_the_pool(db: Database) -> None:
    _add_customer(db, "c-1")

    def read() -> None:
        assert db.hot_fetch(_BY_ID, {"customer_id": "c-1"})[0][0] == "c-1"

    for _ in range(6):  # more threads, one after the other, than the hot pool holds connections (4 on PostgreSQL)
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len(db._hot_path._opened) == 1  # the last thread's, handed back when the next one asks
