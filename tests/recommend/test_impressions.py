"""Impressions and outcomes read back as one table (`recommend.impressions`), on SQLite and PostgreSQL, through the
service and through `GET /api/admin/impressions`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from optirec.recommend.impressions import iter_impressions, list_impressions
from optirec.settings import ExplorationSettings
from optirec.store import Database
from tests.conftest import product_data, signal_data


def _serve(client: TestClient, headers: dict[str, str], limit: int = 3) -> dict[str, Any]:
    response = client.post(
        "/api/recommendations/personalized", json={"customer_id": "cust-1", "limit": limit}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _shop(client: TestClient, headers: dict[str, str]) -> None:
    for i in range(1, 7):
        assert client.post("/api/catalog/products", json=product_data(f"FR-{i}"), headers=headers).status_code == 201
    assert client.put("/api/customers/cust-1", json={}, headers=headers).status_code == 200


def _signal(
    served: dict[str, Any], rank: int, action: str, when: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    product = served["items"][rank - 1]["product"]["id"]
    return signal_data(
        product_id=product, action_type=action, recommendation_id=served["recommendation_id"],
        occurred_at=(when or datetime.now(UTC)).isoformat(), **extra,
    )  # fmt: skip


def test_each_item_shown_and_what_followed_it_read_back_as_one_table(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    clicked, ignored = _serve(client, service_headers), _serve(client, service_headers)
    signals = [
        _signal(clicked, 1, "view"),
        _signal(clicked, 2, "view"),
        _signal(clicked, 2, "add_to_cart"),
        _signal(clicked, 2, "purchase", price="129.00", quantity=2),
        _signal(
            clicked, 3, "purchase", when=datetime.now(UTC) - timedelta(days=3), price="10.00"
        ),  # before the list: not its
    ]
    response = client.post("/api/recommendations/signals", json=signals, headers=service_headers)
    assert response.json()["accepted"] == 5, response.text

    with db.read() as session:
        page = list_impressions(session=session)
    assert page.lists == 2 and page.next_after is None
    rows = page.impressions  # the list nobody sent a signal about is no rejection: left out
    assert [(r.recommendation_id, r.position) for r in rows] == [(clicked["recommendation_id"], k) for k in (1, 2, 3)]
    assert [r.product_id for r in rows] == [item["product"]["id"] for item in clicked["items"]]
    assert [(r.viewed, r.carted, r.purchased, r.revenue) for r in rows] == [
        (True, False, False, 0.0),
        (True, True, True, 258.0),
        (False, False, False, 0.0),
    ]
    first = rows[0]
    assert (first.placement, first.policy, first.arm, first.propensity, first.rendered) == (
        "home", "greedy", None, 1.0, True,
    )  # fmt: skip
    assert first.customer_id == "cust-1" and first.model_version == clicked["model_version"]

    with db.read() as session:
        everything = list_impressions(session=session, include_unrendered=True).impressions
    unrendered = [r for r in everything if r.recommendation_id == ignored["recommendation_id"]]
    assert len(unrendered) == 3 and not any(r.rendered or r.viewed for r in unrendered)


def test_the_table_pages_through_the_log_in_serving_order(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    served = [_serve(client, service_headers, limit=2) for _ in range(5)]
    with db.read() as session:
        first = list_impressions(session=session, lists=2, include_unrendered=True)
    assert first.lists == 2 and first.next_after == served[1]["recommendation_id"]
    read = [r.recommendation_id for r in iter_impressions(db, lists_per_page=2, include_unrendered=True)]
    assert read == [s["recommendation_id"] for s in served for _ in range(2)]
    with db.read() as session:
        later = list_impressions(session=session, since=datetime.now(UTC) + timedelta(days=1), include_unrendered=True)
    assert later.impressions == [] and later.lists == 0


def test_the_admin_api_answers_the_table(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    served = _serve(client, service_headers)
    client.post("/api/recommendations/signals", json=[_signal(served, 1, "view")], headers=service_headers)
    response = client.get("/api/admin/impressions", headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lists"] == 1 and body["next_after"] is None
    assert [(i["position"], i["viewed"], i["propensity"]) for i in body["impressions"]] == [
        (1, True, 1.0), (2, False, 1.0), (3, False, 1.0),
    ]  # fmt: skip
    assert client.get("/api/admin/impressions", headers=service_headers).status_code == 403
    for bad in ({"lists": 0}, {"after": "not-hex"}, {"since": "2026-12-01T00:00:00"}, {"window_hours": 0}):
        answer = client.get("/api/admin/impressions", params=bad, headers=admin_headers)
        assert answer.status_code == 422, (bad, answer.text)


def test_an_explored_list_reads_back_with_its_policy_and_propensities(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str]
) -> None:
    client = build_client(exploration=ExplorationSettings(shares={"home": 0.5}, seed=3))
    _shop(client, service_headers)
    served = _serve(client, service_headers, limit=4)  # 2 greedy slots, then 2 drawn among the 4 others
    client.post("/api/recommendations/signals", json=[_signal(served, 4, "view")], headers=service_headers)
    with db.read() as session:
        rows = list_impressions(session=session).impressions
    assert {r.policy for r in rows} == {"explore"}
    # no product has a signal yet, so all weigh alike: 1 of 4 open products, then 1 of 3
    assert [r.propensity for r in rows] == [1.0, 1.0, pytest.approx(1 / 4), pytest.approx(1 / 3)]
    assert [r.viewed for r in rows] == [False, False, False, True]
