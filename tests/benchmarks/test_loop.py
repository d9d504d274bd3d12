"""`make bench-loop` at a small size: the closed loop runs end to end (serving, signals, a retraining, new products)
under popularity, exploration (half of it near the list) and the split of popularity against exploration, the
off-policy estimates come out, and no shown product breaks a hard filter."""

from __future__ import annotations

from pathlib import Path

from benchmarks.loop import main

SMALL = ["--seeds", "1", "--days", "3", "--week", "2", "--products", "120", "--arrivals", "20", "--customers", "300",
         "--visits", "25", "--warmup-events", "3000", "--train-epochs", "2"]  # fmt: skip


def test_a_small_closed_loop_runs_every_policy(tmp_path: Path) -> None:
    png = tmp_path / "loop.png"
    results = main([*SMALL, "--png", str(png), "--policies", "popularity,explore,split", "--near-share", "0.5"])
    assert [r.policy for r in results] == ["popularity", "explore", "split"]
    for result in results:
        assert len(result.daily) == 3 and sum(result.daily) > 0
        assert result.violations == 0
        assert len(result.halftimes) == 1 and len(result.new_share) == 1  # the products that arrived on day 2
    explore = results[1]
    assert set(explore.ope) == {"logged, purchases", "greedy, purchases", "logged, clicks", "greedy, clicks"}
    for value, low, high, truth in explore.ope.values():
        assert low <= value <= high and truth > 0
    split = results[2]
    assert list(split.arms) == ["popularity", "explore"]  # control first
    for rates in split.arms.values():  # click-through, add-to-cart rate, conversion: each a share of lists
        assert len(rates) == 3 and all(0.0 <= r <= 1.0 for r in rates) and rates[0] >= rates[1] >= rates[2]
    assert set(split.ope) == {"logged, purchases", "logged, clicks"}  # popularity's lists say nothing of greedy's
    assert png.stat().st_size > 10_000
