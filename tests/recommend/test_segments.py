"""First-time visitors: popular among shoppers of the same prescription and face size."""

from __future__ import annotations

from fastapi.testclient import TestClient

from optirec.eyewear.wearer import Eye, Wearer
from optirec.recommend.segments import segment_of
from tests.conftest import product_data, signal_data

MYOPE = {"prescription": {"right": {"sph": -4.0}, "left": {"sph": -4.0}}, "face_width_mm": 128}
READER = {"prescription": {"right": {"sph": 1.0, "add": 2.0}, "left": {"sph": 1.0, "add": 2.0}}, "face_width_mm": 150}


def test_segments_by_prescription_and_face() -> None:
    assert segment_of(Wearer()) == ("none", "unknown")
    assert segment_of(Wearer(Eye(-3.0, 0.0, None, None), Eye(-2.5, 0.0, None, None), None, 150.0)) == ("myopia", "wide")
    assert segment_of(Wearer(Eye(1.0, 0.0, None, 2.0), None, None, 138.0)) == ("multifocal", "medium")


def test_a_first_time_visitor_sees_what_shoppers_like_them_bought(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    for k in range(6):
        product = product_data(f"F{k}", name=f"Frame {k}", frame_width_mm=130 + k * 3, sphere_min=-8, sphere_max=6)
        client.post("/api/catalog/products", json=product, headers=service_headers)
    for n in range(12):  # myopes with narrow faces buy F1; readers with wide faces buy F4; everyone views F5
        myope, reader = f"myope-{n}", f"reader-{n}"
        client.put(f"/api/customers/{myope}", json=MYOPE, headers=service_headers)
        client.put(f"/api/customers/{reader}", json=READER, headers=service_headers)
        signals = [
            signal_data(customer_id=myope, product_id="F1", action_type="purchase"),
            signal_data(customer_id=reader, product_id="F4", action_type="purchase"),
            *[signal_data(customer_id=f"crowd-{n}-{v}", product_id="F5") for v in range(8)],
        ]
        client.post("/api/recommendations/signals", json=signals, headers=service_headers)
    client.put("/api/customers/new-myope", json=MYOPE, headers=service_headers)
    body = client.post(
        "/api/recommendations/personalized", json={"customer_id": "new-myope", "limit": 3, "diversity": 0},
        headers=service_headers,
    ).json()  # fmt: skip
    assert body["items"][0]["product"]["id"] == "F1", body
    assert "Popular with shoppers of your size and prescription" in body["items"][0]["reasons"]
