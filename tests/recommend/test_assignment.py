"""Assignment to an experiment's arms (`recommend.assignment`): sticky, in proportion to the shares, independent
across experiments; a shopper without a key and a stopped arm get the default policy."""

from __future__ import annotations

import numpy as np

from optirec.recommend.assignment import Arm, Book, Policy, Running, bucket

DEFAULT = Policy(shares={"home": 0.1})
EXPLORE = DEFAULT.over({"shares": {"home": 0.3}, "fit_weight": 1.0})


def _book(stopped: bool = False) -> Book:
    arms = (Arm("e1/control", 0.7, DEFAULT), Arm("e1/explore", 1.0, None if stopped else EXPLORE))
    return Book(DEFAULT, {"home": Running("e1", arms)})


def test_policies_layer_per_placement() -> None:
    assert EXPLORE.shares == {"home": 0.3} and EXPLORE.fit_weight == 1.0 and EXPLORE.diversity is None
    assert Policy(shares={"home": 0.1, "cart": 0.2}).over({"shares": {"cart": 0.0}}).shares == {
        "home": 0.1,
        "cart": 0.0,
    }


def test_assignment_is_sticky_and_follows_the_shares() -> None:
    book = _book()
    arms = [book.assign("home", f"cust-{i}", None)[0] for i in range(20_000)]
    assert arms == [book.assign("home", f"cust-{i}", "any-session")[0] for i in range(20_000)]  # the customer wins
    share = np.mean([arm == "e1/explore" for arm in arms])
    assert abs(share - 0.3) < 0.015, share
    assert book.assign("cart", "cust-1", None) == (None, DEFAULT)  # not a placement of the experiment
    assert book.assign("home", None, None) == (None, DEFAULT)  # no key: in no experiment
    label, policy = book.assign("home", None, "sess-1")
    assert label in ("e1/control", "e1/explore") and book.assign("home", None, "sess-1") == (label, policy)


def test_two_experiments_split_the_same_shoppers_independently() -> None:
    keys = [f"c:cust-{i}" for i in range(20_000)]
    first = np.array([bucket("aaaa", key) < 0.5 for key in keys])
    second = np.array([bucket("bbbb", key) < 0.5 for key in keys])
    both = np.mean(first & second)
    assert abs(np.mean(first) - 0.5) < 0.015 and abs(np.mean(second) - 0.5) < 0.015
    assert abs(both - 0.25) < 0.015, both  # independent: a quarter in both first halves


def test_a_stopped_arm_serves_the_default_policy_as_no_arm() -> None:
    book = _book(stopped=True)
    results = [book.assign("home", f"cust-{i}", None) for i in range(2_000)]
    assert {label for label, _ in results} == {"e1/control", None}
    assert all(policy == DEFAULT for _, policy in results)
