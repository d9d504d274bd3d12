"""Experiments between serving policies: create, start, stop, ship (docs/experiments.md).

An experiment runs at some placements (or all of them) and splits their shoppers between arms by traffic share
(`assignment`); one arm is control. Its life: `draft` (created), `running` (started: lists are assigned), `stopped`
(no longer assigned; its results stay), `shipped` (an arm's policy was written as the default). Each change is
recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from optirec.audit import service as audit
from optirec.errors import Conflict, NotFound, shown
from optirec.recommend.assignment import DEFAULT_POLICY, RUNNING
from optirec.settings import MAX_EXPLORATION_SHARE, PLACEMENTS
from optirec.store import utcnow
from optirec.store.tables import Experiment, ServingPolicy
from optirec.training import registry

DRAFT, STOPPED, SHIPPED = "draft", "stopped", "shipped"
MAX_FIT_WEIGHT = 5.0
MAX_PROFILE_WEIGHT = 50.0


class PolicySettings(BaseModel):
    """What an arm changes; what it leaves unset is the default policy's."""

    model_config = ConfigDict(extra="forbid")

    shares: dict[str, float] | None = Field(
        None, description=f"Exploration share per placement, 0 to {MAX_EXPLORATION_SHARE} (docs/exploration.md)."
    )
    diversity: float | None = Field(
        None, ge=0, le=1, description="Diversity of the re-ranking (the request's if unset)."
    )
    fit_weight: float | None = Field(
        None, ge=0, le=MAX_FIT_WEIGHT, description="Weight of fit in the blend of scores (0.5 if unset)."
    )
    profile_weight: float | None = Field(
        None,
        ge=0,
        le=MAX_PROFILE_WEIGHT,
        description="Weight of the shopper's attribute profile in the blend of scores (10 if unset; 0 turns it off).",
    )
    model_version: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="A registered model version (the live one if unset).",
    )

    @field_validator("shares")
    @classmethod
    def _bounded(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for placement, share in (value or {}).items():
            if placement not in PLACEMENTS:
                raise ValueError(f"unknown placement {shown(placement)}; placements are {', '.join(PLACEMENTS)}")
            if not 0.0 <= share <= MAX_EXPLORATION_SHARE:
                raise ValueError(f"the share of {placement} must lie between 0 and {MAX_EXPLORATION_SHARE}")
        return value


class ArmSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="Lower-case letters, digits, _ and -.")
    share: float = Field(gt=0, le=1, description="Share of the experiment's shoppers.")
    control: bool = False
    policy: PolicySettings = Field(default_factory=PolicySettings)


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    placements: list[str] = Field(default_factory=list, max_length=len(PLACEMENTS), description="Empty: all.")
    arms: list[ArmSpec] = Field(min_length=2, max_length=8)

    @field_validator("placements")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for placement in value:
            if placement not in PLACEMENTS:
                raise ValueError(f"unknown placement {shown(placement)}; placements are {', '.join(PLACEMENTS)}")
        return sorted(set(value))

    @model_validator(mode="after")
    def _arms(self) -> ExperimentCreate:
        if sum(arm.control for arm in self.arms) != 1:
            raise ValueError("exactly one arm must be the control")
        if len({arm.name for arm in self.arms}) != len(self.arms):
            raise ValueError("arm names must differ")
        if abs(sum(arm.share for arm in self.arms) - 1.0) > 1e-6:
            raise ValueError("the arms' shares must add up to 1")
        return self


class ArmPublic(ArmSpec):
    stopped: str | None = None  # why the guardrail stopped it


class ExperimentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    status: str  # draft | running | stopped | shipped
    placements: list[str]
    arms: list[ArmPublic]
    created_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None
    shipped_arm: str | None


def create(*, session: Session, body: ExperimentCreate, **who: Any) -> Experiment:
    """A new experiment, as a draft; each arm's model version must be registered and servable."""
    for arm in body.arms:
        if arm.policy.model_version is not None:
            version = registry.get_version(session=session, version=arm.policy.model_version)  # NotFound if none
            if version.status == registry.FAILED:
                raise Conflict(f"Model version {version.id} failed to train and cannot serve an arm.")
    row = Experiment(
        id=secrets.token_hex(6),
        name=body.name,
        status=DRAFT,
        placements=body.placements,
        arms=[
            arm.model_dump(exclude_none=True) | {"policy": arm.policy.model_dump(exclude_none=True)}
            for arm in body.arms
        ],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(session=session, action=audit.EXPERIMENT_CREATE, target=row.id, detail={"name": row.name}, **who)
    return row


def list_all(*, session: Session) -> list[Experiment]:
    return list(session.scalars(select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id)))


def get(*, session: Session, experiment_id: str) -> Experiment:
    row = session.get(Experiment, experiment_id)
    if row is None:
        raise NotFound(f"No experiment with id {shown(experiment_id)}.")
    return row


