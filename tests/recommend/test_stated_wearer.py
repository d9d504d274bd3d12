"""An anonymous shopper's stated wearer: the lists' hard filters and segment popularity apply to it, for that
request only; a customer's stored profile wins over it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from optirec.recommend.schemas import StatedWearer
from optirec.recommend.segments import segment_of
from tests.conftest import product_data, signal_data

MYOPE = {"prescription": {"right": {"sph": -4.0}, "left": {"sph": -4.0}}, "face_width_mm": 128}
READER = {"prescription": {"right": {"sph": 1.0, "add": 2.0}, "left": {"sph": 1.0, "add": 2.0}}, "face_width_mm": 150}
STRONG = {"prescription": {"right": {"sph": -7.0}, "left": {"sph": -7.0}}}


def _shop(client: TestClient, headers: dict[str, str]) -> None:
    for k in range(6):
        product = product_data(f"F{k}", name=f"Frame {k}", frame_width_mm=130 + k * 3, sphere_min=-8, sphere_max=6)
        client.post("/api/catalog/products", json=product, headers=headers)
    weak = product_data("WEAK", name="Weak", sphere_min=-2, sphere_max=2)
    assert client.post("/api/catalog/products", json=weak, headers=headers).status_code == 201
    for n in range(12):  # myopes with narrow faces buy F1; readers with wide faces buy F4
        myope, reader = f"myope-{n}", f"reader-{n}"
        client.put(f"/api/customers/{myope}", json=MYOPE, headers=headers)
        client.put(f"/api/customers/{reader}", json=READER, headers=headers)
        signals = [
            signal_data(customer_id=myope, product_id="F1", action_type="purchase"),
            signal_data(customer_id=reader, product_id="F4", action_type="purchase"),
            *[signal_data(customer_id=f"crowd-{n}-{v}", product_id="WEAK") for v in range(8)],
        ]
        client.post("/api/recommendations/signals", json=signals, headers=headers)


def _list(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/recommendations/personalized", json={"limit": 3, "diversity": 0, **body},
                           headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_first_visit_gets_the_popular_frames_of_its_stated_size_and_kind(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    assert _list(client, service_headers, session_id="s-1")["items"][0]["product"]["id"] == "WEAK"  # everyone's
    myope = _list(client, service_headers, session_id="s-1", wearer=MYOPE)
    assert myope["items"][0]["product"]["id"] == "F1"
    assert "Popular with shoppers of your size and prescription" in myope["items"][0]["reasons"]
    # the kind alone picks the segment; the face width sizes it
    reader = _list(client, service_headers, wearer={"prescription_kind": "multifocal", "face_width_mm": 146})
    assert "F4" in [item["product"]["id"] for item in reader["items"]]
    assert "Popular with shoppers of your size and prescription" in reader["items"][0]["reasons"]


def test_the_hard_filters_apply_to_a_stated_prescription(client: TestClient, service_headers: dict[str, str]) -> None:
    _shop(client, service_headers)
    body = _list(client, service_headers, session_id="s-2", wearer=STRONG, limit=10)
    assert "WEAK" not in [item["product"]["id"] for item in body["items"]]
    assert body["filtered"]["rule:sphere"] == 1
    cart = client.post(
        "/api/recommendations/complete-the-look", json={"cart": ["F0"], "wearer": STRONG, "session_id": "s-2"},
        headers=service_headers,
    ).json()  # fmt: skip
    assert cart["filtered"]["rule:sphere"] == 1
    similar = client.post("/api/recommendations/similar/F0", json={"wearer": STRONG}, headers=service_headers)
    assert similar.status_code == 200 and similar.json()["filtered"]["rule:sphere"] == 1


def test_a_customers_stored_profile_wins_over_a_stated_wearer(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    client.put("/api/customers/plain", json={}, headers=service_headers)
    body = _list(client, service_headers, customer_id="plain", wearer=STRONG, limit=10)
    assert body["filtered"]["rule:sphere"] == 0


def test_stated_wearers_are_validated_like_profiles(client: TestClient, service_headers: dict[str, str]) -> None:
    bad = client.post(
        "/api/recommendations/personalized",
        json={"wearer": {"prescription": {"right": {"sph": -2, "cyl": -1}, "left": {"sph": -2}}}},
        headers=service_headers,
    )
    assert bad.status_code == 422 and "Axis is missing" in bad.json()["error"]["message"]
    assert segment_of(StatedWearer(prescription_kind="hyperopia").wearer(), "hyperopia") == ("hyperopia", "unknown")


def test_similar_by_get_refuses_a_customer_id_no_customer_can_have(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    # Regression (found by the fuzz run): the GET's options were validated again as a body, outside the handler.
    _shop(client, service_headers)
    response = client.get("/api/recommendations/similar/F0?customer_id=a%20b", headers=service_headers)
    assert response.status_code == 422 and "customer_id" in response.json()["error"]["message"]
