"""Writing the stored signals to Parquet, streamed in batches so memory stays flat on large shops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import MetaData, Table, func, select

from optirec.store import Database
from optirec.store.tables import Signal

BATCH = 50_000
SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("customer_id", pa.string()),
        ("session_id", pa.string()),
        ("product_id", pa.string()),
        ("product_known", pa.bool_()),
        ("action_type", pa.string()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("recommendation_id", pa.string()),
        ("quantity", pa.int32()),
        ("price", pa.float64()),
    ]
)


def export_signals(
    db: Database,
    path: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    received_before: datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
    table: str | None = None,
) -> int:
    """Write signals (optionally in [since, until), and received before `received_before`) to a Parquet file at
    `path`; returns how many. Signals whose stored time no reader can take (`Signal.stored_in_window`; see
    `count_unreadable`) are left out. `table`: another table of the signals' columns to read instead (a monthly
    partition the maintenance detached, `store.partitions`)."""
    signals = Signal.__table__
    assert isinstance(signals, Table)
    source = signals if table is None else signals.to_metadata(MetaData(), name=table)
    column = source.c
    query = select(*(column[name] for name in SCHEMA.names)).where(Signal.stored_in_window(column.occurred_at))
    query = query.order_by(column.id)
    if since is not None:
        query = query.where(column.occurred_at >= since)
    if until is not None:
        query = query.where(column.occurred_at < until)
    if received_before is not None:
        query = query.where(column.received_at < received_before)
    path.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with db.read() as session, pq.ParquetWriter(path, SCHEMA) as writer:
        result = session.execute(query.execution_options(yield_per=BATCH))
        for batch in result.partitions():
            columns = list(zip(*batch, strict=True))
            columns[SCHEMA.get_field_index("price")] = tuple(
                _money(v) for v in columns[SCHEMA.get_field_index("price")]
            )
            arrays = [pa.array(col, type=field.type) for col, field in zip(columns, SCHEMA, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=SCHEMA))
            total += len(batch)
            if on_batch:
                on_batch(len(batch))
    return total


def count_unreadable(db: Database) -> int:
    """Signals stored with a time outside `STORED_TIMES` (before optirec checked times), which exports leave out."""
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(Signal)) or 0
        readable = session.scalar(select(func.count()).select_from(Signal).where(Signal.stored_in_window())) or 0
    return int(total - readable)


def _money(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
