"""Fixed-window rate limits: per API key or token, per client IP without credentials, stricter on login."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from optirec.gateway.ratelimit import WINDOW_SECONDS, MemoryRateLimiter
from optirec.runtime.app import create_app
from optirec.runtime.state import build_state
from optirec.settings import Settings
from optirec.store import Database
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


# --- behind a reverse proxy ----------------------------------------------------------------------------------------


@pytest.fixture
def behind_proxy(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """A client of an app whose every request comes from the proxy at 10.0.0.2 (with some settings changed)."""
    opened: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        changed = settings.model_copy(update=overrides)
        client = TestClient(create_app(changed, build_state(changed)), client=("10.0.0.2", 40000))
        opened.append(client.__enter__())
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)


def test_a_trusted_proxy_names_the_client_so_each_shopper_keeps_their_own_limit(
    behind_proxy: Callable[..., TestClient],
) -> None:
    """Regression (review item 9): `proxy_headers` was hard-coded off, so behind a reverse proxy every client shared
    the proxy's address and its 20-a-minute sign-in limit: anyone could lock every shopper out."""
    proxied = behind_proxy(login_rate_limit_per_minute=2, trusted_proxies=["10.0.0.0/24"])
    form = {"username": "nobody@example.com", "password": PASSWORD}

    def sign_in(client_ip: str) -> int:
        return proxied.post("/api/auth/token", data=form, headers={"X-Forwarded-For": client_ip}).status_code

    assert [sign_in("203.0.113.7") for _ in range(3)] == [401, 401, 429]  # the attacker's own address is limited
    assert sign_in("198.51.100.9") == 401  # another shopper behind the same proxy is not


def test_an_untrusted_peer_cannot_choose_its_address(behind_proxy: Callable[..., TestClient]) -> None:
    direct = behind_proxy(login_rate_limit_per_minute=2, trusted_proxies=["192.0.2.1"])  # not the peer's address
    form = {"username": "nobody@example.com", "password": PASSWORD}
    statuses = [
        direct.post("/api/auth/token", data=form, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_trusted_proxies_must_be_addresses(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="not an IP address or a CIDR range"):
        Settings(trusted_proxies=["proxy.internal"], _env_file=None)  # type: ignore[call-arg]


def test_failed_sign_ins_are_limited_per_account_from_any_address(
    behind_proxy: Callable[..., TestClient],
) -> None:
    """The per-account throttle beside the per-address one: a guesser rotating addresses gets `limit` tries a minute
    at one account; the owner's account answers 429 until the minute ends, other accounts are untouched."""
    proxied = behind_proxy(
        login_failures_per_account_per_minute=3, login_rate_limit_per_minute=100, trusted_proxies=["10.0.0.2"]
    )
    proxied.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})

    def sign_in(email: str, password: str, ip: str) -> object:
        form = {"username": email, "password": password}
        return proxied.post("/api/auth/token", data=form, headers={"X-Forwarded-For": ip})

    assert [sign_in("ada@example.com", f"guess {n}", f"203.0.113.{n}").status_code for n in range(3)] == [401] * 3
    refused = sign_in("ADA@example.com", PASSWORD, "198.51.100.1")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= WINDOW_SECONDS  # type: ignore[attr-defined]
    assert sign_in("bob@example.com", "whatever", "198.51.100.1").status_code == 401  # another account: not limited
