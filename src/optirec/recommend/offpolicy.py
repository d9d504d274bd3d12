"""Off-policy evaluation: what a candidate policy would have earned on traffic another policy served.

Each logged impression (one item of a served list) has a reward `r` (a click, an add to cart, a purchase, or its
revenue, within the attribution window), the logging policy's propensity `p` (the probability with which it put that
product in that slot, given the products above: `docs/exploration.md`) and the candidate's probability `π` of
putting the same product in the same slot. Its weight is `w = π / p`.

- **IPS** (inverse propensity scoring), per list: `mean over lists of Σ_slots w·r`. Unbiased when every product the
  candidate could put in a slot had `p > 0` there (support), and `π` is computed on the same state as `p`.
- **SNIPS** (self-normalised), per list: `Σ over positions of (Σ_lists w·r / Σ_lists w)`. Each position's weights
  have mean 1 under the logging policy; dividing by their sum instead removes most of IPS's variance for a small
  bias. A position where every weight is 0 (the candidate never agrees with the log there) adds its IPS, 0: there
  is no evidence of it, a sign of too little support. Per impression, `Σ w·r / Σ w`.

Intervals are 95 % normal (CLT) intervals over lists, the unit that is sampled (a list's slots are not
independent); SNIPS's by the delta method. Pure arrays here: `recommend.policy_eval` reads the impressions table
and computes `π` for the candidates it knows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optirec.arrays import FloatArray, IntArray

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """One estimator's value with its 95 % interval."""

    estimator: str  # ips | snips
    level: str  # list | impression
    value: float
    low: float
    high: float
    lists: int
    impressions: int
    support: float  # share of the logged impressions the candidate gives a non-zero probability
    effective_lists: float  # Kish's effective sample size of the list weights: n when π = p everywhere


def check_propensities(propensities: FloatArray) -> np.ndarray:
    """Which logged propensities are usable: finite and in (0, 1]. A logged item with propensity 0 or none cannot be
    reweighted (it was not drawn by the policy that says it logged it) and is left out by the caller."""
    p = np.asarray(propensities, dtype=np.float64)
    return np.isfinite(p) & (p > 0.0) & (p <= 1.0)


def estimate(
    rewards: FloatArray,
    logged: FloatArray,
    candidate: FloatArray,
    lists: IntArray,
    positions: IntArray,
    *,
    level: str = "list",
) -> tuple[Estimate, Estimate]:
    """IPS and SNIPS of the candidate on logged impressions, each with a 95 % CLT interval over lists.

    `lists` numbers each impression's list (0…n−1), `positions` its slot (1 first). Every logged propensity must be
    usable (`check_propensities`); `candidate` holds probabilities in [0, 1]. `level` is `list` (expected reward per
    list) or `impression` (per item shown)."""
    r, p, q = (np.asarray(a, dtype=np.float64) for a in (rewards, logged, candidate))
    if not check_propensities(p).all():
        raise ValueError("every logged propensity must be in (0, 1]")
    if level not in ("list", "impression"):
        raise ValueError("level is 'list' or 'impression'")
    lists = np.asarray(lists, dtype=np.int64)
    n = int(lists.max()) + 1 if lists.size else 0
    if n == 0:
        raise ValueError("no impressions to evaluate")
    w = q / p
    per_list_wr = np.bincount(lists, weights=w * r, minlength=n).astype(np.float64)
    per_list_w = np.bincount(lists, weights=w, minlength=n).astype(np.float64)
    slots = np.bincount(lists, minlength=n).astype(np.float64)
    support = float(np.mean(q > 0))
    ess = float(per_list_w.sum() ** 2 / max(float((per_list_w**2).sum()), 1e-300))
    if level == "list":
        ips = _mean_interval(per_list_wr)
        snips = _snips_per_position(w, r, lists, np.asarray(positions, dtype=np.int64), n)
    else:
        ips = _ratio_interval(per_list_wr, slots)
        snips = _ratio_interval(per_list_wr, per_list_w)
    counts = (n, int(r.size), support, ess)
    return _estimate("ips", level, ips, counts), _estimate("snips", level, snips, counts)


def _estimate(
    name: str, level: str, interval: tuple[float, float, float], counts: tuple[int, int, float, float]
) -> Estimate:
    lists, impressions, support, ess = counts
    return Estimate(name, level, interval[0], interval[1], interval[2], lists, impressions, support, ess)


def _mean_interval(values: FloatArray) -> tuple[float, float, float]:
    mean = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / np.sqrt(values.size) if values.size > 1 else float("inf")
    return mean, mean - half, mean + half


def _ratio_interval(numerator: FloatArray, denominator: FloatArray) -> tuple[float, float, float]:
    """Σ a / Σ b over lists, with the delta method's interval (the influence of list i: (a_i − R b_i) / mean b)."""
    total = float(denominator.sum())
    if total <= 0:
        return float("nan"), float("nan"), float("nan")
    ratio = float(numerator.sum()) / total
    influence = (numerator - ratio * denominator) / (total / numerator.size)
    half = Z95 * float(influence.std(ddof=1)) / np.sqrt(numerator.size) if numerator.size > 1 else float("inf")
    return ratio, ratio - half, ratio + half


def _snips_per_position(
    w: FloatArray, r: FloatArray, lists: IntArray, positions: IntArray, n: int
) -> tuple[float, float, float]:
    """Σ over positions of each position's self-normalised mean reward; the interval by the delta method, the
    influences of a list's positions summed (they are one sample)."""
    value = 0.0
    influence = np.zeros(n, dtype=np.float64)
    for position in np.unique(positions):
        at = positions == position
        a = np.bincount(lists[at], weights=w[at] * r[at], minlength=n).astype(np.float64)
        b = np.bincount(lists[at], weights=w[at], minlength=n).astype(np.float64)
        total = float(b.sum())
        if total <= 0:  # the candidate never agrees with the log here: no evidence, the position's IPS (0) stands
            continue
        ratio = float(a.sum()) / total
        value += ratio
        influence += (a - ratio * b) / (total / n)
    half = Z95 * float(influence.std(ddof=1)) / np.sqrt(n) if n > 1 else float("inf")
    return value, value - half, value + half
