"""The closed-loop simulation's statistics: a mean with its 95 % interval over seeds, and the simple sequential
test that compares the split's two arms every simulated day.

The test is a mixture sequential probability ratio test (mSPRT, Johari et al. 2017) on the difference of the arms'
mean purchases per list, with a normal mixing distribution of scale `tau` (relative to the control's mean): its
p-value is always valid, so it may be read every day without inflating the false-positive rate. It stands in for
the experiments API of issue 19 (item 3), which will replace it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the half-width of its 95 % t interval (0 for a single value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()) if x.size else float("nan"), 0.0
    t = T95.get(x.size - 1, 1.96)
    return float(x.mean()), t * float(x.std(ddof=1)) / math.sqrt(x.size)


class Sequential:
    """Always-valid test of mean(B) − mean(A) ≠ 0; `update` with every value so far, True once it rejects."""

    def __init__(self, alpha: float = 0.05, tau: float = 0.2) -> None:
        self.alpha, self.tau = alpha, tau
        self.difference = 0.0
        self.p_value = 1.0

    def update(self, a: Sequence[float], b: Sequence[float]) -> bool:
        if len(a) < 30 or len(b) < 30:
            return False
        xa, xb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        variance = float(xa.var(ddof=1)) / xa.size + float(xb.var(ddof=1)) / xb.size
        if variance <= 0:
            return False
        self.difference = float(xb.mean() - xa.mean())
        tau2 = (self.tau * max(float(xa.mean()), 1e-9)) ** 2
        log_ratio = 0.5 * math.log(variance / (variance + tau2)) + tau2 * self.difference**2 / (
            2 * variance * (variance + tau2)
        )
        self.p_value = min(self.p_value, math.exp(-log_ratio) if log_ratio > 0 else 1.0)
        return self.p_value <= self.alpha
