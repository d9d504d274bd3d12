"""Property: over random shoppers and requests, no list ever holds a product that a hard filter forbids."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.catalog.schemas import ProductCreate
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.prescription import Prescription
from optirec.eyewear.rules import check_frame
from optirec.eyewear.wearer import Frame, Wearer
from tests.conftest import product_data, signal_data

RIMS = ["full-rim", "semi-rimless", "rimless"]
CATEGORIES = ["eyeglasses", "eyeglasses", "sunglasses", "accessories"]


def _random_catalog(n: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    products = []
    for i in range(n):
        category = rng.choice(CATEGORIES)
        width, bridge = rng.randint(44, 58), rng.randint(15, 22)
        low = rng.choice([-12, -8, -6, -4, -2])
        products.append(
            product_data(
                f"P{i:03d}",
                category=category,
                brand=rng.choice(["Lumen", "Kite", "Penny"]),
                rim_type=rng.choice(RIMS),
                lens_width_mm=width,
                bridge_mm=bridge,
                lens_height_mm=rng.randint(24, 44),
                frame_width_mm=2 * width + bridge + rng.randint(4, 12),
                sphere_min=low,
                sphere_max=rng.choice([2, 4, 6]),
                cylinder_max=rng.choice([1, 2, 4]),
                progressive=rng.random() < 0.6,
                rx_capable=category != "sunglasses" or rng.random() < 0.5,
                price=f"{rng.randint(30, 300)}.00",
                stock=rng.choice([0, 1, 5, 20]),
            )
        )
    return products


quarter = st.integers(min_value=-40, max_value=40).map(lambda q: q / 4)
eye = st.fixed_dictionaries(
    {"sph": quarter, "cyl": st.integers(min_value=-12, max_value=0).map(lambda q: q / 4)},
    optional={"add": st.integers(min_value=3, max_value=14).map(lambda q: q / 4)},
)
profile = st.fixed_dictionaries(
    {},
    optional={
        "prescription": st.tuples(eye, eye, st.integers(1, 180)).map(
            lambda t: {
                side: {**e, "axis": t[2]} if e["cyl"] else e for side, e in zip(("right", "left"), t[:2], strict=True)
            }
        ),
        "pd_mm": st.integers(54, 72),
        "face_width_mm": st.integers(118, 150),
    },
)
request = st.fixed_dictionaries(
    {"limit": st.integers(1, 30), "diversity": st.floats(0, 1)},
    optional={
        "filters": st.fixed_dictionaries(
            {}, optional={"category": st.sampled_from(CATEGORIES), "price_max": st.integers(50, 300)}
        ),
        "exclude": st.lists(st.integers(0, 59).map(lambda i: f"P{i:03d}"), max_size=5),
    },
)


def load_random_catalog(client: TestClient, service_headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A random catalog of 60 frames, created through the API; by id."""
    catalog = {p["id"]: p for p in _random_catalog(60)}
    for product in catalog.values():
        assert client.post("/api/catalog/products", json=product, headers=service_headers).status_code == 201
    return catalog


def check_no_list_breaks_a_hard_filter(
    client: TestClient, service_headers: dict[str, str], catalog: dict[str, dict[str, Any]]
) -> None:
    """The property, over random profiles, requests and purchases (the exploration and experiment tests run it
    under their own policies)."""
    shown: list[int] = []

    @settings(max_examples=60, deadline=None)
    @given(profile=profile, body=request, bought=st.lists(st.integers(0, 59), max_size=4))
    def check(profile: dict[str, Any], body: dict[str, Any], bought: list[int]) -> None:
        shown.append(_check_one(client, service_headers, catalog, profile, body, bought))

    check()
    assert sum(shown) > 100, shown  # the lists were real, so the property did not pass vacuously


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_list_breaks_a_hard_filter(client: TestClient, service_headers: dict[str, str]) -> None:
    catalog = load_random_catalog(client, service_headers)
    check_no_list_breaks_a_hard_filter(client, service_headers, catalog)


def _check_one(
    client: TestClient,
    service_headers: dict[str, str],
    catalog: dict[str, dict[str, Any]],
    profile: dict[str, Any],
    body: dict[str, Any],
    bought: list[int],
) -> int:
    customer = f"prop-{uuid.uuid4().hex[:8]}"
    assert client.put(f"/api/customers/{customer}", json=profile, headers=service_headers).status_code == 200
    purchases = [signal_data(customer_id=customer, product_id=f"P{i:03d}", action_type="purchase") for i in bought]
    if purchases:
        client.post("/api/recommendations/signals", json=purchases, headers=service_headers)

    response = client.post(
        "/api/recommendations/personalized", json={**body, "customer_id": customer}, headers=service_headers
    )
    assert response.status_code == 200, response.text
    rules = RuleSettings()
    prescription = Prescription.model_validate(profile["prescription"]) if "prescription" in profile else None
    wearer = Wearer(pd_mm=profile.get("pd_mm"), face_width_mm=profile.get("face_width_mm"))
    if prescription is not None:
        wearer = Wearer.from_profile(type("P", (), {**profile, "prescription": prescription})())
    filters = body.get("filters", {})
    items = response.json()["items"]
    for item in items:
        product = ProductCreate.model_validate(catalog[item["product"]["id"]])
        assert product.stock > 0
        verdict = check_frame(Frame.from_product(product, rules), wearer, rules)
        assert verdict.passed, (item["product"]["id"], [r.reason for r in verdict.failures])
        assert product.id not in body.get("exclude", [])
        assert product.category == "accessories" or product.id not in {f"P{i:03d}" for i in bought}
        assert filters.get("category") in (None, product.category)
        assert filters.get("price_max") is None or float(product.price) <= filters["price_max"]

    return len(items)
