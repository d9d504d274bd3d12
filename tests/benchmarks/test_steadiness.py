"""The machine-steadiness probe that `make bench-serve` prints beside its latencies."""

from __future__ import annotations

import time

from benchmarks.steadiness import Steadiness, probe


def test_stalls_outside_the_work_are_counted_and_timed() -> None:
    calls = 0

    def work() -> None:
        nonlocal calls
        calls += 1
        time.sleep(0.02 if calls % 25 == 0 else 0.001)  # every 25th chunk held up for 20 ms

    found = probe(0.6, work)
    assert 1.0 <= found.chunk_ms < 2.0
    assert found.stalls >= 2 and found.stalls <= found.chunks // 10
    assert found.worst_ms >= 20
    assert found.lost_ms >= found.stalls * 15
    assert 0 < found.lost_share < 0.5


def test_steady_work_has_few_stalls() -> None:
    found = probe(0.3, lambda: time.sleep(0.002))
    # Few rather than none: the machine itself may stall a chunk or two (what the probe is for).
    assert found.chunks >= 50 and found.stalls <= found.chunks // 10


def test_the_summary_says_what_was_lost() -> None:
    summary = Steadiness(seconds=5.0, chunk_ms=1.1, chunks=4000, stalls=20, lost_ms=250.0, worst_ms=18.7).summary()
    assert summary == (
        "machine steadiness: 20 stalls in 5 s of 1.1 ms chunks of work, the worst 19 ms, 5.0% of the time lost"
    )
