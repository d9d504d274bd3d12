"""`OPTIREC_EXPLORATION__ONLY_WITH_NEW` and `__NEAR_NEW_ONLY`: a list explores only while a new product is open to its
draws; or, with the second, one slot per new product near it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.settings import ExplorationSettings
from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.conftest import product_data, signal_data


def _policies(client: TestClient, headers: dict[str, str], db: Database, lists: int) -> list[str | None]:
    """Serve `lists` home lists of 4 to one shopper (each answered once its row is written); the policies the
    served-list log recorded, newest first."""
    for _ in range(lists):
        body = {"customer_id": "cust-1", "limit": 4}
        assert client.post("/api/recommendations/personalized", json=body, headers=headers).status_code == 200
    with db.read() as session:
        rows = session.scalars(select(ServedRecommendation).order_by(ServedRecommendation.id.desc()).limit(lists))
        return [row.policy for row in rows]


def _shop(client: TestClient, headers: dict[str, str]) -> None:
    for i in range(1, 9):
        assert client.post("/api/catalog/products", json=product_data(f"FR-{i}"), headers=headers).status_code == 201
    assert client.put("/api/customers/cust-1", json={}, headers=headers).status_code == 200


def _every_product_seen(client: TestClient, headers: dict[str, str]) -> None:
    """A signal for each of the shop's products, from another shopper, counted by popularity: none is new."""
    signals = [signal_data(customer_id="cust-2", product_id=f"FR-{i}", action_type="view") for i in range(1, 9)]
    assert client.post("/api/recommendations/signals", json=signals, headers=headers).status_code < 300
    client.app.state.optirec.list_builder.serving_state.popularity.refresh()  # type: ignore[attr-defined]


def test_a_list_with_nothing_new_to_show_stays_greedy(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str]
) -> None:
    exploring = ExplorationSettings(shares={"home": 0.5}, only_with_new=True, seed=5)
    client = build_client(exploration=exploring)
    _shop(client, service_headers)
    assert _policies(client, service_headers, db, 3) == ["explore"] * 3  # no product has a signal: all are new
    _every_product_seen(client, service_headers)
    assert _policies(client, service_headers, db, 3) == ["greedy"] * 3
    # a new product arrives: the lists explore again
    assert client.post("/api/catalog/products", json=product_data("FR-9"), headers=service_headers).status_code == 201
    assert _policies(client, service_headers, db, 3) == ["explore"] * 3


def test_without_the_setting_a_list_explores_with_nothing_new(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str]
) -> None:
    client = build_client(exploration=ExplorationSettings(shares={"home": 0.5}, seed=5))
    _shop(client, service_headers)
    _every_product_seen(client, service_headers)
    assert _policies(client, service_headers, db, 3) == ["explore"] * 3


def _drawn(db: Database) -> int:
    """How many slots of the newest served list exploration drew (a propensity below one)."""
    with db.read() as session:
        row = session.scalars(select(ServedRecommendation).order_by(ServedRecommendation.id.desc()).limit(1)).one()
        return sum(1 for item in row.items if item["propensity"] < 1.0)


def test_near_new_only_explores_one_slot_per_new_product_near_the_list(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str]
) -> None:
    # Lists of 4 at half exploration (2 slots) from a catalog small enough that every product is near the list
    exploring = ExplorationSettings(shares={"home": 0.5}, near_share=0.5, near_new_only=True, seed=5)
    client = build_client(exploration=exploring)
    _shop(client, service_headers)
    assert _policies(client, service_headers, db, 1) == ["explore"]  # eight new products: the share's two slots
    assert _drawn(db) == 2
    _every_product_seen(client, service_headers)
    assert _policies(client, service_headers, db, 3) == ["greedy"] * 3
    # one new product arrives: one slot explores, for it
    assert client.post("/api/catalog/products", json=product_data("FR-9"), headers=service_headers).status_code == 201
    assert _policies(client, service_headers, db, 1) == ["explore"]
    assert _drawn(db) == 1
