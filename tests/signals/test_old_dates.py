"""Signal times outside 2000-01-01 … now + 1 day: refused at the door, and harmless where a row got in before.

Regression (review item 3): a signal dated `0999-06-01T00:00:00Z` was accepted; afterwards that customer's export
answered 500 and `optirec train` failed for the whole shop (SQLite stored `'999-06-01…'`, which no longer parses;
PostgreSQL stored 1 BC). `0001-01-01T00:30:00+01:00` gave a 500 and lost the good signals of the same batch.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from optirec.recommend.popularity import PopularityCounter
from optirec.signals.exporter import count_unreadable, export_signals
from optirec.signals.importer import import_events
from optirec.store import Database
from optirec.store.tables import Signal
from optirec.training.export import export_events
from tests.conftest import auth_header, product_data, register, signal_data

SIGNALS = "/api/recommendations/signals"


@pytest.mark.parametrize(
    "when",
    ["0999-06-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "1999-12-31T23:59:59Z", "2000-01-01T00:30:00+01:00",
     "9999-12-31T23:59:59Z", "2999-01-01T00:00:00Z"],
)  # fmt: skip
def test_a_time_outside_the_window_is_refused_and_the_batch_keeps_its_good_signals(
    client: TestClient, db: Database, service_headers: dict[str, str], when: str
) -> None:
    batch = [signal_data("good-1"), signal_data("bad", occurred_at=when), signal_data("good-2")]
    response = client.post(SIGNALS, json=batch, headers=service_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    error = body["errors"][0]
    assert error["index"] == 1 and ("before 2000-01-01" in error["message"] or "future" in error["message"])
    with db.read() as session:
        assert sorted(session.scalars(select(Signal.event_id))) == ["good-1", "good-2"]


def test_the_window_edges_are_accepted(client: TestClient, service_headers: dict[str, str]) -> None:
    batch = [
        signal_data("first", occurred_at="2000-01-01T00:00:00Z"),
        signal_data("zone", occurred_at="2000-01-01T01:00:00+01:00"),
    ]
    assert client.post(SIGNALS, json=batch, headers=service_headers).json()["accepted"] == 2


def test_the_importer_refuses_times_outside_the_window(db: Database) -> None:
    rows = "user_id,item_id,action,timestamp\nu1,FR-1,view,0999-06-01T00:00:00Z\nu1,FR-1,view,2026-11-01T10:00:00Z\n"
    report = import_events(db, io.BytesIO(rows.encode()), "csv", action_types=frozenset({"view"}))
    assert (report.created, report.rejected) == (1, 1)
    assert report.errors[0].line == 2 and "before 2000-01-01" in report.errors[0].reason


def _store_an_ancient_signal(db: Database, customer_id: str) -> None:
    """A row as the old code stored it: SQLite's text of year 999, PostgreSQL's year 1 BC."""
    ancient = "'999-06-01 00:00:00.000000'" if db.backend_name == "sqlite" else "'0001-06-01 00:00:00+00 BC'"
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO signals (event_id, event_scope, customer_id, product_id, product_known, action_type, "
                f"occurred_at, received_at, quantity) VALUES ('old', :scope, :customer, 'FR-1', true, 'view', "
                f"{ancient}, :now, 1)"
            ),
            {"scope": f"c:{customer_id}", "customer": customer_id, "now": "2026-11-01 10:00:00"},
        )


def test_a_row_stored_before_the_window_breaks_nothing(
    client: TestClient, db: Database, service_headers: dict[str, str], tmp_path: Path
) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    customer_id, token = register(client)
    client.post(SIGNALS, json=signal_data("new", customer_id=None), headers=auth_header(token))
    _store_an_ancient_signal(db, customer_id)

    export = client.get("/api/customers/me/export", headers=auth_header(token))
    assert export.status_code == 200, export.text
    times = {s["event_id"]: s["occurred_at"] for s in export.json()["signals"]}
    assert times["new"] == "2026-11-01T10:00:00+00:00" and times["old"]  # the stored text, as it is

    events = export_events(db, max_signals=100, action_types=("view",))
    assert events["items"] == ["FR-1"]  # the training reads the good signal and skips the other
    assert export_signals(db, tmp_path / "signals.parquet") == 1 and count_unreadable(db) == 1
    assert PopularityCounter(db).update() == {"FR-1": 1.0}
    listed = client.post("/api/recommendations/personalized", json={"limit": 3}, headers=auth_header(token))
    assert listed.status_code == 200, listed.text
