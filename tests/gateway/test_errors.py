"""One JSON error shape, `{"error": {"code", "message", "details"}}`, for every 4xx and 5xx."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.runtime.app import create_app
from optirec.settings import Settings
from tests.conftest import PASSWORD, auth_header, product_data, register, signal_data, sqlite_file, unwritable


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


Call = Callable[[TestClient, dict[str, str]], httpx.Response]
CASES: list[tuple[str, int, str, Call]] = [
    ("no-credentials", 401, "unauthorized", lambda c, h: c.get("/api/customers/me")),
    ("customer-on-admin", 403, "forbidden", lambda c, h: c.get("/api/admin/keys", headers=h)),
    ("unknown-product", 404, "not_found", lambda c, h: c.get("/api/catalog/products/NOPE")),
    ("unknown-route", 404, "not_found", lambda c, h: c.get("/api/no/such/route")),
    ("wrong-method", 405, "method_not_allowed", lambda c, h: c.put("/healthz")),
    (
        "duplicate-email",
        409,
        "conflict",
        lambda c, h: c.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD}),
    ),
    (
        "oversize-batch",
        413,
        "payload_too_large",
        lambda c, h: c.post("/api/recommendations/signals", json=[{}] * 1001, headers=h),
    ),
    ("bad-field", 422, "invalid_input", lambda c, h: c.patch("/api/customers/me", json={"pd_mm": 20}, headers=h)),
    (
        "malformed-json",
        400,
        "malformed_json",
        lambda c, h: c.patch("/api/customers/me", content=b"{oops", headers={**h, "Content-Type": "application/json"}),
    ),
]


@pytest.mark.parametrize(("status", "code", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_has_the_one_shape(client: TestClient, status: int, code: str, call: Call) -> None:
    _, token = register(client, "ada@example.com")
    error_of(call(client, auth_header(token)), status, code)


def test_validation_error_lists_fields_without_echoing_the_input(client: TestClient) -> None:
    _, token = register(client)
    body = {"pd_mm": 20, "face_width_mm": 999, "birth_year": "soon"}
    error = error_of(client.patch("/api/customers/me", json=body, headers=auth_header(token)), 422, "invalid_input")
    assert {d["field"] for d in error["details"]} == {"pd_mm", "face_width_mm", "birth_year"}
    assert error["message"].endswith("(and 2 more)")
    assert "soon" not in str(error) and "999" not in str(error["details"])


def test_domain_error_in_a_service_maps_to_its_status(client: TestClient, service_headers: dict[str, str]) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    again = client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    assert "PATCH" in error_of(again, 409, "conflict")["message"]


def test_rate_limited_has_the_one_shape(build_client: Callable[..., TestClient]) -> None:
    limited = build_client(rate_limit_ip_per_minute=1)
    # The window is the clock's minute: two requests may straddle its turn, three cannot all fall in different ones.
    responses = [limited.get("/api/catalog/products") for _ in range(3)]
    refused = [r for r in responses if r.status_code != 200]
    assert refused, [r.status_code for r in responses]
    error = error_of(refused[0], 429, "rate_limited")
    assert error["details"]["limit_per_minute"] == 1


def test_unexpected_exception_is_a_500_with_the_one_shape_and_no_internals(
    settings: Settings, state: AppState, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, state)

    def boom(customer_id: str) -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/boom/{customer_id}", boom)
    with TestClient(app, raise_server_exceptions=False) as test_client, caplog.at_level(logging.ERROR):
        response = test_client.get("/boom/c_private42")
    error = error_of(response, 500, "internal_error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert error["details"] is None
    [logged] = [r.getMessage() for r in caplog.records if r.name == "optirec.errors"]
    # Regression: the log named the raw path, and so the customer id in it.
    assert logged == "unhandled error on GET /boom/{customer_id}: RuntimeError"


def test_a_lost_database_connection_is_a_503_worth_retrying(settings: Settings, state: AppState) -> None:
    from sqlalchemy.exc import OperationalError

    app = create_app(settings, state)

    def lost() -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    app.add_api_route("/lost", lost)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/lost")
    error_of(response, 503, "database_unavailable")
    assert response.headers["Retry-After"] == "1" and "server closed" not in response.text


def test_writes_the_disk_refuses_are_503s_worth_retrying(
    settings: Settings, build_client: Callable[..., TestClient], service_headers: dict[str, str], backend: str
) -> None:
    """Regression: with SQLite's write-lock file immutable, signals and profile changes answered 500."""
    if backend != "sqlite":
        pytest.skip("SQLite's files")
    lock = sqlite_file(settings.database_url, ".writelock")
    lock.touch()
    with unwritable(lock):
        client = build_client()  # a new process: it opens the lock file at its first write
        signal = client.post("/api/recommendations/signals", json=signal_data(), headers=service_headers)
        profile = client.put("/api/customers/c-1", json={"email": "c1@example.com"}, headers=service_headers)
    for response in (signal, profile):
        error_of(response, 503, "storage_unavailable")
        assert response.headers["Retry-After"] == "1" and "writelock" not in response.text


def test_a_database_error_is_logged_by_its_code_never_with_its_statement(
    settings: Settings, state: AppState, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLAlchemy's text of an error carries the statement and its values: the log names the driver's error."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    app = create_app(settings, state)

    def refused() -> None:
        cause = sqlite3.OperationalError("attempt to write a readonly database")
        cause.sqlite_errorname = "SQLITE_READONLY"  # type: ignore[attr-defined]  # as the driver sets it
        raise OperationalError("UPDATE customers SET email = ?", ("private@example.com",), cause)

    app.add_api_route("/refused", refused)
    with TestClient(app, raise_server_exceptions=False) as test_client, caplog.at_level(logging.WARNING):
        response = test_client.get("/refused")
    error_of(response, 503, "database_unavailable")
    [logged] = [r.getMessage() for r in caplog.records if r.name == "optirec.errors"]
    assert logged == "database unavailable on GET /refused: OperationalError SQLITE_READONLY"
    assert "private@example.com" not in caplog.text
