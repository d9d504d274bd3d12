"""`export_signals`: stored signals to Parquet, every column round-tripping, optionally within [since, until)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from optirec.signals.exporter import SCHEMA, export_signals
from optirec.signals.service import store_rows
from optirec.store import Database


def signal_row(event_id: str, day: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "event_id": event_id,
        "customer_id": "u1",
        "session_id": None,
        "product_id": "FR-1",
        "product_known": True,
        "action_type": "view",
        "occurred_at": datetime(2026, 11, day, 10, tzinfo=UTC),
        "received_at": datetime(2026, 11, 20, tzinfo=UTC),
        "recommendation_id": None,
        "quantity": 1,
        "price": None,
        "context": None,
    }
    row.update(overrides)
    return row


def seed(db: Database) -> None:
    rows = [
        signal_row("e1", 1),
        signal_row("e2", 2, customer_id=None, session_id="s-1", product_known=False, product_id="NEW"),
        signal_row("e3", 3, action_type="purchase", price=Decimal("129.90"), quantity=2, recommendation_id="r-1"),
    ]
    with db.write() as session:
        store_rows(session, rows)


def test_parquet_round_trip_keeps_every_column(db: Database, tmp_path: Path) -> None:
    seed(db)
    path = tmp_path / "out" / "signals.parquet"
    assert export_signals(db, path) == 3
    table = pq.read_table(path)
    assert table.schema.equals(SCHEMA)
    rows = table.to_pylist()
    assert [r["event_id"] for r in rows] == ["e1", "e2", "e3"]
    assert rows[1] == {
        "event_id": "e2",
        "customer_id": None,
        "session_id": "s-1",
        "product_id": "NEW",
        "product_known": False,
        "action_type": "view",
        "occurred_at": datetime(2026, 11, 2, 10, tzinfo=UTC),
        "recommendation_id": None,
        "quantity": 1,
        "price": None,
    }
    assert (rows[2]["price"], rows[2]["quantity"], rows[2]["recommendation_id"]) == (129.9, 2, "r-1")


def test_export_within_a_time_window(db: Database, tmp_path: Path) -> None:
    seed(db)
    since, until = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, 10, tzinfo=UTC)
    assert export_signals(db, tmp_path / "w.parquet", since=since, until=until) == 1  # until is exclusive
    assert pq.read_table(tmp_path / "w.parquet").column("event_id").to_pylist() == ["e2"]


def test_export_of_no_signals_writes_an_empty_file_with_the_schema(db: Database, tmp_path: Path) -> None:
    batches: list[int] = []
    assert export_signals(db, tmp_path / "empty.parquet", on_batch=batches.append) == 0
    table = pq.read_table(tmp_path / "empty.parquet")
    assert table.num_rows == 0 and table.schema.equals(SCHEMA) and batches == []
