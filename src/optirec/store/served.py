"""The served-list log's insert, as each backend's driver runs it: SQLAlchemy's per-row processing and per-statement
machinery cost more than the insert, which runs on every list served."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text

from optirec.store.base import sqlite_bulk_insert, sqlite_time
from optirec.store.tables import ServedRecommendation

Row = dict[str, Any]  # a served list's row: the columns of `ServedRecommendation`, `served_at` an aware datetime

_COLUMNS = (
    ("id", "varchar"),
    ("customer_id", "varchar"),
    ("session_id", "varchar"),
    ("surface", "varchar"),
    ("model_version", "varchar"),
    ("items", "jsonb"),
    ("context", "jsonb"),
    ("served_at", "timestamptz"),
    ("policy", "varchar"),
    ("arm", "varchar"),
)
# PostgreSQL takes a group as one JSON document, split into rows by the server: psycopg escaped every element of
# per-column arrays in Python, one regular-expression substitution per list's JSON (`docs/benchmarks.md`).
POSTGRES_INSERT = text(
    f"INSERT INTO {ServedRecommendation.__tablename__} ({', '.join(name for name, _ in _COLUMNS)}) "
    f"SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
    f"AS r({', '.join(f'{name} {kind}' for name, kind in _COLUMNS)})"
)
SQLITE_INSERT = sqlite_bulk_insert(ServedRecommendation.__tablename__, _COLUMNS)


def _json(value: object) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def sqlite_values(row: Row) -> tuple[Any, ...]:
    """A row as `SQLITE_INSERT` takes it."""
    return (
        row["id"],
        row["customer_id"],
        row["session_id"],
        row["surface"],
        row["model_version"],
        _json(row["items"]),
        _json(row["context"]),
        sqlite_time(row["served_at"]),
        row.get("policy"),
        row.get("arm"),
    )


def postgres_params(rows: list[Row]) -> dict[str, str]:
    """The rows as `POSTGRES_INSERT` takes them: one JSON array of objects (times in RFC 3339, with their zone)."""
    return {"rows": orjson.dumps(rows).decode()}
