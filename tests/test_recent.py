"""`optirec.recent.Recent`: reused while fresh, made again in the background once stale (the stale value answered
meanwhile, one remake at a time), and made on every call with 0 seconds."""

from __future__ import annotations

import threading
import time

from optirec.recent import Recent


def test_a_fresh_count_is_reused_and_a_stale_one_answered_while_it_is_counted_again() -> None:
    counts: list[int] = []
    release = threading.Event()

    def compute() -> int:
        if counts:  # every count after the first waits until the test lets it finish
            release.wait(5)
        counts.append(len(counts) + 1)
        return len(counts)

    recent = Recent(compute, seconds=0.2)
    first = recent.get()
    assert first.value == 1 and recent.get() is first  # fresh: the same count, nothing counted again
    time.sleep(0.25)
    assert recent.get() is first  # stale: answered at once, a count started in the background
    assert recent.get() is first  # one count at a time
    release.set()
    deadline = time.monotonic() + 5
    while recent.get().value == 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recent.get().value == 2 and counts == [1, 2]


def test_zero_seconds_counts_on_every_request() -> None:
    calls = iter(range(1, 100))
    recent = Recent(lambda: next(calls), seconds=0)
    assert [recent.get().value for _ in range(3)] == [1, 2, 3]
