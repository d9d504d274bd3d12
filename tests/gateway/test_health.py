"""`/healthz` (alive), `/readyz` (the database answers) and `/metrics`."""

from __future__ import annotations

from fastapi.testclient import TestClient

from optirec.app import create_app
from optirec.settings import Settings
from optirec.state import AppState
from tests.conftest import product_data


def test_healthz_answers_without_a_database_round_trip(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_names_the_backend(client: TestClient, settings: Settings, state: AppState) -> None:
    assert state.extras["recommender"].engine.warmed.wait(10)
    response = client.get("/readyz")
    expected = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    assert response.status_code == 200 and response.json() == {"status": "ready", "database": expected}


def test_readyz_is_503_when_the_database_does_not_answer(settings: Settings) -> None:
    # Nothing listens on port 1: every connection is refused at once.
    broken = settings.model_copy(update={"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    state = AppState.build(broken)
    with TestClient(create_app(broken, state)) as test_client:
        response = test_client.get("/readyz")
        assert test_client.get("/healthz").status_code == 200  # alive, just not ready
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"
    assert "nowhere" not in response.text and "127.0.0.1" not in response.text  # no connection details leak


def test_readyz_is_503_until_the_worker_has_warmed_up(client: TestClient, state: AppState) -> None:
    warmed = state.extras["recommender"].engine.warmed
    assert warmed.wait(10)
    warmed.clear()  # as while the snapshot, popularity and segment counts are being built
    response = client.get("/readyz")
    assert response.status_code == 503 and "Warming up" in response.json()["error"]["message"]
    warmed.set()
    assert client.get("/readyz").status_code == 200


def test_what_the_warm_up_built_is_out_of_the_collectors_reach(client: TestClient, state: AppState) -> None:
    """Regression: a full collection over the catalog snapshot and caches paused every request of a large shop's
    worker (70 ms a pass); the warm-up freezes them (`gc.freeze`)."""
    import gc

    engine = state.extras["recommender"].engine
    assert engine.warmed.wait(10)
    snapshot = engine.snapshots.get()  # built by the warm-up
    assert gc.get_freeze_count() > 0
    assert all(tracked is not snapshot for tracked in gc.get_objects())  # frozen objects are in no generation


def test_a_new_catalog_snapshot_is_frozen_too(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    import gc

    engine = state.extras["recommender"].engine
    assert engine.warmed.wait(10)
    before = engine.snapshots.get()
    response = client.post("/api/catalog/products", json=product_data("NEW-1"), headers=service_headers)
    assert response.status_code == 201
    after = engine.snapshots.get()  # rebuilt at once: this process's own catalog write invalidated it
    assert after is not before
    assert all(tracked is not after for tracked in gc.get_objects())
