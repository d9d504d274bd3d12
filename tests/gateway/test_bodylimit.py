"""Request bodies over the limit get 413, whether they declare a Content-Length or arrive chunked."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

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
