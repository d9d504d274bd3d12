"""`SnapshotCache`: this process's catalog writes are seen at once; another process's are picked up in the
background, while requests keep the current snapshot."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.recommend.snapshot import SnapshotCache

from ..conftest import product_data


def test_another_processs_catalog_change_is_picked_up_in_the_background(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    assert client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers).status_code == 201
    # A cache of its own stands for another process's: the app's catalog writes do not invalidate it.
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=0.05)
    first = cache.get()
    assert first.ids == ["FR-1"]
    assert client.post("/api/catalog/products", json=product_data("FR-2"), headers=service_headers).status_code == 201
    time.sleep(0.1)  # the check interval has passed
    assert cache.get() is first  # answered with the current snapshot, not rebuilt in the caller
    deadline = time.monotonic() + 10
    while cache.get().ids != ["FR-1", "FR-2"]:
        assert time.monotonic() < deadline, "the background check never rebuilt the snapshot"
        time.sleep(0.02)


def test_an_invalidated_snapshot_is_rebuilt_in_the_caller(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=3600)
    assert cache.get().ids == []
    assert client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers).status_code == 201
    cache.invalidate()  # what this process's own catalog writes call
    assert cache.get().ids == ["FR-1"]
