"""The store's contract: every operation of `Database` (and of `store.sessions`, which run in a caller's session) on
both backends, a SQLite file and a PostgreSQL database, with the same assertions."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from optirec.errors import NotFound
from optirec.store import Database, utcnow
from optirec.store.sessions import count_signals, insert_signals, load_signals, upsert, utc_day
from optirec.store.tables import Customer, CustomerProfile, ServedRecommendation, Signal, Worker, event_scope
from tests.conftest import BACKENDS, _url_for, empty_database, run_closing

MYOPE = {"right": {"sph": -5.25, "cyl": -0.5, "axis": 180}, "left": {"sph": -5.0}}
AT = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, database_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    db = Database(_url_for(str(request.param), database_urls, tmp_path_factory), pool_size=2)
    empty_database(db)
    yield db
    db.dispose()


def _signal(event_id: str, *, customer: str | None = "c-1", session: str | None = None, product: str = "FR-1",
            action: str = "view", at: datetime = AT, known: bool = True) -> dict[str, Any]:  # fmt: skip
    return {"event_id": event_id, "event_scope": event_scope(customer, session), "customer_id": customer,
            "session_id": session, "product_id": product, "product_known": known, "action_type": action,
            "occurred_at": at, "received_at": AT, "recommendation_id": None, "quantity": 1, "price": None,
            "context": None}  # fmt: skip


def _served(list_id: str, customer: str | None = "c-1") -> dict[str, Any]:
    return {"id": list_id, "customer_id": customer, "session_id": None, "surface": "home", "model_version": "v1",
            "items": [{"product_id": "FR-1", "rank": 1}], "context": {"page": "home"}, "served_at": AT}  # fmt: skip


def _customer(store: Database, customer_id: str = "c-1", *, personalise: bool = True) -> None:
    with store.write() as session:
        session.add(Customer(id=customer_id, role="customer"))
        session.add(CustomerProfile(customer_id=customer_id, prescription=MYOPE, pd_mm=63.0,
                                    consent={"personalization": personalise}))  # fmt: skip


# ---- what a backend is ----


def test_the_backend_says_what_its_callers_must_know(store: Database) -> None:
    sqlite = store.backend_name == "sqlite"
    assert store.backend_name in ("sqlite", "postgresql")
    assert store.writes_in_the_loop is sqlite  # a write from the loop never waits on a network on SQLite only
    assert store.one_writer_at_a_time is sqlite  # SQLite's writers queue on one lock


# ---- sessions ----


def test_a_write_is_committed_and_a_failed_one_rolled_back(store: Database) -> None:
    with store.write() as session:
        session.add(Customer(id="c-1", role="customer"))
    with pytest.raises(RuntimeError), store.write() as session:
        session.add(Customer(id="c-2", role="customer"))
        session.flush()
        raise RuntimeError("fails")
    with store.read() as session:
        assert session.scalars(select(Customer.id)).all() == ["c-1"]


def test_an_erasing_write_is_committed(store: Database) -> None:
    _customer(store)
    with store.write(erasing=True) as session:
        session.delete(session.get(Customer, "c-1"))
    with store.read() as session:
        assert session.get(Customer, "c-1") is None and session.get(CustomerProfile, "c-1") is None


def test_json_columns_read_back_what_was_written(store: Database) -> None:
    """JSON columns are read with orjson (`store.base.json_loads`), and with the standard parser where orjson refuses
    what the standard serializer wrote: an integer past 64 bits, and on SQLite a NaN (PostgreSQL's JSONB takes no
    NaN)."""
    value = {"page": "home", "name": "Brille für schmale Gesichter ✓", "ratio": 0.1, "nested": [1, None, True, -2.5]}
    odd = {"big": 2**70} if store.backend_name == "postgresql" else {"big": 2**70, "nan": float("nan")}
    with store.write() as session:
        session.add_all([Customer(id="c-1", role="customer"), Customer(id="c-2", role="customer")])
        session.add_all([CustomerProfile(customer_id="c-1", consent=value), CustomerProfile(customer_id="c-2",
                                                                                           consent=odd)])  # fmt: skip
    with store.read() as session:
        read = dict(session.execute(select(CustomerProfile.customer_id, CustomerProfile.consent)).all())
    assert read["c-1"] == value
    assert read["c-2"]["big"] == 2**70 and ("nan" not in odd or math.isnan(read["c-2"]["nan"]))


# ---- shoppers ----


def test_a_shopper_is_read_alike_from_a_thread_and_from_the_event_loop(store: Database) -> None:
    _customer(store)
    with store.write() as session:
        insert_signals(session, [
            _signal("e-1", product="FR-1", at=AT),
            _signal("e-2", product="FR-2", action="purchase", at=AT + timedelta(1)),
            _signal("e-3", customer=None, session="s-1", product="FR-3"),
        ])  # fmt: skip
    now = store.read_shopper_now(customer_id="c-1", session_id=None)

    async def serve() -> list[Any]:
        return list(await asyncio.gather(
            store.read_shopper(customer_id="c-1", session_id=None),
            store.read_shopper(customer_id=None, session_id="s-1"),
            store.read_shopper(customer_id="nobody", session_id=None),
            store.read_shopper(customer_id=None, session_id=None),
            return_exceptions=True,
        ))  # fmt: skip

    loop, anonymous, nobody, neither = run_closing(store, serve())
    assert loop == now
    assert now.history == [("FR-1", "view"), ("FR-2", "purchase")] and now.bought == frozenset({"FR-2"})
    assert now.personalise and now.wearer.pd_mm == 63.0
    assert anonymous.history == [("FR-3", "view")] and anonymous.customer_id is None
    assert isinstance(nobody, NotFound)
    assert neither.history == [] and neither.customer_id is None and neither.session_id is None


def test_a_shopper_who_withheld_consent_has_no_history(store: Database) -> None:
    _customer(store, personalise=False)
    with store.write() as session:
        insert_signals(session, [_signal("e-1")])
    shopper = store.read_shopper_now(customer_id="c-1", session_id=None)
    assert not shopper.personalise and shopper.history == []


# ---- the served-list log ----


def _served_ids(store: Database) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(ServedRecommendation.id).order_by(ServedRecommendation.id)))


def test_served_lists_are_appended_from_a_thread_and_from_the_event_loop(store: Database) -> None:
    assert store.append_served_lists([_served("r-1"), _served("r-2", customer=None)]) is True
    assert store.append_served_lists([_served("r-3")], wait=False) is True  # nobody else writes
    run_closing(store, store.append_served_lists_async([_served("r-4")]))
    assert _served_ids(store) == ["r-1", "r-2", "r-3", "r-4"]
    with store.read() as session:
        stored = session.get(ServedRecommendation, "r-1")
    assert stored is not None and stored.served_at == AT and stored.items == [{"product_id": "FR-1", "rank": 1}]


# ---- signals ----


def test_signals_are_inserted_once_and_the_unknown_products_counted(store: Database) -> None:
    with store.write() as session:
        assert insert_signals(session, [_signal("e-1"), _signal("e-2", known=False)]) == (2, 1)
    with store.write() as session:
        # e-1 again, and e-1 of another shopper (its own namespace)
        assert insert_signals(session, [_signal("e-1"), _signal("e-1", customer="c-2", known=False)]) == (1, 1)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 3


def test_plain_signals_are_loaded_in_bulk(store: Database) -> None:
    rows = [
        (f"L-{i}", event_scope("c-1", None), "c-1", f"FR-{i % 2}", "view", AT + timedelta(minutes=i)) for i in range(5)
    ]
    with store.write() as session:
        load_signals(session, rows, AT)
    with store.read() as session:
        stored = session.scalars(select(Signal).order_by(Signal.occurred_at)).all()
    assert [s.event_id for s in stored] == [f"L-{i}" for i in range(5)]
    assert (
        stored[1].occurred_at == AT + timedelta(minutes=1) and stored[1].received_at == AT and stored[1].product_known
    )


def test_signals_are_counted_by_product_and_action_in_the_window(store: Database) -> None:
    with store.write() as session:
        insert_signals(session, [
            _signal("e-1", product="FR-1"), _signal("e-2", product="FR-1"),
            _signal("e-3", product="FR-1", action="purchase"),
            _signal("e-4", product="FR-2", at=AT - timedelta(days=30)),  # before the window
        ])  # fmt: skip
    with store.read() as session:
        upto = int(session.scalar(select(func.max(Signal.id))) or 0)
        counted = count_signals(session, after=0, upto=upto, since=AT - timedelta(days=1), latest=AT + timedelta(1))
        later = count_signals(session, after=upto, upto=upto, since=AT - timedelta(days=1), latest=AT + timedelta(1))
    assert sorted(tuple(row) for row in counted) == [("FR-1", "purchase", 1), ("FR-1", "view", 2)]
    assert later == []


# ---- other session operations ----


def test_the_utc_day_of_a_stored_time(store: Database) -> None:
    store.append_served_lists([_served("r-1") | {"served_at": datetime(2025, 3, 1, 23, 30, tzinfo=UTC)}])
    with store.read() as session:
        day = utc_day(session, ServedRecommendation.served_at)
        assert session.scalar(select(day)) == "2025-03-01"


def test_a_row_is_inserted_then_replaced(store: Database) -> None:
    values = {"id": "host:1", "started_at": AT, "seen_at": AT, "model_version": "v1", "state": "live",
              "reason": None, "warmed": False}  # fmt: skip
    with store.write() as session:
        upsert(session, Worker, values, key=[Worker.id])
    with store.write() as session:
        upsert(session, Worker, values | {"model_version": "v2", "warmed": True}, key=[Worker.id])
    with store.read() as session:
        workers = session.scalars(select(Worker)).all()
    assert [(w.id, w.model_version, w.warmed) for w in workers] == [("host:1", "v2", True)]


# ---- training lock, bulk loads, closing ----


def test_one_training_lock_at_a_time(store: Database, tmp_path: Path) -> None:
    other = Database(store.url, pool_size=1)
    try:
        with store.training_lock(tmp_path) as held:
            assert held
            with other.training_lock(tmp_path) as also:
                assert not also
        with other.training_lock(tmp_path) as later:
            assert later
    finally:
        other.dispose()


def test_a_bulk_load_is_settled_and_the_loops_connections_closed(store: Database) -> None:
    store.settle_after_bulk_load()
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Signal)) == 0
    assert utcnow().tzinfo is UTC

    async def serve() -> None:
        await store.read_shopper(customer_id=None, session_id="s-1")
        await store.close_async()

    asyncio.run(serve())
