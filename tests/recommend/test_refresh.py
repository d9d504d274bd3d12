"""Stale-while-revalidate: after the first read, an expired value is still served while a thread recomputes it."""

from __future__ import annotations

import threading
import time

from optirec.recommend.refresh import Refreshing


def test_first_read_computes_and_an_expired_value_is_served_while_it_is_recomputed() -> None:
    release = threading.Event()
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        if len(calls) > 1:
            release.wait(5)  # a slow recomputation
        return {"n": len(calls)}

    value = Refreshing(compute, ttl_seconds=0.05, name="test")
    assert value.get() == {"n": 1} and value.generation == 1
    time.sleep(0.06)
    started = time.perf_counter()
    assert value.get() == {"n": 1}  # expired: the old value, at once
    assert time.perf_counter() - started < 0.5
    release.set()
    deadline = time.monotonic() + 5
    while value.generation < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert value.get() == {"n": 2} and len(calls) == 2


def test_an_empty_value_is_asked_again_at_every_read() -> None:
    rows: list[str] = []
    value = Refreshing(lambda: {r: 1 for r in rows}, ttl_seconds=600, name="test")
    assert value.get() == {}
    rows.append("FR-1")  # the first signal arrives
    assert value.get() == {"FR-1": 1}
    rows.append("FR-2")
    assert value.get() == {"FR-1": 1}  # counted now: kept for the ttl


def test_a_failed_recomputation_keeps_the_previous_value() -> None:
    fail = False

    def compute() -> dict[str, int]:
        if fail:
            raise RuntimeError("database down")
        return {"a": 1}

    value = Refreshing(compute, ttl_seconds=0.01, name="test")
    assert value.get() == {"a": 1}
    fail = True
    time.sleep(0.02)
    assert value.get() == {"a": 1}
    time.sleep(0.1)
    assert value.get() == {"a": 1} and value.generation == 1
