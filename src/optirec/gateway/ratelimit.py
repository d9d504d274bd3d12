"""Fixed-window rate limits per credential and per client IP, stricter on login; in process or in Redis."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optirec.errors import RateLimited
from optirec.gateway.errors import error_response
from optirec.settings import Settings

WINDOW_SECONDS = 60
LOGIN_PATHS = ("/api/auth/token", "/api/auth/register")


class RateLimiter(Protocol):
    def hit(self, bucket: str, limit: int) -> tuple[bool, int]:
        """Count one request in `bucket`; (allowed, seconds until the window resets)."""

    def peek(self, bucket: str) -> int:
        """How many requests `bucket` has counted in the current window (counting none)."""


class MemoryRateLimiter:
    """Counters in this process only: right for one worker, per-worker with several."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._window = 0

    def hit(self, bucket: str, limit: int) -> tuple[bool, int]:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if window != self._window:
                self._counts = {key: n for key, n in self._counts.items() if key[1] >= window}
                self._window = window
            count = self._counts.get((bucket, window), 0) + 1
            self._counts[(bucket, window)] = count
        return count <= limit, WINDOW_SECONDS - int(now % WINDOW_SECONDS)

    def peek(self, bucket: str) -> int:
        return self._counts.get((bucket, int(time.time() // WINDOW_SECONDS)), 0)


class RedisRateLimiter:
    """Counters shared by every worker and replica."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def hit(self, bucket: str, limit: int) -> tuple[bool, int]:
        now = time.time()
        key = f"optirec:rl:{bucket}:{int(now // WINDOW_SECONDS)}"
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 5)
        count = int(pipe.execute()[0])
        return count <= limit, WINDOW_SECONDS - int(now % WINDOW_SECONDS)

    def peek(self, bucket: str) -> int:
        value = self._redis.get(f"optirec:rl:{bucket}:{int(time.time() // WINDOW_SECONDS)}")
        return int(value) if value is not None else 0


class AccountThrottle:
    """Failed sign-ins per account, per window, beside the per-address limit: a guesser spread over many addresses
    (or behind one proxy with every shopper) still gets only `limit` tries a minute at one account. Counted in the
    shared limiter (Redis with several workers or replicas), under a digest of the e-mail address, never the address.
    The price: failing on purpose delays the account's owner until the minute ends (never longer)."""

    def __init__(self, limiter: RateLimiter, limit: int) -> None:
        self._limiter, self._limit = limiter, limit

    def check(self, email: str) -> None:
        """`RateLimited` (429 with `Retry-After`) when the account has used its failures for this window."""
        if self._limiter.peek(self._bucket(email)) >= self._limit:
            retry_after = WINDOW_SECONDS - int(time.time() % WINDOW_SECONDS)
            raise RateLimited(
                f"Too many failed sign-ins on this account; try again in {retry_after} s.",
                details={"retry_after_seconds": retry_after},
                headers={"Retry-After": str(retry_after)},
            )

    def failed(self, email: str) -> None:
        self._limiter.hit(self._bucket(email), self._limit)

    @staticmethod
    def _bucket(email: str) -> str:
        return "loginfail:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def make_rate_limiter(settings: Settings) -> RateLimiter:
    return RedisRateLimiter(settings.redis_url) if settings.redis_url else MemoryRateLimiter()


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _credential(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name in (b"authorization", b"x-api-key") and value:
            return bytes(value)
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, settings: Settings) -> None:
        self.app = app
        self.limiter = limiter
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        bucket, limit = self._bucket(scope)
        ip_bucket, ip_limit = f"authfail:{_client_ip(scope)}", self.settings.rate_limit_ip_per_minute
        if bucket.startswith("cred:") and self.limiter.peek(ip_bucket) >= ip_limit:
            # This address spent its budget on credentials that were refused: no more key lookups for it.
            await self._refuse(scope, receive, send, ip_limit, WINDOW_SECONDS - int(time.time() % WINDOW_SECONDS))
            return
        allowed, retry_after = self.limiter.hit(bucket, limit)
        if not allowed:
            await self._refuse(scope, receive, send, limit, retry_after)
            return
        if not bucket.startswith("cred:"):
            await self.app(scope, receive, send)
            return

        async def counting_refusals(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.hit(ip_bucket, ip_limit)  # a refused credential spends the address's budget
            await send(message)

        await self.app(scope, receive, counting_refusals)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, retry_after: int) -> None:
        response = error_response(
            429,
            "rate_limited",
            f"Too many requests: the limit is {limit} a minute. Try again in {retry_after} s.",
            {"limit_per_minute": limit, "retry_after_seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)

    def _bucket(self, scope: Scope) -> tuple[str, int]:
        if scope["path"] in LOGIN_PATHS:
            return f"login:{_client_ip(scope)}", self.settings.login_rate_limit_per_minute
        credential = _credential(scope)
        if credential is not None:
            # The digest names the credential without keeping it. Refused credentials are also counted per address.
            return f"cred:{hashlib.sha256(credential).hexdigest()[:24]}", self.settings.rate_limit_per_minute
        return f"ip:{_client_ip(scope)}", self.settings.rate_limit_ip_per_minute
