"""Growth with bounds: what `optirec maintain` does, and the trainer's schedule every `maintain_interval_minutes`.

- On PostgreSQL, the served-list log's monthly partitions are created ahead (`store.partitions`), and those whose
  every list is older than `served_retention_days` are dropped whole.
- Served lists older than `served_retention_days` are deleted (the rest of them: on SQLite all, on PostgreSQL those
  in a partition that also holds newer lists, or in the default partition).
- Signals older than `signal_retention_days` are first written to Parquet files under `<data_dir>/archive` (the
  format of `optirec export-events`), then removed. On PostgreSQL a quarter whose every signal is past the
  retention is detached from the signals table, written whole to `signals-YYYYMM-YYYYMM.parquet` (its first and
  last months) and dropped once the file holds every row (`Database.archive_and_drop_partitions`). The rest
  (SQLite's, and on PostgreSQL those of a quarter only partly past it or in the default partition) go to
  `signals-before-<cutoff>.parquet` and are then deleted by rows: exactly the signals the file holds (those
  received before the archive began; one received meanwhile waits for the next run).
- Model artifacts registered before they were stored in the database, whose folder is on this host, are stored
  there, so that a replica on another host can load them (`training.artifacts`).
- The erasures' rows (`privacy.watch`: an id and a time each, naming no one) older than `ERASURES_KEPT` are deleted,
  all but the latest, whose id every worker compares with the one it read last.

Deletions run in batches of `BATCH` rows, each its own transaction: SQLite's one write lock is never held for long,
and PostgreSQL's autovacuum reclaims the space as it goes. Both engines take the same statements.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute

from optirec.settings import Settings
from optirec.signals.exporter import export_signals
from optirec.store import Base, Database, utcnow
from optirec.store.partitions import add_months, period_end
from optirec.store.tables import Erasure, ModelArtifactChunk, ModelVersion, ServedRecommendation, Signal
from optirec.training.artifacts import manifest_checksum, store_artifact

log = logging.getLogger("optirec.maintain")
BATCH = 10_000
ERASURES_KEPT = timedelta(days=1)  # the erasures' rows kept this long (the latest always)
Condition = ColumnElement[bool]


@dataclass(frozen=True)
class MaintenanceReport:
    served_deleted: int = 0
    signals_archived: int = 0
    signals_deleted: int = 0
    archives: tuple[Path, ...] = ()  # the Parquet files written
    artifacts_stored: int = 0  # model versions whose artifact was stored in the database now
    partitions_created: tuple[str, ...] = ()  # PostgreSQL's monthly partitions made ready
    partitions_dropped: tuple[str, ...] = ()  # and those dropped whole, past the retention
    erasures_deleted: int = 0  # the erasures' rows past `ERASURES_KEPT`


def maintain(db: Database, settings: Settings, *, now: datetime | None = None) -> MaintenanceReport:
    """Apply the retention settings and store missing model artifacts; what was done."""
    now = now or utcnow()
    created = tuple(db.create_partitions(now))
    served, dropped = 0, tuple[str, ...]()
    if settings.served_retention_days > 0:
        cutoff = now - timedelta(days=settings.served_retention_days)
        dropped = tuple(db.drop_partitions_before(ServedRecommendation.__tablename__, cutoff))
        served = delete_served_before(db, cutoff)
    archived, deleted, archives = 0, 0, tuple[Path, ...]()
    if settings.signal_retention_days > 0:
        cutoff = now - timedelta(days=settings.signal_retention_days)
        folder = settings.data_dir / "archive"
        months = archive_and_drop_signal_months(db, cutoff, folder)
        dropped += tuple(name for name, _, _ in months)
        archives += tuple(path for _, path, _ in months if path is not None)
        archived = deleted = sum(rows for _, _, rows in months)
        archive = folder / f"signals-before-{cutoff:%Y%m%dT%H%M%SZ}.parquet"
        by_rows, deleted_by_rows = archive_and_delete_signals(db, cutoff, archive)
        if by_rows == 0:
            archive.unlink(missing_ok=True)
        else:
            archives += (archive,)
        archived, deleted = archived + by_rows, deleted + deleted_by_rows
    stored = store_local_artifacts(db, settings.models_dir)
    erasures = delete_old_erasures(db, now - ERASURES_KEPT)
    report = MaintenanceReport(served, archived, deleted, archives, stored, created, dropped, erasures)
    log.info("maintenance: %s", report)
    return report


def delete_served_before(db: Database, cutoff: datetime) -> int:
    """Delete the served lists served before `cutoff`; how many."""
    old = ServedRecommendation.served_at < cutoff
    return _delete_in_batches(db, ServedRecommendation, ServedRecommendation.id, old)


def delete_old_erasures(db: Database, cutoff: datetime) -> int:
    """Delete the erasures' rows written before `cutoff` but the latest, which stays: the workers compare its id with
    the one they read last, and SQLite would give a deleted latest id to the next erasure; how many."""
    with db.read() as session:
        latest = session.scalar(select(func.max(Erasure.id)))
    if latest is None:
        return 0
    return _delete_in_batches(db, Erasure, Erasure.id, (Erasure.at < cutoff) & (Erasure.id < latest))


def archive_and_drop_signal_months(db: Database, cutoff: datetime, folder: Path) -> list[tuple[str, Path | None, int]]:
    """PostgreSQL: each partition (a quarter) of the signals whose every signal is older than `cutoff`, written
    whole to `folder/signals-<first month>-<last month>.parquet` (YYYYMM; no file for an empty one) and then
    dropped; (partition, file, signals) of each. SQLite: none."""
    done: dict[str, tuple[Path | None, int]] = {}

    def archive(name: str, month: datetime) -> int:
        path = folder / f"signals-{month:%Y%m}-{add_months(period_end(Signal.__tablename__, month), -1):%Y%m}.parquet"
        count = export_signals(db, path, table=name)
        if count == 0:
            path.unlink()
        done[name] = (path if count else None), count
        return count

    dropped = db.archive_and_drop_partitions(Signal.__tablename__, cutoff, archive)
    return [(name, *done[name]) for name in dropped]


def archive_and_delete_signals(db: Database, cutoff: datetime, archive: Path) -> tuple[int, int]:
    """Write the signals that occurred before `cutoff` to `archive` (Parquet), then delete exactly those; (archived,
    deleted). Signals whose stored time no reader can take (`Signal.stored_in_window`) are neither."""
    started = utcnow()
    archived = export_signals(db, archive, until=cutoff, received_before=started)
    if archived == 0:
        return 0, 0
    return archived, _delete_in_batches(db, Signal, Signal.id, _archived(cutoff, started))


def _archived(cutoff: datetime, started: datetime) -> Condition:
    return Signal.stored_in_window() & (Signal.occurred_at < cutoff) & (Signal.received_at < started)


def _delete_in_batches(db: Database, table: type[Base], key: InstrumentedAttribute[Any], where: Condition) -> int:
    """Delete the rows of `table` that match `where`, `BATCH` at a time (by their `key`), each batch committed; how
    many."""
    ids = select(key).where(where).limit(BATCH)
    total = 0
    while True:
        with db.write() as session:
            batch = list(session.scalars(ids))
            if not batch:
                return total
            session.execute(delete(table).where(key.in_(batch)))
        total += len(batch)


def store_local_artifacts(db: Database, models_dir: Path) -> int:
    """Store in the database the artifacts of registered versions that have none there yet, where this host holds
    the folder training wrote (or a copy in `models_dir`) with the registered checksum; how many."""
    stored = 0
    missing = select(ModelVersion.id, ModelVersion.artifact_path, ModelVersion.checksum).where(
        ModelVersion.checksum != "", ~exists().where(ModelArtifactChunk.version == ModelVersion.id)
    )
    with db.read() as session:
        rows = session.execute(missing).all()
    for version, path, checksum in rows:
        for folder in (models_dir / version, Path(path) if path else None):
            if folder is not None and manifest_checksum(folder) == checksum:
                with db.write() as session:
                    store_artifact(session, version, folder)
                stored += 1
                break
    return stored
