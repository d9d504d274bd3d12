"""What every table and both backends share: the declarative base and its naming, the column types, the
current time, the drivers' bulk-insert statements and the naming of storage failures for logs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, MetaData, TextClause, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase
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


def json_loads(text: str | bytes) -> Any:
    """A JSON column's value, as the engines read it (`json_deserializer`): orjson's parser, the standard module's
    for what orjson refuses and the standard serializer may have written (NaN or Infinity, integers past 64 bits).
    The standard parser alone took a quarter of a 200,000-profile read (`recommend.segments`)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


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


# A row stamped this long before a read may still commit after it (concurrent writers; several hosts' clocks): a
# read of what changed since an earlier one goes back this far before it.
LATE_COMMIT = timedelta(minutes=2)


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