def start(*, session: Session, experiment_id: str, **who: Any) -> Experiment:
    """Start assigning lists: only a draft, and only where no other experiment runs (a list has one arm)."""
    row = get(session=session, experiment_id=experiment_id)
    if row.status != DRAFT:
        raise Conflict(f"Experiment {row.id} is {row.status}; only a draft can be started.")
    mine = set(row.placements or PLACEMENTS)
    for other in session.scalars(select(Experiment).where(Experiment.status == RUNNING)):
        shared = sorted(mine & set(other.placements or PLACEMENTS))
        if shared:
            raise Conflict(f"Experiment {other.id} already runs at {', '.join(shared)}.")
    row.status, row.started_at = RUNNING, utcnow()
    audit.record(session=session, action=audit.EXPERIMENT_START, target=row.id, **who)
    session.flush()
    return row


def stop(*, session: Session, experiment_id: str, **who: Any) -> Experiment:
    """Stop assigning lists (every shopper gets the default policy again); the results stay."""
    row = get(session=session, experiment_id=experiment_id)
    if row.status != RUNNING:
        raise Conflict(f"Experiment {row.id} is {row.status}; only a running one can be stopped.")
    row.status, row.stopped_at = STOPPED, utcnow()
    audit.record(session=session, action=audit.EXPERIMENT_STOP, target=row.id, **who)
    session.flush()
    return row


def ship(*, session: Session, experiment_id: str, arm: str, **who: Any) -> Experiment:
    """Write the arm's policy as the default (over the shipped policy so far), promote its model version if it names
    one, and end the experiment."""
    row = get(session=session, experiment_id=experiment_id)
    if row.status not in (RUNNING, STOPPED):
        raise Conflict(f"Experiment {row.id} is {row.status}; only a running or stopped one can be shipped.")
    chosen = next((a for a in row.arms if a["name"] == arm), None)
    if chosen is None:
        raise NotFound(f"Experiment {row.id} has no arm {shown(arm)}.")
    if chosen.get("stopped"):
        raise Conflict(f"Arm {chosen['name']} was stopped by the guardrail and cannot be shipped.")
    stored = session.get(ServingPolicy, DEFAULT_POLICY)
    merged = dict(stored.policy) if stored is not None else {}
    settings = chosen.get("policy") or {}
    merged["shares"] = {**(merged.get("shares") or {}), **(settings.get("shares") or {})}
    for name in ("diversity", "fit_weight", "profile_weight"):
        if settings.get(name) is not None:
            merged[name] = settings[name]
    version = settings.get("model_version")
    if version is not None:
        _promote(session, str(version), f"{row.id}/{arm}", **who)
    if stored is None:
        session.add(ServingPolicy(name=DEFAULT_POLICY, policy=merged, source=f"{row.id}/{arm}", updated_at=utcnow()))
    else:
        stored.policy, stored.source, stored.updated_at = merged, f"{row.id}/{arm}", utcnow()
    now = utcnow()
    row.status, row.shipped_arm, row.stopped_at = SHIPPED, chosen["name"], row.stopped_at or now
    audit.record(
        session=session, action=audit.EXPERIMENT_SHIP, target=row.id, detail={"arm": chosen["name"], "policy": merged},
        **who,
    )  # fmt: skip
    session.flush()
    return row


def _promote(session: Session, version: str, source: str, **who: Any) -> None:
    """Make the arm's model version the live one (audited as a promotion, as the console's)."""
    before = registry.live_version(session=session)
    if before is not None and before.id == version:
        return
    registry.promote(session=session, version=version, note=f"shipped from experiment arm {source}")
    detail = {"was_live": before.id if before is not None else None, "experiment": source}
    audit.record(session=session, action=audit.PROMOTE, target=version, detail=detail, **who)


def stop_arm(*, session: Session, experiment_id: str, arm: str, reason: str, **who: Any) -> Experiment:
    """The guardrail's stop of one arm: its shoppers get the default policy from the next refresh on."""
    row = get(session=session, experiment_id=experiment_id)
    arms = [dict(a) | ({"stopped": reason[:200]} if a["name"] == arm else {}) for a in row.arms]
    row.arms = arms  # a new list, so that the JSON column is written
    audit.record(
        session=session, action=audit.EXPERIMENT_GUARDRAIL, target=row.id, detail={"arm": arm, "reason": reason[:200]},
        **who,
    )  # fmt: skip
    session.flush()
    return row


def shipped_policy(*, session: Session) -> dict[str, Any]:
    """The overrides that shipping wrote (empty when nothing was shipped)."""
    stored = session.get(ServingPolicy, DEFAULT_POLICY)
    return dict(stored.policy) if stored is not None else {}
