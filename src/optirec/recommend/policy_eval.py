"""`evaluate-policy`'s reading of the impressions table: each logged item's reward and the candidate's probability of
the same product in the same slot, for the estimators of `recommend.offpolicy`.

The candidates it can compute a probability for, from the log alone:

- `logged`: the policy that served the traffic (π = p, every weight 1): the estimate is the logged mean, a check.
- `greedy`: the same model without exploration, deterministic: π = 1 for a greedy slot, and for a slot that
  exploration drew, 1 if the drawn product is the one the greedy list had there (the log names it) and 0 otherwise.

A candidate with another model (a version from the registry) ranks differently in every slot; its probability of a
logged item would need that model's list for the same shopper state, which the log does not hold (not supported).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from optirec.errors import InvalidInput
from optirec.recommend.impressions import Impression
from optirec.recommend.offpolicy import Estimate, check_propensities, estimate

CANDIDATES = ("greedy", "logged")
REWARDS = ("click", "cart", "purchase", "revenue")


@dataclass(frozen=True)
class PolicyEvaluation:
    candidate: str
    reward: str
    ips: Estimate
    snips: Estimate
    logged_mean: float  # the logged policy's own mean reward at the same level (what it earned)
    rejected: int  # logged items left out: a propensity of 0, none, or above 1


def reward_of(impression: Impression, reward: str) -> float:
    if reward == "click":
        return float(impression.viewed)
    if reward == "cart":
        return float(impression.carted)
    if reward == "purchase":
        return float(impression.purchased)
    return impression.revenue


def candidate_probability(impression: Impression, candidate: str) -> float:
    """π: the candidate's probability of the logged product in the logged slot (see the module)."""
    if candidate == "logged":
        return impression.propensity
    if impression.greedy_product_id is None:  # a greedy slot: the greedy list had this very product here
        return 1.0
    return 1.0 if impression.greedy_product_id == impression.product_id else 0.0


def evaluate_policy(
    impressions: Iterable[Impression], *, candidate: str, reward: str = "purchase", level: str = "list"
) -> PolicyEvaluation:
    """IPS and SNIPS of `candidate` on the impressions; `InvalidInput` for an unknown candidate or reward, or when
    no usable impression is left. A list with any unusable propensity is left out whole (its other slots' weights
    are conditional on it)."""
    if candidate not in CANDIDATES:
        raise InvalidInput(f"candidate must be one of {', '.join(CANDIDATES)}")
    if reward not in REWARDS:
        raise InvalidInput(f"reward must be one of {', '.join(REWARDS)}")
    rows = [(i.recommendation_id, i.position, reward_of(i, reward), i.propensity, i) for i in impressions]
    propensities = np.array([row[3] for row in rows], dtype=np.float64)
    bad_lists = {row[0] for row, ok in zip(rows, check_propensities(propensities), strict=True) if not ok}
    kept = [row for row in rows if row[0] not in bad_lists]
    if not kept:
        raise InvalidInput("No impression with a usable propensity to evaluate on (a list needs a signal to count).")
    numbers: dict[str, int] = {}
    lists = np.array([numbers.setdefault(row[0], len(numbers)) for row in kept], dtype=np.int64)
    positions = np.array([row[1] for row in kept], dtype=np.int64)
    r = np.array([row[2] for row in kept], dtype=np.float64)
    p = np.array([row[3] for row in kept], dtype=np.float64)
    q = np.array([candidate_probability(row[4], candidate) for row in kept], dtype=np.float64)
    ips, snips = estimate(r, p, q, lists, positions, level=level)
    logged = float(r.sum()) / (len(numbers) if level == "list" else r.size)
    return PolicyEvaluation(candidate, reward, ips, snips, logged, len(rows) - len(kept))
