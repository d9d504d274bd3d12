"""`PrincipalCache.resolve`: the requests that miss while a look-up is in flight share it."""

from __future__ import annotations

import asyncio

import pytest

from optirec.auth.cache import PrincipalCache
from optirec.auth.service import Principal
from optirec.errors import Unauthorized

SERVER = Principal(role="service", key_id="k-1")


class _Lookups:
    """A key table that answers after a moment and counts how often it is read."""

    def __init__(self, answer: Principal | Exception) -> None:
        self.answer, self.reads = answer, 0

    async def __call__(self) -> Principal:
        self.reads += 1
        await asyncio.sleep(0.01)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_concurrent_misses_share_one_look_up_and_the_next_request_is_served_from_the_cache() -> None:
    cache, table = PrincipalCache(60), _Lookups(SERVER)

    async def serve() -> list[Principal]:
        found = await asyncio.gather(*(cache.resolve("key:a", table) for _ in range(30)))
        return [*found, await cache.resolve("key:a", table)]

    assert asyncio.run(serve()) == [SERVER] * 31
    assert table.reads == 1


def test_a_failed_look_up_fails_every_waiting_request_and_is_not_kept() -> None:
    cache, table = PrincipalCache(60), _Lookups(Unauthorized("Unknown API key."))

    async def serve() -> list[object]:
        return await asyncio.gather(*(cache.resolve("key:bad", table) for _ in range(5)), return_exceptions=True)

    assert all(isinstance(outcome, Unauthorized) for outcome in asyncio.run(serve()))
    assert table.reads == 1 and cache.get("key:bad") is None


def test_a_look_up_begun_before_a_revocation_is_not_kept() -> None:
    cache, table = PrincipalCache(60), _Lookups(SERVER)

    async def serve() -> Principal:
        looking = asyncio.ensure_future(cache.resolve("key:a", table))
        await asyncio.sleep(0)  # the look-up is in flight
        cache.clear()  # a key revoked meanwhile
        return await looking

    assert asyncio.run(serve()) == SERVER  # the request that asked before the revocation is answered
    assert cache.get("key:a") is None  # but the next one reads the key table again


def test_a_request_that_goes_away_does_not_cancel_the_look_up_of_the_others() -> None:
    cache, table = PrincipalCache(60), _Lookups(SERVER)

    async def serve() -> Principal:
        leaving = asyncio.ensure_future(cache.resolve("key:a", table))
        staying = asyncio.ensure_future(cache.resolve("key:a", table))
        await asyncio.sleep(0)
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        return await staying

    assert asyncio.run(serve()) == SERVER
    assert table.reads == 1 and cache.get("key:a") == SERVER
