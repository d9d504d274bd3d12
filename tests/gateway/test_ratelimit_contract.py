"""The same contract for both rate-limit backends: in-process counters and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from optirec.gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("OPTIREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    yield RedisRateLimiter(REDIS_URL)


def test_allows_up_to_the_limit_then_refuses_with_a_retry_time(limiter: RateLimiter) -> None:
    bucket = f"test:{uuid.uuid4().hex}"
    verdicts = [limiter.hit(bucket, 3) for _ in range(5)]
    assert [allowed for allowed, _ in verdicts] == [True, True, True, False, False]
    assert all(0 < retry <= 60 for _, retry in verdicts)


def test_buckets_are_counted_apart(limiter: RateLimiter) -> None:
    first, second = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"
    assert limiter.hit(first, 1)[0] and not limiter.hit(first, 1)[0]
    assert limiter.hit(second, 1)[0]
