"""/api/admin/customers…, /api/admin/products…, /api/admin/coverage: the console's inspectors, for admins only.
A reveal, an export and an erasure are audited; the prescription itself never reaches the audit log."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from optirec.store import Database
from tests.conftest import auth_header, product_data, register, signal_data

RX = {"right": {"sph": -2.25, "cyl": -0.5, "axis": 90}, "left": {"sph": -2.0}}


def _shop(client: TestClient, service_headers: dict[str, str]) -> None:
    assert client.post("/api/catalog/products", headers=service_headers, json=product_data()).status_code == 201
    narrow = product_data("FR-2", name="Pia Narrow", frame_width_mm=124, progressive=False)
    assert client.post("/api/catalog/products", headers=service_headers, json=narrow).status_code == 201
    profile = {"email": "ada@example.com", "prescription": RX, "pd_mm": 63, "face_width_mm": 136}
    assert client.put("/api/customers/cust-1", headers=service_headers, json=profile).status_code == 200
    wide = {"face_width_mm": 150}
    assert client.put("/api/customers/cust-2", headers=service_headers, json=wide).status_code == 200
    client.put("/api/customers/cust-3", headers=service_headers, json={})  # nothing measured
    signals = [signal_data("v1"), signal_data("c1", action_type="add_to_cart", recommendation_id="r" * 32)]
    assert client.post("/api/recommendations/signals", headers=service_headers, json={"signals": signals}).is_success


def _audit(client: TestClient, headers: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    events = client.get("/api/admin/audit", headers=headers).json()["events"]
    return [(e["action"], e["target"], e["detail"]) for e in reversed(events)]


def test_a_customer_is_found_inspected_with_the_prescription_masked_and_revealed_once_audited(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    found = client.get("/api/admin/customers", params={"q": "ADA@exam"}, headers=admin_headers).json()
    assert [c["id"] for c in found] == ["cust-1"]
    assert client.get("/api/admin/customers", params={"q": "cust-2"}, headers=admin_headers).json()[0]["id"] == "cust-2"
    assert client.get("/api/admin/customers", params={"q": "%"}, headers=admin_headers).json() == []  # no wildcard

    seen = client.get("/api/admin/customers/cust-1", headers=admin_headers)
    assert seen.status_code == 200 and "sph" not in seen.text and 'prescription"' not in seen.text
    body = seen.json()
    assert body["profile"]["prescription_on_file"] is True and body["profile"]["face_width_mm"] == 136
    assert body["signals"] == 2 and [s["action_type"] for s in body["recent_signals"]] == ["add_to_cart", "view"]
    assert body["recent_signals"][0]["product_name"] == "Aria Round"
    assert _audit(client, admin_headers) == []  # looking is not revealing

    revealed = client.post("/api/admin/customers/cust-1/prescription/reveal", headers=admin_headers).json()
    assert revealed["prescription"]["right"]["sph"] == -2.25
    assert _audit(client, admin_headers) == [("prescription.reveal", "cust-1", {})]
    assert "sph" not in client.get("/api/admin/audit", headers=admin_headers).text


def test_what_the_customer_would_see_is_built_and_not_logged_as_served(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    before = client.get("/api/admin/overview", headers=admin_headers).json()["lists_served"]
    listed = client.get("/api/admin/customers/cust-1/list", headers=admin_headers, params={"limit": 5}).json()
    assert listed["items"] and all(item["reasons"] for item in listed["items"])
    assert "face_width" in listed["filtered"] or isinstance(listed["filtered"], dict)
    assert [i["product"]["id"] for i in listed["items"]] == ["FR-1"]  # the narrow frame does not fit a 136 mm face
    assert client.get("/api/admin/overview", headers=admin_headers).json()["lists_served"] == before


def test_export_and_erase_are_audited_and_an_administrator_is_never_erased_here(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    exported = client.get("/api/admin/customers/cust-1/export", headers=admin_headers).json()
    assert exported["customer"]["id"] == "cust-1" and len(exported["signals"]) == 2
    erased = client.delete("/api/admin/customers/cust-1", headers=admin_headers).json()
    assert erased == {"signals": 2, "recommendations_served": 0, "customers": 1}
    assert client.get("/api/admin/customers/cust-1", headers=admin_headers).status_code == 404
    assert _audit(client, admin_headers) == [
        ("customer.export", "cust-1", {"signals": 2, "recommendations_served": 0}),
        ("customer.erase", "cust-1", erased),
    ]
    admin_id, _token = register(client, "root@example.com")
    with db.write() as session:
        from optirec.store.tables import Customer

        customer = session.get(Customer, admin_id)
        assert customer is not None
        customer.role = "admin"
    assert client.delete(f"/api/admin/customers/{admin_id}", headers=admin_headers).status_code == 403


def test_a_product_is_inspected_with_its_performance_and_whom_it_fits(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    assert [p["id"] for p in client.get("/api/admin/products", params={"q": "pia"}, headers=admin_headers).json()] == [
        "FR-2"
    ]
    body = client.get("/api/admin/products/FR-1", headers=admin_headers).json()
    assert body["product"]["name"] == "Aria Round"
    assert body["performance"] == {"views": 1, "add_to_carts": 1, "purchases": 0, "other": 0, "attributed_lists": 1}
    # cust-1 (136 mm, −2.25) fits the 135 mm frame; cust-2's 150 mm face is too wide for it; cust-3 told nothing
    assert body["fit"] | {"failing": None} == {"customers": 3, "measured": 2, "fits": 1, "share": 0.5, "failing": None}
    assert body["fit"]["failing"]["face_width"] == 1
    narrow = client.get("/api/admin/products/FR-2", headers=admin_headers).json()["fit"]
    assert narrow["fits"] == 0 and narrow["failing"]["face_width"] == 2
    for path in ("/api/admin/products/FR-1/similar", "/api/admin/products/FR-1/goes-with"):
        answer = client.get(path, headers=admin_headers)
        assert answer.status_code == 200 and "FR-1" not in [i["product"]["id"] for i in answer.json()["items"]]


def test_coverage_counts_the_frames_that_fit_each_band(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers)
    coverage = client.get("/api/admin/coverage", headers=admin_headers).json()
    assert coverage["frames_in_stock"] == 2
    single, progressive = coverage["tables"]
    assert not single["progressive"] and progressive["progressive"]
    cell = {(r["sphere"], r["cylinder"], c["face_width_mm"]): c["frames"] for r in single["rows"] for c in r["cells"]}
    assert cell[(-3.0, 0.0, 135.0)] == 1  # FR-1 (135 mm); FR-2 (124 mm) is too narrow for a 135 mm face
    assert cell[(-3.0, 0.0, 123.0)] == 1  # FR-2 only
    assert cell[(-9.0, 0.0, 135.0)] == 0  # both stop at −6
    assert coverage["empty_cells"] > 0
    cells = [(r["sphere"], r["cylinder"], c) for r in single["rows"] for c in r["cells"]]
    customers = {(sphere, cylinder, c["face_width_mm"]): c["customers"] for sphere, cylinder, c in cells}
    assert customers[(-3.0, -0.5, 135.0)] == 1 and sum(customers.values()) == 1  # cust-1 (SPH −2.25, CYL −0.50)
    assert (coverage["customers_placed"], coverage["customers_without_choice"]) == (1, 0)  # cust-2 has no Rx


def test_bad_input_is_refused_briefly_and_customers_and_servers_are_refused(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    long = "x" * 5000
    for path in (f"/api/admin/customers/{long}", f"/api/admin/products/{long}", "/api/admin/products/FR-9"):
        answer = client.get(path, headers=admin_headers)
        assert answer.status_code in (404, 422) and long not in answer.text and len(answer.text) < 1000, path
    assert client.get("/api/admin/customers", params={"q": long}, headers=admin_headers).status_code == 422
    assert client.get("/api/admin/customers", params={"q": ""}, headers=admin_headers).status_code == 422
    assert client.get("/api/admin/customers/nobody/list", headers=admin_headers).status_code == 404
    _id, token = register(client)
    for headers in (service_headers, auth_header(token)):
        for method, path in (
            ("GET", "/api/admin/customers?q=a"), ("GET", "/api/admin/customers/cust-1"),
            ("POST", "/api/admin/customers/cust-1/prescription/reveal"), ("GET", "/api/admin/customers/cust-1/list"),
            ("GET", "/api/admin/customers/cust-1/export"), ("DELETE", "/api/admin/customers/cust-1"),
            ("GET", "/api/admin/products?q=a"), ("GET", "/api/admin/products/FR-1"),
            ("GET", "/api/admin/products/FR-1/similar"), ("GET", "/api/admin/products/FR-1/goes-with"),
            ("GET", "/api/admin/coverage"),
        ):  # fmt: skip
            assert client.request(method, path, headers=headers).status_code == 403, (method, path)
