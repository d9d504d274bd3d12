"""`load_shopper`: profile, latest signals and purchases in one statement, on both backends."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from optirec.db import Database
from optirec.errors import NotFound
from optirec.recommend.shopper import HISTORY_LIMIT, load_shopper
from tests.conftest import signal_data

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
    shopper = load_shopper(db, customer_id=customer, session_id=None)
    assert shopper.history == [("A", "view"), ("C", "purchase"), ("B", "add_to_cart")]  # oldest first
    assert shopper.bought == frozenset({"C"})  # a cart is not a purchase
    assert shopper.personalise
    assert shopper.wearer.rx is not None and shopper.wearer.rx.strongest == pytest.approx(-5.75)
    assert shopper.wearer.pd_mm == 62.5 and shopper.wearer.face_width_mm == 138


def test_only_the_latest_signals_count(client: TestClient, db: Database, service_headers: dict[str, str]) -> None:
    customer = _customer(client, service_headers, {})
    signals = [
        signal_data(customer_id=customer, product_id=f"P{i}", occurred_at=f"2026-11-01T{i // 60:02d}:{i % 60:02d}:00Z")
        for i in range(HISTORY_LIMIT + 10)
    ]
    _send(client, service_headers, *signals)
    shopper = load_shopper(db, customer_id=customer, session_id=None)
    assert [p for p, _ in shopper.history] == [f"P{i}" for i in range(10, HISTORY_LIMIT + 10)]
    assert shopper.wearer.rx is None and shopper.bought == frozenset()


def test_no_consent_means_no_behaviour(client: TestClient, db: Database, service_headers: dict[str, str]) -> None:
    customer = _customer(client, service_headers, {"prescription": MYOPE, "consent": {"personalization": False}})
    _send(client, service_headers, signal_data(customer_id=customer, product_id="A", action_type="purchase"))
    shopper = load_shopper(db, customer_id=customer, session_id=None)
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
    anonymous = load_shopper(db, customer_id=None, session_id=session_id)
    unloaded = load_shopper(db, customer_id="not-loaded-yet", session_id=session_id)
    with pytest.raises(NotFound, match="nobody"):
        load_shopper(db, customer_id="nobody", session_id=None)
    nobody = load_shopper(db, customer_id=None, session_id=None)
    assert anonymous.history == [("S", "view")] and anonymous.bought == frozenset()
    # A customer not loaded yet, who already sends signals, is served from them (with the session's) and no profile.
    assert unloaded.history == [("S", "view"), ("N", "purchase")] and unloaded.bought == frozenset({"N"})
    assert unloaded.wearer.rx is None
    assert nobody.history == [] and nobody.customer_id is None
