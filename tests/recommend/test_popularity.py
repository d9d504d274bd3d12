"""Popularity counts: weighted by action over the window, updated from the new signals only, recounted daily."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete

from optirec.recommend.popularity import ACTION_WEIGHTS, PopularityCounter, weighted_counts
from optirec.store import Database
from optirec.store.tables import Signal
from tests.conftest import signal_data


def _send(client: TestClient, headers: dict[str, str], *signals: dict[str, object]) -> None:
    response = client.post("/api/recommendations/signals", json=list(signals), headers=headers)
    assert response.status_code == 200 and response.json()["accepted"] == len(signals), response.text


def _signal(product: str, action: str = "view", day: int = 20) -> dict[str, object]:
    return signal_data(product_id=product, action_type=action, occurred_at=f"2026-10-{day:02d}T10:00:00Z")


def test_counts_are_weighted_and_updated_from_new_signals(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    counter = PopularityCounter(db, days=10)
    assert counter.update() == {}  # no signal yet
    _send(client, service_headers, _signal("A"), _signal("A", "purchase"), _signal("B", "add_to_cart"))
    assert counter.update() == {"A": 1.0 + ACTION_WEIGHTS["purchase"], "B": ACTION_WEIGHTS["add_to_cart"]}
    # An update counts only what was stored since; the result is the same as counting everything again.
    _send(client, service_headers, _signal("B"), _signal("C", "favorite", day=25))
    updated = counter.update()
    assert updated == {"A": 6.0, "B": 4.0, "C": 2.0}
    assert updated == weighted_counts(db, days=10)
    assert counter.update() == updated  # nothing new: nothing changes


def test_the_window_ends_at_the_newest_signal_and_applies_at_each_recount(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    _send(client, service_headers, _signal("OLD", day=1), _signal("NEW", day=20))
    counter = PopularityCounter(db, days=10, recount_seconds=3600)
    assert counter.update() == {"NEW": 1.0}  # day 1 is more than 10 days before day 20
    # Between recounts, a new signal is counted whatever its time; an older one would only leave at the recount.
    _send(client, service_headers, _signal("NEW", day=31))
    assert counter.update() == {"NEW": 2.0}
    assert weighted_counts(db, days=10) == {"NEW": 1.0}  # a recount: day 20 is out of the window ending on day 31


def test_a_deletion_below_the_counted_ids_is_recounted(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    _send(client, service_headers, _signal("A"), _signal("B"))
    counter = PopularityCounter(db, days=10)
    assert counter.update() == {"A": 1.0, "B": 1.0}
    with db.write() as session:  # as an erasure would (the newest ids may then be handed out again on SQLite)
        session.execute(delete(Signal))
    assert counter.update() == {}
    _send(client, service_headers, _signal("C"))
    assert counter.update() == {"C": 1.0}
