"""What each worker serves, in the `workers` table, the admin API, `/readyz` and `/metrics`."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.recommend.workers import Serving, list_workers, record_worker, versions_served
from optirec.runtime.app import create_app
from optirec.settings import Settings
from optirec.store import Database, utcnow
from optirec.store.tables import Worker
from optirec.training import registry


def _promote_a_corrupt_artifact(db: Database, folder: Path) -> None:
    folder.mkdir()
    (folder / "manifest.json").write_text('{"format": "something else"}')
    with db.write() as session:
        registry.register_version(session=session, version="v-corrupt", artifact_path=str(folder), checksum="0" * 64,
                                  metrics={}, data_window={})  # fmt: skip
        registry.promote(session=session, version="v-corrupt")


def test_a_worker_that_cannot_load_the_live_model_says_what_it_serves_instead(
    settings: Settings, state: AppState, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """Regression: a corrupt live artifact fell back to popularity silently: `/api/admin/models` said `live` and
    `/readyz` 200, with nothing anywhere saying that no worker served that version."""
    _promote_a_corrupt_artifact(state.db, tmp_path / "artifact")
    with TestClient(create_app(settings, state)) as client:  # a worker starting: its watcher refuses the artifact
        assert state.list_builder.serving_state.warmed.wait(10)
        ready = client.get("/readyz")
        workers = client.get("/api/admin/workers", headers=admin_headers).json()
        models = client.get("/api/admin/models", headers=admin_headers).json()
        metrics = client.get("/metrics").text
    assert ready.status_code == 200  # popularity still serves
    serving = ready.json()["serving"]
    assert (serving["model_version"], serving["state"]) == ("popularity", "fallback")
    assert "v-corrupt" in serving["reason"] and "corrupt_artifact" in serving["reason"]
    [me] = [worker for worker in workers if worker["id"] == state.worker.worker_id]
    assert (me["model_version"], me["state"], me["reason"]) == ("popularity", "fallback", serving["reason"])
    assert me["alive"] and me["warmed"]
    [corrupt] = [version for version in models if version["id"] == "v-corrupt"]
    assert corrupt["status"] == "live" and corrupt["workers"] == 0
    assert 'optirec_worker_serving{state="fallback",version="popularity"} 1.0' in metrics


def test_a_worker_that_stops_deletes_its_row(settings: Settings, state: AppState) -> None:
    with TestClient(create_app(settings, state)) as client:
        assert state.list_builder.serving_state.warmed.wait(10)
        assert client.get("/readyz").status_code == 200  # its row is written
        with state.db.read() as session:
            assert [w.id for w in list_workers(session=session)] == [state.worker.worker_id]
    with state.db.read() as session:
        assert list_workers(session=session) == []


def test_workers_not_seen_lately_are_not_counted_and_long_gone_ones_are_forgotten(db: Database) -> None:
    now = utcnow()
    rows = {"running": now, "silent": now - timedelta(minutes=5), "gone": now - timedelta(hours=2)}
    for worker, started_at in rows.items():
        with db.write() as session:
            record_worker(session=session, worker_id=worker, started_at=started_at, serving=Serving("v1", "live"),
                          warmed=True)  # fmt: skip
    with db.write() as session:  # as each worker's writes set it: its latest write
        for worker, seen_at in rows.items():
            session.execute(Worker.__table__.update().where(Worker.id == worker).values(seen_at=seen_at))
    with db.write() as session:  # the running worker writes again: the rows gone for an hour go
        record_worker(session=session, worker_id="running", started_at=now, serving=Serving("v1", "live"), warmed=True)
    with db.read() as session:
        listed = [(w.id, w.alive) for w in list_workers(session=session)]
        counts = versions_served(session=session)
    assert listed == [("running", True), ("silent", False)] and counts == {"v1": 1}


def test_the_watcher_writes_the_row_as_a_heartbeat_even_when_it_does_not_poll(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optirec.recommend import watcher as watcher_module
    from optirec.recommend.model_adapter import load_live_model
    from optirec.recommend.watcher import ModelWatcher
    from optirec.recommend.workers import WorkerReport

    monkeypatch.setattr(watcher_module, "HEARTBEAT_SECONDS", 0.2)
    serving_state = state.list_builder.serving_state
    report = WorkerReport(state.db, serving_state.warmed)
    watcher = ModelWatcher(state.db, serving_state, load_live_model, poll_seconds=0, report=report)

    def seen() -> list[object]:
        with state.db.read() as session:
            return [worker.seen_at for worker in list_workers(session=session)]

    watcher.start()  # writes the row at start
    try:
        deadline = time.monotonic() + 5
        while not seen() and time.monotonic() < deadline:
            time.sleep(0.05)
        first = seen()
        time.sleep(0.6)
        later = seen()
    finally:
        watcher.stop()
        report.close()
    assert len(first) == len(later) == 1 and later[0] > first[0]  # type: ignore[operator]
