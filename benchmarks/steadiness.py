"""Is this machine steady enough for latency figures? A probe run beside `make bench-serve`'s loads.

A fixed piece of pure-Python work runs back to back, in chunks of about a millisecond, for a few seconds. On a
steady machine every chunk takes about as long as the fastest. A chunk that takes several times as long was held up
by something outside the process: another tenant of the host, the hypervisor, a burst of work elsewhere on the
machine. A server stalled the same way holds every request in flight, and the p99 counts them.

Measured on 2026-11-26 with nothing else running: every 1.5 s or so, 3 to 6 chunks in a row took 6 to 19 ms
instead of 1.1, in this probe as in the server's lists (logged per list: every step of the list slow at once, in
both workers at the same moment), and the demo shop's p99 at 200 lists/s rose from under 10 ms to 40–80 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

STALL_FACTOR = 5.0  # a chunk this many times slower than the fastest counts as a stall


@dataclass(frozen=True)
class Steadiness:
    seconds: float
    chunk_ms: float  # the fastest chunk
    chunks: int
    stalls: int  # chunks that took over STALL_FACTOR × the fastest
    lost_ms: float  # time those chunks took beyond the fastest
    worst_ms: float

    @property
    def lost_share(self) -> float:
        return self.lost_ms / (self.seconds * 1000) if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"machine steadiness: {self.stalls} stalls in {self.seconds:.0f} s of {self.chunk_ms:.1f} ms chunks of "
            f"work, the worst {self.worst_ms:.0f} ms, {self.lost_share:.1%} of the time lost"
        )


def _work() -> int:
    total = 0
    for i in range(20_000):
        total += i * i
    return total


def probe(seconds: float = 5.0, work: Callable[[], object] = _work) -> Steadiness:
    """Run `work` back to back for `seconds` and count the chunks that took over `STALL_FACTOR` times the fastest."""
    durations: list[float] = []
    start = time.perf_counter()
    work()  # warm
    while (now := time.perf_counter()) - start < seconds:
        work()
        durations.append(time.perf_counter() - now)
    fastest = min(durations)
    slow = [d for d in durations if d > STALL_FACTOR * fastest]
    return Steadiness(
        seconds=time.perf_counter() - start,
        chunk_ms=fastest * 1000,
        chunks=len(durations),
        stalls=len(slow),
        lost_ms=sum(d - fastest for d in slow) * 1000,
        worst_ms=max(durations) * 1000,
    )
