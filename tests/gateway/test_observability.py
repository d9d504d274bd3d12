"""Request ids, the access log (no personal data) and Prometheus metrics by route template."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.runtime.app import create_app
from optirec.settings import Settings
from tests.conftest import auth_header, product_data, register


def test_request_id_is_generated_when_absent(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_valid_incoming_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/api/catalog/products", headers={"X-Request-ID": "shop-req.42_a-b"})
    assert response.headers["x-request-id"] == "shop-req.42_a-b"


@pytest.mark.parametrize("bad", [b"x" * 65, b"has space", b"<script>", "ünï".encode()])
def test_bad_incoming_request_id_is_replaced(client: TestClient, bad: bytes) -> None:
    """An id that could forge log lines or bloat them is not echoed nor logged; a fresh one replaces it."""
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    echoed = response.headers["x-request-id"]
    assert echoed != bad and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_error_responses_carry_the_request_id_too(client: TestClient) -> None:
    response = client.get("/api/customers/me", headers={"X-Request-ID": "req-401"})
    assert response.status_code == 401 and response.headers["x-request-id"] == "req-401"


def test_a_500_carries_the_request_id(settings: Settings, state: AppState) -> None:
    # Regression: the 500 was sent by Starlette's outermost middleware, past the one that adds the id,
    # so the one response an operator most needs to find in the logs had no id.
    app = create_app(settings, state)

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500 and response.headers.get("x-request-id") == "req-500"
    assert response.json()["error"]["code"] == "internal_error"


def test_access_log_holds_no_personal_data(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """A prescription, e-mail, customer id or token sent or returned never reaches any log record."""
    email = "private.person@example.com"
    with caplog.at_level(logging.DEBUG):
        customer_id, token = register(client, email)
        profile = {
            "prescription": {"right": {"sph": -7.25, "cyl": -1.75, "axis": 93}, "left": {"sph": -6.75}},
            "pd_mm": 61.75,
        }
        assert client.patch("/api/customers/me", json=profile, headers=auth_header(token)).status_code == 200
        client.get(f"/api/customers/{customer_id}", headers=auth_header(token))  # a 403 naming the id in its path
        client.get("/api/customers/me/export", headers=auth_header(token))
        client.patch("/api/customers/me", json={"pd_mm": 12.25}, headers=auth_header(token))  # a 422
    access = [r for r in caplog.records if r.name == "optirec.access"]
    assert len(access) >= 5  # the access log is on, so the test looks at real lines
    assert any("/api/customers/{customer_id}" in r.getMessage() for r in access)
    # Two decimals each, so that no latency the access log prints ("12.5ms") can look like one of them.
    secrets = (email, customer_id, token, "7.25", "1.75", "6.75", "61.75", "12.25", "private")
    standard = set(vars(logging.makeLogRecord({})))  # timestamps and ids: numbers that may hold "1.75" by chance
    for record in (r for r in caplog.records if not r.name.startswith("httpx")):  # not the test client's own log
        extra = {k: v for k, v in vars(record).items() if k not in standard}
        # The latency argument is left out: its full-precision float ("1.7512…") may hold "1.75" by chance.
        args = [a for a in record.args if not isinstance(a, float)] if isinstance(record.args, tuple) else record.args
        text = record.getMessage() + " " + repr(args) + " " + repr(extra)
        assert not [s for s in secrets if s in text], record.getMessage()


def test_access_log_can_be_switched_off(
    build_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    quiet = build_client(access_log=False)
    with caplog.at_level(logging.INFO):
        quiet.get("/healthz")
    assert not [r for r in caplog.records if r.name == "optirec.access"]


def _count(metrics: str, method: str, route: str, status: str) -> float:
    pattern = rf'optirec_http_requests_total\{{method="{method}",route="{re.escape(route)}",status="{status}"\}} (\S+)'
    found = re.search(pattern, metrics)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_by_route_template(client: TestClient, service_headers: dict[str, str]) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    route = "/api/catalog/products/{product_id}"
    before = client.get("/metrics").text
    for product_id in ("FR-1", "FR-1", "NOPE"):
        client.get(f"/api/catalog/products/{product_id}")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert _count(after, "GET", route, "200") - _count(before, "GET", route, "200") == 2
    assert _count(after, "GET", route, "404") - _count(before, "GET", route, "404") == 1
    assert "FR-1" not in after and "NOPE" not in after  # raw paths would blow up the label set
    assert "optirec_http_request_seconds_bucket" in after


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/recommendations/personalized", b'{"limit": 12}'),  # the body read by `gateway.direct`
        ("/api/recommendations/signals", b'[{"action_type": "view"}]'),  # read by the endpoint itself
        ("/api/catalog/products", b'{"id": "FR-1"}'),  # read and validated by FastAPI
    ],
)
def test_a_caller_gone_before_the_body_is_read_is_not_a_server_error(
    client: TestClient, service_headers: dict[str, str], caplog: pytest.LogCaptureFixture, path: str, body: bytes
) -> None:
    """A shopper who closes the tab (or a client that times out) while its request is on its way: uvicorn hands the
    app a disconnect where the body should be. Regression: where the route reads the body itself (the lists, the
    signals), the read raised, which was logged as an unhandled error with its frames (about 3 kB a request, for
    anyone who opens connections and drops them) and counted as a 500; where FastAPI reads it, as a 400. Now:
    nothing logged but the access line, counted as 499 (nginx's "client closed request")."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-api-key", service_headers["X-API-Key"].encode())],
    }  # fmt: skip
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    before = client.get("/metrics").text
    assert client.portal is not None
    caplog.clear()
    with caplog.at_level(logging.INFO):
        client.portal.call(client.app, scope, receive, send)
    records = list(caplog.records)
    after = client.get("/metrics").text
    assert _count(after, "POST", path, "499") - _count(before, "POST", path, "499") == 1
    assert _count(after, "POST", path, "500") == _count(before, "POST", path, "500")
    assert not [r for r in records if r.levelno >= logging.WARNING], [r.getMessage() for r in records]
    assert [r.getMessage().split()[2] for r in records if r.name == "optirec.access"] == ["499"]
    # the direct route answers no one; FastAPI's own sends its 400 into the closed connection (uvicorn drops it)
    assert not sent or sent[0]["status"] == 400
