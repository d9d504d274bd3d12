"""Fixed-window rate limits: per API key or token, per client IP without credentials, stricter on login."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from optirec.db import Database
from optirec.gateway.ratelimit import WINDOW_SECONDS, MemoryRateLimiter
from tests.conftest import PASSWORD, make_key


@pytest.fixture(autouse=True)
def fresh_window() -> None:
    """Start well inside a window, so that no test sees its counters reset half-way."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < 3:
        time.sleep(left + 0.1)


def _assert_429(response: object, limit: int) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    retry_after = int(response.headers["retry-after"])  # type: ignore[attr-defined]
    assert 0 < retry_after <= WINDOW_SECONDS
    details = response.json()["error"]["details"]  # type: ignore[attr-defined]
    assert details == {"limit_per_minute": limit, "retry_after_seconds": retry_after}


def test_limit_per_key_counts_each_key_on_its_own(build_client: Callable[..., TestClient], db: Database) -> None:
    limited = build_client(rate_limit_per_minute=3)
    first, second = {"X-API-Key": make_key(db)}, {"X-API-Key": make_key(db)}
    assert [limited.get("/api/customers/x", headers=first).status_code for _ in range(3)] == [404] * 3
    _assert_429(limited.get("/api/customers/x", headers=first), 3)
    assert limited.get("/api/customers/x", headers=second).status_code == 404


def test_limit_per_ip_without_credentials(build_client: Callable[..., TestClient], db: Database) -> None:
    limited = build_client(rate_limit_ip_per_minute=2, rate_limit_per_minute=100)
    assert [limited.get("/api/catalog/products").status_code for _ in range(2)] == [200, 200]
    _assert_429(limited.get("/api/catalog/products"), 2)
    # A caller with a key has its own bucket, and operational endpoints are never limited.
    assert limited.get("/api/catalog/products", headers={"X-API-Key": make_key(db)}).status_code == 200
    assert limited.get("/healthz").status_code == 200


def test_login_is_limited_more_strictly_per_ip(build_client: Callable[..., TestClient]) -> None:
    limited = build_client(login_rate_limit_per_minute=2, rate_limit_ip_per_minute=100)
    form = {"username": "nobody@example.com", "password": PASSWORD}
    assert [limited.post("/api/auth/token", data=form).status_code for _ in range(2)] == [401, 401]
    _assert_429(limited.post("/api/auth/token", data=form), 2)
    # Registration shares the login bucket (it also guesses at accounts); other routes do not.
    _assert_429(limited.post("/api/auth/register", json={"email": "a@example.com", "password": PASSWORD}), 2)
    assert limited.get("/api/catalog/products").status_code == 200


def test_memory_limiter_allows_the_limit_then_refuses() -> None:
    limiter = MemoryRateLimiter()
    results = [limiter.hit("bucket", 2)[0] for _ in range(3)]
    assert results == [True, True, False]
    assert limiter.hit("other", 2)[0] is True


def test_made_up_credentials_do_not_escape_the_ip_limit(build_client: Callable[..., TestClient]) -> None:
    limited = build_client(rate_limit_ip_per_minute=2)
    statuses = [limited.get("/api/customers/x", headers={"X-API-Key": f"ork_forged_{n}"}).status_code for n in range(4)]
    assert statuses[-1] == 429
