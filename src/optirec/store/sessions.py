"""The operations that run inside a caller's session (its transaction), each in the SQL of the session's backend: the
signals' bulk insert, the popularity counts, the UTC day of a time, the insert-or-replace of a row, and the benchmark
seed's bulk load."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Integer, String, TextualSelect, bindparam, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.decl_api import DeclarativeBase

from optirec.store.base import UTCDateTime, postgres_bulk_insert, sqlite_bulk_insert, sqlite_time


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_signals(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert signal rows (every column of `_COLUMNS`, `event_scope` filled in), skipping event ids their shopper
    already stored; (new rows, new rows about unknown products)."""
    if _postgres(session):
        return _insert_signals_postgres(session, rows)
    return _insert_signals_sqlite(session, rows)


_COLUMNS = (
    ("event_id", "varchar"),
    ("event_scope", "varchar"),
    ("customer_id", "varchar"),
    ("session_id", "varchar"),
    ("product_id", "varchar"),
    ("product_known", "boolean"),
    ("action_type", "varchar"),
    ("occurred_at", "timestamptz"),
    ("received_at", "timestamptz"),
    ("recommendation_id", "varchar"),
    ("quantity", "integer"),
    ("price", "numeric"),
    ("context", "jsonb"),
)
_POSTGRES_BULK_INSERT = postgres_bulk_insert(
    "signals", _COLUMNS, "ON CONFLICT (event_id, event_scope) DO NOTHING RETURNING product_known"
)
_SQLITE_INSERT = sqlite_bulk_insert("signals", _COLUMNS, "ON CONFLICT (event_id, event_scope) DO NOTHING")


def _insert_signals_postgres(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """One statement whatever the batch size (`postgres_bulk_insert`); the new rows' `product_known` returned."""
    columns = {name: [row[name] for row in rows] for name, _ in _COLUMNS}
    columns["context"] = [None if c is None else orjson.dumps(c).decode() for c in columns["context"]]
    stored = session.execute(_POSTGRES_BULK_INSERT, columns).scalars().all()
    return len(stored), sum(1 for known in stored if not known)


def _insert_signals_sqlite(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """The driver's own executemany: a third of the cost of the ORM's bulk insert. Which rows are new is read
    first, inside the same transaction, which holds SQLite's write lock (so the answer cannot change meanwhile)."""
    connection = session.connection()
    existing: set[tuple[str, str]] = set()
    ids = list(dict.fromkeys(row["event_id"] for row in rows))
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ", ".join("?" for _ in chunk)
        found = connection.exec_driver_sql(
            f"SELECT event_id, event_scope FROM signals WHERE event_id IN ({marks})", tuple(chunk)
        )
        existing.update((event_id, scope) for event_id, scope in found)
    fresh = []
    for row in rows:  # the first of repeated ids inside the batch counts, like the first of repeated requests
        key = (row["event_id"], row["event_scope"])
        if key not in existing:
            existing.add(key)
            fresh.append(row)
    if fresh:
        connection.exec_driver_sql(_SQLITE_INSERT, [_sqlite_values(row) for row in fresh])
    return len(fresh), sum(1 for row in fresh if not row["product_known"])


def _sqlite_values(row: dict[str, Any]) -> tuple[Any, ...]:
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


def _count_statement(sqlite: bool) -> TextualSelect:
    """Signals per (product, action) among ids `after` < id <= `upto`, in the window `since` <= time < `latest`."""
    # SQLite's planner walks the product_id index to group without sorting, then reads every row from the table in
    # product order (31 s for 10 million signals); NOT INDEXED makes it scan the table, or the primary key's range
    # for an update (7 s, 0.2 s for 200,000 new signals).
    table = "signals NOT INDEXED" if sqlite else "signals"
    statement = text(
        f"SELECT product_id, action_type, count(*) AS n FROM {table} "
        "WHERE id > :after AND id <= :upto AND occurred_at >= :since AND occurred_at < :latest "
        "GROUP BY product_id, action_type"
    )
    statement = statement.bindparams(bindparam("since", type_=UTCDateTime), bindparam("latest", type_=UTCDateTime))
    return statement.columns(product_id=String, action_type=String, n=Integer)


_COUNTS = {backend: _count_statement(backend == "sqlite") for backend in ("sqlite", "postgresql")}


def count_signals(session: Session, *, after: int, upto: int, since: datetime, latest: datetime) -> list[Any]:
    """(product_id, action_type, count) of the signals with `after` < id <= `upto` and `since` <= time < `latest`."""
    statement = _COUNTS[session.get_bind().dialect.name]
    return list(session.execute(statement, {"after": after, "upto": upto, "since": since, "latest": latest}))


def utc_day(session: Session, moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """The UTC calendar day of a stored time, as `YYYY-MM-DD` text on either backend."""
    if _postgres(session):
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD", type_=String)
    return func.date(moment, type_=String)


def upsert(session: Session, table: type[DeclarativeBase], values: dict[str, Any], key: Sequence[Any]) -> None:
    """Insert the row, or replace every column of the one with the same `key` (its primary key's columns)."""
    dialect = postgresql if _postgres(session) else sqlite
    insert = dialect.insert(table).values(values)
    session.execute(insert.on_conflict_do_update(index_elements=list(key), set_=dict(insert.excluded)))


# A bulk load of plain signals (the benchmarks' seed): no session, no price, no context, the product known.
_LOADED = (
    "event_id, event_scope, customer_id, product_id, product_known, action_type, occurred_at, received_at, quantity"
)
LoadedSignal = tuple[str, str, str, str, str, datetime]  # event_id, event_scope, customer_id, product_id, action, time


def load_signals(session: Session, rows: Sequence[LoadedSignal], received_at: datetime) -> None:
    """Insert plain new signals at the driver's own speed: PostgreSQL's COPY, SQLite's executemany."""
    if _postgres(session):
        stamp = received_at.isoformat()
        buffer = io.StringIO()
        for event_id, scope, customer, product, action, when in rows:
            buffer.write(f"{event_id}\t{scope}\t{customer}\t{product}\tt\t{action}\t{when.isoformat()}\t{stamp}\t1\n")
        raw: Any = session.connection().connection.dbapi_connection  # psycopg's own connection, for COPY
        with raw.cursor() as cursor, cursor.copy(f"COPY signals ({_LOADED}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        return
    stamp = sqlite_time(received_at)
    values = [(e, s, c, p, 1, a, sqlite_time(when), stamp, 1) for e, s, c, p, a, when in rows]
    session.connection().exec_driver_sql(f"INSERT INTO signals ({_LOADED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
