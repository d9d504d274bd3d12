"""`Database.read_shopper_now`: profile, latest signals and purchases in one statement, on both backends;
`BatchedReads`, several customers in one statement, on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from optirec.errors import NotFound
from optirec.store import Database
from optirec.store import shopper as shopper_store
from optirec.store.batched import BatchedReads
from optirec.store.postgres import PostgresBackend
from optirec.store.shopper import HELD_AT_MOST_SECONDS, HISTORY_LIMIT, Shopper
from tests.conftest import run_closing, signal_data, terminate_other_sessions

MYOPE = {"right": {"sph": -5.25, "cyl": -0.5, "axis": 180}, "left": {"sph": -5.0}}


def _send(client: TestClient, headers: dict[str, str], *signals: dict[str, object]) -> None:
    response = client.post("/api/recommendations/signals", json=list(signals), headers=headers)
    assert response.status_code == 200 and response.json()["accepted"] == len(signals), response.text


def _customer(client: TestClient, headers: dict[str, str], profile: dict[str, object]) -> str:
    customer_id = f"cust-{uuid.uuid4().hex[:8]}"
    assert client.put(f"/api/customers/{customer_id}", json=profile, headers=headers).status_code == 200
    return customer_id


def _at(minute: int) -> str:
    return f"2026-11-01T10:{minute:02d}:00Z"


def test_profile_history_and_purchases(client: TestClient, db: Database, service_headers: dict[str, str]) -> None:
    customer = _customer(client, service_headers, {"prescription": MYOPE, "pd_mm": 62.5, "face_width_mm": 138})
    _send(
        client,
        service_headers,
        signal_data(customer_id=customer, product_id="A", action_type="view", occurred_at=_at(1)),
        signal_data(customer_id=customer, product_id="B", action_type="add_to_cart", occurred_at=_at(3)),
        signal_data(customer_id=customer, product_id="C", action_type="purchase", occurred_at=_at(2)),
        signal_data(customer_id="someone-else", product_id="D", action_type="purchase", occurred_at=_at(4)),
    )
    shopper = db.read_shopper_now(customer_id=customer, session_id=None)
    assert shopper.history == [("A", "view"), ("C", "purchase"), ("B", "add_to_cart")]  # oldest first
    assert shopper.bought == frozenset({"C"})  # a cart is not a purchase
    assert shopper.personalise
    assert shopper.wearer.rx is not None and shopper.wearer.rx.strongest == pytest.approx(-5.75)
    assert shopper.wearer.pd_mm == 62.5 and shopper.wearer.face_width_mm == 138


def test_the_wearers_read_are_held_for_a_bounded_time(
    client: TestClient, db: Database, service_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wearers the reads keep of stored profiles (their prescriptions) go every `HELD_AT_MOST_SECONDS`: whatever a
    process hears of erasures (the one that took it drops them at once, the others at their next check:
    `test_memo.py`)."""
    now = [1_000_000.0]
    monkeypatch.setattr(shopper_store, "_wearers_since", shopper_store._wearers_since)  # put back after the test
    monkeypatch.setattr(shopper_store, "monotonic", lambda: now[0])
    db.forget_wearers()
    customer = _customer(client, service_headers, {"prescription": MYOPE, "face_width_mm": 138})
    first = db.read_shopper_now(customer_id=customer, session_id=None).wearer
    now[0] += HELD_AT_MOST_SECONDS - 1
    assert db.read_shopper_now(customer_id=customer, session_id=None).wearer is first  # still held
    assert shopper_store._wearer.cache_info().currsize == 1
    now[0] += 1
    again = db.read_shopper_now(customer_id=customer, session_id=None).wearer
    assert again == first and again is not first  # read again from the profile: the held ones went
    assert shopper_store._wearer.cache_info().currsize == 1


