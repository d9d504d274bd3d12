"""The fit endpoints over a small catalog, on both backends: the product page's fit panel, the listing of the
frames that fit (with what each rule hid), and the check of a stated wearer."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from optirec.eyewear.rules import check_frame
from optirec.eyewear.wearer import Frame, Wearer
from optirec.settings import Settings
from tests.conftest import auth_header, product_data, register

MYOPE = {"right": {"sph": -5.25, "cyl": -1.0, "axis": 180}, "left": {"sph": -5.0}}


def _catalog(client: TestClient, headers: dict[str, str]) -> None:
    products = [
        product_data("STRONG", name="Aria Round", sphere_min=-8, sphere_max=4, shape="round", price="150.00"),
        product_data("WEAK", name="Nova Square", sphere_min=-2, sphere_max=2, shape="square", brand="Kite",
                     material="metal"),
        product_data("WIDE", name="Atlas Wide", sphere_min=-8, lens_width_mm=54, bridge_mm=20, frame_width_mm=150,
                     lens_height_mm=44, price="99.00"),
        product_data("EMPTY", name="Out of stock", stock=0),
        product_data("CASE", name="Hard case", category="accessories", rim_type=None, lens_width_mm=None,
                     bridge_mm=None, temple_length_mm=None, lens_height_mm=None, frame_width_mm=None,
                     sphere_min=None, sphere_max=None, cylinder_max=None, progressive=False, price="15.00",
                     description="A hard case for round frames."),
    ]  # fmt: skip
    for product in products:
        assert client.post("/api/catalog/products", json=product, headers=headers).status_code == 201


def _browse(client: TestClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post("/api/fit/products", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_the_fit_panel_says_per_rule_why_for_a_stated_wearer(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _catalog(client, service_headers)
    stated = {"prescription": MYOPE, "face_width_mm": 136}
    body = client.post("/api/fit/products/WEAK", json={"wearer": stated}).json()
    assert body["wearer"] == "stated" and body["passed"] is False
    sphere = next(rule for rule in body["rules"] if rule["rule"] == "sphere")
    assert sphere["passed"] is False and sphere["checked"] is True
    assert sphere["reason"] == "Your prescription needs −6.25; this frame takes −2.00 to +2.00"
    assert sphere["frame"] == "Takes −2.00 to +2.00" and sphere["label"] == "Lens strength"
    face = next(rule for rule in body["rules"] if rule["rule"] == "face_width")
    assert face["passed"] is True and face["reason"] == "Fits a 136 mm face" and face["frame"] == "Frame 135 mm wide"
    strong = client.post("/api/fit/products/STRONG", json={"wearer": stated}).json()
    assert strong["passed"] is True and 0 < strong["fit_score"] <= 1
    assert any(rule["reason"] == "Takes your −5.25 prescription" for rule in strong["rules"])


def test_the_fit_panel_uses_a_customers_stored_profile(client: TestClient, service_headers: dict[str, str]) -> None:
    _catalog(client, service_headers)
    _customer, token = register(client)
    assert client.patch("/api/customers/me", json={"face_width_mm": 120}, headers=auth_header(token)).status_code == 200
    # the stored profile applies to a customer, whatever the body states
    body = client.post(
        "/api/fit/products/WIDE", json={"wearer": {"face_width_mm": 150}}, headers=auth_header(token)
    ).json()
    assert body["wearer"] == "profile" and body["passed"] is False
    assert "Too wide for a 120 mm face" in [rule["reason"] for rule in body["rules"]]


def test_without_a_wearer_every_rule_passes_unchecked(client: TestClient, service_headers: dict[str, str]) -> None:
    _catalog(client, service_headers)
    body = client.post("/api/fit/products/STRONG").json()
    assert body["wearer"] == "none" and body["passed"] is True
    assert {rule["checked"] for rule in body["rules"] if rule["rule"] in ("sphere", "face_width")} == {False}
    case = client.post("/api/fit/products/CASE", json={}).json()
    assert case["passed"] is True and {rule["frame"] for rule in case["rules"]} == {None}


def test_fits_me_lists_only_what_passes_and_counts_what_each_rule_hid(
    client: TestClient, service_headers: dict[str, str], settings: Settings
) -> None:
    _catalog(client, service_headers)
    stated = {"prescription": MYOPE, "face_width_mm": 136}
    everything = _browse(client, {"wearer": stated, "sort": "name"})
    assert _ids(everything) == ["STRONG", "WIDE", "CASE", "WEAK"]  # for sale only: EMPTY is out of stock
    assert everything["fit"] == {
        "considered": 4, "hidden": 2,
        "by_rule": {"rx_capable": 0, "sphere": 1, "cylinder": 0, "rim_power": 0, "multifocal": 0,
                    "lens_width_power": 0, "decentration": 0, "face_width": 1},
    }  # fmt: skip
    fitting = _browse(client, {"wearer": stated, "fits_me": True, "sort": "price_asc"})
    assert _ids(fitting) == ["CASE", "STRONG"] and fitting["total"] == 2 and fitting["wearer"] == "stated"
    wearer = Wearer.from_profile(type("P", (), {"prescription": MYOPE, "pd_mm": None, "face_width_mm": 136})())
    for item in fitting["items"]:
        assert check_frame(Frame.from_product(type("R", (), item)(), settings.rules), wearer, settings.rules).passed
    # the counts are among the products that match the filters and words
    rounds = _browse(client, {"wearer": stated, "fits_me": True, "filters": {"shape": "round", "q": "aria"}})
    assert _ids(rounds) == ["STRONG"] and rounds["fit"]["considered"] == 1 and rounds["fit"]["hidden"] == 0
    metal = _browse(client, {"wearer": stated, "filters": {"material": "METAL"}})
    assert _ids(metal) == ["WEAK"] and metal["fit"]["by_rule"]["sphere"] == 1
    nothing = _browse(client, {"filters": {"q": "no such words"}})
    assert nothing["items"] == [] and nothing["fit"]["considered"] == 0


def test_listing_pages_and_sorts(client: TestClient, service_headers: dict[str, str]) -> None:
    _catalog(client, service_headers)
    first = _browse(client, {"sort": "price_desc", "limit": 2})
    second = _browse(client, {"sort": "price_desc", "limit": 2, "offset": 2})
    assert _ids(first) == ["STRONG", "WEAK"] and _ids(second) == ["WIDE", "CASE"]
    assert first["total"] == 4 and first["wearer"] == "none" and first["fit"]["hidden"] == 0
    assert first["items"][0]["lens_width_mm"] == 50  # the whole product: a listing draws frames from it
    assert first["facets"] == {
        "category": ["accessories", "eyeglasses"], "shape": ["round", "square"], "rim_type": ["full-rim"],
        "material": ["acetate", "metal"],
    }  # fmt: skip


def test_bad_fit_requests_get_short_4xx(client: TestClient, service_headers: dict[str, str]) -> None:
    _catalog(client, service_headers)
    impossible = {"wearer": {"prescription": {"right": {"sph": -25}, "left": {"sph": -2}}}}
    response = client.post("/api/fit/products", json=impossible)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "wearer.prescription.right.sph"
    assert "between -20.00 and +20.00" in response.json()["error"]["message"]
    assert client.post("/api/fit/products/NOPE", json={}).status_code == 404
    assert client.post("/api/fit/products", json={"limit": 1000}).status_code == 422
    assert client.post("/api/fit/products", json={"filters": {"q": "x" * 500}}).status_code == 422
    assert client.post("/api/fit/products", json={"customer_id": "someone"}).status_code == 401
    _customer, token = register(client)
    other = client.post("/api/fit/products", json={"customer_id": "someone"}, headers=auth_header(token))
    assert other.status_code == 403
    both = {"prescription": MYOPE, "prescription_kind": "myopia"}
    assert client.post("/api/fit/wearer", json=both).status_code == 422
    assert (
        client.post("/api/fit/products", content=b"{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )


def test_a_stated_wearer_is_checked_and_sized(client: TestClient) -> None:
    body = client.post("/api/fit/wearer", json={"prescription": MYOPE, "face_width_mm": 146}).json()
    assert body == {"prescription_kind": "myopia", "face_size": "wide"}
    assert client.post("/api/fit/wearer", json={"prescription_kind": "multifocal"}).json() == {
        "prescription_kind": "multifocal", "face_size": "unknown",
    }  # fmt: skip
    bad = client.post("/api/fit/wearer", json={"prescription": {"right": {"sph": -2.3}, "left": {"sph": -2}}})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "prescription.right.sph"
