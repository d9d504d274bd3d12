"""Request bodies over the limit get 413, whether they declare a Content-Length or arrive chunked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.runtime.app import create_app
from optirec.settings import Settings
from tests.conftest import signal_data

LIMIT = 1024


def chunks(total: int, size: int = 256) -> Iterator[bytes]:
    """A body sent without a Content-Length (Transfer-Encoding: chunked)."""
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


@pytest.fixture
def small(build_client: Callable[..., TestClient]) -> TestClient:
    return build_client(max_body_bytes=LIMIT, max_import_bytes=4 * LIMIT)


def _assert_413(response: object, limit: int) -> None:
    assert response.status_code == 413, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "payload_too_large" and f"{limit:,} bytes" in error["message"]


# A route whose body FastAPI parses as JSON, and two that read the raw body themselves.
ROUTES = ["/api/catalog/products", "/api/recommendations/signals", "/api/customers/import"]


@pytest.mark.parametrize("path", ROUTES)
def test_declared_content_length_over_the_limit_is_413(
    small: TestClient, service_headers: dict[str, str], path: str
) -> None:
    limit = 4 * LIMIT if path.endswith("/import") else LIMIT
    headers = {**service_headers, "Content-Type": "application/json"}
    _assert_413(small.post(path, content=b" " * (limit + 1), headers=headers), limit)


@pytest.mark.parametrize("path", ROUTES)
def test_chunked_body_over_the_limit_is_413(small: TestClient, service_headers: dict[str, str], path: str) -> None:
    # Regression: on a route whose body FastAPI parses, the limit's error was turned into a 400 "error parsing
    # the body".
    limit = 4 * LIMIT if path.endswith("/import") else LIMIT
    headers = {**service_headers, "Content-Type": "application/json"}
    _assert_413(small.post(path, content=chunks(limit + 1), headers=headers), limit)


@pytest.mark.parametrize("chunked", [False, True])
def test_body_of_exactly_the_limit_passes(small: TestClient, service_headers: dict[str, str], chunked: bool) -> None:
    body = b'{"event_id": "e1", "customer_id": "c", "product_id": "p", "action_type": "view", '
    body += b'"occurred_at": "2026-11-01T10:00:00Z"}'
    body += b" " * (LIMIT - len(body))
    content = iter([body[:500], body[500:]]) if chunked else body
    headers = {**service_headers, "Content-Type": "application/json"}
    response = small.post("/api/recommendations/signals", content=content, headers=headers)
    assert len(body) == LIMIT and response.status_code == 200, response.text


def test_import_paths_take_the_larger_limit(small: TestClient, service_headers: dict[str, str]) -> None:
    line = b'{"id": "c-1", "pd_mm": 62}\n'
    body = line + b"\n" * (2 * LIMIT)  # over the default limit, under the import limit
    response = small.post("/api/customers/import", content=body, headers=service_headers)
    assert response.status_code == 200 and response.json()["created"] == 1


def test_oversize_signal_body_stores_nothing(small: TestClient, service_headers: dict[str, str]) -> None:
    batch = [signal_data(f"e{i}") for i in range(20)]
    response = small.post("/api/recommendations/signals", json=batch, headers=service_headers)
    assert response.status_code == 413
    one = small.post("/api/recommendations/signals", json=batch[0], headers=service_headers).json()
    assert (one["accepted"], one["duplicates"]) == (1, 0)  # nothing of the refused batch was stored


# --- the larger limit is the imports' alone, and no body is read before the caller is known ------------------------


def test_other_methods_on_an_import_path_take_the_default_limit(small: TestClient) -> None:
    """Regression (review item 1): the import limit applied to any path ending in `/import`, so `PUT
    /api/customers/import` (the upsert route, `{customer_id}` = "import") took 64 MiB from anyone."""
    body = b"[" + b"1," * (2 * LIMIT) + b"1]"
    for method in ("PUT", "PATCH"):
        for path in ("/api/customers/import", "/api/catalog/products/import"):
            _assert_413(small.request(method, path, content=body, headers={"Content-Type": "application/json"}), LIMIT)


def _send(app: Any, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, int]:
    """Send a request to the app itself, its body in 64 KiB pieces; (status, body bytes the app read)."""
    pieces = [body[start : start + 65_536] for start in range(0, len(body), 65_536)]
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not pieces:
            return {"type": "http.disconnect"}
        piece = pieces.pop(0)
        read += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return status, read


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/customers/import"),
        ("POST", "/api/catalog/products/import"),
        ("PATCH", "/api/customers/me"),
        ("POST", "/api/catalog/products"),
        ("PUT", "/api/customers/c-1"),
        ("POST", "/api/recommendations/personalized"),
        ("POST", "/api/recommendations/signals"),
    ],
)
@pytest.mark.parametrize("credential", [None, "Bearer not-a-token", "ork_unknown_key"])
def test_no_body_is_read_before_the_caller_is_known(
    settings: Settings, state: AppState, method: str, path: str, credential: str | None
) -> None:
    """Regression (review item 1): the body was parsed before the credential was checked, so an anonymous 16 MiB
    JSON array grew a worker from 330 to 710 MB before its 401."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 4 * 1024 * 1024}), state)
    headers = {"Content-Type": "application/json", "Content-Length": str(3 * 1024 * 1024)}
    if credential is not None:
        headers["X-API-Key" if credential.startswith("ork_") else "Authorization"] = credential
    status, read = _send(app, method, path, b"[" + b"1," * (1536 * 1024 - 1) + b"1]", headers)
    assert (status, read) == (401, 0)
