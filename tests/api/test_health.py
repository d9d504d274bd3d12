"""`/healthz` (alive), `/readyz` (warmed up, and the database takes the worker's writes) and `/metrics`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.runtime.app import create_app
from optirec.runtime.state import build_state
from optirec.settings import Settings
from tests.conftest import product_data, sqlite_file, unwritable, write_lock_held_by_another_process


def test_healthz_answers_without_a_database_round_trip(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_names_the_backend_and_what_the_worker_serves(
    client: TestClient, settings: Settings, state: AppState
) -> None:
    assert state.list_builder.serving_state.warmed.wait(10)
    response = client.get("/readyz")
    expected = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    serving = {"model_version": "popularity", "state": "popularity", "reason": None}  # no version is live
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": expected, "serving": serving}


def test_readyz_is_503_when_the_database_does_not_answer(settings: Settings) -> None:
    # Nothing listens on port 1: every connection is refused at once.
    broken = settings.model_copy(update={"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    state = build_state(broken)
    with TestClient(create_app(broken, state)) as test_client:
        response = test_client.get("/readyz")
        assert test_client.get("/healthz").status_code == 200  # alive, just not ready
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "not_ready"
    assert "nowhere" not in response.text and "127.0.0.1" not in response.text  # no connection details leak


def test_readyz_is_503_while_the_database_cannot_be_written(
    settings: Settings, build_client: Callable[..., TestClient], backend: str
) -> None:
    """Regression: with SQLite's write-lock file immutable, /readyz answered 200 (it read `SELECT 1`) while every
    signal and profile change failed."""
    if backend != "sqlite":
        pytest.skip("SQLite's files")
    lock = sqlite_file(settings.database_url, ".writelock")
    lock.touch()
    with unwritable(lock):
        client = build_client()  # a new process: it opens the lock file at its first write
        assert client.app.state.optirec.list_builder.serving_state.warmed.wait(10)  # type: ignore[attr-defined]
        refused = client.get("/readyz")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "not_ready" and "writelock" not in refused.text
    time.sleep(1.1)  # the failed write's outcome is reused for a second
    assert client.get("/readyz").status_code == 200  # writable again


def test_readyz_behind_a_held_write_lock_answers_in_bounded_time_with_one_write_in_flight(
    client: TestClient, state: AppState, backend: str
) -> None:
    """A load balancer polling while another process holds the write lock piles nothing up: one write waits for
    the lock, every check answers 503 within the bounded wait, and the next after the lock is free answers 200."""
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    assert state.list_builder.serving_state.warmed.wait(10)
    time.sleep(1.1)  # the start-up's write is no longer fresh: the next check writes
    with write_lock_held_by_another_process(state.db):
        answers: list[tuple[int, float]] = []

        def check() -> None:
            started = time.monotonic()
            answers.append((client.get("/readyz").status_code, time.monotonic() - started))

        checks = [threading.Thread(target=check) for _ in range(8)]
        for thread in checks:
            thread.start()
        for thread in checks:
            thread.join(timeout=10)
        writers = [t for t in threading.enumerate() if t.name == "optirec-worker-row"]
        assert len(writers) == 1  # the one write waiting for the lock
    assert sorted(status for status, _ in answers) == [503] * 8
    assert max(seconds for _, seconds in answers) < 4  # the wait is bounded (2 s), not the lock's holding time
    writers[0].join(timeout=5)  # the lock is free: the waiting write goes through
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_until_the_worker_has_warmed_up(client: TestClient, state: AppState) -> None:
    warmed = state.list_builder.serving_state.warmed
    assert warmed.wait(10)
    warmed.clear()  # as while the snapshot, popularity and segment counts are being built
    response = client.get("/readyz")
    assert response.status_code == 503 and "Warming up" in response.json()["error"]["message"]
    warmed.set()
    assert client.get("/readyz").status_code == 200


def test_the_console_counts_and_arrays_are_built_before_the_worker_is_ready(
    settings: Settings, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: built once the worker said it was ready, they took the interpreter from its first lists for tens
    of seconds on a large shop (the first 10 s of lists at a p99 of 2.2 s); now the warm-up builds them first."""
    from optirec.inspector.caches import InspectorCaches
    from optirec.overview.cache import ConsoleAggregates

    settings = settings.model_copy(update={"console_cache_seconds": 60.0})
    fresh = build_state(settings)
    warmed = fresh.list_builder.serving_state.warmed
    ready_when_built: dict[str, bool] = {}
    for cls in (InspectorCaches, ConsoleAggregates):

        def spy(self: object, *args: object, _warm: Callable[..., None] = cls.warm, _name: str = cls.__name__) -> None:
            ready_when_built[_name] = warmed.is_set()
            _warm(self, *args)

        monkeypatch.setattr(cls, "warm", spy)
    try:
        with TestClient(create_app(settings, fresh)) as client:
            assert warmed.wait(30)
            assert ready_when_built == {"ConsoleAggregates": False, "InspectorCaches": False}
            assert fresh.inspector.profiles._recent._latest is not None  # built, not only started
            assert client.get("/readyz").status_code == 200
    finally:
        fresh.db.dispose()


def test_what_the_warm_up_built_is_out_of_the_collectors_reach(client: TestClient, state: AppState) -> None:
    """Regression: a full collection over the catalog snapshot and caches paused every request of a large shop's
    worker (70 ms a pass); the warm-up freezes them (`gc.freeze`)."""
    import gc

    serving_state = state.list_builder.serving_state
    assert serving_state.warmed.wait(10)
    snapshot = serving_state.snapshots.get()  # built by the warm-up
    assert gc.get_freeze_count() > 0
    assert all(tracked is not snapshot for tracked in gc.get_objects())  # frozen objects are in no generation


def test_a_new_catalog_snapshot_is_frozen_too(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    import gc

    serving_state = state.list_builder.serving_state
    assert serving_state.warmed.wait(10)
    before = serving_state.snapshots.get()
    response = client.post("/api/catalog/products", json=product_data("NEW-1"), headers=service_headers)
    assert response.status_code == 201
    after = serving_state.snapshots.get()  # rebuilt at once: this process's own catalog write invalidated it
    assert after is not before
    assert all(tracked is not after for tracked in gc.get_objects())
