"""The split's experiment in the closed loop (`benchmarks.loop_stats.SplitTest`), on counts whose answer is known."""

from __future__ import annotations

from benchmarks.loop_stats import SplitTest


def test_a_clearly_better_arm_is_declared_on_the_first_day_its_interval_excludes_zero() -> None:
    test = SplitTest("popularity", "explore")
    for day in range(1, 11):
        for k in range(100):
            test.add("popularity", viewed=k % 4 == 0, carted=False, bought=False)  # a quarter viewed
            test.add("explore", viewed=k % 2 == 0, carted=False, bought=False)  # half viewed
        test.look(day)
    day, verdict = test.decided["click_through"]
    assert verdict == "better" and 1 <= day <= 3
    assert "conversion" not in test.decided  # nothing bought in either arm: nothing to declare
    assert test.rates() == {"popularity": [0.25, 0.0, 0.0], "explore": [0.5, 0.0, 0.0]}


def test_equal_arms_stay_undecided() -> None:
    test = SplitTest("greedy", "explore")
    for day in range(1, 29):
        for k in range(100):
            for arm in ("greedy", "explore"):
                test.add(arm, viewed=k % 3 == 0, carted=k % 9 == 0, bought=k % 27 == 0)
        test.look(day)
    assert test.decided == {}


def test_each_arms_truth_is_its_lists_average() -> None:
    test = SplitTest("popularity", "explore")
    for k in range(4):
        test.add("popularity", viewed=False, carted=False, bought=False, view_chance=0.5, purchases=0.01 * k)
    test.add("explore", viewed=True, carted=False, bought=False, view_chance=0.8, purchases=0.02)
    assert test.truth() == {"popularity": [0.5, 0.015], "explore": [0.8, 0.02]}
