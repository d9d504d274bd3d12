"""The statistics of an experiment's results: intervals per arm, and an always-valid test of each arm against control.

Pure math on counts and sums (no session, no settings), so that it is tested on known cases.

- A rate (click-through, add-to-cart, conversion) gets a Wilson score interval; a mean (revenue per list) a normal
  interval. Both are fixed-sample 95 % intervals: they describe one look.
- The difference of an arm to control gets a **confidence sequence**: the mixture sequential probability ratio test
  (mSPRT) of Johari, Koomen, Pekelis and Walsh (2017, "Peeking at A/B tests", KDD; also Operations Research 2022),
  with a normal mixture of variance τ² over the difference θ. With d̂ the observed difference and V its estimated
  variance (p̂(1 − p̂)/n of each arm for a rate, s²/n for a mean), the mixture likelihood ratio against θ is

      Λ(θ) = √(V / (V + τ²)) · exp( τ² (d̂ − θ)² / (2 V (V + τ²)) )

  and P(Λ(θ_true) ≥ 1/α at any time) ≤ α (Ville's inequality, asymptotically with estimated variances). So the set
  of θ with Λ(θ) < 1/α,

      d̂ ± √( 2 V (V + τ²) / τ² · ( ln(1/α) + ½ ln((V + τ²) / V) ) ),

  covers the true difference at every look at once with probability ≥ 1 − α, and the always-valid p-value of
  "no difference" is min(1, 1/Λ(0)). An operator may look every day and stop whenever the interval excludes 0,
  without inflating the error: a fixed-sample interval looked at daily would not hold its level.
- τ is the scale of the differences the test is tuned to find (any τ keeps the guarantee; the right one finds them
  sooner): `mixture_scale` takes a fifth of control's mean, floored at a hundredth of the metric's standard
  deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal's 97.5 % quantile
ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Sequential:
    """The difference of an arm to control, with its always-valid interval and p-value."""

    difference: float
    low: float
    high: float
    p_value: float  # always-valid p-value of "no difference"

    @property
    def verdict(self) -> str:
        """`better` or `worse` when the interval excludes 0, `undecided` otherwise."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "undecided"


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """The Wilson score interval of a proportion: (0, 1) when nothing was observed."""
    if n <= 0:
        return Interval(0.0, 1.0)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends (rounding leaves ±1e-17)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


def mean_interval(mean: float, variance: float, n: int, z: float = Z95) -> Interval:
    """The normal interval of a mean from its per-observation variance (the sample's)."""
    if n <= 0:
        return Interval(0.0, 0.0) if mean == 0 else Interval(-math.inf, math.inf)
    half = z * math.sqrt(max(variance, 0.0) / n)
    return Interval(mean - half, mean + half)


def bernoulli_variance(successes: int, n: int) -> float:
    """The per-observation variance p̂(1 − p̂) of a rate."""
    if n <= 0:
        return 0.25
    p = successes / n
    return p * (1 - p)


def sample_variance(total: float, squares: float, n: int) -> float:
    """The per-observation variance of a mean from the sum and the sum of squares of its observations."""
    if n <= 1:
        return 0.0
    mean = total / n
    return max(0.0, (squares - n * mean * mean) / (n - 1))


def mixture_scale(control_mean: float, pooled_sd: float) -> float:
    """τ: a fifth of control's mean, at least a hundredth of the metric's standard deviation (and never 0)."""
    return max(0.2 * abs(control_mean), 0.01 * pooled_sd, 1e-9)


def always_valid(difference: float, variance: float, tau: float, alpha: float = ALPHA) -> Sequential:
    """The mSPRT confidence sequence and always-valid p-value of a difference `difference` whose estimate has the
    variance `variance` (the sum of both arms' variance / n), with the normal mixture's scale `tau` (see the
    module)."""
    tau2 = tau * tau
    if variance <= 0:  # nothing varies yet (no observation, or every one alike): no evidence either way
        return Sequential(difference, -math.inf, math.inf, 1.0)
    radius = math.sqrt(
        2 * variance * (variance + tau2) / tau2 * (math.log(1 / alpha) + 0.5 * math.log((variance + tau2) / variance))
    )
    log_ratio = 0.5 * math.log(variance / (variance + tau2)) + tau2 * difference * difference / (
        2 * variance * (variance + tau2)
    )
    p_value = 1.0 if log_ratio <= 0 else min(1.0, math.exp(-log_ratio))
    return Sequential(difference, difference - radius, difference + radius, p_value)


def rate_difference(arm: tuple[int, int], control: tuple[int, int], alpha: float = ALPHA) -> Sequential:
    """`arm`'s rate minus control's, each given as (successes, n), with the always-valid interval."""
    (x, n), (y, m) = arm, control
    if n <= 0 or m <= 0:
        return Sequential(0.0, -math.inf, math.inf, 1.0)
    p, q = x / n, y / m
    variance = bernoulli_variance(x, n) / n + bernoulli_variance(y, m) / m
    pooled = math.sqrt(bernoulli_variance(x + y, n + m))
    return always_valid(p - q, variance, mixture_scale(q, pooled), alpha)


def mean_difference(
    arm: tuple[float, float, int], control: tuple[float, float, int], alpha: float = ALPHA
) -> Sequential:
    """`arm`'s mean minus control's, each given as (sum, sum of squares, n), with the always-valid interval."""
    (s, ss, n), (t, tt, m) = arm, control
    if n <= 1 or m <= 1:
        return Sequential(0.0, -math.inf, math.inf, 1.0)
    variance = sample_variance(s, ss, n) / n + sample_variance(t, tt, m) / m
    pooled = math.sqrt(sample_variance(s + t, ss + tt, n + m))
    return always_valid(s / n - t / m, variance, mixture_scale(t / m, pooled), alpha)
