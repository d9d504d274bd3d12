"""`make bench-model`'s phase clock: each progress message's time goes to the phase the message ends."""

from __future__ import annotations

from benchmarks.model import PhaseClock, phase_of


def test_messages_are_grouped_into_the_phases_they_end() -> None:
    assert phase_of("epoch 7: loss 4.1") == phase_of("epoch 6: valid ndcg@10 0.05") == "network epochs"
    assert phase_of("item-to-item λ=150: valid ndcg@10 0.0516 (22.0 s)") == "item-to-item λ search"
    assert phase_of("blend: decay 0.8, weights (1.0, 0.1)") == "blend"
    assert phase_of("test refit: item-to-item on the test split's events") == "test refit"


def test_the_clock_sums_wall_and_cpu_per_phase() -> None:
    clock = PhaseClock()
    for message in ("epoch 1: loss 7", "epoch 2: loss 6", "blend: decay 1"):
        sum(range(200_000))  # some CPU in each step
        clock(message)
    assert list(clock.phases) == ["network epochs", "blend"]
    for totals in clock.phases.values():
        assert totals["wall_s"] >= 0.0 and totals["cpu_s"] >= totals["main_thread_cpu_s"] >= 0.0
