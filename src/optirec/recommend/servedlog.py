"""The log of served lists, for attribution: every list is stored under its `recommendation_id` before the answer
leaves. Written with the drivers' own bulk statements: SQLAlchemy's per-row processing cost more than the insert."""

from __future__ import annotations

from typing import Any

import orjson

from optirec.db import Database, WriteLockBusy, postgres_bulk_insert, sqlite_bulk_insert, sqlite_time
from optirec.recommend.models import ServedRecommendation

Row = dict[str, Any]

_COLUMNS = (
    ("id", "varchar"),
    ("customer_id", "varchar"),
    ("session_id", "varchar"),
    ("surface", "varchar"),
    ("model_version", "varchar"),
    ("items", "jsonb"),
    ("context", "jsonb"),
    ("served_at", "timestamptz"),
)
_POSTGRES_INSERT = postgres_bulk_insert(ServedRecommendation.__tablename__, _COLUMNS)
_SQLITE_INSERT = sqlite_bulk_insert(ServedRecommendation.__tablename__, _COLUMNS)


def _json(value: object) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _sqlite_values(row: Row) -> tuple[Any, ...]:
    return (
        row["id"],
        row["customer_id"],
        row["session_id"],
        row["surface"],
        row["model_version"],
        _json(row["items"]),
        _json(row["context"]),
        sqlite_time(row["served_at"]),
    )


class ServedLog:
    """Stores served lists, each committed before its answer leaves (in the list's own thread: handing rows to a
    writer thread for group commit was tried, and the thread switches cost more than the commits it saved)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, row: Row, *, wait: bool = True) -> bool:
        return self.write_many([row], wait=wait)

    def write_many(self, rows: list[Row], *, wait: bool = True) -> bool:
        """Store the rows in one statement (all or none). With `wait=False`, store nothing and answer False where
        SQLite's write lock is held by another writer."""
        if not self._db.is_sqlite:
            # One round trip: a single statement on the hot pool, which commits on its own (autocommit) and
            # without waiting for the disk flush (the log is for attribution, not money).
            columns = {name: [row[name] for row in rows] for name, _ in _COLUMNS}
            for name in ("items", "context"):
                columns[name] = [_json(value) for value in columns[name]]
            with self._db.connect() as connection:
                connection.execute(_POSTGRES_INSERT, columns)
            return True
        values = [_sqlite_values(row) for row in rows]
        try:
            with self._db.write_connection(wait=wait) as connection:  # the driver's executemany, under the lock
                connection.exec_driver_sql(_SQLITE_INSERT, values)
        except WriteLockBusy:
            return False
        return True
