"""POST /api/recommendations/signals, on both backends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import product_data, signal_data


def test_batch_counts_accepted_duplicates_unknown_and_rejected(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    batch = [
        signal_data("e1"),
        signal_data("e2", product_id="NOT-YET-IN-CATALOG"),
        signal_data("e3", action_type="teleport"),
        signal_data("e1"),
    ]
    response = client.post("/api/recommendations/signals", json=batch, headers=service_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"], body["unknown_products"]) == (2, 1, 1, 1)
    assert body["errors"][0]["index"] == 2 and "teleport" in body["errors"][0]["message"]

    again = client.post("/api/recommendations/signals", json=batch[:2], headers=service_headers).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
