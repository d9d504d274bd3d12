"""The console's slow aggregates (`overview.cache`): the overview answers the activity as counted, and says when."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from optirec.overview.cache import ConsoleAggregates
from optirec.runtime.app import create_app
from optirec.settings import Settings
from optirec.store import Database
from tests.conftest import make_key, product_data, signal_data


def test_the_overview_answers_the_activity_counted_at_start_and_says_when(settings: Settings, db: Database) -> None:
    cached = settings.model_copy(update={"console_cache_seconds": 600})
    headers = {"X-API-Key": make_key(db, role="admin")}
    with TestClient(create_app(cached)) as client:
        aggregates: ConsoleAggregates = client.app.state.optirec.aggregates  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while any(t.name == "optirec-warm" for t in threading.enumerate()) and time.monotonic() < deadline:
            time.sleep(0.05)  # the warm-up has counted (and will not count again after the signal below)
        first = aggregates.activity()  # the count made at start
        client.post("/api/catalog/products", headers=headers, json=product_data("FR-1"))
        client.post("/api/recommendations/signals", headers=headers, json=[signal_data("a")])
        overview = client.get("/api/admin/overview", headers=headers).json()
        assert overview["products"] == 1  # the catalog as it is now
        assert overview["signals"] == first.value.signals == 0  # the signals as counted (a fresh count is reused)
        assert overview["counted_at"] == first.at.isoformat().replace("+00:00", "Z")
