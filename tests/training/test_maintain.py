"""`optirec maintain` (`training.maintain`): served lists past their retention deleted, old signals archived to
Parquet and then deleted (exactly the archived ones), recent ones kept; model artifacts missing from the database
stored from this host. Both backends, the same statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from optirec.ml.model.artifact import save_artifact
from optirec.runtime.cli import app
from optirec.settings import Settings
from optirec.signals.service import store_rows
from optirec.store import Database
from optirec.store.partitions import add_months, period_start
from optirec.store.tables import Erasure, ModelArtifactChunk, ServedRecommendation, Signal
from optirec.training import maintain as maintenance
from optirec.training import registry
from optirec.training.artifacts import manifest_checksum
from optirec.training.maintain import maintain
from optirec.training.scheduler import maintain_once

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _served(list_id: str, days_ago: float) -> dict[str, Any]:
    return {"id": list_id, "customer_id": "c-1", "session_id": None, "surface": "home", "model_version": "v1",
            "items": [{"product_id": "FR-1", "rank": 1}], "context": None,
            "served_at": NOW - timedelta(days=days_ago)}  # fmt: skip


def _signal(event_id: str, days_ago: float) -> dict[str, Any]:
    at = NOW - timedelta(days=days_ago)
    return {"event_id": event_id, "customer_id": "c-1", "session_id": None, "product_id": "FR-1",
            "product_known": True, "action_type": "view", "occurred_at": at, "received_at": at,
            "recommendation_id": None, "quantity": 1, "price": None, "context": None}  # fmt: skip


def _ids(db: Database, column: Any) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(column)))


def test_retention_deletes_old_lists_and_archives_old_signals_before_deleting_them(
    db: Database, settings: Settings, monkeypatch: Any
) -> None:
    monkeypatch.setattr(maintenance, "BATCH", 2)  # several batches, each its own transaction
    db.append_served_lists([_served(f"old-{k}", 40 + k) for k in range(5)] + [_served("new", 1)])
    with db.write() as session:
        store_rows(session, [_signal(f"old-{k}", 100 + k) for k in range(3)] + [_signal("new", 10)])
    kept = settings.model_copy(update={"served_retention_days": 30, "signal_retention_days": 60})
    report = maintain(db, kept, now=NOW)
    assert (report.served_deleted, report.signals_archived, report.signals_deleted) == (5, 3, 3)
    assert _ids(db, ServedRecommendation.id) == ["new"] and _ids(db, Signal.event_id) == ["new"]
    assert len(report.archives) == 1 and report.archives[0].parent == kept.data_dir / "archive"
    archived = pq.read_table(report.archives[0]).to_pylist()
    assert sorted(row["event_id"] for row in archived) == ["old-0", "old-1", "old-2"]
    assert archived[0]["occurred_at"] == NOW - timedelta(days=100)
    again = maintain(db, kept, now=NOW)  # nothing left to do, and no empty archive written
    assert (again.served_deleted, again.signals_deleted, again.archives) == (0, 0, ())


def test_postgresql_archives_and_drops_whole_months_of_signals_past_the_retention(
    db: Database, settings: Settings, monkeypatch: Any
) -> None:
    """On PostgreSQL the signals are partitioned by quarter (migration 0013): a quarter whose every signal is past the
    retention is detached, written whole to its own Parquet file and dropped; an old signal of a quarter only partly
    past it is archived and deleted by rows. An archive that fails leaves the quarter detached (out of every read)
    and the next run archives and drops it. SQLite archives and deletes the same
    signals by rows."""
    now = datetime.now(UTC)
    maintain(db, settings, now=now - timedelta(days=150))  # five months ago, the months ahead were made ready
    with db.write() as session:
        store_rows(session, [_signal("old", 0) | {"occurred_at": now - timedelta(days=150)},
                             _signal("edge", 0) | {"occurred_at": now - timedelta(days=35)},
                             _signal("new", 0) | {"occurred_at": now - timedelta(hours=1)}])  # fmt: skip
    kept = settings.model_copy(update={"signal_retention_days": 30})
    if db.backend_name == "postgresql":
        failing = monkeypatch.setattr  # the first archive of the old month fails (a full disk, say)
        failing(maintenance, "export_signals", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError, match="disk full"):
            maintain(db, kept, now=now)
        assert _ids(db, Signal.event_id) == ["edge", "new"]  # the old month is detached, its archive missing
        monkeypatch.undo()
    report = maintain(db, kept, now=now)
    assert _ids(db, Signal.event_id) == ["new"] and report.signals_deleted == report.signals_archived
    files = {path.name: sorted(row["event_id"] for row in pq.read_table(path).to_pylist()) for path in report.archives}
    if db.backend_name == "sqlite":
        assert list(files.values()) == [["edge", "old"]] and report.partitions_dropped == ()
        return
    old = period_start("signals", now - timedelta(days=150))  # its quarter
    archive = f"signals-{old:%Y%m}-{add_months(old, 2):%Y%m}.parquet"  # the quarter's first and last months
    assert f"signals_p{old:%Y%m}" in report.partitions_dropped and files[archive] == ["old"]
    assert report.signals_archived == 2 and sorted(event for events in files.values() for event in events) == [
        "edge",
        "old",
    ]
    with db.read() as session:
        names = set(session.scalars(text("SELECT relname FROM pg_class WHERE relname LIKE 'signals\\_p%'")))
    assert f"signals_p{old:%Y%m}" not in names and f"signals_p{period_start('signals', now):%Y%m}" in names


def test_zero_keeps_everything(db: Database, settings: Settings) -> None:
    db.append_served_lists([_served("ancient", 3000)])
    with db.write() as session:
        store_rows(session, [_signal("ancient", 3000)])
    report = maintain(db, settings.model_copy(update={"served_retention_days": 0}), now=NOW)
    assert (report.served_deleted, report.signals_deleted) == (0, 0)
    assert _ids(db, ServedRecommendation.id) == ["ancient"] and _ids(db, Signal.event_id) == ["ancient"]


def test_the_erasures_rows_past_a_day_go_but_the_latest(db: Database, settings: Settings) -> None:
    """Workers compare the latest erasure's id with the one they read last (`privacy.watch`): it stays, however old,
    and the next erasure still gets a larger one (SQLite would give a deleted latest id again)."""
    assert maintain(db, settings, now=NOW).erasures_deleted == 0  # none yet
    with db.write() as session:
        session.add_all([Erasure(at=NOW - timedelta(days=days)) for days in (5, 3, 2)])
    written = _ids(db, Erasure.id)
    report = maintain(db, settings, now=NOW)
    assert report.erasures_deleted == 2 and _ids(db, Erasure.id) == written[-1:]
    with db.write() as session:
        session.add(Erasure(at=NOW))
    latest = _ids(db, Erasure.id)[-1]
    assert latest > written[-1]
    assert maintain(db, settings, now=NOW).erasures_deleted == 1  # the old latest, now older than a day and not latest
    assert _ids(db, Erasure.id) == [latest]


def test_an_artifact_registered_before_it_was_stored_is_stored_from_this_host(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    folder = save_artifact(settings.models_dir / "old", {"index": {"table": np.ones((4, 2))}}, {"version": "old"})
    with db.write() as session:
        registry.register_version(session=session, version="old", artifact_path=str(tmp_path / "moved"),
                                  checksum=manifest_checksum(folder) or "", metrics={}, data_window={})  # fmt: skip
        registry.register_version(session=session, version="lost", artifact_path=str(tmp_path / "lost"),
                                  checksum="0" * 64, metrics={}, data_window={})  # fmt: skip
    assert maintain_once(db, settings) is not None
    with db.read() as session:
        assert set(session.scalars(select(ModelArtifactChunk.file).where(ModelArtifactChunk.version == "old"))) == {
            "index.npz", "manifest.json"
        }  # fmt: skip
        assert session.scalar(select(ModelArtifactChunk.version).where(ModelArtifactChunk.version == "lost")) is None


def test_the_maintain_command_reports_what_it_did(tmp_path: Path, monkeypatch: Any) -> None:
    from optirec.migrate import upgrade

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("OPTIREC_DATABASE_URL", url)
    monkeypatch.setenv("OPTIREC_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OPTIREC_SERVED_RETENTION_DAYS", "1")
    db = Database(url, pool_size=1)
    now = datetime.now(UTC)
    db.append_served_lists([_served("old", 0) | {"served_at": now - timedelta(days=5)},
                            _served("new", 0) | {"served_at": now - timedelta(hours=1)}])  # fmt: skip
    result = CliRunner().invoke(app, ["maintain"])
    assert result.exit_code == 0, result.output
    assert "served lists deleted 1" in result.output and "erasures' rows deleted 0" in result.output
    assert _ids(db, ServedRecommendation.id) == ["new"]
    db.dispose()


def test_postgresql_drops_whole_monthly_partitions_past_the_retention(db: Database, settings: Settings) -> None:
    """On PostgreSQL the served-list log is partitioned by month (migration 0009): the maintenance makes the months
    ahead ready and drops a month whose every list is past the retention; the lists of a month that is only partly
    past it are deleted by rows. SQLite has no partitions and deletes the same lists by rows."""
    now = datetime.now(UTC)
    maintain(db, settings, now=now - timedelta(days=150))  # five months ago, the months ahead were made ready
    db.append_served_lists([_served("old", 0) | {"served_at": now - timedelta(days=150)},
                            _served("edge", 0) | {"served_at": now - timedelta(days=35)},
                            _served("new", 0) | {"served_at": now - timedelta(hours=1)}])  # fmt: skip
    report = maintain(db, settings.model_copy(update={"served_retention_days": 30}), now=now)
    assert _ids(db, ServedRecommendation.id) == ["new"]
    if db.backend_name == "sqlite":
        assert (report.partitions_created, report.partitions_dropped, report.served_deleted) == ((), (), 2)
        return
    old_month = f"served_recommendations_p{now - timedelta(days=150):%Y%m}"
    assert old_month in report.partitions_dropped and report.served_deleted <= 1
    ahead = datetime.now(UTC).replace(day=1) + timedelta(days=45)  # a day of next month
    again = maintain(db, settings, now=now)
    assert again.partitions_created == ()  # the months ahead were ready already
    with db.read() as session:
        names = set(session.scalars(text("SELECT relname FROM pg_class WHERE relispartition")))
    assert f"served_recommendations_p{ahead:%Y%m}" in names and old_month not in names