def test_a_history_window_leaves_older_signals_out_of_the_read(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    """`OPTIREC_SHOPPER_HISTORY_DAYS`: a list reads only the window's signals, its latest ones and its purchases
    (on PostgreSQL only that window's partitions), one at a time and in PostgreSQL's batches alike; older
    signals stay stored for training."""
    customer = _customer(client, service_headers, {})
    now = datetime.now(UTC)
    old, recent = (now - timedelta(days=400)).isoformat(), (now - timedelta(days=3)).isoformat()
    _send(client, service_headers,
          signal_data(customer_id=customer, product_id="OLD", action_type="purchase", occurred_at=old),
          signal_data(customer_id=customer, product_id="NEW", action_type="purchase", occurred_at=recent))  # fmt: skip
    assert db.read_shopper_now(customer_id=customer, session_id=None).bought == frozenset({"OLD", "NEW"})
    windowed = Database(db.url, pool_size=1, shopper_history_days=365)
    try:
        shopper = windowed.read_shopper_now(customer_id=customer, session_id=None)
        assert (shopper.history, shopper.bought) == ([("NEW", "purchase")], frozenset({"NEW"}))
        if isinstance(windowed.backend, PostgresBackend):
            reads = BatchedReads(windowed.backend.hot_async.fetch, windowed.backend.shopper_statements)
            batched = run_closing(windowed, reads.load(customer_id=customer, session_id=None))
            assert batched.bought == frozenset({"NEW"})
    finally:
        windowed.dispose()


def test_only_the_latest_signals_count(client: TestClient, db: Database, service_headers: dict[str, str]) -> None:
    customer = _customer(client, service_headers, {})
    signals = [
        signal_data(customer_id=customer, product_id=f"P{i}", occurred_at=f"2026-11-01T{i // 60:02d}:{i % 60:02d}:00Z")
        for i in range(HISTORY_LIMIT + 10)
    ]
    _send(client, service_headers, *signals)
    shopper = db.read_shopper_now(customer_id=customer, session_id=None)
    assert [p for p, _ in shopper.history] == [f"P{i}" for i in range(10, HISTORY_LIMIT + 10)]
    assert shopper.wearer.rx is None and shopper.bought == frozenset()


def test_no_consent_means_no_behaviour(client: TestClient, db: Database, service_headers: dict[str, str]) -> None:
    customer = _customer(client, service_headers, {"prescription": MYOPE, "consent": {"personalization": False}})
    _send(client, service_headers, signal_data(customer_id=customer, product_id="A", action_type="purchase"))
    shopper = db.read_shopper_now(customer_id=customer, session_id=None)
    assert not shopper.personalise and shopper.history == [] and shopper.bought == frozenset()
    assert shopper.wearer.rx is not None  # the profile still decides what fits


def test_sessions_and_customers_without_a_profile(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    session_id = f"sess-{uuid.uuid4().hex[:8]}"
    _send(
        client,
        service_headers,
        signal_data(customer_id=None, session_id=session_id, product_id="S", occurred_at=_at(1)),
        signal_data(customer_id="not-loaded-yet", product_id="N", action_type="purchase", occurred_at=_at(2)),
    )
    anonymous = db.read_shopper_now(customer_id=None, session_id=session_id)
    unloaded = db.read_shopper_now(customer_id="not-loaded-yet", session_id=session_id)
    with pytest.raises(NotFound, match="nobody"):
        db.read_shopper_now(customer_id="nobody", session_id=None)
    nobody = db.read_shopper_now(customer_id=None, session_id=None)
    assert anonymous.history == [("S", "view")] and anonymous.bought == frozenset()
    # A customer not loaded yet, who already sends signals, is served from them (with the session's) and no profile.
    assert unloaded.history == [("S", "view"), ("N", "purchase")] and unloaded.bought == frozenset({"N"})
    assert unloaded.wearer.rx is None
    assert nobody.history == [] and nobody.customer_id is None


# ---- `BatchedReads`: PostgreSQL's reads from the event loop ----


class _CountingDatabase:
    """The real database, counting the statements the event loop's path runs."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.statements = 0

    async def fetch(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        self.statements += 1
        assert isinstance(self.db.backend, PostgresBackend)
        return await self.db.backend.hot_async.fetch(statement, params)


def _batched(db: Database) -> tuple[_CountingDatabase, BatchedReads]:
    if not isinstance(db.backend, PostgresBackend):
        pytest.skip("PostgreSQL's event-loop reads")
    counting = _CountingDatabase(db)
    return counting, BatchedReads(counting.fetch, db.backend.shopper_statements)


def _shoppers(client: TestClient, headers: dict[str, str], count: int) -> list[str]:
    customers = [_customer(client, headers, {"prescription": MYOPE, "face_width_mm": 130 + i}) for i in range(count)]
    _send(client, headers, *[
        signal_data(customer_id=c, product_id=f"P{i}-{k}", action_type=action, occurred_at=_at(k))
        for i, c in enumerate(customers) for k, action in enumerate(["view", "add_to_cart", "purchase"][: i + 1])
    ])  # fmt: skip
    return customers


def test_customers_asked_for_together_are_read_in_one_statement(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    counting, reads = _batched(db)
    customers = _shoppers(client, service_headers, 3)

    async def serve() -> list[Shopper]:
        return list(await asyncio.gather(*(reads.load(customer_id=c, session_id=None) for c in customers)))

    shoppers = run_closing(db, serve())
    assert counting.statements == 1
    assert shoppers == [db.read_shopper_now(customer_id=c, session_id=None) for c in customers]  # each their own
    assert [len(s.history) for s in shoppers] == [1, 2, 3] and shoppers[2].bought == frozenset({"P2-2"})


def test_customers_asked_for_while_a_read_is_in_flight_make_the_next_batch(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    counting, reads = _batched(db)
    reads.READ_WAIT = 30.0  # longer than the test: only the first batch's answer lets the next one go
    customers = _shoppers(client, service_headers, 6)
    shoppers, while_held = _read_behind_a_lock(db, counting, reads, customers, pause=0.05)
    assert while_held == 1 and counting.statements == 2
    assert shoppers == [db.read_shopper_now(customer_id=c, session_id=None) for c in customers]


def test_a_slow_batch_holds_the_next_one_back_no_longer_than_the_read_wait(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    counting, reads = _batched(db)
    reads.READ_WAIT = 0.05
    customers = _shoppers(client, service_headers, 3)
    shoppers, while_held = _read_behind_a_lock(db, counting, reads, customers, pause=0.2)
    assert while_held == 2  # the later two went out while the first batch was still held
    assert counting.statements == 2
    assert shoppers == [db.read_shopper_now(customer_id=c, session_id=None) for c in customers]


def _read_behind_a_lock(
    db: Database, counting: _CountingDatabase, reads: BatchedReads, customers: list[str], *, pause: float
) -> tuple[list[Shopper], int]:
    """Ask for `customers[0]` while another session locks the customers table (its batch waits for the lock),
    then for the others; `pause` later, with none of them answered yet, release the lock. The shoppers, and how
    many statements had gone out while the lock was held."""

    async def serve() -> tuple[list[Shopper], int]:
        with db.engine.connect() as holder:
            holder.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))  # reads wait until commit
            first = asyncio.ensure_future(reads.load(customer_id=customers[0], session_id=None))
            await asyncio.sleep(0.05)  # its read now waits for the lock
            later = [asyncio.ensure_future(reads.load(customer_id=c, session_id=None)) for c in customers[1:]]
            await asyncio.sleep(pause)
            assert not first.done() and not any(w.done() for w in later)
            while_held = counting.statements
            holder.commit()
        return list(await asyncio.gather(first, *later)), while_held

    return run_closing(db, serve())


def test_an_unknown_customer_fails_alone_and_sessions_are_read_on_their_own(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    counting, reads = _batched(db)
    known = _shoppers(client, service_headers, 1)[0]
    session_id = f"sess-{uuid.uuid4().hex[:8]}"
    _send(client, service_headers, signal_data(customer_id=None, session_id=session_id, product_id="S"))

    async def serve() -> list[Shopper | BaseException]:
        return list(await asyncio.gather(
            reads.load(customer_id=known, session_id=None),
            reads.load(customer_id="nobody", session_id=None),
            reads.load(customer_id=None, session_id=session_id),
            return_exceptions=True,
        ))  # fmt: skip

    found, nobody, anonymous = run_closing(db, serve())
    assert found == db.read_shopper_now(customer_id=known, session_id=None)
    assert isinstance(nobody, NotFound) and "nobody" in str(nobody)
    assert anonymous == db.read_shopper_now(customer_id=None, session_id=session_id)
    # One batch for the two customers, a look for any signal of the unknown one, the session's own read.
    assert counting.statements == 3


def test_a_failed_batch_fails_each_of_its_lists_and_the_next_batch_is_read(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    _counting, reads = _batched(db)
    customers = _shoppers(client, service_headers, 3)

    async def serve() -> tuple[list[Shopper | BaseException], Shopper]:
        await reads.load(customer_id=customers[0], session_id=None)  # the event loop's connection is open
        terminate_other_sessions(db)  # the event loop's connection among them
        failed = await asyncio.gather(
            *(reads.load(customer_id=c, session_id=None) for c in customers), return_exceptions=True
        )
        return list(failed), await reads.load(customer_id=customers[1], session_id=None)

    failed, after = run_closing(db, serve())
    assert all(isinstance(outcome, OperationalError) for outcome in failed)  # each answers 503
    assert after == db.read_shopper_now(customer_id=customers[1], session_id=None)
