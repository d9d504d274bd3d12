"""What an explored list says of its drawn slots, when it explains itself."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.settings import ExplorationSettings
from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.conftest import product_data

DRAWN = "Something different you may not have seen yet"


def test_a_drawn_slot_that_gives_the_greedy_product_back_says_why_it_was_ranked(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str]
) -> None:
    # Four products, lists of four at half exploration: the two drawn slots can only hold the greedy tail's two
    # products, in the greedy order (each given back) or swapped (each drawn into the other's slot).
    client = build_client(exploration=ExplorationSettings(shares={"home": 0.5}, seed=11))
    for i in range(1, 5):
        assert (
            client.post("/api/catalog/products", json=product_data(f"FR-{i}"), headers=service_headers).status_code
            == 201
        )
    assert client.put("/api/customers/cust-1", json={}, headers=service_headers).status_code == 200
    seen = set()
    for _ in range(12):
        body = {"customer_id": "cust-1", "limit": 4, "explain": True}
        answer = client.post("/api/recommendations/personalized", json=body, headers=service_headers)
        assert answer.status_code == 200
        items = answer.json()["items"]
        with db.read() as session:
            row = session.scalars(select(ServedRecommendation).order_by(ServedRecommendation.id.desc()).limit(1)).one()
        for item, logged in zip(items[2:], row.items[2:], strict=True):
            assert "greedy" in logged  # a drawn slot (the last draw, among one product left, has propensity 1)
            given_back = logged["greedy"] == item["product"]["id"]
            assert (DRAWN in item["reasons"]) is not given_back, (item, logged)
            seen.add(given_back)
    assert seen == {True, False}  # both cases came up
