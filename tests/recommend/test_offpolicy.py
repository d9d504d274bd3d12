"""The off-policy estimators on cases whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from optirec.recommend.offpolicy import check_propensities, estimate


def test_on_policy_estimates_are_the_logged_means() -> None:
    # three lists of two slots: the candidate is the logging policy, every weight is 1
    rewards = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    logged = np.array([1.0, 0.5, 1.0, 0.25, 1.0, 0.5])
    lists = np.array([0, 0, 1, 1, 2, 2])
    positions = np.array([1, 2, 1, 2, 1, 2])
    ips, snips = estimate(rewards, logged, logged, lists, positions)
    assert ips.value == pytest.approx(3.0 / 3)
    assert snips.value == pytest.approx(2 / 3 + 1 / 3)
    assert ips.low < ips.value < ips.high
    assert ips.effective_lists == pytest.approx(3.0)
    per_item_ips, per_item_snips = estimate(rewards, logged, logged, lists, positions, level="impression")
    assert per_item_ips.value == pytest.approx(3.0 / 6)
    assert per_item_snips.value == pytest.approx(3.0 / 6)


def test_hand_computed_weights() -> None:
    # one slot per list; the candidate puts probability 1 on what was logged with 0.5 in list 0, 0 in list 1
    rewards = np.array([1.0, 1.0])
    logged = np.array([0.5, 0.5])
    candidate = np.array([1.0, 0.0])
    ips, snips = estimate(rewards, logged, candidate, np.array([0, 1]), np.array([1, 1]))
    assert ips.value == pytest.approx((2.0 * 1.0 + 0.0) / 2)
    assert snips.value == pytest.approx(2.0 / 2.0)
    assert ips.support == pytest.approx(0.5)


def test_ips_recovers_a_deterministic_candidate_from_uniform_logging() -> None:
    # one slot, two products drawn with probability 1/2 each; A always bought (reward 1), B never; the candidate
    # always shows A, so its true value is 1 and the logging policy's is 1/2
    rng = np.random.default_rng(3)
    n = 20_000
    shown_a = rng.random(n) < 0.5
    rewards = shown_a.astype(np.float64)
    logged = np.full(n, 0.5)
    candidate = shown_a.astype(np.float64)
    ips, snips = estimate(rewards, logged, candidate, np.arange(n), np.ones(n, dtype=np.int64))
    assert ips.low <= 1.0 <= ips.high
    assert abs(ips.value - 1.0) < 0.05
    assert snips.value == pytest.approx(1.0)
    assert rewards.mean() == pytest.approx(0.5, abs=0.02)


def test_unusable_propensities_are_refused() -> None:
    assert check_propensities(np.array([0.0, np.nan, 1.5, 0.3, 1.0])).tolist() == [False, False, False, True, True]
    with pytest.raises(ValueError, match="propensity"):
        estimate(np.array([1.0]), np.array([0.0]), np.array([1.0]), np.array([0]), np.array([1]))
    with pytest.raises(ValueError, match="level"):
        estimate(np.array([1.0]), np.array([1.0]), np.array([1.0]), np.array([0]), np.array([1]), level="slot")


def test_a_position_without_support_adds_nothing_to_snips() -> None:
    # two lists of two slots; the candidate agrees with the log at position 1 only
    rewards = np.array([1.0, 1.0, 0.0, 1.0])
    logged = np.array([1.0, 0.5, 1.0, 0.5])
    candidate = np.array([1.0, 0.0, 1.0, 0.0])
    ips, snips = estimate(rewards, logged, candidate, np.array([0, 0, 1, 1]), np.array([1, 2, 1, 2]))
    assert ips.value == pytest.approx(0.5)
    assert snips.value == pytest.approx(0.5)
    assert np.isfinite(snips.low) and np.isfinite(snips.high)
