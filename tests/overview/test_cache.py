"""The console's slow aggregates (`overview.cache`): reused while fresh, counted again in the background once stale
(the stale count answered meanwhile), and counted on every request with 0 seconds."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from optirec.overview.cache import ConsoleAggregates, Recent
from optirec.runtime.app import create_app
from optirec.settings import Settings
from optirec.store import Database
from tests.conftest import make_key, product_data, signal_data


def test_a_fresh_count_is_reused_and_a_stale_one_answered_while_it_is_counted_again() -> None:
    counts: list[int] = []
    release = threading.Event()

    def compute() -> int:
        if counts:  # every count after the first waits until the test lets it finish
            release.wait(5)
        counts.append(len(counts) + 1)
        return len(counts)

    recent = Recent(compute, seconds=0.2)
    first = recent.get()
    assert first.value == 1 and recent.get() is first  # fresh: the same count, nothing counted again
    time.sleep(0.25)
    assert recent.get() is first  # stale: answered at once, a count started in the background
    assert recent.get() is first  # one count at a time
    release.set()
    deadline = time.monotonic() + 5
    while recent.get().value == 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recent.get().value == 2 and counts == [1, 2]


def test_zero_seconds_counts_on_every_request() -> None:
    calls = iter(range(1, 100))
    recent = Recent(lambda: next(calls), seconds=0)
    assert [recent.get().value for _ in range(3)] == [1, 2, 3]


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
