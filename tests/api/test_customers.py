"""`/api/customers/me…` for customers and `/api/customers/{id}…`, `/api/customers/import` for the shop's servers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from optirec.store import Database
from optirec.store.tables import Customer, CustomerProfile, Signal
from tests.conftest import PASSWORD, auth_header, register, signal_data

ME = "/api/customers/me"
PRESCRIPTION = {
    "right": {"sph": -2.25, "cyl": -0.75, "axis": 90, "add": None},
    "left": {"sph": -2.0, "cyl": 0.0, "axis": None, "add": None},
}
PROFILE = {
    "prescription": PRESCRIPTION,
    "pd_mm": 63.0,
    "face_width_mm": 138.0,
    "preferences": {"shapes": ["Round"], "colours": ["black"], "materials": [], "brands": [], "rim_types": []},
    "budget_min": 50.0,
    "budget_max": 200.0,
}


def test_new_customer_has_an_empty_profile(client: TestClient) -> None:
    customer_id, token = register(client)
    me = client.get(ME, headers=auth_header(token)).json()
    assert me["id"] == customer_id and me["profile"]["prescription"] is None
    assert me["profile"]["consent"] == {"personalization": True}
    assert "password" not in json.dumps(me)


def test_patch_then_get_returns_the_profile(client: TestClient) -> None:
    _, token = register(client)
    patched = client.patch(ME, json=PROFILE, headers=auth_header(token))
    assert patched.status_code == 200, patched.text
    profile = client.get(ME, headers=auth_header(token)).json()["profile"]
    assert profile == patched.json()["profile"]
    assert profile["prescription"] == PRESCRIPTION and profile["pd_mm"] == 63.0
    assert profile["preferences"]["shapes"] == ["round"] and (profile["budget_min"], profile["budget_max"]) == (50, 200)


def test_patch_changes_only_what_is_sent_and_null_clears(client: TestClient) -> None:
    _, token = register(client)
    client.patch(ME, json=PROFILE, headers=auth_header(token))
    client.patch(ME, json={"pd_mm": 61.5}, headers=auth_header(token))
    profile = client.get(ME, headers=auth_header(token)).json()["profile"]
    assert profile["pd_mm"] == 61.5 and profile["prescription"] == PRESCRIPTION
    client.patch(ME, json={"prescription": None, "preferences": None}, headers=auth_header(token))
    profile = client.get(ME, headers=auth_header(token)).json()["profile"]
    assert profile["prescription"] is None and profile["preferences"]["shapes"] == [] and profile["pd_mm"] == 61.5


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"prescription": {**PRESCRIPTION, "right": {"sph": -2.3}}}, "prescription.right.sph", "steps of 0.25"),
        (
            {"prescription": {**PRESCRIPTION, "left": {"sph": -25}}},
            "prescription.left.sph",
            "between -20.00 and +20.00",
        ),
        (
            {"prescription": {**PRESCRIPTION, "right": {"sph": 0, "cyl": -7, "axis": 5}}},
            "prescription.right.cyl",
            "-6.00",
        ),
        ({"prescription": {**PRESCRIPTION, "right": {"sph": 0, "cyl": -1}}}, "prescription.right", "Axis is missing"),
        ({"prescription": {**PRESCRIPTION, "right": {"sph": 1, "add": 4}}}, "prescription.right.add", "+3.50"),
        ({"pd_mm": 45}, "pd_mm", "greater than or equal to 50"),
        ({"budget_min": 300, "budget_max": 100}, None, "budget_min (300) is above budget_max (100)"),
        ({"prescription": {"right": {"sph": 0}}}, "prescription.left", "Field required"),
        ({"nickname": "x"}, "nickname", "Extra inputs"),
    ],
    ids=["sph-step", "sph-range", "cyl-range", "axis-missing", "add-range", "pd", "budget", "one-eye", "unknown"],
)
def test_bad_profile_is_422_with_a_readable_message_and_nothing_written(
    client: TestClient, body: dict[str, Any], field: str | None, words: str
) -> None:
    _, token = register(client)
    client.patch(ME, json={"pd_mm": 62}, headers=auth_header(token))
    response = client.patch(ME, json=body, headers=auth_header(token))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["field"] == field and words in error["message"]
    profile = client.get(ME, headers=auth_header(token)).json()["profile"]
    assert profile["pd_mm"] == 62 and profile["prescription"] is None


def test_export_holds_profile_and_signals_and_nothing_of_others(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    ada_id, ada = register(client, "ada@example.com")
    bob_id, bob = register(client, "bob@example.com")
    client.patch(ME, json=PROFILE, headers=auth_header(ada))
    client.patch(ME, json={"pd_mm": 70}, headers=auth_header(bob))
    context = {"page": "product", "device": "mobile"}
    client.post(
        "/api/recommendations/signals",
        json=signal_data("a1", customer_id=ada_id, context=context),
        headers=auth_header(ada),
    )
    client.post("/api/recommendations/signals", json=signal_data("b1", customer_id=bob_id), headers=service_headers)
    export = client.get(f"{ME}/export", headers=auth_header(ada)).json()
    assert export["customer"]["id"] == ada_id and export["customer"]["profile"]["prescription"] == PRESCRIPTION
    assert [(s["event_id"], s["context"]) for s in export["signals"]] == [("a1", context)]
    assert export["recommendations_served"] == []
    text = json.dumps(export)
    assert bob_id not in text and "bob@example.com" not in text and export["customer"]["profile"]["pd_mm"] == 63


def test_delete_me_erases_profile_and_signals_then_refuses_the_token(client: TestClient, db: Database) -> None:
    ada_id, ada = register(client, "ada@example.com")
    bob_id, bob = register(client, "bob@example.com")
    for token in (ada, bob):
        client.patch(ME, json=PROFILE, headers=auth_header(token))
        sent = client.post(
            "/api/recommendations/signals",
            json=signal_data(customer_id=None),  # the token fills in its own customer
            headers=auth_header(token),
        )
        assert sent.json()["accepted"] == 1
    response = client.delete(ME, headers=auth_header(ada))
    assert response.status_code == 200 and response.json() == {
        "signals": 1,
        "recommendations_served": 0,
        "customers": 1,
    }
    with db.read() as session:
        assert session.get(Customer, ada_id) is None and session.get(CustomerProfile, ada_id) is None
        assert session.scalar(select(func.count()).where(Signal.customer_id == ada_id)) == 0
        assert session.get(CustomerProfile, bob_id) is not None  # the other customer is untouched
        assert session.scalar(select(func.count()).where(Signal.customer_id == bob_id)) == 1
    assert client.get(ME, headers=auth_header(ada)).status_code == 401
    # The e-mail address is free again.
    assert client.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD}).status_code == 201


def test_service_upserts_a_customer_by_the_shops_id(client: TestClient, service_headers: dict[str, str]) -> None:
    created = client.put(
        "/api/customers/shop-42", json={"email": "C@Example.com", "pd_mm": 60}, headers=service_headers
    )
    assert created.status_code == 200
    assert (created.json()["email"], created.json()["profile"]["pd_mm"]) == ("c@example.com", 60)
    client.put("/api/customers/shop-42", json={"face_width_mm": 140}, headers=service_headers)
    got = client.get("/api/customers/shop-42", headers=service_headers).json()
    assert (got["profile"]["pd_mm"], got["profile"]["face_width_mm"]) == (60, 140)


def test_service_upsert_refuses_an_email_taken_by_another_customer(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    register(client, "ada@example.com")
    response = client.put("/api/customers/shop-1", json={"email": "ada@example.com"}, headers=service_headers)
    assert response.status_code == 409
    assert client.get("/api/customers/shop-1", headers=service_headers).status_code == 404  # nothing half-written


def test_service_upsert_refuses_a_bad_id(client: TestClient, service_headers: dict[str, str]) -> None:
    assert client.put("/api/customers/has space", json={}, headers=service_headers).status_code == 422


def test_service_export_and_delete_of_a_customer(client: TestClient, service_headers: dict[str, str]) -> None:
    client.put("/api/customers/shop-1", json={"pd_mm": 60}, headers=service_headers)
    client.post("/api/recommendations/signals", json=signal_data(customer_id="shop-1"), headers=service_headers)
    assert len(client.get("/api/customers/shop-1/export", headers=service_headers).json()["signals"]) == 1
    assert client.delete("/api/customers/shop-1", headers=service_headers).json()["signals"] == 1
    assert client.get("/api/customers/shop-1", headers=service_headers).status_code == 404
    assert client.delete("/api/customers/shop-1", headers=service_headers).status_code == 404


def _import(client: TestClient, headers: dict[str, str], lines: list[str]) -> dict[str, Any]:
    response = client.post("/api/customers/import", content="\n".join(lines).encode(), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_import_customers_reports_bad_lines_and_reimport_changes_nothing(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    lines = [
        json.dumps({"id": "shop-1", "email": "one@example.com", "prescription": PRESCRIPTION}),
        json.dumps({"id": "shop-2", "pd_mm": 99}),
        "{oops",
        json.dumps({"id": "shop-3", "preferences": {"shapes": ["round"]}}),
    ]
    first = _import(client, service_headers, lines)
    assert (first["created"], first["rejected"]) == (2, 2)
    assert [(e["line"], e["id"]) for e in first["errors"]] == [(2, "shop-2"), (3, None)]
    assert "pd_mm" in first["errors"][0]["reason"]
    second = _import(client, service_headers, lines)
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)
    lines[3] = json.dumps({"id": "shop-3", "preferences": {"shapes": ["square"]}})
    third = _import(client, service_headers, lines)
    assert (third["updated"], third["unchanged"]) == (1, 1)
    got = client.get("/api/customers/shop-1", headers=service_headers).json()
    assert got["profile"]["prescription"] == PRESCRIPTION


def test_import_customer_with_an_email_taken_is_reported_and_the_others_land(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    register(client, "ada@example.com")
    lines = [
        json.dumps({"id": "shop-1", "pd_mm": 60}),
        json.dumps({"id": "shop-2", "email": "ada@example.com"}),
        json.dumps({"id": "shop-3", "pd_mm": 61}),
        json.dumps({"id": "shop-4", "email": "twice@example.com"}),
        json.dumps({"id": "shop-5", "email": "twice@example.com"}),
    ]
    # Regression: one taken address answered 409 for the whole file, and no good row landed.
    report = _import(client, service_headers, lines)
    assert (report["created"], report["rejected"]) == (3, 2)
    assert [(e["line"], e["id"]) for e in report["errors"]] == [(2, "shop-2"), (5, "shop-5")]
    assert all("e-mail" in e["reason"] for e in report["errors"])
    assert client.get("/api/customers/shop-2", headers=service_headers).status_code == 404


# --- who a service key may manage --------------------------------------------------------------------------------


def _admin_account(db: Database) -> str:
    from optirec.auth import service as auth_service
    from tests.conftest import PASSWORD

    with db.write() as session:
        return auth_service.register_customer(
            session=session, email="root@example.com", password=PASSWORD, role="admin"
        ).id


def test_service_key_cannot_take_over_an_administrator(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """Regression (review item 6): `PUT /api/customers/{admin_id}` with a service key changed an administrator's
    e-mail, and `DELETE` erased one. Service keys manage accounts of role customer only."""
    admin_id = _admin_account(db)
    path = f"/api/customers/{admin_id}"
    for method, body in (("PUT", {"email": "mallory@example.com"}), ("DELETE", None), ("GET", None)):
        response = client.request(method, path, json=body, headers=service_headers)
        assert response.status_code == 403, (method, response.text)
    assert client.get(f"{path}/export", headers=service_headers).status_code == 403
    line = json.dumps({"id": admin_id, "email": "mallory@example.com"}).encode()
    report = client.post(
        "/api/customers/import", content=line, headers={**service_headers, "Content-Type": "application/x-ndjson"}
    ).json()
    assert (report["rejected"], report["updated"]) == (1, 0) and "manages customer accounts only" in report["errors"][
        0
    ]["reason"]
    with db.read() as session:
        admin = session.get(Customer, admin_id)
        assert admin is not None and admin.email == "root@example.com"
    # An administrator's key still manages any account; a service key its customers.
    assert client.get(path, headers=admin_headers).status_code == 200
    assert client.put("/api/customers/shopper-1", json={"pd_mm": 63}, headers=service_headers).status_code == 200
    assert client.delete("/api/customers/shopper-1", headers=service_headers).status_code == 200


@pytest.mark.parametrize(
    "value",
    ["1e5000000", "-1e5000000", "2." + "5" * 5000, "1e999999"],
    ids=["huge", "huge-negative", "many-digits", "at-the-context-limit"],
)
def test_an_error_never_echoes_an_unbounded_number(client: TestClient, value: str) -> None:
    """Regression (review item 2): `{"prescription":{"right":{"sph":"1e5000000"},…}}` answered 422 with a 10 MB body
    (the value formatted to five million digits, twice)."""
    _, token = register(client)
    body = {"prescription": {"right": {"sph": value}, "left": {"sph": value}}}
    response = client.patch(ME, json=body, headers=auth_header(token))
    assert response.status_code == 422 and len(response.content) < 2000, response.content[:300]
    assert "Sphere (SPH)" in response.json()["error"]["message"]


def test_an_out_of_range_axis_is_not_echoed_in_full(client: TestClient) -> None:
    _, token = register(client)
    eye = {"sph": -1, "cyl": -1, "axis": int("9" * 4000)}
    response = client.patch(ME, json={"prescription": {"right": eye, "left": eye}}, headers=auth_header(token))
    assert response.status_code == 422 and len(response.content) < 2000
