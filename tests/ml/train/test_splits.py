"""Leave-one-out and temporal splits."""

from __future__ import annotations

import numpy as np
import pytest

from optirec.errors import InvalidInput
from optirec.ml.train.data import Interactions, from_arrays
from optirec.ml.train.splits import leave_one_out, sample_users, temporal


def test_leave_one_out_holds_out_the_last_two_events(chain_data: Interactions) -> None:
    valid, test = leave_one_out(chain_data)
    assert len(test.train) == len(chain_data) - 60 and len(valid.train) == len(chain_data) - 120
    bounds = chain_data.user_bounds()
    user = 5
    assert test.targets[user] == chain_data.items[bounds[user + 1] - 1]
    assert valid.targets[user] == chain_data.items[bounds[user + 1] - 2]
    # the validation target is training data for the test split, never for validation
    assert valid.targets[user] in test.train.items[test.train.users == user]


def test_users_with_too_few_events_stay_in_training_only() -> None:
    users = ["a"] * 3 + ["b"] * 2 + [f"u{k}" for k in range(10) for _ in range(3)]
    items = ["x", "y", "z", "x", "y"] + ["x", "y", "z"] * 10
    data = from_arrays(users, items, ["view"] * len(users), list(range(len(users))))
    _, test = leave_one_out(data)
    b = data.user_ids.index("b")
    assert b not in test.users and (test.train.users == b).sum() == 2


def test_too_small_data_set_says_so() -> None:
    data = from_arrays(["a"] * 3, ["x", "y", "z"], ["view"] * 3, [1, 2, 3])
    with pytest.raises(InvalidInput, match="too small to evaluate"):
        leave_one_out(data)


def test_temporal_split_tests_on_the_first_event_after_the_date(chain_data: Interactions) -> None:
    split_time = int(np.quantile(chain_data.timestamps, 0.8))
    _, test = temporal(chain_data, split_time)
    assert (test.train.timestamps < split_time).all()
    first_after = [
        chain_data.items[(chain_data.users == u) & (chain_data.timestamps >= split_time)][0] for u in test.users
    ]
    assert test.targets.tolist() == first_after


def test_sample_users_is_a_seeded_subset(chain_data: Interactions) -> None:
    valid, _ = leave_one_out(chain_data)
    small = sample_users(valid, 10, seed=0)
    assert len(small.users) == 10 and set(small.users.tolist()) <= set(valid.users.tolist())
    assert np.array_equal(small.users, sample_users(valid, 10, seed=0).users)
    assert sample_users(valid, 0, seed=0) is valid
