"""Which serving policy a list gets: the default one, or the arm of a running experiment the shopper is assigned to.

A **policy** is what an arm may change in a list, all of it applied after the hard filters: the model version that
scores it, the exploration share per placement, the diversity of the re-ranking, and the weight of fit in the blend.
The **default policy** is the settings' (`OPTIREC_EXPLORATION__SHARES`) with the overrides that shipping an arm wrote
on top (`serving_policies`), and the live model.

Assignment is sticky and independent across experiments: a shopper's key (the customer id, or the anonymous session's
id when there is none) is hashed with the experiment's id (BLAKE2b, 64 bits) to a number in [0, 1), and the arms
take consecutive stretches of [0, 1) in proportion to their traffic shares. The same shopper gets the same arm at
every list and in every worker; two experiments split the same shoppers independently. A list without either key is
in no experiment. An arm the guardrail stopped serves the default policy, recorded as no arm.

The running experiments and the overrides are read from the database by each worker every
`OPTIREC_EXPERIMENT_REFRESH_SECONDS` in the background (`refresh.Refreshing`); a list only looks them up in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from optirec.settings import PLACEMENTS
from optirec.store import Database
from optirec.store.tables import Experiment, ServingPolicy

RUNNING = "running"
DEFAULT_POLICY = "default"  # the one row of `serving_policies`
_SCALE = float(2**64)


@dataclass(frozen=True)
class Policy:
    """What a list's arm sets: exploration shares per placement, diversity (None: the request's), the weights of fit
    and of the attribute profile (None: the list builder's)."""

    shares: Mapping[str, float] = field(default_factory=dict)
    diversity: float | None = None
    fit_weight: float | None = None
    profile_weight: float | None = None
    model_version: str | None = None  # None: the live model

    def over(self, overrides: Mapping[str, Any]) -> Policy:
        """This policy with `overrides` (an arm's or the shipped policy's stored settings) on top; shares per
        placement."""
        shares = dict(self.shares)
        shares.update(overrides.get("shares") or {})
        diversity = overrides.get("diversity")
        fit_weight = overrides.get("fit_weight")
        profile_weight = overrides.get("profile_weight")
        return Policy(
            shares=shares,
            diversity=self.diversity if diversity is None else float(diversity),
            fit_weight=self.fit_weight if fit_weight is None else float(fit_weight),
            profile_weight=self.profile_weight if profile_weight is None else float(profile_weight),
            model_version=overrides.get("model_version") or self.model_version,
        )


@dataclass(frozen=True)
class Arm:
    label: str  # `<experiment id>/<arm name>`, as the served list records it
    upper: float  # the arm takes the shoppers whose bucket is below this and above the previous arm's
    policy: Policy | None  # None: stopped by the guardrail (the default policy, recorded as no arm)


@dataclass(frozen=True)
class Running:
    id: str
    arms: tuple[Arm, ...]


def bucket(experiment_id: str, key: str) -> float:
    """The shopper's place in [0, 1) for this experiment: stable, and independent across experiment ids."""
    digest = hashlib.blake2b(f"{experiment_id}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class Book:
    """The default policy and the running experiments by placement, as a worker holds them."""

    default: Policy
    by_placement: Mapping[str, Running] = field(default_factory=dict)

    def assign(self, placement: str, customer_id: str | None, session_id: str | None) -> tuple[str | None, Policy]:
        """The arm (its label, or None) and the policy of a list at `placement` for this shopper."""
        running = self.by_placement.get(placement)
        if running is None:
            return None, self.default
        key = f"c:{customer_id}" if customer_id is not None else f"s:{session_id}" if session_id is not None else None
        if key is None:
            return None, self.default
        where = bucket(running.id, key)
        for arm in running.arms:
            if where < arm.upper:
                return (arm.label, arm.policy) if arm.policy is not None else (None, self.default)
        last = running.arms[-1]  # rounding of the shares' sum
        return (last.label, last.policy) if last.policy is not None else (None, self.default)


def load_book(db: Database, shares: Mapping[str, float]) -> Book:
    """The book from the database: the settings' `shares` with the shipped overrides, and every running experiment."""
    with db.read() as session:
        stored = session.get(ServingPolicy, DEFAULT_POLICY)
        experiments = list(session.scalars(select(Experiment).where(Experiment.status == RUNNING)))
        default = Policy(shares=dict(shares))
        if stored is not None:
            default = default.over(stored.policy)
        by_placement: dict[str, Running] = {}
        for experiment in experiments:
            running = Running(experiment.id, _arms(experiment, default))
            for placement in experiment.placements or PLACEMENTS:
                by_placement.setdefault(placement, running)
    return Book(default, by_placement)


def experiment_versions(db: Database) -> set[str]:
    """The model versions that the running experiments' arms serve (each worker holds them beside the live one)."""
    with db.read() as session:
        arms = [arm for e in session.scalars(select(Experiment).where(Experiment.status == RUNNING)) for arm in e.arms]
    return {str(arm["policy"]["model_version"]) for arm in arms if (arm.get("policy") or {}).get("model_version")}


def _arms(experiment: Experiment, default: Policy) -> tuple[Arm, ...]:
    arms, upper = [], 0.0
    for arm in experiment.arms:
        upper += float(arm["share"])
        policy = None if arm.get("stopped") else default.over(arm.get("policy") or {})
        arms.append(Arm(f"{experiment.id}/{arm['name']}", upper, policy))
    return tuple(arms)
