"""Fixed-window rate limits per credential and per client IP, stricter on login; in process or in Redis."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from optirec.gateway.errors import error_response
from optirec.settings import Settings

WINDOW_SECONDS = 60
LOGIN_PATHS = ("/api/auth/token", "/api/auth/register")


class RateLimiter(Protocol):
    def hit(self, bucket: str, limit: int) -> tuple[bool, int]:
        """Count one request in `bucket`; (allowed, seconds until the window resets)."""


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
        allowed, retry_after = self.limiter.hit(bucket, limit)
        if not allowed:
            response = error_response(
                429,
                "rate_limited",
                f"Too many requests: the limit is {limit} a minute. Try again in {retry_after} s.",
                {"limit_per_minute": limit, "retry_after_seconds": retry_after},
                headers={"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _bucket(self, scope: Scope) -> tuple[str, int]:
        if scope["path"] in LOGIN_PATHS:
            return f"login:{_client_ip(scope)}", self.settings.login_rate_limit_per_minute
        credential = _credential(scope)
        if credential is not None:
            # The digest names the credential without keeping it; a forged one only spends its own bucket.
            return f"cred:{hashlib.sha256(credential).hexdigest()[:24]}", self.settings.rate_limit_per_minute
        return f"ip:{_client_ip(scope)}", self.settings.rate_limit_ip_per_minute
