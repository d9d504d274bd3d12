"""Evaluation splits: leave-one-out (validation and test targets) and temporal (train before a date).

A split says which events the models may learn from (`train`) and, for each evaluated user, the held-out
target item. Everything a model is fed comes from `train`, the same for every model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optirec.arrays import IntArray
from optirec.errors import InvalidInput
from optirec.ml.train.data import Interactions

MIN_EVENTS = 3
MIN_EVAL_USERS = 10


@dataclass(frozen=True)
class EvalSplit:
    """Training events plus one target item per evaluated user (`users[k]` must find `targets[k]`)."""

    name: str
    train: Interactions
    users: IntArray  # (n_eval,)
    targets: IntArray  # (n_eval,)


def leave_one_out(data: Interactions, *, min_events: int = MIN_EVENTS) -> tuple[EvalSplit, EvalSplit]:
    """Validation and test splits: each user's last event is the test target, the one before the validation.

    Users with fewer than `min_events` events are not evaluated but their events stay in training.
    """
    bounds = data.user_bounds()
    counts = np.diff(bounds)
    eval_users = np.flatnonzero(counts >= min_events)
    _check_enough(len(eval_users), data, f"users with at least {min_events} events")
    last = bounds[eval_users + 1] - 1
    keep_test = np.ones(len(data), dtype=bool)
    keep_test[last] = False
    keep_valid = keep_test.copy()
    keep_valid[last - 1] = False
    valid = EvalSplit("valid", data.subset(keep_valid), eval_users, data.items[last - 1])
    test = EvalSplit("test", data.subset(keep_test), eval_users, data.items[last])
    return valid, test


def temporal(data: Interactions, split_time: int | None = None) -> tuple[EvalSplit, EvalSplit]:
    """Train before `split_time` (default: the 90th percentile of timestamps), test on each user's first event
    after it; validation holds out each user's last event before the split (leave-one-out inside the past).
    """
    if split_time is None:
        split_time = int(np.quantile(data.timestamps, 0.9))
    before = data.timestamps < split_time
    past = data.subset(before)
    if len(past) == 0 or before.all():
        raise InvalidInput("temporal split: no events on one side of the split date")
    past_users = np.unique(past.users)
    after = np.flatnonzero(~before & np.isin(data.users, past_users))
    first_after = after[np.unique(data.users[after], return_index=True)[1]]
    test_users = data.users[first_after]
    _check_enough(len(test_users), data, "users with events on both sides of the split date")
    test = EvalSplit("test", past, test_users, data.items[first_after])
    valid, _ = leave_one_out(past, min_events=2)
    return valid, test


def sample_users(split: EvalSplit, n_users: int, seed: int) -> EvalSplit:
    """The same split restricted to a seeded random sample of at most `n_users` evaluated users (0 = all)."""
    if n_users <= 0 or len(split.users) <= n_users:
        return split
    keep = np.sort(np.random.default_rng(seed).choice(len(split.users), n_users, replace=False))
    return EvalSplit(split.name, split.train, split.users[keep], split.targets[keep])


def _check_enough(n_users: int, data: Interactions, what: str) -> None:
    """Refuse to evaluate a data set that cannot give meaningful averages."""
    if n_users < MIN_EVAL_USERS or data.n_items < 2:
        raise InvalidInput(
            f"data set too small to evaluate: {n_users} {what} and {data.n_items} items "
            f"(need at least {MIN_EVAL_USERS} users and 2 items)"
        )
