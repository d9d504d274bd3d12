"""The attribute profile in served lists: a shopper's own signals on an unpopular style put that style above what
everyone else views, before any model is trained; a shopper without signals still gets the popular products, and a
list beside a product is left to that product."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import product_data, signal_data


def _list(client: TestClient, headers: dict[str, str], customer: str, **context: object) -> list[str]:
    request = {"customer_id": customer, "limit": 6, "diversity": 0, **({"context": context} if context else {})}
    response = client.post("/api/recommendations/personalized", json=request, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return [item["product"]["id"] for item in body["items"]]


def _style_shop(client: TestClient, service_headers: dict[str, str]) -> None:
    """Three cat-eye frames nobody but "fan" views (twice one of them), three square ones the crowd views."""
    cat_eye = [product_data(f"CAT-{n}", shape="cat-eye", material="acetate", brand="Iris", colour="red")
               for n in range(3)]  # fmt: skip
    square = [product_data(f"SQ-{n}", shape="square", material="metal", brand="Kite", colour="black")
              for n in range(3)]  # fmt: skip
    for product in cat_eye + square:
        assert client.post("/api/catalog/products", json=product, headers=service_headers).status_code == 201
    crowd = [signal_data(customer_id=f"crowd-{c}", product_id=f"SQ-{n}") for c in range(5) for n in range(3)]
    own = [signal_data(customer_id="fan", product_id=p) for p in ("CAT-0", "CAT-1", "CAT-0")]
    for signal in ({**s, "occurred_at": "2026-11-01T10:00:00Z"} for s in crowd + own):
        assert client.post("/api/recommendations/signals", json=[signal], headers=service_headers).status_code == 200


def test_a_shoppers_signals_on_a_style_rank_that_style_first(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _style_shop(client, service_headers)
    fan = _list(client, service_headers, "fan")
    assert set(fan[:3]) == {"CAT-0", "CAT-1", "CAT-2"}  # the never-seen CAT-2 included: it shares the style
    assert client.put("/api/customers/newcomer", json={}, headers=service_headers).status_code == 200
    newcomer = _list(client, service_headers, "newcomer")
    assert set(newcomer[:3]) == {"SQ-0", "SQ-1", "SQ-2"}  # no signals, no profile: popularity leads
    beside = _list(client, service_headers, "fan", page="product", product_id="SQ-0")
    assert set(beside[:2]) == {"SQ-1", "SQ-2"}  # beside a product the profile stays out: its weight is for home lists


def test_a_shipped_policy_can_turn_the_profile_off(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """The profile's weight is a policy setting (`profile_weight`), as the fit's is: an experiment can test another
    weight, and shipping 0 turns it off for everyone (its default was chosen on the demo shop's validation days)."""
    _style_shop(client, service_headers)
    assert set(_list(client, service_headers, "fan")[:3]) == {"CAT-0", "CAT-1", "CAT-2"}
    arms = [{"name": "control", "share": 0.5, "control": True},
            {"name": "no-profile", "share": 0.5, "policy": {"profile_weight": 0}}]  # fmt: skip
    created = client.post("/api/admin/experiments", json={"name": "Profile off", "arms": arms}, headers=admin_headers)
    assert created.status_code == 201, created.text
    experiment = created.json()["id"]
    for step in ("start", "stop"):
        assert client.post(f"/api/admin/experiments/{experiment}/{step}", headers=admin_headers).status_code == 200
    shipped = client.post(
        f"/api/admin/experiments/{experiment}/ship", json={"arm": "no-profile"}, headers=admin_headers
    )
    assert shipped.status_code == 200, shipped.text
    assert set(_list(client, service_headers, "fan")[:3]) == {"SQ-0", "SQ-1", "SQ-2"}  # popularity leads again
    too_much = {"name": "Too much", "arms": [arms[0], {**arms[1], "policy": {"profile_weight": 51}}]}
    refused = client.post("/api/admin/experiments", json=too_much, headers=admin_headers)
    assert refused.status_code == 422 and "profile_weight" in refused.text
