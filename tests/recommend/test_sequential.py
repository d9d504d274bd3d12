"""The statistics of experiments (`recommend.sequential`): known intervals, the always-valid interval's coverage at
every look of a simulation with a fixed seed, and a clear winner declared."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optirec.recommend.sequential import (
    always_valid,
    mean_difference,
    mean_interval,
    rate_difference,
    sample_variance,
    wilson,
)

LOOKS = np.arange(500, 20_001, 500)  # an operator looking every 500 lists an arm: 40 looks


def test_wilson_matches_the_textbook_values() -> None:
    # Wilson (1927); the values as given by statsmodels' proportion_confint(method="wilson")
    assert wilson(5, 10).low == pytest.approx(0.236593, abs=1e-6)
    assert wilson(5, 10).high == pytest.approx(0.763407, abs=1e-6)
    assert wilson(0, 10).low == 0.0 and wilson(0, 10).high == pytest.approx(0.277533, abs=1e-6)
    assert (wilson(0, 0).low, wilson(0, 0).high) == (0.0, 1.0)
    for n in range(1, 200):  # the ends exactly, whatever the rounding
        assert wilson(0, n).low == 0.0 and wilson(n, n).high == 1.0


def test_mean_interval_and_sample_variance() -> None:
    values = [0.0, 0.0, 10.0, 30.0]
    total, squares = sum(values), sum(v * v for v in values)
    assert sample_variance(total, squares, 4) == pytest.approx(float(np.var(values, ddof=1)))
    interval = mean_interval(10.0, float(np.var(values, ddof=1)), 4)
    half = 1.959963984540054 * math.sqrt(float(np.var(values, ddof=1)) / 4)
    assert (interval.low, interval.high) == pytest.approx((10.0 - half, 10.0 + half))


def test_the_always_valid_interval_is_the_mixture_ratio_test_inverted() -> None:
    test = always_valid(0.01, 1e-5, 0.01)
    # at each end of the interval the mixture likelihood ratio against that difference is exactly 1/alpha = 20
    for theta in (test.low, test.high):
        variance, tau2 = 1e-5, 1e-4
        log_ratio = 0.5 * math.log(variance / (variance + tau2)) + tau2 * (0.01 - theta) ** 2 / (
            2 * variance * (variance + tau2)
        )
        assert log_ratio == pytest.approx(math.log(20))
    assert always_valid(0.0, 1e-5, 0.01).p_value == 1.0
    assert always_valid(0.0, 0.0, 0.01).verdict == "undecided"  # nothing varies yet: no evidence


def _simulate(seed: int, p_control: float, p_arm: float, runs: int) -> tuple[list[bool], list[bool], list[str]]:
    """Per run: whether the always-valid interval missed the true difference at any look; whether the fixed-sample
    interval did; the verdict at the last look."""
    rng = np.random.default_rng(seed)
    truth = p_arm - p_control
    missed, naive_missed, verdicts = [], [], []
    for _ in range(runs):
        arm = np.cumsum(rng.random(LOOKS[-1]) < p_arm)[LOOKS - 1]
        control = np.cumsum(rng.random(LOOKS[-1]) < p_control)[LOOKS - 1]
        miss = naive = False
        test = None
        for n, x, y in zip(LOOKS.tolist(), arm.tolist(), control.tolist(), strict=True):
            test = rate_difference((x, n), (y, n))
            miss |= not test.low <= truth <= test.high
            p, q = x / n, y / n
            half = 1.959963984540054 * math.sqrt(p * (1 - p) / n + q * (1 - q) / n)
            naive |= not p - q - half <= truth <= p - q + half
        missed.append(miss)
        naive_missed.append(naive)
        assert test is not None
        verdicts.append(test.verdict)
    return missed, naive_missed, verdicts


def test_the_always_valid_interval_covers_the_true_difference_at_every_look() -> None:
    missed, naive_missed, _ = _simulate(seed=19, p_control=0.05, p_arm=0.05, runs=400)
    # at most alpha of the runs ever miss, over 40 looks (a fixed-sample interval looked at as often misses far more)
    assert np.mean(missed) <= 0.05, np.mean(missed)
    assert np.mean(naive_missed) > 0.15, np.mean(naive_missed)


def test_a_clear_winner_is_declared_and_a_clear_loser_found_worse() -> None:
    _, _, better = _simulate(seed=7, p_control=0.05, p_arm=0.065, runs=100)
    assert np.mean([v == "better" for v in better]) >= 0.9
    assert "worse" not in better  # never the wrong way
    _, _, worse = _simulate(seed=8, p_control=0.05, p_arm=0.035, runs=100)
    assert np.mean([v == "worse" for v in worse]) >= 0.9


def test_revenue_per_list_difference() -> None:
    rng = np.random.default_rng(3)
    arm = np.where(rng.random(20_000) < 0.06, 120.0, 0.0)  # 6 % buy at 120
    control = np.where(rng.random(20_000) < 0.05, 100.0, 0.0)  # 5 % at 100
    test = mean_difference(
        (float(arm.sum()), float((arm**2).sum()), arm.size),
        (float(control.sum()), float((control**2).sum()), control.size),
    )
    assert test.difference == pytest.approx(float(arm.mean() - control.mean()))
    assert test.low <= 7.2 - 5.0 <= test.high and test.verdict == "better"
    assert mean_difference((0.0, 0.0, 1), (0.0, 0.0, 1)).verdict == "undecided"
