"""The operations that run inside a caller's session (its transaction), in the SQL of the session's backend
(`store.sqlite`, `store.postgres`): the signals' bulk insert, the popularity counts, the UTC day or hour of a time, the
insert-or-replace of a row, and the benchmark seed's bulk load."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session

from optirec.store import postgres, sqlite
from optirec.store.signals import LoadedSignal

__all__ = ["LoadedSignal", "count_signals", "insert_signals", "load_signals", "upsert", "utc_day", "utc_hour"]


def _backend(session: Session) -> ModuleType:
    return postgres if session.get_bind().dialect.name == "postgresql" else sqlite


def insert_signals(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert signal rows (every column of `signals.COLUMNS`, `event_scope` filled in), skipping event ids their
    shopper already stored; (new rows, new rows about unknown products)."""
    return _backend(session).insert_signals(session, rows)  # type: ignore[no-any-return]


def count_signals(session: Session, *, after: int, upto: int, since: datetime, latest: datetime) -> list[Any]:
    """(product_id, action_type, count) of the signals with `after` < id <= `upto` and `since` <= time < `latest`."""
    statement = _backend(session).COUNT_SIGNALS
    return list(session.execute(statement, {"after": after, "upto": upto, "since": since, "latest": latest}))


def utc_day(session: Session, moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """The UTC calendar day of a stored time, as `YYYY-MM-DD` text on either backend."""
    return _backend(session).utc_day(moment)  # type: ignore[no-any-return]


def utc_hour(session: Session, moment: InstrumentedAttribute[datetime]) -> ColumnElement[str]:
    """The UTC hour of a stored time, as `YYYY-MM-DDTHH` text on either backend."""
    return _backend(session).utc_hour(moment)  # type: ignore[no-any-return]


def upsert(session: Session, table: type[DeclarativeBase], values: dict[str, Any], key: Sequence[Any]) -> None:
    """Insert the row, or replace every column of the one with the same `key` (its primary key's columns)."""
    _backend(session).upsert(session, table, values, key)


def load_signals(session: Session, rows: Sequence[LoadedSignal], received_at: datetime) -> None:
    """Insert plain new signals (no session, price or context; the product known) at the driver's own speed:
    PostgreSQL's COPY, SQLite's executemany."""
    _backend(session).load_signals(session, rows, received_at)
